package client_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// A client created with a wrong password cannot connect; once
// SetSASLCredentials gives the right one, its next connection logs in.
func TestSetSASLCredentials(t *testing.T) {
	env := kafkatest.Brokers(t)
	if len(env.SASLBrokers) == 0 || env.Scram256User == "" || env.PlainUser == "" {
		t.Skip("the broker has no SASL listener (KFK_TEST_SASL_BROKERS)")
	}
	for _, tc := range []struct{ mechanism, user, pass string }{
		{"SCRAM-SHA-256", env.Scram256User, env.Scram256Pass},
		{"PLAIN", env.PlainUser, env.PlainPass},
	} {
		t.Run(tc.mechanism, func(t *testing.T) {
			cfg := client.NewConfig()
			for _, kv := range [][2]string{{"brokers", strings.Join(env.SASLBrokers, ",")},
				{"security.protocol", "SASL_PLAINTEXT"}, {"sasl_mechanism", tc.mechanism},
				{"sasl_username", tc.user}, {"sasl_password", tc.pass + "-wrong"}} {
				if err := cfg.Set(kv[0], kv[1]); err != nil {
					t.Fatal(err)
				}
			}
			c, err := client.New(*cfg, client.Handler{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { kafkatest.CloseClient(t, c) })
			connect := func() error {
				done := make(chan error, 1)
				c.Connect(func(_ tree.Value, err error) { done <- err })
				return <-done
			}
			if err := connect(); err == nil {
				t.Fatal("connected with a wrong password")
			}
			if err := c.SetSASLCredentials(tc.user, tc.pass); err != nil {
				t.Fatal(err)
			}
			var last error
			for deadline := time.Now().Add(60 * time.Second); ; {
				if last = connect(); last == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no connection with the right password: %v", last)
				}
			}
		})
	}
}

// A client without SASL PLAIN or SCRAM has no credentials to replace.
func TestSetSASLCredentialsWithoutSASL(t *testing.T) {
	c, err := client.New(*client.NewConfig(), client.Handler{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(0, nil)
	if err := c.SetSASLCredentials("u", "p"); !errors.Is(err, client.ErrNoSASLCredentials) {
		t.Fatalf("SetSASLCredentials without SASL: %v, want ErrNoSASLCredentials", err)
	}
}

// Re-authentication (KIP-368) uses the credentials in force: after a wrong
// password is set, the next re-authentication of a live connection fails
// and the broker ends it (with the old password it would go on); with the
// right one back, the client's next connection logs in and records are
// delivered.
func TestSetSASLCredentialsReauthentication(t *testing.T) {
	env := kafkatest.Brokers(t)
	if len(env.ReauthBrokers) == 0 || env.Scram256User == "" {
		t.Skip("the broker has no REAUTH listener (KFK_TEST_REAUTH_BROKERS)")
	}
	topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
	var counts sessionCounts
	c := kafkatest.Client(t, env.ReauthBrokers, counts.handler(), "security.protocol", "SASL_PLAINTEXT",
		"sasl_mechanism", "SCRAM-SHA-256", "sasl_username", env.Scram256User, "sasl_password", env.Scram256Pass,
		"statistics_interval_ms", "100")
	delivered(t, c, rec(topic, 0, "", "before"))
	if err := c.SetSASLCredentials(env.Scram256User, env.Scram256Pass+"-wrong"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, lost := counts.get(); lost == 0; _, lost = counts.get() {
		if time.Now().After(deadline) {
			t.Fatal("no connection ended in 60 s: the re-authentications did not use the wrong password")
		}
		time.Sleep(100 * time.Millisecond) // the statistics come every 100 ms
	}
	if err := c.SetSASLCredentials(env.Scram256User, env.Scram256Pass); err != nil {
		t.Fatal(err)
	}
	delivered(t, c, rec(topic, 0, "", "after"))
}
