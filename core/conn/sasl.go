package conn

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xdg-go/scram"
)

// maxSCRAMIterations bounds the PBKDF2 work a server may ask for. Kafka
// itself refuses credentials above 16384 iterations; a server asking for
// far more is hostile (it would burn our CPU).
const maxSCRAMIterations = 1 << 16

// authenticator runs a SASL exchange through do: the handshake's direct
// round trips when a connection is made, the live session's requests when
// it re-authenticates (KIP-368).
type authenticator struct {
	do   func(kmsg.Request) (kmsg.Response, error)
	host string // the broker's, for GSSAPI's service principal
	// lifetime is the session lifetime the broker gave with its last
	// answer: re-authenticate before it ends (0: never needed).
	lifetime time.Duration
}

// authenticate runs SaslHandshake then the mechanism's SaslAuthenticate
// exchange(s). Errors never include the password.
func (h *authenticator) authenticate(cfg SASL) error {
	mech := strings.ToUpper(cfg.Mechanism)
	// A token is had before the exchange starts: fetching one may take a
	// while, and on a live session the broker's clock is running.
	var token OAuthToken
	if mech == MechanismOAuthBearer {
		if cfg.Token == nil {
			return fmt.Errorf("%w: OAUTHBEARER has no token source", ErrSASL)
		}
		var err error
		if token, err = cfg.Token(); err != nil {
			return fmt.Errorf("%w: getting the OAUTHBEARER token: %w", ErrSASL, err)
		}
	}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Mechanism = mech
	resp, err := h.do(hs)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSASL, err)
	}
	hr := resp.(*kmsg.SASLHandshakeResponse)
	switch hr.ErrorCode {
	case 0:
	case kerr.UnsupportedSASLMechanism:
		return fmt.Errorf("%w: broker does not enable mechanism %s (it offers %s)",
			ErrSASL, mech, strings.Join(hr.SupportedMechanisms, ", "))
	default:
		return fmt.Errorf("%w: the broker refused the handshake for %s (%s)", ErrSASL, mech, kerr.Name(hr.ErrorCode))
	}
	switch mech {
	case "PLAIN":
		_, err := h.saslStep([]byte("\x00" + cfg.Username + "\x00" + cfg.Password))
		return err
	case "SCRAM-SHA-256":
		return h.scram(scram.SHA256, cfg)
	case "SCRAM-SHA-512":
		return h.scram(scram.SHA512, cfg)
	case MechanismOAuthBearer:
		return h.oauthBearer(token)
	case MechanismGSSAPI:
		return h.gssapi(cfg)
	}
	return fmt.Errorf("%w: unsupported mechanism %q (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, GSSAPI)", ErrSASL, cfg.Mechanism)
}

// saslStep sends one SaslAuthenticate message and returns the server's.
func (h *authenticator) saslStep(msg []byte) ([]byte, error) {
	req := kmsg.NewPtrSASLAuthenticateRequest()
	req.SASLAuthBytes = msg
	resp, err := h.do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSASL, err)
	}
	r := resp.(*kmsg.SASLAuthenticateResponse)
	if r.ErrorCode != 0 {
		text := "authentication refused"
		if r.ErrorMessage != nil && *r.ErrorMessage != "" {
			text = *r.ErrorMessage
		}
		return nil, fmt.Errorf("%w: %s (%s)", ErrSASL, text, kerr.Name(r.ErrorCode))
	}
	h.lifetime = time.Duration(r.SessionLifetimeMillis) * time.Millisecond
	return r.SASLAuthBytes, nil
}

// scram runs RFC 5802 (client-first, server-first, client-final,
// server-final) and verifies the server's signature, so a server that does
// not know the password cannot pass as the broker.
func (h *authenticator) scram(hash scram.HashGeneratorFcn, cfg SASL) error {
	client, err := hash.NewClient(cfg.Username, cfg.Password, "")
	if err != nil {
		return fmt.Errorf("%w: bad username or password for SCRAM: %v", ErrSASL, err)
	}
	conv := client.NewConversation()
	first, err := conv.Step("")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSASL, err)
	}
	serverFirst, err := h.saslStep([]byte(first))
	if err != nil {
		return err
	}
	if err := checkIterations(string(serverFirst)); err != nil {
		return err
	}
	final, err := conv.Step(string(serverFirst))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSASL, err)
	}
	serverFinal, err := h.saslStep([]byte(final))
	if err != nil {
		return err
	}
	if _, err := conv.Step(string(serverFinal)); err != nil || !conv.Valid() {
		return fmt.Errorf("%w: server signature did not verify (the server does not know the credentials)", ErrSASL)
	}
	return nil
}

// checkIterations refuses a server-first message asking for more PBKDF2
// iterations than maxSCRAMIterations.
func checkIterations(serverFirst string) error {
	for _, attr := range strings.Split(serverFirst, ",") {
		if v, ok := strings.CutPrefix(attr, "i="); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > maxSCRAMIterations {
				return fmt.Errorf("%w: server asked for %q SCRAM iterations (limit %d)", ErrSASL, v, maxSCRAMIterations)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: server-first message has no iteration count", ErrSASL)
}
