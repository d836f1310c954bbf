// Package faultproxy is a Kafka-aware TCP proxy for tests: it sits between
// a client and real brokers and, on command, cuts connections, stalls
// them, delays responses, hands a response to a Rule that may truncate,
// corrupt or resize it, or a request to a RequestRule that may damage it.
//
// It reads whole frames in both directions, remembers which request each
// correlation ID belongs to, and rewrites the broker addresses in
// Metadata, FindCoordinator and DescribeCluster responses to its own
// listeners, so a cluster client that follows the advertised addresses
// still goes through the proxy. Every upstream broker gets a listener of
// its own on 127.0.0.1.
package faultproxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// maxFrame bounds what the proxy itself buffers per frame.
const maxFrame = 256 << 20

// Response is one broker response on its way to the client.
type Response struct {
	Key, Version int16
	// Frame is everything after the length prefix: correlation ID, header
	// tags, body.
	Frame []byte
	// Length is the prefix sent, len(Frame) unless a rule lies about it.
	Length int32
	// Close closes the client's connection once the frame is written.
	Close bool
}

// Rule sees every response before it is forwarded and reports whether it
// changed it (a change counts as an injected fault).
type Rule func(r *Response) bool

// RequestRule sees every request frame (API key, version, correlation ID,
// header, body; no length prefix) before it is forwarded and may change it
// in place, e.g. damage one record batch so that the broker refuses just
// that partition. It reports whether it changed the frame.
type RequestRule func(key, version int16, frame []byte) bool

// Stats counts what the proxy did.
type Stats struct {
	Accepted  int64 // client connections accepted
	Cuts      int64 // connections closed by Cut
	Stalls    int64 // Stall(true) calls
	Delayed   int64 // responses held back by SetDelay
	RuleFired int64 // responses a Rule and requests a RequestRule changed
	Rewritten int64 // responses whose broker addresses were rewritten
	Responses int64 // responses forwarded
}

// Proxy forwards to one or more brokers.
type Proxy struct {
	mu        sync.Mutex
	listeners map[string]net.Listener // upstream address -> our listener
	order     []string                // upstream addresses in creation order
	links     map[*link]struct{}
	stalled   bool
	delay     time.Duration
	rule      Rule
	reqRule   RequestRule
	closed    bool
	wg        sync.WaitGroup

	accepted, cuts, stalls, delayed, fired, rewritten, responses atomic.Int64
}

// New starts a proxy with a listener for each upstream broker address.
func New(upstreams ...string) (*Proxy, error) {
	p := &Proxy{listeners: map[string]net.Listener{}, links: map[*link]struct{}{}}
	for _, u := range upstreams {
		if _, err := p.listenerFor(u); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// Addrs are the proxy's own addresses, one per upstream in the order given
// to New (then those learnt from metadata).
func (p *Proxy) Addrs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, len(p.order))
	for i, u := range p.order {
		out[i] = p.listeners[u].Addr().String()
	}
	return out
}

// Cut closes every open connection (both sides) and returns how many
// client connections it closed. New connections are accepted as before.
func (p *Proxy) Cut() int {
	p.mu.Lock()
	links := p.links
	p.links = map[*link]struct{}{}
	p.mu.Unlock()
	for l := range links {
		l.close()
	}
	p.cuts.Add(int64(len(links)))
	return len(links)
}

// Stall stops (true) or resumes (false) forwarding in both directions.
// Connections stay open while stalled.
func (p *Proxy) Stall(on bool) {
	p.mu.Lock()
	if on && !p.stalled {
		p.stalls.Add(1)
	}
	p.stalled = on
	p.mu.Unlock()
}

// SetDelay holds every response back by d before forwarding it (0: none).
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// SetRule installs r (nil removes it).
func (p *Proxy) SetRule(r Rule) {
	p.mu.Lock()
	p.rule = r
	p.mu.Unlock()
}

// SetRequestRule installs r (nil removes it).
func (p *Proxy) SetRequestRule(r RequestRule) {
	p.mu.Lock()
	p.reqRule = r
	p.mu.Unlock()
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Accepted: p.accepted.Load(), Cuts: p.cuts.Load(), Stalls: p.stalls.Load(),
		Delayed: p.delayed.Load(), RuleFired: p.fired.Load(), Rewritten: p.rewritten.Load(),
		Responses: p.responses.Load(),
	}
}

// Close stops listening, cuts every connection and waits for the proxy's
// goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.stalled = false
	for _, ln := range p.listeners {
		ln.Close()
	}
	p.mu.Unlock()
	p.Cut()
	p.wg.Wait()
}

// listenerFor returns the proxy address serving upstream, opening a
// listener the first time.
func (p *Proxy) listenerFor(upstream string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ln, ok := p.listeners[upstream]; ok {
		return ln.Addr().String(), nil
	}
	if p.closed {
		return "", errors.New("faultproxy: closed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	p.listeners[upstream] = ln
	p.order = append(p.order, upstream)
	p.wg.Add(1)
	go p.accept(ln, upstream)
	return ln.Addr().String(), nil
}

func (p *Proxy) accept(ln net.Listener, upstream string) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		u, err := net.DialTimeout("tcp", upstream, 10*time.Second)
		if err != nil {
			c.Close() // the broker is down: so is its proxy address
			continue
		}
		l := &link{p: p, client: c, broker: u, keys: map[int32][2]int16{}, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			l.close()
			return
		}
		p.links[l] = struct{}{}
		p.mu.Unlock()
		p.accepted.Add(1)
		p.wg.Add(2)
		go l.requests()
		go l.responses()
	}
}

// waitWhileStalled blocks while the proxy is stalled; false means the
// link closed meanwhile.
func (p *Proxy) waitWhileStalled(l *link) bool {
	for {
		p.mu.Lock()
		stalled := p.stalled
		p.mu.Unlock()
		if !stalled {
			return true
		}
		select {
		case <-l.done:
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// link is one client connection and its broker connection.
type link struct {
	p              *Proxy
	client, broker net.Conn
	mu             sync.Mutex
	keys           map[int32][2]int16 // correlation ID -> API key, version
	once           sync.Once
	done           chan struct{}
}

func (l *link) close() {
	l.once.Do(func() {
		close(l.done)
		l.client.Close()
		l.broker.Close()
	})
}

func (l *link) drop() {
	l.p.mu.Lock()
	delete(l.p.links, l)
	l.p.mu.Unlock()
	l.close()
}

// requests forwards client frames to the broker, noting each request's
// API key and version by correlation ID.
func (l *link) requests() {
	defer l.p.wg.Done()
	defer l.drop()
	for {
		frame, err := readFrame(l.client)
		if err != nil || len(frame) < 8 {
			return
		}
		key := int16(binary.BigEndian.Uint16(frame[0:]))
		version := int16(binary.BigEndian.Uint16(frame[2:]))
		corr := int32(binary.BigEndian.Uint32(frame[4:]))
		l.mu.Lock()
		l.keys[corr] = [2]int16{key, version}
		l.mu.Unlock()
		l.p.mu.Lock()
		rule := l.p.reqRule
		l.p.mu.Unlock()
		if rule != nil && rule(key, version, frame) {
			l.p.fired.Add(1)
		}
		if !l.p.waitWhileStalled(l) || writeFrame(l.broker, int32(len(frame)), frame) != nil {
			return
		}
	}
}

// responses forwards broker frames to the client, rewriting addresses and
// applying delay and rule.
func (l *link) responses() {
	defer l.p.wg.Done()
	defer l.drop()
	for {
		frame, err := readFrame(l.broker)
		if err != nil || len(frame) < 4 {
			return
		}
		corr := int32(binary.BigEndian.Uint32(frame))
		l.mu.Lock()
		kv, known := l.keys[corr]
		delete(l.keys, corr)
		l.mu.Unlock()
		r := &Response{Key: -1, Version: -1, Frame: frame}
		if known {
			r.Key, r.Version = kv[0], kv[1]
			if out, changed := l.p.rewriteAddresses(r.Key, r.Version, frame); changed {
				r.Frame = out
				l.p.rewritten.Add(1)
			}
		}
		r.Length = int32(len(r.Frame))
		l.p.mu.Lock()
		delay, rule := l.p.delay, l.p.rule
		l.p.mu.Unlock()
		if delay > 0 {
			l.p.delayed.Add(1)
			select {
			case <-l.done:
				return
			case <-time.After(delay):
			}
		}
		if rule != nil && rule(r) {
			l.p.fired.Add(1)
		}
		if !l.p.waitWhileStalled(l) || writeFrame(l.client, r.Length, r.Frame) != nil {
			return
		}
		l.p.responses.Add(1)
		if r.Close {
			return
		}
	}
}

func readFrame(rd io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(rd, hdr[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(hdr[:]))
	if n < 0 || n > maxFrame {
		return nil, fmt.Errorf("faultproxy: frame of %d bytes", n)
	}
	buf := make([]byte, n)
	_, err := io.ReadFull(rd, buf)
	return buf, err
}

func writeFrame(w io.Writer, length int32, frame []byte) error {
	buf := make([]byte, 4, 4+len(frame))
	binary.BigEndian.PutUint32(buf, uint32(length))
	_, err := w.Write(append(buf, frame...))
	return err
}

// proxyAddr maps a broker's advertised host and port to the proxy's.
func (p *Proxy) proxyAddr(host string, port int32) (string, int32, bool) {
	addr, err := p.listenerFor(net.JoinHostPort(host, strconv.Itoa(int(port))))
	if err != nil {
		return "", 0, false
	}
	h, ps, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(ps)
	return h, int32(n), true
}
