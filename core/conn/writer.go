package conn

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"
)

// Requests are written by whoever finds the socket free. A requester
// writes its own request at once when nothing else is being written, and
// never waits for the socket: what the socket does not take at once is
// held for the writer goroutine, which writes it before anything else.
// A request on an idle connection then leaves on the requester's thread;
// handing it to the writer goroutine meant waking a thread for it, a
// tenth of a produce round trip. The writer goroutine writes what
// arrives while the socket is busy, and anything that has to wait.
// Once the socket is full a requester writes no further request: those
// are left to the writer goroutine, which writes them from their own
// memory, where holding them would copy them (producing 10 KB records
// with acks=0, copies into held were a third of the pages faulted in).
//
// A requester runs no callbacks: it may hold locks they take. Requests
// with no reply it wrote, and an error it met, are left to the writer.

// writeSide is the session's socket as its writers share it.
type writeSide struct {
	mu    sync.Mutex // held by whoever writes
	w     *bufio.Writer
	sock  socketWriter
	buf   []byte       // the encoding of a request (other than produce)
	frame produceFrame // the framing of a produce request
	// Left by requesters for the writer goroutine: requests numbered but
	// not written (the socket was full), to write after held; written
	// requests that expect no reply, to complete once held and rest are
	// written; and the error that ended a write.
	rest    []*call
	settled []*call
	failed  error
	closed  bool // the writer goroutine has ended: nobody takes what is left
}

func (o *writeSide) init(nc net.Conn) {
	o.sock.nc = nc
	o.sock.raw = rawConn(nc)
	o.w = bufio.NewWriterSize(&o.sock, 64<<10)
}

// socketWriter is the socket under the buffered writer. While nowait is
// set (a requester writes) it does not wait for the socket: what it cannot
// write at once is kept in held and reported written.
type socketWriter struct {
	nc     net.Conn
	raw    syscall.RawConn // nil: no write that does not wait (TLS, other systems)
	nowait bool
	held   []byte
}

func (k *socketWriter) Write(p []byte) (int, error) {
	if k.nowait {
		n := 0
		if len(k.held) == 0 {
			var err error
			if n, err = sendNoWait(k.raw, p); err != nil {
				return 0, err
			}
		}
		k.held = append(k.held, p[n:]...)
		return len(p), nil
	}
	if err := k.writeHeld(); err != nil {
		return 0, err
	}
	return k.nc.Write(p)
}

// writeHeld writes what requesters left, waiting for the socket.
func (k *socketWriter) writeHeld() error {
	if len(k.held) == 0 {
		return nil
	}
	_, err := k.nc.Write(k.held)
	k.held = k.held[:0]
	if cap(k.held) > 1<<20 {
		k.held = nil // don't pin one huge request's bytes forever
	}
	return err
}

// backedUp reports whether bytes or requests wait for the writer
// goroutine, which must write them before anything queued after them.
func (o *writeSide) backedUp() bool {
	return len(o.sock.held) > 0 || len(o.rest) > 0
}

// rawConn is nc's descriptor when bytes can be sent on it directly.
func rawConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok || !canSendNoWait {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// writeNowOrWake writes the queued requests on the caller's goroutine
// when the socket is free, else leaves them to the writer goroutine.
func (s *session) writeNowOrWake() {
	if s.out.sock.raw == nil || !s.out.mu.TryLock() {
		s.wakeWriter()
		return
	}
	// Once the writer goroutine has ended the session is ending, and
	// ending it fails whatever is still queued.
	if s.out.failed == nil && !s.out.closed && !s.out.backedUp() {
		s.out.sock.nowait = true
		noReply, err := s.writeQueued()
		s.out.sock.nowait = false
		s.out.settled = append(s.out.settled, noReply...)
		s.out.failed = err
	}
	handOver := s.out.backedUp() || len(s.out.settled) > 0 || s.out.failed != nil
	s.out.mu.Unlock()
	if handOver {
		s.wakeWriter()
	}
}

func (s *session) writeLoop() {
	for {
		select {
		case <-s.wake:
		case <-s.done:
			s.out.mu.Lock()
			settled := s.out.settled
			s.out.settled, s.out.rest, s.out.closed = nil, nil, true
			s.out.mu.Unlock()
			failAll(settled, ErrDisconnected)
			return
		}
		s.out.mu.Lock()
		noReply, err := s.out.settled, s.out.failed
		s.out.settled = nil
		if err == nil {
			err = s.out.sock.writeHeld()
		}
		if err == nil {
			err = s.writeRest()
		}
		if err == nil {
			var more []*call
			more, err = s.writeQueued()
			noReply = append(noReply, more...)
		}
		s.out.closed = err != nil // this goroutine ends below
		s.out.mu.Unlock()
		if err != nil {
			s.writeFailed(err, noReply)
			return
		}
		for _, r := range noReply {
			r.complete(nil, nil)
		}
	}
}

// writeQueued writes the queued requests (a re-authentication's own
// first) and returns those that expect no reply. The caller holds
// s.out.mu.
func (s *session) writeQueued() ([]*call, error) {
	s.mu.Lock()
	batch := s.reauthCalls
	s.reauthCalls = nil
	switch {
	case s.paused:
	case batch == nil:
		batch, s.queued = s.queued, nil
	default:
		batch, s.queued = append(batch, s.queued...), nil
	}
	var noReply []*call
	now := time.Now()
	for _, r := range batch {
		r.sentAt = now
		r.corr = s.nextCorr
		s.nextCorr++
		if r.noReply {
			noReply = append(noReply, r)
		} else {
			s.inflight = append(s.inflight, r)
		}
	}
	s.mu.Unlock()
	return noReply, s.writeCalls(batch)
}

// writeRest writes the requests a requester left when the socket filled.
// The caller holds s.out.mu.
func (s *session) writeRest() error {
	rest := s.out.rest
	s.out.rest = nil
	return s.writeCalls(rest)
}

// writeCalls writes calls (numbered already) in order and flushes them. A
// requester stops once the socket is full and leaves the rest in
// s.out.rest for the writer goroutine. The caller holds s.out.mu.
func (s *session) writeCalls(calls []*call) error {
	o := &s.out
	for i, r := range calls {
		if err := s.write(r); err != nil {
			return err
		}
		if o.sock.nowait && len(o.sock.held) > 0 { // the socket is full
			o.rest = append(o.rest, calls[i+1:]...)
			break
		}
	}
	if err := o.w.Flush(); err != nil {
		return err
	}
	if cap(o.buf) > 1<<20 {
		o.buf = nil // don't pin one huge request's buffer forever
	}
	return nil
}

// write encodes r (numbered already) into the buffered writer. The caller
// holds s.out.mu.
func (s *session) write(r *call) error {
	o := &s.out
	var size int
	var err error
	if p, ok := frames(r.req); ok {
		size = o.frame.encode(p, r.corr, s.opts.ClientID)
		err = o.frame.writeTo(o.w, p)
	} else {
		o.buf = s.encode(o.buf[:0], r)
		size = len(o.buf)
		_, err = o.w.Write(o.buf)
	}
	if err == nil {
		s.sent(r, size)
	}
	return err
}

// writeFailed ends the session; requests that expect no reply were not
// tracked as in flight, so they are failed here.
func (s *session) writeFailed(err error, noReply []*call) {
	err = fmt.Errorf("%w: write: %v", ErrDisconnected, err)
	s.fatal(err)
	failAll(noReply, err)
}
