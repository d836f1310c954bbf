package faultproxy_test

import (
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/tests/faultproxy"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

// startProxy puts a proxy in front of brokers for the test's lifetime.
func startProxy(t *testing.T, brokers []string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(brokers...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// newClient is a connected cluster client of brokers with options kv,
// closed when the test ends.
func newClient(t *testing.T, brokers []string, kv ...string) *client.Client {
	t.Helper()
	return kafkatest.Client(t, brokers, client.Handler{}, kv...)
}

// direct is a raw connection to the broker itself, past the proxy, for
// creating topics and reading back what was stored.
func direct(t *testing.T, brokers []string) *conn.Conn {
	t.Helper()
	return kafkatest.Dial(t, brokers, conn.Options{})
}

// storedValues reads back every record value of a partition.
func storedValues(t *testing.T, a *conn.Conn, topic string, partition int32) []string {
	t.Helper()
	var out []string
	for offset := int64(0); ; {
		res := kafkatest.Call(t, func(cb connapi.Callback) {
			connapi.Fetch(a, []connapi.TopicPartition{{Topic: topic, Partition: partition, Offset: offset, LeaderEpoch: -1}},
				connapi.FetchOptions{MaxBytes: 4 << 20}, cb)
		})
		recs := res.Path("topics", "0", "partitions", "0", "records").Items
		if len(recs) == 0 {
			return out
		}
		for _, r := range recs {
			out = append(out, string(r.Path("value").Bytes))
		}
		offset = recs[len(recs)-1].Path("offset").Int + 1
	}
}

// deliveries collects delivery reports.
type deliveries struct {
	mu     sync.Mutex
	failed []error
	wg     sync.WaitGroup
}

func (d *deliveries) fn() client.DeliveryFunc {
	d.wg.Add(1)
	return func(r client.Delivery) {
		if r.Err != nil {
			d.mu.Lock()
			d.failed = append(d.failed, r.Err)
			d.mu.Unlock()
		}
		d.wg.Done()
	}
}

// wait returns the failures once every report arrived, failing the test
// if some never do.
func (d *deliveries) wait(t *testing.T, limit time.Duration) []error {
	t.Helper()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("delivery reports still missing after %v (hung callbacks)", limit)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed
}

// cutter cuts the proxy's connections every interval until stopped and
// reports how many cuts it made.
func cutter(p *faultproxy.Proxy, every time.Duration) (stop func() int) {
	quit, done := make(chan struct{}), make(chan int)
	go func() {
		cuts := 0
		for {
			select {
			case <-quit:
				done <- cuts
				return
			case <-time.After(every):
				if p.Cut() > 0 {
					cuts++
				}
			}
		}
	}()
	return func() int { close(quit); return <-done }
}
