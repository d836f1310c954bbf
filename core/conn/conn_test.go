package conn_test

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

// proxy forwards loopback connections to the broker and can cut them all
// or stall them, so faults happen on demand.
type proxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	conns   []net.Conn
	stalled bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			go p.pipe(c, b)
			go p.pipe(b, c)
		}
	}()
	return p
}

func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for {
			p.mu.Lock()
			stalled := p.stalled
			p.mu.Unlock()
			if !stalled {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			}
			dst.Close()
			return
		}
	}
}

// cut closes every proxied connection.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) stall(on bool) {
	p.mu.Lock()
	p.stalled = on
	p.mu.Unlock()
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func metadata(c *conn.Conn) chan error {
	done := make(chan error, 1)
	c.Do(kmsg.NewPtrMetadataRequest(), func(_ kmsg.Response, err error) { done <- err })
	return done
}

func TestAutoReconnectAfterTheBrokerDrops(t *testing.T) {
	env := kafkatest.Brokers(t)
	p := newProxy(t, env.Brokers[0])
	connects := make(chan struct{}, 8)
	drops := make(chan error, 8)
	c := conn.New(conn.Options{AutoReconnect: true, ReconnectDelay: 50 * time.Millisecond},
		conn.Handler{OnConnect: func() { connects <- struct{}{} }, OnDisconnect: func(err error) { drops <- err }})
	defer c.Close()
	c.Connect("127.0.0.1", p.port(), 5*time.Second)
	<-connects

	// A request in flight when the broker side closes fails with the
	// documented message; the connection comes back by itself.
	p.stall(true)
	pending := metadata(c)
	time.Sleep(50 * time.Millisecond)
	p.cut()
	p.stall(false)
	if err := <-pending; !errors.Is(err, conn.ErrClosedByPeer) || err.Error() != "connection closed by broker" {
		t.Fatalf("pending request: %v", err)
	}
	if err := <-drops; !errors.Is(err, conn.ErrClosedByPeer) {
		t.Fatalf("disconnect reason: %v", err)
	}
	select {
	case <-connects:
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnect")
	}
	if err := <-metadata(c); err != nil {
		t.Fatalf("request after reconnect: %v", err)
	}
}

func TestRequestTimeoutFailsTheConnection(t *testing.T) {
	env := kafkatest.Brokers(t)
	p := newProxy(t, env.Brokers[0])
	ready := make(chan error, 1)
	c := conn.New(conn.Options{RequestTimeout: 300 * time.Millisecond},
		conn.Handler{OnConnect: func() { ready <- nil }, OnError: func(err error) { ready <- err }})
	defer c.Close()
	c.Connect("127.0.0.1", p.port(), 5*time.Second)
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	p.stall(true)
	defer p.stall(false)
	start := time.Now()
	if err := <-metadata(c); !errors.Is(err, conn.ErrTimeout) {
		t.Fatalf("stalled request: %v", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("timeout took %v", waited)
	}
	if c.Connected() {
		t.Fatal("a timed-out connection stays open (responses could no longer be matched)")
	}
}

func TestConnectErrors(t *testing.T) {
	errs := make(chan error, 1)
	c := conn.New(conn.Options{}, conn.Handler{OnError: func(err error) { errs <- err }})
	defer c.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.Connect("127.0.0.1", port, 2*time.Second)
	if err := <-errs; !errors.Is(err, conn.ErrConnect) {
		t.Fatalf("refused: %v", err)
	}
	if err := c.Connect("", 0, 0); err == nil {
		t.Fatal("an empty address was accepted")
	}
	// A server that is not Kafka: the handshake fails, nothing hangs.
	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		s, err := ln.Accept()
		if err == nil {
			s.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
			s.Close()
		}
	}()
	c.Connect("127.0.0.1", ln.Addr().(*net.TCPAddr).Port, 2*time.Second)
	if err := <-errs; err == nil {
		t.Fatal("a non-Kafka server passed the handshake")
	}
}
