package faultproxy_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// A cluster client with a wrong SCRAM password, against the broker's
// SASL listener and against a broker that damages the handshake: neither
// its connect error, nor its OnError reports, nor its printed
// configuration shows the password.
func TestCredentialsNeverInClientErrors(t *testing.T) {
	env := kafkatest.Brokers(t)
	if len(env.SASLBrokers) == 0 {
		t.Skip("KFK_TEST_SASL_BROKERS not set")
	}
	const secret = "do-not-print-this-secret"
	p := startProxy(t, env.SASLBrokers)
	p.SetRule(newMangler(t, 0.5).rule)
	checked := 0
	for _, brokers := range [][]string{env.SASLBrokers, p.Addrs()} {
		cfg := client.NewConfig()
		for k, v := range map[string]string{"brokers": strings.Join(brokers, ","), "sasl_mechanism": "SCRAM-SHA-512",
			"sasl_username": env.Scram512User, "sasl_password": secret, "request_timeout_ms": "3000"} {
			if err := cfg.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		var texts []string
		c, err := client.New(*cfg, client.Handler{OnError: func(err error) {
			mu.Lock()
			texts = append(texts, err.Error())
			mu.Unlock()
		}})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		c.Connect(func(_ tree.Value, err error) { done <- err })
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("a wrong password connected")
			}
			texts = append(texts, err.Error())
		case <-time.After(60 * time.Second):
			t.Fatal("connect never completed")
		}
		closed := make(chan struct{})
		c.Close(time.Second, func(error) { close(closed) })
		<-closed
		mu.Lock()
		texts = append(texts, fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", *cfg))
		for _, s := range texts {
			if strings.Contains(s, secret) {
				t.Errorf("the password shows in: %s", s)
			}
		}
		checked += len(texts)
		mu.Unlock()
	}
	kafkatest.Report(t, "security", "wrong SCRAM password against the broker and through damaged handshakes: no error, OnError report or printed configuration shows the password",
		map[string]int64{"texts checked": int64(checked)})
}
