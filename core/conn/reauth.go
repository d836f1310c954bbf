package conn

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kfk-dev/kfk/core/obs"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	// reauthMargin is the least time left in a session when
	// re-authenticating starts (half of a shorter session): 5–15 % of a
	// session of a few seconds is too little for the exchange on a loaded
	// machine.
	reauthMargin = time.Second
	// brokerReauthInterval: the broker refuses (ILLEGAL_SASL_STATE) a
	// re-authentication that starts sooner than this after the last one.
	brokerReauthInterval = time.Second
)

// reauthDelay is when to re-authenticate a session of lifetime, counted
// from the end of the exchange that began it: at a random point between
// 85 % and 95 % of it (as the Java client does), so that the connections
// of many clients do not all re-authenticate at once, no later than
// reauthMargin before it ends, and no sooner than the broker allows.
func reauthDelay(lifetime time.Duration) time.Duration {
	delay := time.Duration(float64(lifetime) * (0.85 + 0.10*rand.Float64()))
	delay = min(delay, lifetime-min(reauthMargin, lifetime/2))
	return max(delay, brokerReauthInterval)
}

// reauthLoop re-authenticates the session before each lifetime the broker
// gives ends (KIP-368), until the session ends. A failed
// re-authentication ends the session: the broker would close it anyway.
func (s *session) reauthLoop() {
	lifetime := s.sessionLifetime
	for lifetime > 0 {
		t := time.NewTimer(reauthDelay(lifetime))
		select {
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
		}
		next, err := s.reauthenticate()
		if err != nil {
			s.fatal(fmt.Errorf("re-authenticating: %w", err))
			return
		}
		lifetime = next
	}
}

// reauthenticate runs the SASL exchange again on the live connection.
// Requests already written keep going; from the exchange's first request
// on, new ones wait until it is done, since the broker takes nothing else
// between SaslHandshake and the last SaslAuthenticate.
func (s *session) reauthenticate() (time.Duration, error) {
	defer func() {
		s.mu.Lock()
		s.paused = false
		s.mu.Unlock()
		s.wakeWriter()
	}()
	auth := &authenticator{do: s.doFirst, host: s.host}
	if err := auth.authenticate(s.opts.SASL.current()); err != nil {
		return 0, err
	}
	if m := s.opts.Meter; m != nil {
		m.Reauthentications.Add(1)
	}
	s.opts.Log.Debugf(obs.Broker, "%s: re-authenticated (%s); the session lasts %v",
		s.nc.RemoteAddr(), s.opts.SASL, auth.lifetime)
	return auth.lifetime, nil
}

// doFirst sends req ahead of every queued request, holding back the
// queued ones until the exchange ends, and waits for its answer.
func (s *session) doFirst(req kmsg.Request) (kmsg.Response, error) {
	type answer struct {
		resp kmsg.Response
		err  error
	}
	done := make(chan answer, 1)
	r := &call{req: req, cb: func(resp kmsg.Response, err error) { done <- answer{resp, err} }}
	if err := s.prepare(r); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		return nil, ErrDisconnected
	}
	s.paused = true
	s.reauthCalls = append(s.reauthCalls, r)
	s.mu.Unlock()
	s.wakeWriter()
	a := <-done
	return a.resp, a.err
}
