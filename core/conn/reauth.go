package conn

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kfk-dev/kfk/core/obs"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// reauthDelay is when to re-authenticate a session of lifetime: at a
// random point between 85 % and 95 % of it (as the Java client does), so
// that the connections of many clients do not all re-authenticate at once
// and the exchange is done before the broker ends the session.
func reauthDelay(lifetime time.Duration) time.Duration {
	return time.Duration(float64(lifetime) * (0.85 + 0.10*rand.Float64()))
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
// Requests already written keep going; new ones wait until it is done,
// since the broker takes nothing else between SaslHandshake and the last
// SaslAuthenticate.
func (s *session) reauthenticate() (time.Duration, error) {
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.paused = false
		s.mu.Unlock()
		s.wakeWriter()
	}()
	auth := &authenticator{do: s.doFirst}
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

// doFirst sends req ahead of every queued request and waits for its
// answer.
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
	s.reauthCalls = append(s.reauthCalls, r)
	s.mu.Unlock()
	s.wakeWriter()
	a := <-done
	return a.resp, a.err
}
