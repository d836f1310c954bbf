package client

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/obs"
)

// OAuthMethodApplication is OAuthBearer.Method for tokens the application
// supplies: Handler.OnOAuthTokenRefresh asks for one, and the application
// answers with SetOAuthToken or FailOAuthToken.
const OAuthMethodApplication = "application"

// ErrNoOAuthToken is why a connection could not authenticate when the
// application did not supply an OAUTHBEARER token in time.
var ErrNoOAuthToken = errors.New("the application supplied no OAUTHBEARER token")

// appTokenSource holds the token the application last set. It asks for a
// new one when the OIDC source would replace its token (refreshAfter), and
// whenever a connection needs a token and has none that is valid; a
// connection waits up to request_timeout_ms for the answer.
type appTokenSource struct {
	ask     func() // Handler.OnOAuthTokenRefresh; must not block
	timeout time.Duration

	mu        sync.Mutex
	token     conn.OAuthToken
	expiresAt time.Time
	asked     bool          // a refresh was asked for and not yet answered
	answered  chan struct{} // closed at the next answer
	failure   error         // the application's last FailOAuthToken
	refresh   *time.Timer   // asks again at refreshAfter
}

func newAppTokenSource(ask func(), timeout time.Duration) *appTokenSource {
	return &appTokenSource{ask: ask, timeout: timeout, answered: make(chan struct{})}
}

// Token is the current token when it has not expired; otherwise it asks
// the application (once) and waits for the answer.
func (s *appTokenSource) Token() (conn.OAuthToken, error) {
	s.mu.Lock()
	if s.token.Value != "" && time.Now().Before(s.expiresAt) {
		tok := s.token
		s.mu.Unlock()
		return tok, nil
	}
	s.askLocked()
	wait := s.answered
	s.mu.Unlock()
	select {
	case <-wait:
	case <-time.After(s.timeout):
		return conn.OAuthToken{}, fmt.Errorf("%w within %v of asking (a KFK_EVENT_OAUTHBEARER_TOKEN_REFRESH "+
			"answered with kfk_oauthbearer_set_token)", ErrNoOAuthToken, s.timeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token.Value != "" && time.Now().Before(s.expiresAt) {
		return s.token, nil
	}
	if s.failure != nil {
		return conn.OAuthToken{}, fmt.Errorf("%w: %v", ErrNoOAuthToken, s.failure)
	}
	return conn.OAuthToken{}, fmt.Errorf("%w: the token it set has already expired", ErrNoOAuthToken)
}

// askLocked asks the application for a token unless a request is out.
func (s *appTokenSource) askLocked() {
	if s.asked {
		return
	}
	s.asked = true
	go s.ask()
}

// set takes the application's token (valid until expiresAt).
func (s *appTokenSource) set(tok conn.OAuthToken, expiresAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token, s.expiresAt, s.failure = tok, expiresAt, nil
	if s.refresh != nil {
		s.refresh.Stop()
	}
	s.refresh = time.AfterFunc(refreshAfter(time.Until(expiresAt)), func() {
		s.mu.Lock()
		s.askLocked()
		s.mu.Unlock()
	})
	s.answerLocked()
}

// fail takes the application's reason for having no token.
func (s *appTokenSource) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failure = err
	s.answerLocked()
}

func (s *appTokenSource) answerLocked() {
	s.asked = false
	close(s.answered)
	s.answered = make(chan struct{})
}

func (s *appTokenSource) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refresh != nil {
		s.refresh.Stop()
	}
}

// SetOAuthToken gives the client the OAUTHBEARER token to present until
// expiresAt, with SASL extensions (may be nil); it answers
// Handler.OnOAuthTokenRefresh (sasl_oauthbearer_method=application).
// principal, who the token is for, is only logged.
func (c *Client) SetOAuthToken(token string, expiresAt time.Time, principal string, extensions map[string]string) error {
	if c.appToken == nil {
		return fmt.Errorf("%w: the client does not take OAUTHBEARER tokens from the application "+
			"(sasl_mechanism=OAUTHBEARER, sasl_oauthbearer_method=application)", ErrNotOAuthApplication)
	}
	if token == "" {
		return fmt.Errorf("%w: an empty token", ErrBadOAuthToken)
	}
	if !time.Now().Before(expiresAt) {
		return fmt.Errorf("%w: it expired at %v", ErrBadOAuthToken, expiresAt.UTC().Format(time.RFC3339))
	}
	if _, err := conn.OAuthClientFirst(conn.OAuthToken{Value: token, Extensions: extensions}); err != nil {
		return fmt.Errorf("%w: %v", ErrBadOAuthToken, err)
	}
	c.appToken.set(conn.OAuthToken{Value: token, Extensions: maps.Clone(extensions)}, expiresAt)
	c.log.Debugf(obs.Broker, "OAUTHBEARER token for %q set by the application, valid until %s",
		principal, expiresAt.UTC().Format(time.RFC3339))
	return nil
}

// FailOAuthToken tells the client the application could not get a token,
// and why: connections waiting for one fail with that reason.
func (c *Client) FailOAuthToken(reason string) error {
	if c.appToken == nil {
		return fmt.Errorf("%w: the client does not take OAUTHBEARER tokens from the application", ErrNotOAuthApplication)
	}
	c.appToken.fail(errors.New(reason))
	return nil
}

// Errors of SetOAuthToken and FailOAuthToken.
var (
	ErrNotOAuthApplication = errors.New("no application OAUTHBEARER tokens")
	ErrBadOAuthToken       = errors.New("bad OAUTHBEARER token")
)
