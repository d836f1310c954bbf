package client_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

func end(t *testing.T, fn func(func(error))) error {
	t.Helper()
	ch := make(chan error, 1)
	fn(func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("transaction call did not complete")
		return nil
	}
}

func readAll(t *testing.T, topic string, isolation string) []string {
	t.Helper()
	c := newClient(t, "isolation_level", isolation)
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
	var out []string
	for idle := 0; idle < 3; {
		done := make(chan struct{})
		n := 0
		c.Poll(0, func(ms []client.Message) {
			for _, m := range ms {
				out = append(out, string(m.Value))
			}
			n += len(ms)
		}, func(int, error) { close(done) })
		<-done
		if n == 0 {
			idle++
		}
	}
	return out
}

func TestTransactionsCommitAbortAndOffsets(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 1)
	txnID := kafkatest.UniqueTopic(t, "txn")
	p := newClient(t, "transactional_id", txnID)
	// Outside a transaction a transactional producer sends plain
	// idempotent batches (as EV::Kafka does), before and after transactions.
	var col collector
	if err := p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("before")}, col.fn()); err != nil {
		t.Fatalf("produce outside a transaction: %v", err)
	}
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.BeginTransaction(); !errors.Is(err, client.ErrTxnInProgress) {
		t.Fatalf("second begin: %v", err)
	}
	for i := 0; i < 10; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(fmt.Sprintf("c%d", i))}, col.fn())
	}
	if err := end(t, p.CommitTransaction); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(fmt.Sprintf("a%d", i))}, col.fn())
	}
	if err := end(t, p.AbortTransaction); err != nil {
		t.Fatalf("abort: %v", err)
	}
	if err := p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("after")}, col.fn()); err != nil {
		t.Fatalf("produce after a transaction: %v", err)
	}
	for _, d := range col.wait(t) {
		if d.Err != nil {
			t.Fatalf("delivery of %s[%d]: %v", d.Topic, d.Partition, d.Err)
		}
	}
	committed := readAll(t, topic, "read_committed")
	if strings.Join(committed, ",") != "before,c0,c1,c2,c3,c4,c5,c6,c7,c8,c9,after" {
		t.Fatalf("read_committed saw %v", committed)
	}
	if got := readAll(t, topic, "read_uncommitted"); len(got) != 17 {
		t.Fatalf("read_uncommitted saw %d records: %v", len(got), got)
	}

	// Consumer offsets committed inside a transaction.
	group := "txn-group-" + topic
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("with-offsets")}, nil)
	err := end(t, func(cb func(error)) {
		p.SendOffsetsToTransaction(group, []client.Assignment{{Topic: topic, Partition: 0, Offset: 7}}, cb)
	})
	if err != nil {
		t.Fatalf("send offsets: %v", err)
	}
	if err := end(t, p.CommitTransaction); err != nil {
		t.Fatalf("commit with offsets: %v", err)
	}
	// The coordinator applies the offsets when it sees the commit marker.
	var off int64
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && off != 7; time.Sleep(100 * time.Millisecond) {
		of := kafkatest.Call(t, func(cb connapi.Callback) { connapi.OffsetFetch(a, group, []string{topic}, cb) })
		off = of.Path("topics", "0", "partitions", "0", "offset").Int
	}
	if off != 7 {
		t.Fatalf("committed offset %d, want 7", off)
	}
}

func TestSecondProducerFencesTheFirst(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 1)
	txnID := kafkatest.UniqueTopic(t, "fence")
	first := newClient(t, "transactional_id", txnID)
	first.BeginTransaction()
	first.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("1")}, nil)
	if err := end(t, first.CommitTransaction); err != nil {
		t.Fatal(err)
	}
	second := newClient(t, "transactional_id", txnID)
	second.BeginTransaction()
	second.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("2")}, nil)
	if err := end(t, second.CommitTransaction); err != nil {
		t.Fatal(err)
	}
	first.BeginTransaction()
	errc := make(chan error, 1)
	first.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("3")}, func(d client.Delivery) { errc <- d.Err })
	commitErr := end(t, first.CommitTransaction)
	deliveryErr := <-errc
	if commitErr == nil || !strings.Contains(commitErr.Error()+" "+fmt.Sprint(deliveryErr), "fenced") {
		t.Fatalf("the fenced producer was not told: commit %v, delivery %v", commitErr, deliveryErr)
	}
	if err := first.BeginTransaction(); err == nil || !strings.Contains(err.Error(), "fenced") {
		t.Fatalf("a fenced producer began again: %v", err)
	}
}

// TestGroupLagWhileOffsetsInOpenTransaction checks that a partition whose
// new offset an open transaction holds is reported as unstable, not dropped
// (which would read as never committed), and that the offset shows once
// the transaction commits.
func TestGroupLagWhileOffsetsInOpenTransaction(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 1)
	group := "lag-txn-" + topic
	p := newClient(t, "transactional_id", kafkatest.UniqueTopic(t, "lag-txn"))
	// A first transaction commits offset 2, a second holds offset 5 open.
	for i, offset := range []int64{2, 5} {
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("v")}, nil)
		if err := end(t, func(cb func(error)) {
			p.SendOffsetsToTransaction(group, []client.Assignment{{Topic: topic, Partition: 0, Offset: offset}}, cb)
		}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := end(t, p.CommitTransaction); err != nil {
				t.Fatal(err)
			}
		}
	}
	lagger := newClient(t, "request_timeout_ms", "1500")
	_, err := adminCall(t, func(cb func(tree.Value, error)) { lagger.GroupLag(group, cb) })
	if err == nil || !strings.Contains(err.Error(), "UNSTABLE_OFFSET_COMMIT") || !strings.Contains(err.Error(), topic+":0") {
		t.Fatalf("lag with the offsets in an open transaction: %v, want UNSTABLE_OFFSET_COMMIT naming %s:0", err, topic)
	}
	if err := end(t, p.CommitTransaction); err != nil {
		t.Fatal(err)
	}
	lag, err := adminCall(t, func(cb func(tree.Value, error)) { lagger.GroupLag(group, cb) })
	if err != nil {
		t.Fatal(err)
	}
	if got := lag.Path(topic+":0", "committed").Int; got != 5 {
		t.Fatalf("committed after the transaction: %d, want 5 (%v)", got, lag)
	}
}
