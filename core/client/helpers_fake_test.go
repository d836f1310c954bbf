package client_test

// The broker-free tier (make test-fast): the tests in *_fake_test.go run
// against kfake, an in-process fake cluster (kafkatest.Fake), and need no
// JVM. They check kfk's own logic (ordering, sequences, retries, resets,
// group membership, transactions) through faults injected at the fake
// broker; what Kafka itself does is checked by the tests against the real
// broker. They wait for conditions with deadlines, never for fixed times.

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fakeWait bounds every wait of these tests: the fake answers in
// microseconds, so only a bug (or a machine stalled for seconds, as a
// loaded CI machine may be) takes this long.
const fakeWait = 30 * time.Second

// fakeClient is a connected client of f with options kv after short
// backoffs and fetch waits (the fake answers at once); closed when the
// test ends. Its errors go to the test log.
func fakeClient(t *testing.T, f *kafkatest.FakeCluster, kv ...string) *client.Client {
	t.Helper()
	opts := append([]string{"retry_backoff_ms", "10", "fetch_max_wait_ms", "100", "linger_ms", "1"}, kv...)
	return kafkatest.Client(t, f.Brokers, client.Handler{OnError: logErrors(t)}, opts...)
}

// logErrors logs a client's errors while the test runs (a client may
// still report one as it closes, after the test has ended).
func logErrors(t *testing.T) func(error) {
	var mu sync.Mutex
	over := false
	t.Cleanup(func() {
		mu.Lock()
		over = true
		mu.Unlock()
	})
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if !over {
			t.Logf("client error: %v", err)
		}
	}
}

// eventually waits up to fakeWait for cond, checking every millisecond
// or two.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(fakeWait); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", fakeWait, what)
		}
	}
}

// rec is a record for topic/partition (-1: the partitioner's choice),
// timestamped now; an empty key is null.
func rec(topic string, partition int32, key, value string) client.Record {
	r := client.Record{Topic: topic, Partition: partition, Value: []byte(value), Timestamp: client.TimestampNow}
	if key != "" {
		r.Key = []byte(key)
	}
	return r
}

// byTag is a Handler.OnDeliveries keeping, under mu, each report routed
// to the handler in reports by the first word of its record's tag.
func byTag(mu *sync.Mutex, reports map[uintptr]client.Delivery) func([]client.Reports, int) {
	return func(rs []client.Reports, _ int) {
		mu.Lock()
		defer mu.Unlock()
		for i := range rs {
			for j := 0; j < rs[i].Len(); j++ {
				if rs[i].Routed(j) {
					d := rs[i].At(j)
					reports[d.Tag[0]] = d
				}
			}
		}
	}
}

// produceAll produces recs and returns their delivery reports in the
// order of recs, once all have arrived.
func produceAll(t *testing.T, c *client.Client, recs ...client.Record) []client.Delivery {
	t.Helper()
	out := make([]client.Delivery, len(recs))
	var wg sync.WaitGroup
	wg.Add(len(recs))
	for i, r := range recs {
		if err := c.Produce(r, func(d client.Delivery) { out[i] = d; wg.Done() }); err != nil {
			t.Fatalf("produce record %d: %v", i, err)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(fakeWait):
		t.Fatalf("the delivery reports of %d records did not all arrive", len(recs))
	}
	return out
}

// delivered is produceAll, failing the test on any delivery error.
func delivered(t *testing.T, c *client.Client, recs ...client.Record) []client.Delivery {
	t.Helper()
	ds := produceAll(t, c, recs...)
	for i, d := range ds {
		if d.Err != nil {
			t.Fatalf("record %d (%s[%d]): %v", i, d.Topic, d.Partition, d.Err)
		}
	}
	return ds
}

// pollN polls c until it has want messages, for up to fakeWait; a poll
// that brings more than asked for returns them too.
func pollN(t *testing.T, c *client.Client, want int) []client.Message {
	t.Helper()
	var got []client.Message
	for deadline := time.Now().Add(fakeWait); len(got) < want; {
		if time.Now().After(deadline) {
			t.Fatalf("polled %d messages in %v, want %d", len(got), fakeWait, want)
		}
		got = append(got, pollOnce(t, c)...)
	}
	return got
}

// readsBack produces one record to partition 0 of topic through c and
// polls that partition from its earliest offset until the record comes
// back: the check that a login (SASL, Kerberos, ...) carries both ways.
func readsBack(t *testing.T, c *client.Client, topic, key, value string) {
	t.Helper()
	delivered(t, c, rec(topic, 0, key, value))
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		for _, m := range pollOnce(t, c) {
			if string(m.Key) == key && string(m.Value) == value {
				return
			}
		}
	}
	t.Fatalf("the record %s=%s produced to %s was not read back", key, value, topic)
}

// pollOnce is one Poll.
func pollOnce(t *testing.T, c *client.Client) []client.Message {
	t.Helper()
	return pollUpTo(t, c, 0)
}

// pollUpTo is pollOnce of a poll handing over at most limit records.
func pollUpTo(t *testing.T, c *client.Client, limit int) []client.Message {
	t.Helper()
	var got []client.Message
	done := make(chan struct{})
	c.Poll(limit, func(ms []client.Message) { got = append(got, ms...) }, func(int, error) { close(done) })
	select {
	case <-done:
	case <-time.After(fakeWait):
		t.Fatal("a poll did not complete")
	}
	return got
}

// byPartition groups messages by partition, keeping their order.
func byPartition(ms []client.Message) map[int32][]client.Message {
	out := map[int32][]client.Message{}
	for _, m := range ms {
		out[m.Partition] = append(out[m.Partition], m)
	}
	return out
}

// latestOffsets is each partition's end offset (next to be written).
func latestOffsets(t *testing.T, c *client.Client, topic string, partitions int) []int64 {
	t.Helper()
	v, err := adminCall(t, func(cb func(tree.Value, error)) { c.OffsetsFor(topic, cb) })
	if err != nil {
		t.Fatalf("offsets of %s: %v", topic, err)
	}
	out := make([]int64, partitions)
	for p := range out {
		out[p] = v.Path(fmt.Sprint(p), "latest").Int
	}
	return out
}

// errorAfter is nil, or fails the test when call does not report within
// fakeWait.
func errorAfter(t *testing.T, call func(func(error))) error {
	t.Helper()
	ch := make(chan error, 1)
	call(func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-time.After(fakeWait):
		t.Fatal("the call did not complete")
		return nil
	}
}

// sentBatch is one record batch of a produce request as the fake broker
// received it.
type sentBatch struct {
	partition  int32
	producerID int64
	epoch      int16
	seq        int32
	records    int32
	body       []byte // the records (uncompressed here: these tests do not compress)
}

// watchProduce records the batches of every produce request the cluster
// receives, for topic, in arrival order, and lets the cluster answer.
// While skip (if set) says so, requests are not recorded.
func watchProduce(f *kafkatest.FakeCluster, topic string, skip func() bool) func() []sentBatch {
	var mu sync.Mutex
	var seen []sentBatch
	f.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if skip != nil && skip() {
			return nil, nil, false
		}
		for _, rt := range req.(*kmsg.ProduceRequest).Topics {
			if rt.Topic != topic {
				continue
			}
			for _, rp := range rt.Partitions {
				var b kmsg.RecordBatch
				if b.ReadFrom(rp.Records) != nil {
					continue
				}
				mu.Lock()
				seen = append(seen, sentBatch{partition: rp.Partition, producerID: b.ProducerID, epoch: b.ProducerEpoch,
					seq: b.FirstSequence, records: b.NumRecords, body: bytes.Clone(b.Records)})
				mu.Unlock()
			}
		}
		return nil, nil, false
	})
	return func() []sentBatch {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// watchFetch records the (partition, offset) pairs of topic that fetch
// requests ask for, and lets the cluster answer.
func watchFetch(f *kafkatest.FakeCluster, topic string) func() [][2]int64 {
	var mu sync.Mutex
	var seen [][2]int64
	f.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		for _, rt := range req.(*kmsg.FetchRequest).Topics {
			if rt.Topic != topic {
				continue
			}
			mu.Lock()
			for _, rp := range rt.Partitions {
				seen = append(seen, [2]int64{int64(rp.Partition), rp.FetchOffset})
			}
			mu.Unlock()
		}
		return nil, nil, false
	})
	return func() [][2]int64 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// produceErrors answers a produce request with code for every partition.
func produceErrors(req kmsg.Request, code int16) kmsg.Response {
	pr := req.(*kmsg.ProduceRequest)
	resp := pr.ResponseKind().(*kmsg.ProduceResponse)
	for _, rt := range pr.Topics {
		t := kmsg.NewProduceResponseTopic()
		t.Topic, t.TopicID = rt.Topic, rt.TopicID
		for _, rp := range rt.Partitions {
			p := kmsg.NewProduceResponseTopicPartition()
			p.Partition, p.ErrorCode, p.BaseOffset = rp.Partition, code, -1
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp
}
