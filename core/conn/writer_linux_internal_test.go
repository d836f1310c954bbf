package conn

import (
	"bytes"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// loopbackPair is a TCP connection and its peer's end, closed when the
// test ends.
func loopbackPair(t *testing.T) (nc, peer net.Conn) {
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
	nc, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	peer = <-accepted
	if peer == nil {
		t.Fatal("no connection accepted")
	}
	t.Cleanup(func() { peer.Close() })
	return nc, peer
}

// A requester's write never waits for the socket: with the peer not
// reading, what the socket cannot take is held, later writes queue behind
// it, and the writer goroutine's write puts every byte on the wire in
// order.
func TestWritesThatCannotWaitAreHeldInOrder(t *testing.T) {
	nc, peer := loopbackPair(t)
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

// Once the socket is full a requester writes no further request: the
// requests it took wait, numbered, for the writer goroutine, and so does
// any request queued after them. The writer goroutine then puts every
// request on the wire in order, byte for byte what kmsg encodes, and
// completes those that expect no reply once written.
func TestRequestsAfterAFullSocketWaitForTheWriter(t *testing.T) {
	nc, peer := loopbackPair(t)
	s := newSession(nil, nc, Options{ClientID: "kfk-test", RequestTimeout: time.Minute}, "")
	s.versions.set(kmsg.Produce.Int16(), 3, 9)
	var reqs []*kmsg.ProduceRequest
	for i := range 7 {
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = 0, 30000 // no reply: complete once written
		p := kmsg.NewProduceRequestTopicPartition()
		p.Records = make([]byte, 1<<20)
		if i == 0 {
			p.Records = make([]byte, 32<<20) // more than the socket and the peer's buffers hold
		}
		for j := range p.Records {
			p.Records[j] = byte(i + j*13)
		}
		topic := kmsg.NewProduceRequestTopic()
		topic.Topic, topic.Partitions = "t", []kmsg.ProduceRequestTopicPartition{p}
		req.Topics = []kmsg.ProduceRequestTopic{topic}
		reqs = append(reqs, req)
	}
	written := make(chan int, len(reqs))
	calls := make([]*call, len(reqs))
	for i, req := range reqs {
		calls[i] = &call{req: req, cb: func(_ kmsg.Response, err error) {
			if err != nil {
				t.Errorf("request %d: %v", i, err)
			}
			written <- i
		}}
	}
	// No writer goroutine yet: this goroutine is the requester.
	if refused := s.enqueue(calls[:6]); len(refused) > 0 {
		t.Fatalf("%d requests refused", len(refused))
	}
	if held, first := len(s.out.sock.held), len(reqs[0].Topics[0].Partitions[0].Records); held == 0 || held > first+1024 {
		t.Fatalf("%d bytes held: some of the first request only", held)
	}
	if len(s.out.rest) != 5 {
		t.Fatalf("%d requests left for the writer, want the 5 after the first", len(s.out.rest))
	}
	if refused := s.enqueue(calls[6:]); len(refused) > 0 {
		t.Fatal("the last request was refused")
	}
	if len(s.queued) != 1 || len(s.out.rest) != 5 {
		t.Fatalf("a request after the full socket was written by its requester (%d queued)", len(s.queued))
	}

	var want []byte
	format := kmsg.NewRequestFormatter(kmsg.FormatterClientID("kfk-test"))
	for i, req := range reqs {
		want = append(want, format.AppendRequest(nil, req, int32(i))...) // (it sizes all of dst)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(want))))
		got <- b
	}()
	go s.writeLoop()
	defer close(s.done)
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("the bytes on the wire differ from the requests in order (%d bytes, want %d)", len(b), len(want))
	}
	for range reqs {
		<-written
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
