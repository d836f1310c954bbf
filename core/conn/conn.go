// Package conn is one connection to one Kafka broker: dial (DNS resolved in
// Go, never on a caller's thread), TLS, ApiVersions negotiation, SASL, then
// pipelined requests matched to responses by correlation ID. It may
// reconnect by itself after a drop.
//
// A Conn never blocks its caller: Connect and Do return at once and report
// through callbacks, which run on the connection's own goroutines and so
// must not block either.
package conn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kfk-dev/kfk/core/obs"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// State is where a connection is in its life; the numbers are part of the
// C ABI (KFK_CONN_*) and of EV::Kafka::Conn's state method.
type State int32

const (
	Disconnected State = 0
	Resolving    State = 1
	Connecting   State = 2
	TLSHandshake State = 3
	Handshake    State = 4 // ApiVersions
	Authenticate State = 5 // SASL
	Ready        State = 6
)

// Errors a request or connection attempt can end with. They are wrapped with
// detail; test with errors.Is.
var (
	ErrDisconnected = errors.New("disconnected")
	ErrClosedByPeer = errors.New("connection closed by broker")
	ErrNotConnected = errors.New("not connected")
	ErrTimeout      = errors.New("request timed out")
	ErrConnect      = errors.New("connect failed")
	ErrTLS          = errors.New("tls failed")
	ErrSASL         = errors.New("sasl authentication failed")
	ErrProtocol     = errors.New("protocol error")
	ErrUnsupported  = errors.New("unsupported by broker")
)

// SASL holds the credentials for SASL authentication.
type SASL struct {
	Mechanism string // "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"
	Username  string
	Password  string // GSSAPI: the principal's password, when it logs in with one
	// Kerberos configures GSSAPI (nil: the credential cache and krb5.conf
	// of the environment).
	Kerberos *Kerberos
	// Token gives OAUTHBEARER its bearer token, once per authentication;
	// it may block (to ask a token endpoint), on the connection's own
	// goroutine.
	Token func() (OAuthToken, error)
	// Credentials, when set, gives the username and password at each
	// authentication in place of Username and Password, so that they can
	// change for the connections and re-authentications to come.
	Credentials func() (username, password string)
}

// current is s with the credentials of this moment.
func (s SASL) current() SASL {
	if s.Credentials != nil {
		s.Username, s.Password = s.Credentials()
	}
	return s
}

// String never shows the password or a token, so a SASL value can be
// logged.
func (s SASL) String() string {
	if s.Mechanism == MechanismOAuthBearer {
		return s.Mechanism
	}
	return s.Mechanism + " user=" + s.Username
}

// GoString hides the password from %#v too.
func (s SASL) GoString() string { return "conn.SASL{" + s.String() + "}" }

// Handler receives connection-level events. Any field may be nil. They run
// on the connection's goroutines.
type Handler struct {
	OnConnect    func()
	OnError      func(error)
	OnDisconnect func(error)
}

// Options configure a Conn. They may be changed between connects; a change
// applies to the next connection attempt.
type Options struct {
	ClientID       string        // default "kfk"
	TLS            *tls.Config   // nil = plaintext
	SASL           *SASL         // nil = no authentication
	AutoReconnect  bool          // reconnect after a drop or failed attempt
	ReconnectDelay time.Duration // default 1s
	RequestTimeout time.Duration // default 30s, added to a request's own wait
	MaxResponse    int32         // largest accepted response, default 256 MiB
	// MaxVersions caps the version used per API key, below what both sides
	// support (for compatibility tests). Keys absent are uncapped.
	MaxVersions map[int16]int16
	// Needs lists the calls a connection is of no use without: an
	// ApiVersions answer that lacks one, or offers it only below the
	// version kfk sends, fails the attempt (ErrUnsupported) rather than
	// leaving a ready connection on which each of those calls fails. The
	// cluster client needs the calls every broker kfk supports answers, so
	// such an answer is either damaged (the next attempt asks again) or
	// from a broker too old for kfk, and the error then says so.
	Needs []kmsg.Key
	// Log receives the connection's log lines (broker and protocol
	// contexts); Meter counts its traffic. Either may be nil.
	Log   *obs.Logger
	Meter *obs.Meter
}

// Conn is a connection to one broker. The zero value is not usable; use New.
type Conn struct {
	mu       sync.Mutex
	opts     Options
	handler  Handler
	host     string
	port     int
	timeout  time.Duration
	attempt  uint64   // increments per connect attempt; stale goroutines compare it
	sess     *session // the live session once Ready
	waiting  []*call  // requests made while connecting
	retry    *time.Timer
	wantConn bool // a connection is wanted (Connect called, Disconnect not)
	closed   bool

	state atomic.Int32
}

// New returns an unconnected Conn.
func New(opts Options, h Handler) *Conn {
	c := &Conn{handler: h}
	c.SetOptions(opts)
	return c
}

// SetOptions replaces the options; they apply from the next connect.
func (c *Conn) SetOptions(opts Options) {
	c.UpdateOptions(func(o *Options) bool { *o = opts; return true })
}

// UpdateOptions changes the options in place: change gets the current
// ones and reports whether to keep what it did. Concurrent updates of
// different fields do not undo each other. change must not call into c.
func (c *Conn) UpdateOptions(change func(*Options) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	opts := c.opts
	if !change(&opts) {
		return false
	}
	if opts.ClientID == "" {
		opts.ClientID = "kfk"
	}
	if opts.ReconnectDelay <= 0 {
		opts.ReconnectDelay = time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.MaxResponse <= 0 {
		opts.MaxResponse = 256 << 20
	}
	c.opts = opts
	return true
}

// Options returns a copy of the current options.
func (c *Conn) Options() Options {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opts
}

// SetHandler replaces the connection-level event handler.
func (c *Conn) SetHandler(h Handler) {
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
}

// State reports the connection state.
func (c *Conn) State() State { return State(c.state.Load()) }

// Connected reports whether requests are sent at once.
func (c *Conn) Connected() bool { return c.State() == Ready }

// Addr is the host:port last passed to Connect.
func (c *Conn) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return net.JoinHostPort(c.host, strconv.Itoa(c.port))
}

// Pending is the number of requests waiting for a response, including those
// waiting for the connection to become ready.
func (c *Conn) Pending() int {
	c.mu.Lock()
	n, s := len(c.waiting), c.sess
	c.mu.Unlock()
	if s != nil {
		n += s.pendingCount()
	}
	return n
}

// APIVersions returns the broker's maximum version per API key, or nil
// before the handshake has completed.
func (c *Conn) APIVersions() map[int16]int16 {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.versions.maxima()
}

// Connect starts connecting to host:port. timeout bounds the whole attempt
// (0 = none). The outcome is OnConnect or OnError. An existing connection is
// closed first (its pending requests fail with ErrDisconnected).
func (c *Conn) Connect(host string, port int, timeout time.Duration) error {
	if host == "" || port <= 0 || port > 65535 {
		return fmt.Errorf("connect: invalid address %q port %d", host, port)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrDisconnected
	}
	old := c.sess
	c.sess = nil
	c.host, c.port, c.timeout = host, port, timeout
	c.wantConn = true
	c.stopRetryLocked()
	attempt := c.startAttemptLocked()
	c.mu.Unlock()
	if old != nil {
		old.kill(ErrDisconnected)
	}
	go c.dial(attempt)
	return nil
}

// Disconnect closes the connection and stops reconnecting. Pending requests
// fail with ErrDisconnected.
func (c *Conn) Disconnect() {
	c.mu.Lock()
	c.wantConn = false
	c.attempt++
	c.stopRetryLocked()
	s := c.sess
	c.sess = nil
	waiting := c.waiting
	c.waiting = nil
	c.state.Store(int32(Disconnected))
	c.mu.Unlock()
	if s != nil {
		s.kill(ErrDisconnected)
	}
	failAll(waiting, ErrDisconnected)
}

// Close disconnects for good: later requests fail at once.
func (c *Conn) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.Disconnect()
}

func (c *Conn) startAttemptLocked() uint64 {
	c.attempt++
	c.state.Store(int32(Resolving))
	return c.attempt
}

func (c *Conn) stopRetryLocked() {
	if c.retry != nil {
		c.retry.Stop()
		c.retry = nil
	}
}

// current reports whether attempt is still the one the Conn wants.
func (c *Conn) current(attempt uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attempt == attempt && !c.closed
}

// setState records progress of attempt, unless a newer attempt replaced it.
func (c *Conn) setState(attempt uint64, st State) {
	c.mu.Lock()
	if c.attempt == attempt {
		c.state.Store(int32(st))
	}
	c.mu.Unlock()
}

// dial runs one connection attempt on its own goroutine.
func (c *Conn) dial(attempt uint64) {
	c.mu.Lock()
	opts, host, port, timeout := c.opts, c.host, c.port, c.timeout
	c.mu.Unlock()

	s, err := handshake(c, attempt, opts, host, port, timeout)
	if err != nil {
		c.attemptFailed(attempt, err)
		return
	}
	c.mu.Lock()
	if c.attempt != attempt || c.closed {
		c.mu.Unlock()
		s.kill(ErrDisconnected)
		return
	}
	c.sess = s
	// Requests that waited for the connection are queued before it is
	// published, so none made later can overtake them.
	refused := s.enqueue(c.waiting)
	c.waiting = nil
	c.state.Store(int32(Ready))
	h := c.handler
	c.mu.Unlock()

	s.start()
	if opts.Meter != nil {
		opts.Meter.Connects.Add(1)
	}
	opts.Log.Debugf(obs.Broker, "connected to %s:%d (%s)", host, port, describeSecurity(opts))
	for _, f := range refused {
		f.call.fail(f.err)
	}
	if h.OnConnect != nil {
		h.OnConnect()
	}
}

// attemptFailed reports a failed connect and schedules a retry if wanted.
func (c *Conn) attemptFailed(attempt uint64, err error) {
	c.mu.Lock()
	if c.attempt != attempt {
		c.mu.Unlock()
		return
	}
	c.state.Store(int32(Disconnected))
	h := c.handler
	log, addr := c.opts.Log, net.JoinHostPort(c.host, strconv.Itoa(c.port))
	var waiting []*call
	if c.opts.AutoReconnect && c.wantConn && !c.closed {
		log.Debugf(obs.Broker, "%s: %v; trying again in %v", addr, err, c.opts.ReconnectDelay)
		c.scheduleRetryLocked()
		waiting = c.expireWaitingLocked()
	} else {
		log.Debugf(obs.Broker, "%s: %v", addr, err)
		waiting = c.waiting
		c.waiting = nil
	}
	c.mu.Unlock()
	failAll(waiting, err)
	if h.OnError != nil {
		h.OnError(err)
	}
}

// expireWaitingLocked removes and returns the requests that have waited
// longer than the request timeout for a connection that keeps failing.
func (c *Conn) expireWaitingLocked() []*call {
	limit := time.Now().Add(-c.opts.RequestTimeout)
	var expired []*call
	kept := c.waiting[:0]
	for _, r := range c.waiting {
		if r.queuedAt.Before(limit) {
			expired = append(expired, r)
		} else {
			kept = append(kept, r)
		}
	}
	c.waiting = kept
	return expired
}

func (c *Conn) scheduleRetryLocked() {
	c.stopRetryLocked()
	attempt := c.attempt
	c.retry = time.AfterFunc(c.opts.ReconnectDelay, func() {
		c.mu.Lock()
		if c.attempt != attempt || !c.wantConn || c.closed {
			c.mu.Unlock()
			return
		}
		next := c.startAttemptLocked()
		c.mu.Unlock()
		c.dial(next)
	})
}

// sessionDied is called once by a session that ended on its own (peer
// closed, I/O error, timeout, protocol error).
func (c *Conn) sessionDied(s *session, err error) {
	c.mu.Lock()
	if c.sess != s {
		c.mu.Unlock()
		return
	}
	c.sess = nil
	c.state.Store(int32(Disconnected))
	h := c.handler
	if c.opts.Meter != nil {
		c.opts.Meter.Disconnects.Add(1)
	}
	addr := net.JoinHostPort(c.host, strconv.Itoa(c.port))
	if c.opts.AutoReconnect && c.wantConn && !c.closed {
		c.opts.Log.Debugf(obs.Broker, "connection to %s lost: %v; reconnecting in %v", addr, err, c.opts.ReconnectDelay)
		c.scheduleRetryLocked()
	} else {
		c.opts.Log.Debugf(obs.Broker, "connection to %s lost: %v", addr, err)
	}
	c.mu.Unlock()
	if h.OnDisconnect != nil {
		h.OnDisconnect(err)
	}
}

// Do sends req at the highest version both sides support and calls cb with
// the response or an error. A request made while the connection is being
// established waits for it. cb runs on a connection goroutine.
func (c *Conn) Do(req kmsg.Request, cb func(kmsg.Response, error)) {
	c.send(&call{req: req, cb: cb})
}

// DoInto is Do reading the response into into(size) when that returns a
// buffer of at least size bytes (size is the response's length, header
// included). The buffer is the caller's again once cb has returned: cb's
// response may point into it, and nothing else will. into runs on the
// connection's reading goroutine, before cb.
func (c *Conn) DoInto(req kmsg.Request, into func(size int) []byte, cb func(kmsg.Response, error)) {
	c.send(&call{req: req, cb: cb, into: into})
}

// DoRaw sends a pre-encoded request body for key at version; cb gets the
// raw response body (after the response header).
func (c *Conn) DoRaw(key, version int16, body []byte, cb func([]byte, error)) {
	c.send(&call{raw: &rawRequest{key: key, version: version, body: body}, rawCB: cb})
}

func (c *Conn) send(r *call) {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		r.fail(ErrDisconnected)
	case c.sess != nil:
		s := c.sess
		c.mu.Unlock()
		s.send(r)
	case c.State() != Disconnected || (c.retry != nil && c.wantConn):
		r.queuedAt = time.Now()
		c.waiting = append(c.waiting, r)
		c.mu.Unlock()
	default:
		c.mu.Unlock()
		r.fail(ErrNotConnected)
	}
}

// describeSecurity names how a connection is secured, for log lines; the
// SASL part shows the user, never the password.
func describeSecurity(opts Options) string {
	out := "plaintext"
	if opts.TLS != nil {
		out = "tls"
	}
	if opts.SASL != nil {
		out += ", sasl " + opts.SASL.String()
	}
	return out
}

func failAll(calls []*call, err error) {
	for _, r := range calls {
		r.fail(err)
	}
}
