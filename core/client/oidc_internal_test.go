package client

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tokenServer is an https token endpoint that answers with token (or, when
// failing is set, HTTP 503) and counts the requests.
func tokenServer(t *testing.T, failing *atomic.Bool) (*httptest.Server, *atomic.Int64, string) {
	t.Helper()
	var asked atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		id, secret, ok := r.BasicAuth()
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if !ok || id != "app" || secret != "s3cret" || r.FormValue("grant_type") != "client_credentials" ||
			r.FormValue("scope") != "kafka" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		w.Write([]byte(`{"access_token":"tok-` + r.FormValue("scope") + `","expires_in":60}`))
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	der := srv.Certificate().Raw
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, &asked, ca
}

func newTestOIDC(t *testing.T, url, ca string) *oidcSource {
	t.Helper()
	s, err := newOIDCSource(OAuthBearer{Method: OAuthMethodOIDC, TokenEndpoint: url, ClientID: "app",
		ClientSecret: "s3cret", Scope: "kafka", CAFile: ca}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An https token endpoint is trusted through the CA file given, and not
// without it. A token is fetched once and kept until its refresh point;
// past it, an endpoint that fails is not asked again before a backoff,
// and the token is still given out while it is valid; once it has
// expired, the failure is the answer.
func TestOIDCSourceTrustsTheCAAndBacksOff(t *testing.T) {
	var failing atomic.Bool
	srv, asked, ca := tokenServer(t, &failing)

	untrusted := newTestOIDC(t, srv.URL, "")
	if _, err := untrusted.Token(); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an endpoint whose CA is not trusted: %v", err)
	}

	s := newTestOIDC(t, srv.URL, ca)
	for range 3 {
		if tok, err := s.Token(); err != nil || tok.Value != "tok-kafka" {
			t.Fatalf("token %q, %v", tok.Value, err)
		}
	}
	if n := asked.Load(); n != 1 { // the untrusted attempt ended in the TLS handshake
		t.Fatalf("the endpoint was asked %d times, want 1", n)
	}

	failing.Store(true)
	s.refreshAt = time.Now().Add(-time.Second) // due for replacement, still valid
	for range 3 {
		if tok, err := s.Token(); err != nil || tok.Value != "tok-kafka" {
			t.Fatalf("a valid token while the endpoint fails: %q, %v", tok.Value, err)
		}
	}
	if n := asked.Load(); n != 2 {
		t.Fatalf("a failing endpoint was asked %d more times within the backoff, want 1", n-1)
	}

	s.expiresAt, s.nextAttempt = time.Now().Add(-time.Second), time.Time{}
	if _, err := s.Token(); err == nil || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("an expired token and a failing endpoint: %v", err)
	}
	failing.Store(false)
	s.nextAttempt = time.Time{}
	if tok, err := s.Token(); err != nil || tok.Value != "tok-kafka" {
		t.Fatalf("after the endpoint recovers: %q, %v", tok.Value, err)
	}
}

// A token lives until the sooner of expires_in and its JWT exp claim: an
// issuer that rounds exp down to the second makes the token end before
// expires_in says, and the broker goes by exp.
func TestTokenLifeTakesTheSoonerExpiry(t *testing.T) {
	jwt := func(exp time.Time) string {
		claims := fmt.Sprintf(`{"sub":"app","exp":%d}`, exp.Unix())
		return "e30." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".sig"
	}
	seconds := func(n float64) *float64 { return &n }
	near := func(got, want time.Duration) bool { return got > want-2*time.Second && got <= want }
	cases := []struct {
		name string
		a    tokenAnswer
		want time.Duration
	}{
		{"expires_in only", tokenAnswer{AccessToken: "opaque", ExpiresIn: seconds(60)}, 60 * time.Second},
		{"exp sooner", tokenAnswer{AccessToken: jwt(time.Now().Add(30 * time.Second)), ExpiresIn: seconds(60)}, 30 * time.Second},
		{"expires_in sooner", tokenAnswer{AccessToken: jwt(time.Now().Add(time.Hour)), ExpiresIn: seconds(60)}, 60 * time.Second},
		{"exp only", tokenAnswer{AccessToken: jwt(time.Now().Add(90 * time.Second))}, 90 * time.Second},
		{"neither", tokenAnswer{AccessToken: "opaque"}, oidcDefaultLife},
	}
	for _, c := range cases {
		if got := tokenLife(c.a); !near(got, c.want) {
			t.Errorf("%s: life %v, want about %v", c.name, got, c.want)
		}
	}
	if got := tokenLife(tokenAnswer{AccessToken: jwt(time.Now().Add(-time.Minute)), ExpiresIn: seconds(60)}); got != 0 {
		t.Errorf("a token whose exp has passed: life %v, want 0", got)
	}
}

// A token is replaced at 80 % of its life, sooner when that would leave
// less than oidcLeastLifeLeft, and not before half its life.
func TestRefreshAfterKeepsLifeLeft(t *testing.T) {
	for _, c := range []struct{ life, want time.Duration }{
		{time.Hour, 48 * time.Minute},
		{10 * time.Second, 7 * time.Second},
		{6 * time.Second, 3 * time.Second},
		{2 * time.Second, time.Second},
	} {
		if got := refreshAfter(c.life); got != c.want {
			t.Errorf("a token living %v is replaced after %v, want %v", c.life, got, c.want)
		}
	}
}
