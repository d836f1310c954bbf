package conn

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/kfk-dev/kfk/core/obs"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// call is one request from Do or DoRaw until its callback has run.
type call struct {
	req   kmsg.Request
	cb    func(kmsg.Response, error)
	raw   *rawRequest
	rawCB func([]byte, error)

	corr     int32
	queuedAt time.Time // when it began waiting for a connection
	sentAt   time.Time // when it was written, for its round trip
	deadline time.Time
	noReply  bool // acks=0 produce: the broker sends nothing back
	once     sync.Once

	// into lends the buffer the response is read into (see Conn.DoInto);
	// nil: the session allocates one.
	into func(size int) []byte
}

type rawRequest struct {
	key, version int16
	body         []byte
}

func (r *call) key() int16 {
	if r.raw != nil {
		return r.raw.key
	}
	return r.req.Key()
}

func (r *call) version() int16 {
	if r.raw != nil {
		return r.raw.version
	}
	return r.req.GetVersion()
}

func (r *call) fail(err error) {
	r.once.Do(func() {
		if r.raw != nil {
			if r.rawCB != nil {
				r.rawCB(nil, err)
			}
		} else if r.cb != nil {
			r.cb(nil, err)
		}
	})
}

// complete parses body (the response after its header) and runs the
// callback; a request the broker does not answer completes with nil. The
// throttle time a response carries goes to m (may be nil).
func (r *call) complete(body []byte, m *obs.Meter) {
	r.once.Do(func() {
		if r.raw != nil {
			if r.rawCB != nil {
				r.rawCB(body, nil)
			}
			return
		}
		if r.noReply {
			if r.cb != nil {
				r.cb(nil, nil)
			}
			return
		}
		resp := r.req.ResponseKind()
		resp.SetVersion(r.req.GetVersion())
		if err := resp.ReadFrom(body); err != nil {
			if r.cb != nil {
				r.cb(nil, fmt.Errorf("%w: decoding %s v%d response: %v", ErrProtocol,
					kmsg.NameForKey(r.req.Key()), r.req.GetVersion(), err))
			}
			return
		}
		if t, ok := resp.(kmsg.ThrottleResponse); ok && m != nil {
			ms, _ := t.Throttle()
			m.ObserveThrottle(ms)
		}
		if r.cb != nil {
			r.cb(resp, nil)
		}
	})
}

// session is one live TCP (or TLS) connection after a successful handshake.
// Queued requests are written by whoever finds the socket free: the
// requester itself when the socket takes them at once, else a writer
// goroutine (writer.go); a reader goroutine matches responses in FIFO
// order (Kafka answers in order on one connection); a watchdog fails the
// connection when the oldest request is overdue, since later responses
// cannot overtake it.
type session struct {
	owner    *Conn
	host     string // the broker's host as connected to (GSSAPI's service principal names it)
	nc       net.Conn
	opts     Options
	versions versions
	format   *kmsg.RequestFormatter

	mu       sync.Mutex
	queued   []*call // accepted, not yet written
	inflight []*call // written, awaiting response, in write order
	nextCorr int32
	dead     bool
	wake     chan struct{}
	done     chan struct{}

	out writeSide

	// sessionLifetime is how long the broker lets the SASL session last
	// (KIP-368; 0: for ever); reauth re-authenticates before it ends.
	// While it does, paused holds queued requests back and the exchange's
	// own requests go first, in reauthCalls.
	sessionLifetime time.Duration
	paused          bool
	reauthCalls     []*call
}

func newSession(owner *Conn, nc net.Conn, opts Options, host string) *session {
	s := &session{
		owner:  owner,
		host:   host,
		nc:     nc,
		opts:   opts,
		format: kmsg.NewRequestFormatter(kmsg.FormatterClientID(opts.ClientID)),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	s.out.init(nc)
	return s
}

func (s *session) start() {
	go s.writeLoop()
	go s.readLoop()
	go s.watchdog()
	if s.sessionLifetime > 0 {
		go s.reauthLoop()
	}
}

func (s *session) pendingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queued) + len(s.inflight)
}

// send queues r for the writer after choosing its version.
func (s *session) send(r *call) {
	for _, f := range s.enqueue([]*call{r}) {
		f.call.fail(f.err)
	}
}

// refusal is a request the session could not take, with why.
type refusal struct {
	call *call
	err  error
}

// enqueue queues calls in order and returns those it refused; their
// callbacks are left to the caller, which may hold locks.
func (s *session) enqueue(calls []*call) []refusal {
	var refused []refusal
	accepted := calls[:0:0]
	for _, r := range calls {
		if err := s.prepare(r); err != nil {
			refused = append(refused, refusal{r, err})
			continue
		}
		accepted = append(accepted, r)
	}
	if len(accepted) == 0 {
		return refused
	}
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		for _, r := range accepted {
			refused = append(refused, refusal{r, ErrDisconnected})
		}
		return refused
	}
	s.queued = append(s.queued, accepted...)
	s.mu.Unlock()
	s.writeNowOrWake()
	return refused
}

// prepare chooses r's version and sets its deadline.
func (s *session) prepare(r *call) error {
	if r.raw == nil {
		v, err := s.versions.choose(r.req.Key(), r.req.MaxVersion(), s.opts.MaxVersions)
		if err != nil {
			return err
		}
		r.req.SetVersion(v)
		if p, ok := r.req.(*kmsg.ProduceRequest); ok && p.Acks == 0 {
			r.noReply = true
		}
	}
	r.deadline = time.Now().Add(s.opts.RequestTimeout + extraWait(r.req))
	return nil
}

// wakeWriter tells the writer there is something to write.
func (s *session) wakeWriter() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// extraWait is how long the broker may legitimately hold a request before
// answering, on top of the request timeout.
func extraWait(req kmsg.Request) time.Duration {
	switch r := req.(type) {
	case *kmsg.FetchRequest:
		return time.Duration(r.MaxWaitMillis) * time.Millisecond
	case *kmsg.JoinGroupRequest:
		return time.Duration(r.RebalanceTimeoutMillis) * time.Millisecond
	case kmsg.TimeoutRequest:
		return time.Duration(r.Timeout()) * time.Millisecond
	}
	return 0
}

// sent counts and traces one request written to the socket.
func (s *session) sent(r *call, size int) {
	if m := s.opts.Meter; m != nil {
		m.Requests.Add(1)
		m.BytesOut.Add(int64(size))
	}
	if s.opts.Log.Enabled(obs.LevelDebug, obs.Protocol) {
		s.opts.Log.Debugf(obs.Protocol, "%s: sent %s v%d (correlation id %d, %d bytes)",
			s.nc.RemoteAddr(), kmsg.NameForKey(r.key()), r.version(), r.corr, size)
	}
}

// received counts and traces one response matched to its request.
func (s *session) received(r *call, size int) {
	rtt := time.Since(r.sentAt)
	if m := s.opts.Meter; m != nil {
		m.Responses.Add(1)
		m.BytesIn.Add(int64(size))
		m.ObserveRTT(rtt)
	}
	if s.opts.Log.Enabled(obs.LevelDebug, obs.Protocol) {
		s.opts.Log.Debugf(obs.Protocol, "%s: received %s v%d response (correlation id %d, %d bytes, round trip %v)",
			s.nc.RemoteAddr(), kmsg.NameForKey(r.key()), r.version(), r.corr, size, rtt.Round(time.Microsecond))
	}
}

func (s *session) encode(dst []byte, r *call) []byte {
	if r.raw == nil {
		return s.format.AppendRequest(dst, r.req, r.corr)
	}
	dst = appendHeader(dst, r.raw.key, r.raw.version, r.corr, s.opts.ClientID, isFlexible(r.raw.key, r.raw.version))
	dst = append(dst, r.raw.body...)
	binary.BigEndian.PutUint32(dst, uint32(len(dst)-4))
	return dst
}

func (s *session) readLoop() {
	rd := bufio.NewReaderSize(s.nc, 64<<10)
	mark := newLowWater(s.nc)
	// Before a read: when it will reach the socket, wake it only once
	// what the frame needs has arrived.
	reading := func(left int) {
		if rd.Buffered() == 0 {
			mark.need(left)
		}
	}
	for {
		size, err := readFrameSize(rd, s.opts.MaxResponse)
		var body []byte
		if err == nil {
			body, err = readFrameBody(rd, size, s.lentBuffer(size), reading)
			mark.need(0)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = ErrClosedByPeer
			} else if !errors.Is(err, ErrProtocol) {
				err = fmt.Errorf("%w: read: %v", ErrDisconnected, err)
			}
			s.fatal(err)
			return
		}
		if len(body) < 4 {
			s.fatal(fmt.Errorf("%w: response of %d bytes", ErrProtocol, len(body)))
			return
		}
		corr := int32(binary.BigEndian.Uint32(body))
		s.mu.Lock()
		if len(s.inflight) == 0 || s.inflight[0].corr != corr {
			s.mu.Unlock()
			s.fatal(fmt.Errorf("%w: unexpected correlation id %d", ErrProtocol, corr))
			return
		}
		r := s.inflight[0]
		s.inflight[0] = nil
		s.inflight = s.inflight[1:]
		s.mu.Unlock()

		s.received(r, len(body)+4)
		rest := body[4:]
		if s.responseHasTags(r) {
			if rest, err = skipTags(rest); err != nil {
				r.fail(err) // already out of inflight: kill would not reach it
				s.fatal(err)
				return
			}
		}
		r.complete(rest, s.opts.Meter)
	}
}

// responseHasTags reports whether r's response header carries tagged fields:
// flexible versions do, except ApiVersions, whose response header stays v0 so
// that any client can read it.
func (s *session) responseHasTags(r *call) bool {
	key, version := r.key(), int16(0)
	if r.raw != nil {
		version = r.raw.version
	} else {
		version = r.req.GetVersion()
	}
	return key != apiVersionsKey && isFlexible(key, version)
}

// watchdog fails the session when the oldest in-flight request is overdue.
// It wakes when a request may have fallen due: at the deadline of the
// oldest request in flight or queued, or else after the request timeout,
// before which no request sent later can fall due. A fixed tick woke every
// connection of an idle client five times a second.
func (s *session) watchdog() {
	t := time.NewTimer(s.opts.RequestTimeout)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			next := now.Add(s.opts.RequestTimeout)
			s.mu.Lock()
			var late *call
			if len(s.inflight) > 0 {
				due := s.inflight[0].deadline
				if now.After(due) {
					late = s.inflight[0]
				}
				if due.Before(next) {
					next = due
				}
			}
			if len(s.queued) > 0 && s.queued[0].deadline.Before(next) {
				next = s.queued[0].deadline
			}
			s.mu.Unlock()
			if late != nil {
				s.fatal(fmt.Errorf("%w: %s got no response in time", ErrTimeout, kmsg.NameForKey(late.key())))
				return
			}
			// A queued request past its deadline is judged once written.
			t.Reset(max(next.Sub(now), watchdogMinWait))
		}
	}
}

// watchdogMinWait is the shortest the watchdog sleeps, so that a request
// waiting past its deadline to be written does not keep it spinning.
const watchdogMinWait = 200 * time.Millisecond

// fatal ends a session that failed on its own. The owner learns first, so
// that when the failed requests' callbacks run, the connection already
// reads as down.
func (s *session) fatal(err error) {
	calls, first := s.end()
	if first {
		s.owner.sessionDied(s, err)
	}
	failAll(calls, err)
}

// kill ends the session (closed by its owner) and fails every request.
func (s *session) kill(err error) {
	calls, _ := s.end()
	failAll(calls, err)
}

// end closes the socket; it returns the requests left unanswered and
// whether this call was the one that ended the session.
func (s *session) end() ([]*call, bool) {
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		return nil, false
	}
	s.dead = true
	calls := append(append(s.inflight, s.reauthCalls...), s.queued...)
	s.inflight, s.queued, s.reauthCalls = nil, nil, nil
	s.mu.Unlock()
	close(s.done)
	s.nc.Close()
	return calls, true
}

// frameStep is how much of a frame readFrame allocates before any of it
// has arrived.
const frameStep = 1 << 20

// readFrame reads one size-prefixed frame, refusing sizes above max.
func readFrame(rd io.Reader, max int32) ([]byte, error) {
	size, err := readFrameSize(rd, max)
	if err != nil {
		return nil, err
	}
	return readFrameBody(rd, size, nil, nil)
}

// readFrameSize reads a frame's length prefix, refusing sizes above max.
func readFrameSize(rd io.Reader, max int32) (int, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(rd, hdr[:]); err != nil {
		return 0, err
	}
	n := int32(binary.BigEndian.Uint32(hdr[:]))
	if n < 0 || n > max {
		return 0, fmt.Errorf("%w: frame of %d bytes (limit %d)", ErrProtocol, n, max)
	}
	return int(n), nil
}

// readFrameBody reads a frame's n bytes into lent when it is big enough,
// else into memory of its own. reading (may be nil) is told before each
// read how many bytes the frame still needs.
func readFrameBody(rd io.Reader, n int, lent []byte, reading func(left int)) ([]byte, error) {
	body := lent[:0]
	if cap(lent) < n {
		// Memory follows the bytes that arrive, not the length promised (a
		// broker announcing 200 MiB and sending 10 bytes costs frameStep),
		// and doubles as they do, so a large honest frame is copied at most
		// once more in total.
		body = make([]byte, 0, min(n, frameStep))
	}
	for len(body) < n {
		if len(body) == cap(body) {
			body = append(make([]byte, 0, min(n, 2*cap(body))), body...)
		}
		if reading != nil {
			reading(n - len(body))
		}
		got, err := rd.Read(body[len(body):min(n, cap(body))])
		body = body[:len(body)+got]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return body, nil
}

// lentBuffer is the buffer the oldest request in flight lends for its
// response of size bytes, if it lends one. Responses arrive in the order
// requests were sent, so that request is the one being answered.
func (s *session) lentBuffer(size int) []byte {
	s.mu.Lock()
	var into func(int) []byte
	if len(s.inflight) > 0 {
		into = s.inflight[0].into
	}
	s.mu.Unlock()
	if into == nil {
		return nil
	}
	return into(size)
}

// skipTags skips a tagged-field section (KIP-482) at the start of b.
func skipTags(b []byte) ([]byte, error) {
	n, used := binary.Uvarint(b)
	if used <= 0 {
		return nil, fmt.Errorf("%w: bad tag count", ErrProtocol)
	}
	b = b[used:]
	for i := uint64(0); i < n; i++ {
		if _, used = binary.Uvarint(b); used <= 0 {
			return nil, fmt.Errorf("%w: bad tag", ErrProtocol)
		}
		b = b[used:]
		size, used := binary.Uvarint(b)
		if used <= 0 || size > uint64(len(b)-used) {
			return nil, fmt.Errorf("%w: bad tag size", ErrProtocol)
		}
		b = b[used+int(size):]
	}
	return b, nil
}
