package client_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/murmur2"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// checkStored reads topic back from the start and checks that partition p
// holds exactly values[p], in order, and ends there (no duplicates).
func checkStored(t *testing.T, f *kafkatest.FakeCluster, topic string, values [][]string) {
	t.Helper()
	c := fakeClient(t, f)
	var assign []client.Assignment
	total := 0
	for p := range values {
		assign = append(assign, client.Assignment{Topic: topic, Partition: int32(p), Offset: client.OffsetEarliest})
		total += len(values[p])
	}
	c.Assign(assign)
	got := byPartition(pollN(t, c, total))
	ends := latestOffsets(t, c, topic, len(values))
	for p, want := range values {
		if ends[p] != int64(len(want)) {
			t.Errorf("partition %d ends at offset %d, want %d records", p, ends[p], len(want))
		}
		ms := got[int32(p)]
		if len(ms) != len(want) {
			t.Errorf("partition %d: read %d records, want %d", p, len(ms), len(want))
			continue
		}
		for i, m := range ms {
			if m.Offset != int64(i) || string(m.Value) != want[i] {
				t.Errorf("partition %d, record %d: offset %d value %q, want offset %d value %q", p, i, m.Offset, m.Value, i, want[i])
				break
			}
		}
	}
}

// Keyed records land on murmur2's partition; each partition's delivery
// reports count its offsets up from 0 in produce order; the log holds
// exactly what was produced; and the idempotent producer numbers each
// partition's batches from sequence 0 without gaps, under one producer id.
func TestFakeProducerOrderOffsetsKeysAndSequences(t *testing.T) {
	const topic, partitions = "orders", 6
	f := kafkatest.Fake(t, 3, kfake.SeedTopics(partitions, topic))
	sent := watchProduce(f, topic, nil)
	c := fakeClient(t, f, "idempotent", "1")

	values := make([][]string, partitions)
	next := make([]int64, partitions)
	// Three rounds, each waited for: every partition gets several batches.
	for round := 0; round < 3; round++ {
		var recs []client.Record
		for i := 0; i < 200; i++ {
			n := round*200 + i
			recs = append(recs, rec(topic, -1, fmt.Sprintf("key-%d", n%40), fmt.Sprintf("value-%d", n)))
		}
		for i, d := range delivered(t, c, recs...) {
			p := murmur2.Partition(recs[i].Key, partitions)
			if d.Partition != p {
				t.Fatalf("key %s went to partition %d, murmur2 says %d", recs[i].Key, d.Partition, p)
			}
			if d.Offset != next[p] {
				t.Fatalf("%s on partition %d: offset %d, want %d (produce order)", recs[i].Value, p, d.Offset, next[p])
			}
			next[p]++
			values[p] = append(values[p], string(recs[i].Value))
		}
	}
	checkStored(t, f, topic, values)

	batches := sent()
	pid := batches[0].producerID
	seq := make([]int32, partitions)
	count := make([]int, partitions)
	for _, b := range batches {
		if b.producerID != pid || b.producerID < 0 || b.epoch < 0 {
			t.Fatalf("batch of partition %d from producer %d epoch %d; the first came from %d", b.partition, b.producerID, b.epoch, pid)
		}
		if b.seq != seq[b.partition] {
			t.Fatalf("partition %d: a batch with sequence %d, want %d", b.partition, b.seq, seq[b.partition])
		}
		seq[b.partition] += b.records
		count[b.partition]++
	}
	for p := range seq {
		if int64(seq[p]) != next[p] || count[p] < 3 {
			t.Errorf("partition %d: %d batches numbered up to sequence %d for %d records", p, count[p], seq[p], next[p])
		}
	}
}

// A retriable failure of one produce request, among several in flight to
// three brokers, is retried: nothing is lost, nothing is stored twice,
// and each partition keeps the order records were produced in. Both ways
// a request fails are tried: an error code in the response, and a
// connection lost after the broker appended the batch (the retry is then
// a duplicate, which the idempotent producer's sequence lets the broker
// drop).
func TestFakeProducerRetriesWithoutLossOrDuplicates(t *testing.T) {
	const topic, partitions, perPartition, failing = "retry", 3, 150, 3
	for _, tc := range []struct {
		name string
		// fault answers the failing produce request.
		fault func(t *testing.T, f *kafkatest.FakeCluster, fwd []*conn.Conn, req kmsg.Request) (kmsg.Response, error, bool)
	}{
		{"NOT_LEADER_OR_FOLLOWER", func(_ *testing.T, _ *kafkatest.FakeCluster, _ []*conn.Conn, req kmsg.Request) (kmsg.Response, error, bool) {
			return produceErrors(req, 6), nil, true
		}},
		{"NOT_ENOUGH_REPLICAS", func(_ *testing.T, _ *kafkatest.FakeCluster, _ []*conn.Conn, req kmsg.Request) (kmsg.Response, error, bool) {
			return produceErrors(req, 19), nil, true
		}},
		{"connection lost after the append", func(t *testing.T, f *kafkatest.FakeCluster, fwd []*conn.Conn, req kmsg.Request) (kmsg.Response, error, bool) {
			// The same request goes to the same broker on another
			// connection, which appends it; this one then closes
			// without an answer.
			appended := make(chan struct{})
			fwd[f.CurrentNode()].Do(req, func(resp kmsg.Response, err error) {
				if err != nil {
					t.Errorf("forwarding the produce request: %v", err)
				}
				close(appended)
			})
			f.SleepControl(func() { <-appended })
			return nil, errors.New("response lost"), true
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := kafkatest.Fake(t, 3, kfake.SeedTopics(partitions, topic))
			var fwd []*conn.Conn
			for _, addr := range f.Brokers {
				fwd = append(fwd, kafkatest.Dial(t, []string{addr}, conn.Options{}))
			}
			var requests, faults atomic.Int32
			var forwarding atomic.Bool
			sent := watchProduce(f, topic, forwarding.Load) // not the forwarded copy
			f.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
				if forwarding.Load() {
					return nil, nil, false // the forwarded copy: the cluster appends it
				}
				if requests.Add(1) != failing {
					return nil, nil, false
				}
				faults.Add(1)
				forwarding.Store(true)
				defer forwarding.Store(false)
				return tc.fault(t, f, fwd, req)
			})
			c := fakeClient(t, f, "idempotent", "1", "batch_size", "512", "linger_ms", "0")
			var recs []client.Record
			values := make([][]string, partitions)
			for i := 0; i < partitions*perPartition; i++ {
				p := int32(i % partitions)
				recs = append(recs, rec(topic, p, "", fmt.Sprintf("record-%d", i)))
				values[p] = append(values[p], string(recs[i].Value))
			}
			next := make([]int64, partitions)
			for i, d := range delivered(t, c, recs...) {
				if d.Offset != next[d.Partition] {
					t.Fatalf("record %d on partition %d: offset %d, want %d", i, d.Partition, d.Offset, next[d.Partition])
				}
				next[d.Partition]++
			}
			if faults.Load() != 1 {
				t.Fatalf("the fault hit %d produce requests (of %d), want 1", faults.Load(), requests.Load())
			}
			checkStored(t, f, topic, values)
			// Some batch was sent again with the sequence it had.
			type key struct{ partition, seq int32 }
			times := map[key]int{}
			again := 0
			for _, b := range sent() {
				if times[key{b.partition, b.seq}]++; times[key{b.partition, b.seq}] == 2 {
					again++
				}
			}
			if again == 0 {
				t.Fatal("no batch was sent twice: the fault caused no retry")
			}
		})
	}
}

// A non-retriable error fails the records of that request with the
// broker's error, once (no retry), and the producer goes on: the next
// record is stored right after the earlier one, with and without
// idempotence (where the failed batch leaves a sequence gap the producer
// must close).
func TestFakeProducerNonRetriableErrorFailsTheRecord(t *testing.T) {
	for _, idempotent := range []string{"0", "1"} {
		t.Run("idempotent="+idempotent, func(t *testing.T) {
			const topic = "refused"
			f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
			sent := watchProduce(f, topic, nil)
			c := fakeClient(t, f, "idempotent", idempotent)
			if d := delivered(t, c, rec(topic, 0, "", "first")); d[0].Offset != 0 {
				t.Fatalf("first record at offset %d", d[0].Offset)
			}
			var faults atomic.Int32
			f.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
				faults.Add(1)
				return produceErrors(req, 87), nil, true // INVALID_RECORD, once
			})
			d := produceAll(t, c, rec(topic, 0, "", "refused"))[0]
			var ke *kerr.Error
			if !errors.As(d.Err, &ke) || ke.Code != 87 || d.Offset != -1 {
				t.Fatalf("the refused record was reported with offset %d, error %v; want INVALID_RECORD", d.Offset, d.Err)
			}
			if d := delivered(t, c, rec(topic, 0, "", "third")); d[0].Offset != 1 {
				t.Fatalf("the record after the refused one at offset %d, want 1", d[0].Offset)
			}
			if faults.Load() != 1 {
				t.Fatalf("the fault answered %d requests", faults.Load())
			}
			checkStored(t, f, topic, [][]string{{"first", "third"}})
			refusedSent := 0
			for _, b := range sent() {
				if bytes.Contains(b.body, []byte("refused")) {
					refusedSent++
				}
			}
			if refusedSent != 1 {
				t.Fatalf("the refused record was sent %d times, want once (no retry)", refusedSent)
			}
		})
	}
}

// ProduceMany places records in order and tells the caller of each one it
// refuses; ReportRefused hands such a record to Handler.OnDeliveries as a
// failure with its tag, beside the others' successes.
func TestFakeProduceManyReportsRefusalsWithTheirTags(t *testing.T) {
	const topic = "many"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	var mu sync.Mutex
	reports := map[uintptr]client.Delivery{}
	c := kafkatest.Client(t, f.Brokers, client.Handler{OnError: logErrors(t), OnDeliveries: byTag(&mu, reports)},
		"linger_ms", "1", "message_max_bytes", "1000")
	recs := make([]client.Record, 5)
	for i := range recs {
		recs[i] = rec(topic, 0, "", fmt.Sprintf("v%d", i))
		recs[i].Tag = client.Tag{uintptr(i + 1)}
	}
	recs[2].Value = make([]byte, 2000) // over message_max_bytes
	var refused []uintptr
	c.ProduceMany(recs, nil, func(r *client.Record, err error) {
		if !errors.Is(err, client.ErrRecordTooLarge) {
			t.Errorf("record %d refused with %v, want ErrRecordTooLarge", r.Tag[0], err)
		}
		refused = append(refused, r.Tag[0])
		c.ReportRefused(r, err)
	})
	if !slices.Equal(refused, []uintptr{3}) {
		t.Fatalf("refused %v, want [3]", refused)
	}
	eventually(t, "five reports", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(reports) == 5
	})
	mu.Lock()
	defer mu.Unlock()
	next := int64(0)
	for tag := uintptr(1); tag <= 5; tag++ {
		d := reports[tag]
		if tag == 3 {
			if !errors.Is(d.Err, client.ErrRecordTooLarge) || d.Offset != -1 || d.Topic != topic {
				t.Fatalf("refused record's report: %+v", d)
			}
			continue
		}
		if d.Err != nil || d.Offset != next {
			t.Fatalf("record %d: offset %d, error %v; want offset %d (produce order)", tag, d.Offset, d.Err, next)
		}
		next++
	}
}

// ProduceMany with a DeliveryFunc queues records over several holds of the
// producer's lock: each record's report reaches the function, in produce
// order, and refusals anywhere among them leave the others queued.
func TestFakeProduceManyDeliversToItsFunction(t *testing.T) {
	const topic = "many-done"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	c := kafkatest.Client(t, f.Brokers, client.Handler{OnError: logErrors(t)},
		"linger_ms", "1", "message_max_bytes", "1000")
	recs := make([]client.Record, 1000)
	tooLarge := map[int]bool{10: true, 600: true, 999: true}
	for i := range recs {
		recs[i] = rec(topic, 0, "", fmt.Sprintf("v%d", i))
		recs[i].Tag = client.Tag{uintptr(i)}
		if tooLarge[i] {
			recs[i].Value = make([]byte, 2000)
		}
	}
	var mu sync.Mutex
	var delivered []client.Delivery
	var refused []int
	c.ProduceMany(recs, func(d client.Delivery) {
		mu.Lock()
		defer mu.Unlock()
		delivered = append(delivered, d)
	}, func(r *client.Record, err error) {
		if !errors.Is(err, client.ErrRecordTooLarge) {
			t.Errorf("record %d refused with %v, want ErrRecordTooLarge", r.Tag[0], err)
		}
		refused = append(refused, int(r.Tag[0]))
	})
	if !slices.Equal(refused, []int{10, 600, 999}) {
		t.Fatalf("refused %v, want [10 600 999]", refused)
	}
	eventually(t, "997 reports", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(delivered) == len(recs)-len(tooLarge)
	})
	mu.Lock()
	defer mu.Unlock()
	want := 0
	for offset, d := range delivered {
		for tooLarge[want] {
			want++
		}
		if d.Err != nil || int(d.Tag[0]) != want || d.Offset != int64(offset) {
			t.Fatalf("report %d: record %d at offset %d (error %v); want record %d at offset %d",
				offset, d.Tag[0], d.Offset, d.Err, want, offset)
		}
		want++
	}
}

// A record's delivery report carries the timestamp it was produced with,
// however far from its batch's first record's (months apart, or 0), and
// reports reach a record's own DeliveryFunc or, for a tagged one in the
// same batch, the handler.
func TestFakeDeliveryReportsKeepTimestampsAndRoutes(t *testing.T) {
	const topic = "stamps"
	const day = int64(24 * time.Hour / time.Millisecond)
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	var mu sync.Mutex
	tagged := map[uintptr]client.Delivery{}
	c := kafkatest.Client(t, f.Brokers, client.Handler{OnError: logErrors(t), OnDeliveries: byTag(&mu, tagged)},
		"linger_ms", "200")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	stamps := []int64{base, base + 1, base + 30*day, base - 30*day, base + 2, 0, base + 3}
	own := make([]client.Delivery, len(stamps))
	owned := 0
	for i, ts := range stamps {
		r := client.Record{Topic: topic, Partition: 0, Value: []byte{byte(i)}, Timestamp: ts}
		var done client.DeliveryFunc
		if i%2 == 0 { // odd records by tag, to the handler
			done = func(d client.Delivery) {
				mu.Lock()
				defer mu.Unlock()
				own[i] = d
				owned++
			}
		} else {
			r.Tag = client.Tag{uintptr(i)}
		}
		if err := c.Produce(r, done); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every report", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(tagged) == len(stamps)/2 && owned == len(stamps)-len(stamps)/2
	})
	mu.Lock()
	defer mu.Unlock()
	for i, ts := range stamps {
		d := own[i]
		if i%2 == 1 {
			d = tagged[uintptr(i)]
		}
		if d.Err != nil || d.Offset != int64(i) || d.Timestamp != ts || d.TimestampType != client.TimestampCreateTime {
			t.Errorf("record %d: offset %d, timestamp %d (type %d), err %v; want offset %d, timestamp %d",
				i, d.Offset, d.Timestamp, d.TimestampType, d.Err, i, ts)
		}
	}
	consumer := fakeClient(t, f)
	consumer.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
	for _, m := range pollN(t, consumer, len(stamps)) {
		if m.Timestamp != stamps[m.Offset] {
			t.Errorf("consumed offset %d with timestamp %d, want %d", m.Offset, m.Timestamp, stamps[m.Offset])
		}
	}
}

// batch_num_messages seals a batch at that many records, however much room
// batch_size leaves, and before its linger is over.
func TestFakeBatchNumMessagesSealsBatches(t *testing.T) {
	const topic, perBatch, batches = "counted", 7, 7
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	sent := watchProduce(f, topic, nil)
	c := fakeClient(t, f, "batch_size", "1000000", "batch_num_messages", fmt.Sprint(perBatch), "linger_ms", "60000")
	var recs []client.Record
	for i := 0; i < perBatch*batches; i++ {
		recs = append(recs, rec(topic, 0, "", fmt.Sprintf("value-%d", i)))
	}
	for i, d := range delivered(t, c, recs...) {
		if d.Offset != int64(i) {
			t.Fatalf("record %d: offset %d", i, d.Offset)
		}
	}
	got := sent()
	if len(got) != batches {
		t.Fatalf("%d batches, want %d", len(got), batches)
	}
	for i, b := range got {
		if b.records != perBatch {
			t.Errorf("batch %d holds %d records, want %d", i, b.records, perBatch)
		}
	}
}

// With every full batch compressed ahead of its send by compressor
// goroutines, each codec's batches reach the broker whole and in order:
// the log holds exactly what was produced, and the idempotent producer's
// sequences, stamped when a batch goes, run from 0 without gaps.
func TestFakeProducerCompressesAhead(t *testing.T) {
	client.CompressAheadAlways(t)
	for _, codec := range []string{"gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			const topic, partitions, perPartition = "ahead", 2, 300
			f := kafkatest.Fake(t, 1, kfake.SeedTopics(partitions, topic))
			sent := watchProduce(f, topic, nil)
			c := fakeClient(t, f, "idempotent", "1", "compression", codec, "batch_size", "2048", "linger_ms", "50")
			// One burst: every batch is sealed before the sender has
			// timed the first ones; those still waiting then go to the
			// compressors.
			values := make([][]string, partitions)
			var recs []client.Record
			for i := range perPartition {
				for p := range partitions {
					v := fmt.Sprintf("%s record %d of partition %d: %s", codec, i, p, strings.Repeat("abc", i%17))
					values[p] = append(values[p], v)
					recs = append(recs, rec(topic, int32(p), "", v))
				}
			}
			delivered(t, c, recs...)
			checkStored(t, f, topic, values)
			if c.CompressedAhead() == 0 {
				t.Errorf("no batch was compressed ahead")
			}
			seq := make([]int32, partitions)
			for _, b := range sent() {
				if b.seq != seq[b.partition] {
					t.Fatalf("partition %d: a batch with sequence %d, want %d", b.partition, b.seq, seq[b.partition])
				}
				seq[b.partition] += b.records
			}
		})
	}
}
