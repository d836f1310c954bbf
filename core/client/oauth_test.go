package client_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
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
	topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
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
			readsBack(t, c, topic, name, "via "+name)
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

// oidcEnv is the broker's OIDC listener and the test token endpoint.
func oidcEnv(t *testing.T) kafkatest.Env {
	t.Helper()
	env := kafkatest.Brokers(t)
	if len(env.OIDCBrokers) == 0 || env.OIDCTokenURL == "" {
		t.Skip("the broker has no OIDC listener and token endpoint (KFK_TEST_OIDC_BROKERS, KFK_TEST_OIDC_TOKEN_URL)")
	}
	return env
}

// oidcOptions are the options of an OIDC client of the test endpoint.
func oidcOptions(url, id, secret string) []string {
	return []string{"security.protocol", "SASL_PLAINTEXT", "sasl.mechanisms", "OAUTHBEARER",
		"sasl.oauthbearer.method", "oidc", "sasl.oauthbearer.token.endpoint.url", url,
		"sasl.oauthbearer.client.id", id, "sasl.oauthbearer.client.secret", secret,
		"sasl.oauthbearer.scope", "kafka"}
}

// With tokens of a token endpoint (the client credentials grant), which
// the broker checks against the endpoint's published keys, records go out
// and come back.
func TestOIDCClientCredentialsProducesAndConsumes(t *testing.T) {
	env := oidcEnv(t)
	topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
	c := kafkatest.Client(t, env.OIDCBrokers, client.Handler{},
		oidcOptions(env.OIDCTokenURL, env.OIDCClientID, env.OIDCClientSecret)...)
	delivered(t, c, rec(topic, 0, "oidc", "signed"))
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
	if got := pollN(t, c, 1)[0]; string(got.Key) != "oidc" || string(got.Value) != "signed" {
		t.Fatalf("read back %q=%q", got.Key, got.Value)
	}
}

// A wrong secret, an endpoint that does not answer, and a token the broker
// cannot verify each fail the connect at once with what went wrong; no
// error shows the secret.
func TestOIDCFailuresAreClear(t *testing.T) {
	env := oidcEnv(t)
	wrong := "not-the-secret-" + env.OIDCClientSecret
	err := connectErr(t, env.OIDCBrokers, oidcOptions(env.OIDCTokenURL, env.OIDCClientID, wrong)...)
	if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), "invalid_client") ||
		!strings.Contains(err.Error(), env.OIDCTokenURL) {
		t.Fatalf("a wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Fatalf("the secret appears in the error: %v", err)
	}

	closed := "http://127.0.0.1:1/token" // nothing listens on port 1
	start := time.Now()
	err = connectErr(t, env.OIDCBrokers, oidcOptions(closed, env.OIDCClientID, env.OIDCClientSecret)...)
	if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("an endpoint that does not answer: %v", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("an endpoint that does not answer took %v to fail", took)
	}

	// An unsigned token is no token to a broker that checks signatures.
	err = connectErr(t, env.OIDCBrokers, "security.protocol", "SASL_PLAINTEXT", "sasl_mechanism", "OAUTHBEARER",
		"sasl_oauthbearer_token", unsignedToken(env.OIDCClientID, time.Now().Add(time.Hour)))
	if !errors.Is(err, conn.ErrSASL) || !strings.Contains(err.Error(), "invalid_token") {
		t.Fatalf("an unsigned token at a verifying broker: %v", err)
	}

	cfg := client.NewConfig()
	for _, kv := range [][2]string{{"sasl_mechanism", "OAUTHBEARER"}, {"sasl_oauthbearer_method", "oidc"},
		{"sasl_oauthbearer_token_endpoint_url", "ftp://example/token"}} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	var ce *client.ConfigError
	if err := cfg.Validate(); !errors.As(err, &ce) || ce.Key != "sasl_oauthbearer_token_endpoint_url" {
		t.Fatalf("a token endpoint that is no http(s) URL: %v", err)
	}
	cfg.Set("sasl_oauthbearer_token_endpoint_url", env.OIDCTokenURL)
	if err := cfg.Validate(); !errors.As(err, &ce) || ce.Key != "sasl_oauthbearer_client_id" {
		t.Fatalf("OIDC without a client: %v", err)
	}
}

// sessionCounts follows a client's statistics: re-authentications and
// disconnects summed over its brokers, from the latest document.
type sessionCounts struct {
	mu                         sync.Mutex
	reauths, disconnects, docs int64
}

func (s *sessionCounts) handler() client.Handler {
	return client.Handler{OnStats: func(doc []byte) {
		var st struct {
			Brokers map[string]struct {
				Reauths     int64 `json:"reauthentications"`
				Disconnects int64 `json:"disconnects"`
			} `json:"brokers"`
		}
		if json.Unmarshal(doc, &st) != nil {
			return
		}
		var r, d int64
		for _, b := range st.Brokers {
			r += b.Reauths
			d += b.Disconnects
		}
		s.mu.Lock()
		s.reauths, s.disconnects, s.docs = r, d, s.docs+1
		s.mu.Unlock()
	}}
}

func (s *sessionCounts) get() (reauths, disconnects int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reauths, s.disconnects
}

// On a listener whose SASL sessions last a few seconds (KIP-368), a
// producer and a consumer re-authenticate their live connections again
// and again while records flow: nothing fails, no connection is lost,
// every record is read back. With OIDC tokens shorter-lived than the run,
// each re-authentication past a token's refresh point presents a new one
// (an expired token would be refused and the connection closed).
func TestReauthenticationKeepsConnectionsAlive(t *testing.T) {
	env := kafkatest.Brokers(t)
	if len(env.ReauthBrokers) == 0 || env.OIDCTokenURL == "" {
		t.Skip("the broker has no REAUTH listener (KFK_TEST_REAUTH_BROKERS)")
	}
	mechanisms := map[string][]string{
		"SCRAM-SHA-256": {"security.protocol", "SASL_PLAINTEXT", "sasl_mechanism", "SCRAM-SHA-256",
			"sasl_username", env.Scram256User, "sasl_password", env.Scram256Pass},
		"OAUTHBEARER": oidcOptions(env.OIDCTokenURL, env.OIDCShortClientID, env.OIDCClientSecret),
	}
	for name, opts := range mechanisms {
		t.Run(name, func(t *testing.T) {
			topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
			opts = append(opts, "statistics_interval_ms", "100")
			var pc, cc sessionCounts
			p := kafkatest.Client(t, env.ReauthBrokers, pc.handler(), opts...)
			c := kafkatest.Client(t, env.ReauthBrokers, cc.handler(), append(opts, "fetch_max_wait_ms", "200")...)
			c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
			const wantReauths = 3
			produced, consumed := 0, 0
			deadline := time.Now().Add(60 * time.Second)
			for {
				pr, _ := pc.get()
				cr, _ := cc.get()
				if pr >= wantReauths && cr >= wantReauths {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 60 s: %d and %d re-authentications, want %d each", pr, cr, wantReauths)
				}
				var recs []client.Record
				for i := 0; i < 20; i++ {
					recs = append(recs, rec(topic, 0, "", fmt.Sprint(produced+i)))
				}
				delivered(t, p, recs...)
				produced += len(recs)
				consumed += len(pollOnce(t, c))
			}
			for deadline := time.Now().Add(30 * time.Second); consumed < produced && time.Now().Before(deadline); {
				consumed += len(pollOnce(t, c))
			}
			if consumed != produced {
				t.Fatalf("consumed %d of %d records", consumed, produced)
			}
			_, pd := pc.get()
			_, cd := cc.get()
			if pd != 0 || cd != 0 {
				t.Fatalf("connections lost while re-authenticating: producer %d, consumer %d", pd, cd)
			}
		})
	}
}

// appTokenClient is a client of the OAUTHBEARER listener that takes tokens
// from the application: answer gets each refresh request (numbered from
// 1) and answers it.
func appTokenClient(t *testing.T, brokers []string, answer func(c *client.Client, ask int), kv ...string) (*client.Client, func() int) {
	t.Helper()
	cfg := client.NewConfig()
	kv = append([]string{"brokers", strings.Join(brokers, ","), "security.protocol", "SASL_PLAINTEXT",
		"sasl_mechanism", "OAUTHBEARER", "sasl_oauthbearer_method", "application"}, kv...)
	for i := 0; i+1 < len(kv); i += 2 {
		if err := cfg.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	asks := make(chan struct{}, 16)
	c, err := client.New(*cfg, client.Handler{OnOAuthTokenRefresh: func() { asks <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-asks:
				mu.Lock()
				n++
				ask := n
				mu.Unlock()
				answer(c, ask)
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(stop); c.Close(time.Second, nil) })
	return c, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// Tokens the application supplies when asked: the client asks once to
// connect, records flow, and it asks again before the token expires.
// Bad tokens are refused at once; an application that fails, or does not
// answer, fails the connect with its reason.
func TestOAuthBearerTokensFromTheApplication(t *testing.T) {
	brokers := oauthBrokers(t)
	topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
	c, asks := appTokenClient(t, brokers, func(c *client.Client, ask int) {
		exp := time.Now().Add(3 * time.Second)
		if err := c.SetOAuthToken(unsignedToken("kfk-app", exp), exp, "kfk-app", map[string]string{"ask": fmt.Sprint(ask)}); err != nil {
			t.Error(err)
		}
	})
	connect := make(chan error, 1)
	c.Connect(func(_ tree.Value, err error) { connect <- err })
	if err := <-connect; err != nil {
		t.Fatal(err)
	}
	delivered(t, c, rec(topic, 0, "app", "token"))
	waitFor(t, "a second token asked for before the first expires", func() bool { return asks() >= 2 })

	exp := time.Now().Add(time.Minute)
	for _, bad := range []struct {
		token string
		exp   time.Time
		ext   map[string]string
	}{{"", exp, nil}, {"t", time.Now().Add(-time.Second), nil}, {"t", exp, map[string]string{"auth": "x"}}} {
		if err := c.SetOAuthToken(bad.token, bad.exp, "", bad.ext); !errors.Is(err, client.ErrBadOAuthToken) {
			t.Fatalf("token %q until %v with %v: %v", bad.token, bad.exp, bad.ext, err)
		}
	}
	plain := newClient(t)
	if err := plain.SetOAuthToken("t", exp, "", nil); !errors.Is(err, client.ErrNotOAuthApplication) {
		t.Fatalf("a token for a client without application tokens: %v", err)
	}

	failing, _ := appTokenClient(t, brokers, func(c *client.Client, _ int) { c.FailOAuthToken("the vault is sealed") })
	failing.Connect(func(_ tree.Value, err error) { connect <- err })
	if err := <-connect; !errors.Is(err, client.ErrNoOAuthToken) || !strings.Contains(err.Error(), "the vault is sealed") {
		t.Fatalf("an application that fails: %v", err)
	}
	silent, _ := appTokenClient(t, brokers, func(*client.Client, int) {}, "request_timeout_ms", "500")
	silent.Connect(func(_ tree.Value, err error) { connect <- err })
	if err := <-connect; !errors.Is(err, client.ErrNoOAuthToken) {
		t.Fatalf("an application that does not answer: %v", err)
	}

	cfg := client.NewConfig()
	cfg.Set("sasl_mechanism", "OAUTHBEARER")
	cfg.Set("sasl_oauthbearer_method", "application")
	var ce *client.ConfigError
	if _, err := client.New(*cfg, client.Handler{}); !errors.As(err, &ce) || ce.Key != "sasl_oauthbearer_method" {
		t.Fatalf("application tokens without a handler to ask: %v", err)
	}
}
