package client_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// oauthBrokers is the test broker's OAUTHBEARER listener, which accepts
// unsigned development tokens (Kafka's own validator).
func oauthBrokers(t *testing.T) []string {
	t.Helper()
	env := kafkatest.Brokers(t)
	if len(env.OAuthBrokers) == 0 {
		t.Skip("the broker has no OAUTHBEARER listener (KFK_TEST_OAUTH_BROKERS)")
	}
	return env.OAuthBrokers
}

// unsignedToken is an unsigned JWT for principal, expiring at exp.
func unsignedToken(principal string, exp time.Time) string {
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]any{"sub": principal, "iat": time.Now().Unix(), "exp": exp.Unix()})
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(claims) + "."
}

// connectErr connects a client with options kv to brokers and returns
// the connect's outcome.
func connectErr(t *testing.T, brokers []string, kv ...string) error {
	t.Helper()
	cfg := client.NewConfig()
	kv = append([]string{"brokers", strings.Join(brokers, ",")}, kv...)
	for i := 0; i+1 < len(kv); i += 2 {
		if err := cfg.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(*cfg, client.Handler{})
	if err != nil {
		return err
	}
	defer c.Close(time.Second, nil)
	done := make(chan error, 1)
	c.Connect(func(_ tree.Value, err error) { done <- err })
	return <-done
}

// Records go out and come back through the OAUTHBEARER listener with each
// token source: unsigned JWTs the client mints (with extensions), and a
// token the application obtained.
func TestOAuthBearerProducesAndConsumes(t *testing.T) {
	brokers := oauthBrokers(t)
	topic := createTopic(t, admin(t), 1)
	sources := map[string][]string{
		"unsecure_jwt": {"sasl_oauthbearer_unsecure_jwt", "1",
			"sasl_oauthbearer_config", "principal=kfk-alice scope=produce,consume lifeSeconds=300 extension_traceId=t1",
			"sasl_oauthbearer_extensions", "tenant=blue"},
		"token": {"sasl_oauthbearer_token", unsignedToken("kfk-bob", time.Now().Add(10*time.Minute))},
	}
	for name, kv := range sources {
		t.Run(name, func(t *testing.T) {
			c := kafkatest.Client(t, brokers, client.Handler{},
				append([]string{"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "OAUTHBEARER"}, kv...)...)
			delivered(t, c, rec(topic, 0, name, "via "+name))
			c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
			found := false
			for deadline := time.Now().Add(30 * time.Second); !found && time.Now().Before(deadline); {
				for _, m := range pollOnce(t, c) {
					found = found || string(m.Key) == name && string(m.Value) == "via "+name
				}
			}
			if !found {
				t.Fatalf("the record produced through OAUTHBEARER (%s) was not read back through it", name)
			}
		})
	}
}

// A token the broker refuses fails the connect with the broker's reason
// and no hang; the token itself appears in no error. A client configured
// for OAUTHBEARER without a token source is refused at creation.
func TestOAuthBearerRefusalsAreClear(t *testing.T) {
	brokers := oauthBrokers(t)
	expired := unsignedToken("kfk-late", time.Now().Add(-time.Hour))
	err := connectErr(t, brokers, "security.protocol", "SASL_PLAINTEXT", "sasl_mechanism", "OAUTHBEARER",
		"sasl_oauthbearer_token", expired)
	if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), "refused the token") ||
		!strings.Contains(err.Error(), "invalid_token") {
		t.Fatalf("an expired token: %v", err)
	}
	if strings.Contains(err.Error(), expired) {
		t.Fatalf("the token appears in the error: %v", err)
	}

	err = connectErr(t, brokers, "security.protocol", "SASL_PLAINTEXT", "sasl_mechanism", "OAUTHBEARER")
	var ce *client.ConfigError
	if !errors.As(err, &ce) || ce.Key != "sasl_mechanism" || !strings.Contains(ce.Reason, "needs a token") {
		t.Fatalf("OAUTHBEARER without a token: %v", err)
	}
	err = connectErr(t, brokers, "security.protocol", "SASL_PLAINTEXT", "sasl_mechanism", "OAUTHBEARER",
		"sasl_oauthbearer_unsecure_jwt", "1")
	if !errors.As(err, &ce) || ce.Key != "sasl_oauthbearer_config" {
		t.Fatalf("unsigned JWTs without a principal: %v", err)
	}
	cfg := client.NewConfig()
	if err := cfg.Set("sasl_oauthbearer_token", expired); err != nil {
		t.Fatal(err)
	}
	if printed := fmt.Sprintf("%v %+v %#v", *cfg, *cfg, *cfg); strings.Contains(printed, expired) {
		t.Fatalf("a printed configuration shows the token: %s", printed)
	}
	if err := cfg.Set("sasl.oauthbearer.config", "principal=x colour=red"); err == nil ||
		!strings.Contains(err.Error(), "colour") {
		t.Fatalf("an unknown claim field: %v", err)
	}
	if err := cfg.Set("sasl_oauthbearer_extensions", "novalue"); err == nil {
		t.Fatal("an extension without a value was accepted")
	}
}
