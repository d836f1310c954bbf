package client_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Purge fails the records an idempotent producer has not sent yet, with
// ErrPurged, and leaves alone the batch on the wire (it is delivered): the
// next record follows it in the log, with the next sequence number, so
// purging left no gap.
func TestFakePurgeQueuedKeepsSequences(t *testing.T) {
	const topic = "purge"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	sent := watchProduce(f, topic, nil)
	release := make(chan struct{})
	var held atomic.Bool
	f.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if held.CompareAndSwap(false, true) {
			f.SleepControl(func() { <-release }) // the first request waits on the wire
		}
		return nil, nil, false
	})
	c := fakeClient(t, f, "idempotent", "1", "linger_ms", "0")

	reports := make(chan client.Delivery, 10)
	report := func(d client.Delivery) { reports <- d }
	produce := func(value string) {
		if err := c.Produce(rec(topic, 0, "", value), report); err != nil {
			t.Fatalf("produce %s: %v", value, err)
		}
	}
	produce("first")
	eventually(t, "the first request reaches the broker", func() bool { return len(sent()) == 1 })
	produce("second")
	produce("third")
	if n := c.Purge(client.PurgeQueue | client.PurgeInFlight); n != 2 {
		t.Fatalf("Purge failed %d records, want the 2 not sent", n)
	}
	for _, want := range []string{"second", "third"} {
		d := <-reports
		if !errors.Is(d.Err, client.ErrPurged) || d.Offset != -1 {
			t.Fatalf("record %s: offset %d, error %v; want ErrPurged", want, d.Offset, d.Err)
		}
	}
	if n := c.Purge(client.PurgeQueue); n != 0 {
		t.Fatalf("a second Purge failed %d records, want none", n)
	}
	close(release)
	if d := <-reports; d.Err != nil || d.Offset != 0 {
		t.Fatalf("the record on the wire: offset %d, error %v; want delivered at 0", d.Offset, d.Err)
	}
	if d := delivered(t, c, rec(topic, 0, "", "fourth"))[0]; d.Offset != 1 {
		t.Fatalf("the record after the purge went to offset %d, want 1", d.Offset)
	}
	checkStored(t, f, topic, [][]string{{"first", "fourth"}})
	batches := sent()
	if len(batches) != 2 || batches[0].seq != 0 || batches[1].seq != 1 || batches[1].epoch != batches[0].epoch {
		t.Fatalf("batches sent %+v; want sequences 0 and 1 in one epoch", batches)
	}
}

// Records waiting for a broker that cannot be reached are all purged, and
// a flush waiting for them completes.
func TestPurgeWithoutBroker(t *testing.T) {
	cfg := client.NewConfig()
	if err := cfg.Set("brokers", "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(*cfg, client.Handler{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kafkatest.CloseClient(t, c) })
	reports := make(chan client.Delivery, 10)
	for range 3 {
		if err := c.Produce(rec("nowhere", -1, "k", "v"), func(d client.Delivery) { reports <- d }); err != nil {
			t.Fatal(err)
		}
	}
	flushed := make(chan error, 1)
	c.Flush(0, func(err error) { flushed <- err })
	if n := c.Purge(client.PurgeQueue); n != 3 {
		t.Fatalf("Purge failed %d records, want 3", n)
	}
	for range 3 {
		if d := <-reports; !errors.Is(d.Err, client.ErrPurged) {
			t.Fatalf("delivery error %v, want ErrPurged", d.Err)
		}
	}
	select {
	case err := <-flushed:
		if err != nil {
			t.Fatalf("flush: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the flush did not complete after the purge")
	}
}

// Purging records of an open transaction leaves it only abortable: the
// commit fails, the abort ends it, and the next transaction commits.
func TestFakePurgeInTransactionRequiresAbort(t *testing.T) {
	const topic = "purge-txn"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	release := make(chan struct{})
	var held atomic.Bool
	f.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if held.CompareAndSwap(false, true) {
			f.SleepControl(func() { <-release })
		}
		return nil, nil, false
	})
	p := fakeClient(t, f, "transactional_id", "purge-txn", "linger_ms", "0")
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	reports := make(chan client.Delivery, 10)
	for _, v := range []string{"on the wire", "queued"} {
		if err := p.Produce(rec(topic, 0, "", v), func(d client.Delivery) { reports <- d }); err != nil {
			t.Fatal(err)
		}
		if v == "on the wire" {
			eventually(t, "the first request reaches the broker", held.Load)
		}
	}
	if n := p.Purge(client.PurgeQueue); n != 1 {
		t.Fatalf("Purge failed %d records, want 1", n)
	}
	if d := <-reports; !errors.Is(d.Err, client.ErrPurged) {
		t.Fatalf("the queued record: %v, want ErrPurged", d.Err)
	}
	close(release)
	if d := <-reports; d.Err != nil {
		t.Fatalf("the record on the wire: %v", d.Err)
	}
	if err := errorAfter(t, p.CommitTransaction); !errors.Is(err, client.ErrTxnFailed) {
		t.Fatalf("committing a transaction with purged records: %v, want ErrTxnFailed", err)
	}
	if err := errorAfter(t, p.AbortTransaction); err != nil {
		t.Fatalf("abort: %v", err)
	}
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	delivered(t, p, rec(topic, 0, "", "next"))
	if err := errorAfter(t, p.CommitTransaction); err != nil {
		t.Fatalf("the next transaction's commit: %v", err)
	}
}
