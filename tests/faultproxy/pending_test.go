package faultproxy_test

import (
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/faultproxy"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// connVia is a raw connection to the broker through p, with opts.
func connVia(t *testing.T, p *faultproxy.Proxy, opts conn.Options) *conn.Conn {
	t.Helper()
	host, portStr, _ := net.SplitHostPort(p.Addrs()[0])
	port, _ := strconv.Atoi(portStr)
	ready := make(chan error, 1)
	c := conn.New(opts, conn.Handler{OnConnect: func() {
		select {
		case ready <- nil:
		default:
		}
	}})
	t.Cleanup(c.Close)
	c.Connect(host, port, 10*time.Second)
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("no connection through the proxy")
	}
	return c
}

// completions counts callbacks and fails the test if some never come.
type completions struct {
	done   chan error
	issued int
}

func newCompletions(n int) *completions { return &completions{done: make(chan error, n)} }

func (c *completions) cb() connapi.Callback {
	c.issued++
	return func(_ tree.Value, err error) { c.done <- err }
}

// wait returns how many of the issued calls failed.
func (c *completions) wait(t *testing.T, limit time.Duration) (failed int) {
	t.Helper()
	timeout := time.After(limit)
	for i := 0; i < c.issued; i++ {
		select {
		case err := <-c.done:
			if err != nil {
				failed++
			}
		case <-timeout:
			t.Fatalf("%d of %d callbacks never ran (hung)", c.issued-i, c.issued)
		}
	}
	return failed
}

// Requests in flight on a stalled connection, and requests made while it
// reconnects after a cut, all complete: with an error, never silently.
func TestPendingRequestsCompleteThroughStallsAndCuts(t *testing.T) {
	env := kafkatest.Brokers(t)
	p := startProxy(t, env.Brokers)
	c := connVia(t, p, conn.Options{AutoReconnect: true, ReconnectDelay: 20 * time.Millisecond, RequestTimeout: 2 * time.Second})

	total, failed := 0, 0
	for round := 0; round < 5; round++ {
		p.Stall(true)
		calls := newCompletions(400)
		for i := 0; i < 200; i++ {
			connapi.Metadata(c, nil, true, calls.cb())
		}
		time.Sleep(50 * time.Millisecond)
		p.Cut()
		p.Stall(false)
		// Made while the connection is down or coming back.
		for i := 0; i < 200; i++ {
			connapi.Metadata(c, nil, true, calls.cb())
		}
		failed += calls.wait(t, 30*time.Second)
		total += calls.issued
	}
	if failed == 0 {
		t.Fatal("no request failed: the stalls and cuts did not reach them")
	}

	// A connection stalled for longer than the request timeout fails its
	// requests with a timeout, again without leaving one behind.
	p.Stall(true)
	calls := newCompletions(100)
	for i := 0; i < 100; i++ {
		connapi.Metadata(c, nil, true, calls.cb())
	}
	timedOut := calls.wait(t, 30*time.Second)
	p.Stall(false)
	if timedOut != 100 {
		t.Fatalf("%d of 100 stalled requests failed", timedOut)
	}
	total += 100
	st := p.Stats()
	kafkatest.Report(t, "fault proxy", "requests pending across stalls, cuts and timeouts all complete (no hung callbacks)",
		map[string]int64{"requests": int64(total), "completed with an error": int64(failed + timedOut),
			"faults injected": st.Cuts + st.Stalls})
}

// A producer whose broker stops answering reports every record as failed
// within the delivery timeout; polls and close complete too. Once the
// broker answers again the same client delivers.
func TestProducerAndConsumerCallbacksCompleteWhileStalled(t *testing.T) {
	env := kafkatest.Brokers(t)
	topic := kafkatest.CreateTopic(t, direct(t, env.Brokers), "fault", 1)
	p := startProxy(t, env.Brokers)
	c := newClient(t, p.Addrs(), "delivery_timeout_ms", "3000", "request_timeout_ms", "1000", "linger_ms", "5",
		"fetch_max_wait_ms", "100")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})

	p.Stall(true)
	var d deliveries
	const n = 2000
	for i := 0; i < n; i++ {
		if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("stalled")}, d.fn()); err != nil {
			t.Fatal(err)
		}
	}
	polled := make(chan struct{})
	c.Poll(0, func([]client.Message) {}, func(int, error) { close(polled) })
	failed := d.wait(t, 60*time.Second)
	if len(failed) != n {
		t.Fatalf("%d of %d records failed while the broker was stalled", len(failed), n)
	}
	select {
	case <-polled:
	case <-time.After(60 * time.Second):
		t.Fatal("a poll on a stalled connection never completed")
	}
	p.Stall(false)

	var after deliveries
	if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("after")}, after.fn()); err != nil {
		t.Fatal(err)
	}
	if failed := after.wait(t, 60*time.Second); len(failed) > 0 {
		t.Fatalf("after the stall: %v", failed[0])
	}

	// Close while stalled with records pending: close and every report
	// complete.
	p.Stall(true)
	var pending deliveries
	for i := 0; i < 100; i++ {
		c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("closing")}, pending.fn())
	}
	closed := make(chan struct{})
	c.Close(2*time.Second, func(error) { close(closed) })
	select {
	case <-closed:
	case <-time.After(60 * time.Second):
		t.Fatal("close never completed on a stalled connection")
	}
	pending.wait(t, 60*time.Second)
	p.Stall(false)
	kafkatest.Report(t, "fault proxy", "producer, poll and close on a stalled broker: every callback completes (with an error)",
		map[string]int64{"records failed by timeout": n, "records pending at close": 100})
}

// Responses held back by less than the request timeout arrive late but
// whole; held back by more, the request fails with a timeout and the
// connection comes back once the delay is gone. The timeout leaves a
// loaded machine's broker seconds to answer on top of the shorter delay.
func TestDelayedResponses(t *testing.T) {
	env := kafkatest.Brokers(t)
	p := startProxy(t, env.Brokers)
	const requestTimeout = 3 * time.Second
	c := connVia(t, p, conn.Options{AutoReconnect: true, ReconnectDelay: 20 * time.Millisecond, RequestTimeout: requestTimeout})
	metadata := func() error {
		done := make(chan error, 1)
		connapi.Metadata(c, nil, true, func(_ tree.Value, err error) { done <- err })
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("a delayed request never completed")
			return nil
		}
	}
	p.SetDelay(200 * time.Millisecond)
	start := time.Now()
	if err := metadata(); err != nil || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("a response delayed within the timeout: %v after %v", err, time.Since(start))
	}
	p.SetDelay(3 * requestTimeout)
	if err := metadata(); !errors.Is(err, conn.ErrTimeout) {
		t.Fatalf("a response delayed past the timeout: %v", err)
	}
	p.SetDelay(0)
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err = metadata(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("no recovery once the delay is gone: %v", err)
	}
	kafkatest.Report(t, "fault proxy", "responses delayed within the request timeout arrive; delayed past it, the request times out and the connection recovers",
		map[string]int64{"delayed responses": p.Stats().Delayed})
}
