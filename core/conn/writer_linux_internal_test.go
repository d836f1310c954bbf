package conn

import (
	"bytes"
	"io"
	"net"
	"syscall"
	"testing"
)

// A requester's write never waits for the socket: with the peer not
// reading, what the socket cannot take is held, later writes queue behind
// it, and the writer goroutine's write puts every byte on the wire in
// order.
func TestWritesThatCannotWaitAreHeldInOrder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	peer := <-accepted
	defer peer.Close()

	k := socketWriter{nc: nc, raw: rawConn(nc), nowait: true}
	if k.raw == nil {
		t.Fatal("a TCP connection has no descriptor to send on")
	}
	first := make([]byte, 32<<20) // more than the socket and the peer's buffers hold
	for i := range first {
		first[i] = byte(i*7 + i>>8)
	}
	second := []byte("the request written after it")
	for _, p := range [][]byte{first, second} {
		if n, err := k.Write(p); n != len(p) || err != nil {
			t.Fatalf("Write without waiting: %d of %d bytes, %v", n, len(p), err)
		}
	}
	if len(k.held) == 0 || len(k.held) > len(first)+len(second) {
		t.Fatalf("%d bytes held: the peer reads nothing, so some of the %d must be", len(k.held), len(first)+len(second))
	}
	if !bytes.HasSuffix(k.held, second) {
		t.Fatal("the later write did not queue behind the held bytes")
	}

	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(first)+len(second))))
		got <- b
	}()
	k.nowait = false
	if err := k.writeHeld(); err != nil {
		t.Fatal(err)
	}
	if len(k.held) != 0 {
		t.Fatalf("%d bytes still held after the writer's write", len(k.held))
	}
	if !bytes.Equal(<-got, append(first, second...)) {
		t.Fatal("the bytes on the wire differ from those written")
	}
}

// A closed connection is an error for a requester's write, not a signal
// to the application's thread.
func TestWriteThatCannotWaitOnAClosedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close() // the peer goes away at once
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	raw := rawConn(nc)
	buf := make([]byte, 64<<10)
	for {
		_, err := sendNoWait(raw, buf)
		if err == nil {
			continue // until the peer's reset arrives
		}
		if err != syscall.EPIPE && err != syscall.ECONNRESET {
			t.Fatalf("write to a closed connection: %v, want EPIPE or ECONNRESET", err)
		}
		return
	}
}
