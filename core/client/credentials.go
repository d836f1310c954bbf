package client

import (
	"errors"
	"sync"

	"github.com/kfk-dev/kfk/core/conn"
)

// ErrNoSASLCredentials is SetSASLCredentials' error for a client that does
// not authenticate with SASL PLAIN or SCRAM.
var ErrNoSASLCredentials = errors.New("the client does not authenticate with a SASL username and password (PLAIN or SCRAM)")

// saslCredentials is a username and password that can change while
// connections read them.
type saslCredentials struct {
	mu                 sync.Mutex
	username, password string
}

func (s *saslCredentials) get() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.username, s.password
}

// useSASLCredentials makes a copy of c.SASL (the caller's Config may be
// shared) read its username and password from a saslCredentials, which it
// returns; nil without SASL PLAIN or SCRAM.
func (c *Config) useSASLCredentials() *saslCredentials {
	if c.SASL == nil || c.SASL.Mechanism == conn.MechanismOAuthBearer || c.SASL.Mechanism == conn.MechanismGSSAPI {
		return nil
	}
	sasl := *c.SASL
	creds := &saslCredentials{username: sasl.Username, password: sasl.Password}
	sasl.Credentials = creds.get
	c.SASL = &sasl
	return creds
}

// SetSASLCredentials replaces the SASL PLAIN or SCRAM username and
// password: the connections made and the sessions re-authenticated from
// now on use them; connections already authenticated stay as they are.
// ErrNoSASLCredentials for a client without such authentication.
func (c *Client) SetSASLCredentials(username, password string) error {
	if c.credentials == nil {
		return ErrNoSASLCredentials
	}
	c.credentials.mu.Lock()
	c.credentials.username, c.credentials.password = username, password
	c.credentials.mu.Unlock()
	return nil
}

// useKerberos gives a GSSAPI client a Kerberos login of its own, with the
// settings of c.Kerberos (or of c.SASL's, set from Go), on a copy of
// c.SASL (the caller's Config may be shared), its principal the SASL
// username unless one is set; nil for other mechanisms. The client closes
// it.
func (c *Config) useKerberos() *conn.Kerberos {
	if c.SASL == nil || c.SASL.Mechanism != conn.MechanismGSSAPI {
		return nil
	}
	sasl := *c.SASL
	settings := c.Kerberos
	if settings == nil {
		settings = sasl.Kerberos
	}
	k := settings.Settings()
	if k.Principal == "" {
		k.Principal = sasl.Username
	}
	sasl.Kerberos = k
	c.SASL = &sasl
	return k
}
