package faultproxy_test

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// messages is how many records a fault test sends: small enough for CI,
// KFK_FAULT_MESSAGES for longer runs.
func messages(t *testing.T, ci int) int {
	if v := os.Getenv("KFK_FAULT_MESSAGES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("KFK_FAULT_MESSAGES=%q", v)
		}
		return n
	}
	return ci
}

// An idempotent acks=all producer talks to the broker through a proxy that
// cuts every connection every 100 ms. Every record must be acknowledged,
// and each partition must hold exactly the records sent to it, once each,
// in the order sent.
func TestIdempotentProducerThroughConnectionCuts(t *testing.T) {
	env := kafkatest.Brokers(t)
	const partitions = 3
	topic := kafkatest.CreateTopic(t, direct(t, env.Brokers), "fault", partitions)
	p := startProxy(t, env.Brokers)
	c := newClient(t, p.Addrs(), "idempotent", "1", "acks", "-1", "linger_ms", "5", "batch_size", "8192",
		"max_in_flight", "5", "retry_backoff_ms", "20", "delivery_timeout_ms", "120000")

	n := messages(t, 30000)
	stop := cutter(p, 100*time.Millisecond)
	var d deliveries
	for i := 0; i < n; i++ {
		part := int32(i % partitions)
		rec := client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: part, Value: []byte(fmt.Sprintf("%d-%07d", part, i/partitions))}
		for c.Produce(rec, d.fn()) != nil {
			d.wg.Done() // the refused record's report will never come
			time.Sleep(time.Millisecond)
		}
		if i%100 == 99 {
			time.Sleep(15 * time.Millisecond) // a stream spread over many cuts
		}
	}
	failed := d.wait(t, 3*time.Minute)
	cuts := stop()
	if len(failed) > 0 {
		t.Fatalf("%d of %d records failed; first: %v", len(failed), n, failed[0])
	}
	if cuts < 10 {
		t.Fatalf("only %d cuts happened while producing: the test proved nothing", cuts)
	}

	a := direct(t, env.Brokers)
	for part := int32(0); part < partitions; part++ {
		got := storedValues(t, a, topic, part)
		want := (n - int(part) + partitions - 1) / partitions
		if len(got) != want {
			t.Errorf("partition %d stores %d records, want %d (lost or duplicated)", part, len(got), want)
		}
		for i, v := range got {
			if exp := fmt.Sprintf("%d-%07d", part, i); v != exp {
				t.Fatalf("partition %d offset %d holds %s, want %s: duplicated or reordered", part, i, v, exp)
			}
		}
	}
	st := p.Stats()
	kafkatest.Report(t, "fault proxy",
		"idempotent acks=all producer through repeated connection cuts: 0 lost, 0 duplicated, order kept per partition",
		map[string]int64{"messages checked": int64(n), "connection cuts": int64(cuts), "connections": st.Accepted})
}

// The broker refuses the first batch of a new idempotent producer (its CRC
// is damaged on the way, CORRUPT_MESSAGE, a retriable error) while later
// batches are ready behind it. A broker that holds no state for a producer
// accepts any first sequence number, so had a later batch been in flight it
// would have been written first. The records must be stored in the order
// produced.
func TestIdempotentFirstBatchRefusedKeepsOrder(t *testing.T) {
	env := kafkatest.Brokers(t)
	topic := kafkatest.CreateTopic(t, direct(t, env.Brokers), "fault", 1)
	p := startProxy(t, env.Brokers)
	var damaged atomic.Bool
	first := []byte("v000000")
	p.SetRequestRule(func(key, _ int16, frame []byte) bool {
		const produce = 0
		if key != produce || damaged.Load() {
			return false
		}
		at := bytes.Index(frame, first)
		if at < 0 {
			return false
		}
		frame[at] = 'X' // the batch's CRC no longer matches
		damaged.Store(true)
		return true
	})
	c := newClient(t, p.Addrs(), "idempotent", "1", "acks", "-1", "linger_ms", "5", "batch_size", "4096",
		"max_in_flight", "5", "compression", "none", "retry_backoff_ms", "20")

	const n = 3000
	var d deliveries
	for i := 0; i < n; i++ {
		if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(fmt.Sprintf("v%06d", i))}, d.fn()); err != nil {
			t.Fatal(err)
		}
	}
	if failed := d.wait(t, time.Minute); len(failed) > 0 {
		t.Fatalf("%d of %d records failed; first: %v", len(failed), n, failed[0])
	}
	if !damaged.Load() {
		t.Fatal("the first batch was never damaged: the test proved nothing")
	}
	got := storedValues(t, direct(t, env.Brokers), topic, 0)
	if len(got) != n {
		t.Fatalf("the partition stores %d records, want %d", len(got), n)
	}
	for i, v := range got {
		if want := fmt.Sprintf("v%06d", i); v != want {
			t.Fatalf("offset %d holds %s, want %s: a later batch overtook the refused first one", i, v, want)
		}
	}
}
