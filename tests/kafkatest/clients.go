package kafkatest

import (
	"strings"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
)

// Dial is a ready raw connection (the low-level API) to the first of
// addrs, with opts, closed when the test ends.
func Dial(tb testing.TB, addrs []string, opts conn.Options) *conn.Conn {
	tb.Helper()
	host, port := HostPort(tb, addrs)
	ready := make(chan error, 1)
	c := conn.New(opts, conn.Handler{OnConnect: func() { ready <- nil }, OnError: func(err error) { ready <- err }})
	c.Connect(host, port, 10*time.Second)
	if err := <-ready; err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// OpenClient is a cluster client of brokers with options kv (key, value,
// key, value...), its client events going to h, connected (metadata
// fetched). The caller closes it, with CloseClient.
func OpenClient(tb testing.TB, brokers []string, h client.Handler, kv ...string) *client.Client {
	tb.Helper()
	cfg := client.NewConfig()
	if err := cfg.Set("brokers", strings.Join(brokers, ",")); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if err := cfg.Set(kv[i], kv[i+1]); err != nil {
			tb.Fatal(err)
		}
	}
	c, err := client.New(*cfg, h)
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	c.Connect(func(_ tree.Value, err error) { done <- err })
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
	return c
}

// Client is OpenClient, closed when the test ends.
func Client(tb testing.TB, brokers []string, h client.Handler, kv ...string) *client.Client {
	tb.Helper()
	c := OpenClient(tb, brokers, h, kv...)
	tb.Cleanup(func() { CloseClient(tb, c) })
	return c
}

// CloseClient closes c (flushing for up to 10 s) and waits for it, failing
// the test if that takes over a minute.
func CloseClient(tb testing.TB, c *client.Client) {
	closed := make(chan struct{})
	c.Close(10*time.Second, func(error) { close(closed) })
	select {
	case <-closed:
	case <-time.After(time.Minute):
		tb.Error("client close did not complete")
	}
}
