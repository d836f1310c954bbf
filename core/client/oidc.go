package client

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
)

// OIDC's timings: a token is replaced once 80 % of its lifetime has passed
// (Java and librdkafka do the same) or when oidcLeastLifeLeft remains, and
// a failed fetch is not repeated before a backoff that doubles up to
// oidcMaxBackoff.
const (
	oidcRefreshShare = 0.8
	// oidcLeastLifeLeft: the broker grants a session no longer than the
	// token it was given has to live, and refuses a re-authentication
	// sooner than a second after the last one (KIP-368), so a token handed
	// out with little life left makes a session that cannot be renewed in
	// time.
	oidcLeastLifeLeft = 3 * time.Second
	oidcFirstBackoff  = 500 * time.Millisecond
	oidcMaxBackoff    = 30 * time.Second
	oidcDefaultLife   = time.Hour // a token that names no lifetime
	oidcMaxTokenBytes = 1 << 20   // a token endpoint's answer, at most
)

// oidcSource gets OAUTHBEARER tokens from a token endpoint with the OAuth 2
// client credentials grant (RFC 6749 §4.4; KIP-768), and keeps each until
// it is due for replacement. Connections ask it for a token whenever they
// authenticate; only the first one past the refresh point waits for the
// endpoint.
type oidcSource struct {
	endpoint, clientID, clientSecret, scope string
	extensions                              map[string]string
	http                                    *http.Client

	mu          sync.Mutex
	token       string
	refreshAt   time.Time // replace it from then on
	expiresAt   time.Time // unusable from then on
	nextAttempt time.Time // after a failure, no fetch before this
	backoff     time.Duration
	lastErr     error
}

func newOIDCSource(o OAuthBearer, timeout time.Duration) (*oidcSource, error) {
	u, err := url.Parse(o.TokenEndpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &ConfigError{Key: "sasl_oauthbearer_token_endpoint_url", Value: o.TokenEndpoint,
			Reason: "must be an http(s) URL"}
	}
	if o.ClientID == "" || o.ClientSecret == "" {
		return nil, &ConfigError{Key: "sasl_oauthbearer_client_id", Value: o.ClientID,
			Reason: "OIDC needs sasl_oauthbearer_client_id and sasl_oauthbearer_client_secret"}
	}
	tlsCfg, err := conn.TLSConfig(o.CAFile, false, "")
	if err != nil {
		return nil, &ConfigError{Key: "sasl_oauthbearer_ca_file", Value: o.CAFile, Reason: err.Error()}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	return &oidcSource{endpoint: o.TokenEndpoint, clientID: o.ClientID, clientSecret: o.ClientSecret,
		scope: o.Scope, extensions: o.Extensions, http: &http.Client{Timeout: timeout, Transport: transport},
		backoff: oidcFirstBackoff}, nil
}

// Token is the current token, fetched anew once due. While the endpoint
// fails, a token that has not yet expired is still given out.
func (s *oidcSource) Token() (conn.OAuthToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	fresh := s.token != "" && now.Before(s.refreshAt)
	usable := s.token != "" && now.Before(s.expiresAt)
	if fresh || (usable && now.Before(s.nextAttempt)) {
		return conn.OAuthToken{Value: s.token, Extensions: s.extensions}, nil
	}
	if now.Before(s.nextAttempt) {
		return conn.OAuthToken{}, s.lastErr
	}
	token, life, err := s.fetch()
	if err != nil {
		s.lastErr, s.nextAttempt = err, now.Add(s.backoff)
		s.backoff = min(s.backoff*2, oidcMaxBackoff)
		if usable {
			return conn.OAuthToken{Value: s.token, Extensions: s.extensions}, nil
		}
		return conn.OAuthToken{}, err
	}
	s.token, s.backoff, s.nextAttempt = token, oidcFirstBackoff, time.Time{}
	s.refreshAt = now.Add(refreshAfter(life))
	s.expiresAt = now.Add(life)
	return conn.OAuthToken{Value: token, Extensions: s.extensions}, nil
}

// tokenAnswer is a token endpoint's JSON answer (RFC 6749 §5.1, §5.2).
type tokenAnswer struct {
	AccessToken      string   `json:"access_token"`
	ExpiresIn        *float64 `json:"expires_in"`
	Error            string   `json:"error"`
	ErrorDescription string   `json:"error_description"`
}

// fetch asks the endpoint for a token once. Errors name the endpoint and
// its reason, never the secret.
func (s *oidcSource) fetch() (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if s.scope != "" {
		form.Set("scope", s.scope)
	}
	req, err := http.NewRequest(http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("token endpoint %s: %v", s.endpoint, err)
	}
	// RFC 6749 §2.3.1: the id and secret form-encoded, then HTTP Basic.
	req.SetBasicAuth(url.QueryEscape(s.clientID), url.QueryEscape(s.clientSecret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("token endpoint %s: %v", s.endpoint, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, oidcMaxTokenBytes))
	if err != nil {
		return "", 0, fmt.Errorf("token endpoint %s: reading the answer: %v", s.endpoint, err)
	}
	var a tokenAnswer
	decodeErr := json.Unmarshal(body, &a)
	if resp.StatusCode != http.StatusOK || a.AccessToken == "" {
		why := resp.Status
		if decodeErr == nil && a.Error != "" {
			why += ": " + a.Error
			if a.ErrorDescription != "" {
				why += " (" + a.ErrorDescription + ")"
			}
		} else if resp.StatusCode == http.StatusOK {
			why = "the answer has no access_token"
		}
		return "", 0, fmt.Errorf("token endpoint %s refused client %s: %s", s.endpoint, s.clientID, why)
	}
	return a.AccessToken, tokenLife(a), nil
}

// refreshAfter is how long a token of the given life is handed out before
// it is replaced: 80 % of its life, or sooner to keep oidcLeastLifeLeft,
// but at least half of it (a token living a few seconds is not fetched
// again for every connection).
func refreshAfter(life time.Duration) time.Duration {
	return min(time.Duration(float64(life)*oidcRefreshShare), max(life-oidcLeastLifeLeft, life/2))
}

// tokenLife is how long a token is valid: the sooner of expires_in and
// the JWT's own exp claim (the broker checks exp, and an issuer may round
// it down to the second), or else an hour.
func tokenLife(a tokenAnswer) time.Duration {
	life, known := time.Duration(0), false
	if a.ExpiresIn != nil && *a.ExpiresIn > 0 {
		life, known = time.Duration(*a.ExpiresIn*float64(time.Second)), true
	}
	if exp, ok := jwtExpiry(a.AccessToken); ok {
		if until := time.Until(exp); !known || until < life {
			life, known = max(until, 0), true
		}
	}
	if !known {
		return oidcDefaultLife
	}
	return life
}

// jwtExpiry is a JWT's exp claim, if token is a JWT that has one.
func jwtExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(claims.Exp), 0), true
}

// unwrapURLError drops net/http's repetition of the method and URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
