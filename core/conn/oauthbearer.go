package conn

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// MechanismOAuthBearer is SASL/OAUTHBEARER (RFC 7628, KIP-255): the client
// presents a bearer token the broker validates.
const MechanismOAuthBearer = "OAUTHBEARER"

// OAuthToken is a bearer token with the SASL extensions (KIP-342) sent
// beside it.
type OAuthToken struct {
	Value      string
	Extensions map[string]string
}

// kvsep separates the key=value pairs of an OAUTHBEARER message (RFC 7628
// §3.1); a lone kvsep is also the client's answer to an error challenge.
const kvsep = "\x01"

// Extension names and values as KIP-342 (and RFC 7628's grammar) allow;
// "auth" is the token's own key.
var (
	extensionKey   = regexp.MustCompile(`^[A-Za-z]+$`)
	extensionValue = regexp.MustCompile(`^[\x21-\x7E \t\r\n]+$`)
)

// OAuthClientFirst is the client's one message: the GS2 header (no
// channel binding, no authorization identity), the token, then the
// extensions in name order. Its errors say what a token or extension
// breaks, so a token can be checked before it is used.
func OAuthClientFirst(tok OAuthToken) ([]byte, error) {
	if tok.Value == "" {
		return nil, fmt.Errorf("%w: the OAUTHBEARER token is empty", ErrSASL)
	}
	var b strings.Builder
	b.WriteString("n,," + kvsep + "auth=Bearer " + tok.Value + kvsep)
	for _, k := range slices.Sorted(maps.Keys(tok.Extensions)) {
		v := tok.Extensions[k]
		if k == "auth" || !extensionKey.MatchString(k) {
			return nil, fmt.Errorf("%w: bad SASL extension name %q (letters only, not \"auth\")", ErrSASL, k)
		}
		if !extensionValue.MatchString(v) {
			return nil, fmt.Errorf("%w: bad value for SASL extension %q (printable ASCII)", ErrSASL, k)
		}
		b.WriteString(k + "=" + v + kvsep)
	}
	b.WriteString(kvsep)
	return []byte(b.String()), nil
}

// oauthBearer presents tok. A broker that refuses the token answers with
// an error challenge (a JSON status) instead of an empty message; the
// client then sends a lone kvsep and the broker ends the exchange with its
// error, reported with the challenge.
func (h *authenticator) oauthBearer(tok OAuthToken) error {
	first, err := OAuthClientFirst(tok)
	if err != nil {
		return err
	}
	challenge, err := h.saslStep(first)
	if err != nil || len(challenge) == 0 {
		return err
	}
	h.saslStep([]byte(kvsep)) // fails, repeating the challenge as its message
	return fmt.Errorf("%w: the broker refused the token: %s", ErrSASL, challenge)
}
