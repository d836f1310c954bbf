package client_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fillPartitions writes n records to each of partitions partitions of
// topic, "p<partition>-<offset>", and returns a producing client.
func fillPartitions(t *testing.T, f *kafkatest.FakeCluster, topic string, partitions, n int) *client.Client {
	t.Helper()
	p := fakeClient(t, f)
	var recs []client.Record
	for part := 0; part < partitions; part++ {
		for i := 0; i < n; i++ {
			recs = append(recs, rec(topic, int32(part), "", fmt.Sprintf("p%d-%d", part, i)))
		}
	}
	delivered(t, p, recs...)
	return p
}

// checkRun checks that ms are partition's records from offset first on,
// in order, as fillPartitions wrote them.
func checkRun(t *testing.T, what string, ms []client.Message, partition int32, first int64, n int) {
	t.Helper()
	if len(ms) != n {
		t.Fatalf("%s: %d records of partition %d, want %d from offset %d", what, len(ms), partition, n, first)
	}
	for i, m := range ms {
		off := first + int64(i)
		if m.Partition != partition || m.Offset != off || string(m.Value) != fmt.Sprintf("p%d-%d", partition, off) {
			t.Fatalf("%s: record %d is %s[%d]@%d %q, want partition %d offset %d", what, i, m.Topic, m.Partition, m.Offset, m.Value, partition, off)
		}
	}
}

// sawFetch waits until a fetch of partition at offset, after the first
// since fetches, reaches the cluster: the consumer's position is there.
func sawFetch(t *testing.T, fetches func() [][2]int64, since int, partition int32, offset int64) {
	t.Helper()
	eventually(t, fmt.Sprintf("a fetch of partition %d at offset %d", partition, offset), func() bool {
		return slices.Contains(fetches()[since:], [2]int64{int64(partition), offset})
	})
}

// Assign starts each partition where asked: the earliest offset, a given
// offset, or the latest (only records written after the position was
// resolved arrive), each partition's records in order, from three leaders.
func TestFakeConsumerStartsAtEarliestOffsetOrLatest(t *testing.T) {
	const topic = "starts"
	f := kafkatest.Fake(t, 3, kfake.SeedTopics(3, topic))
	fetches := watchFetch(f, topic)
	p := fillPartitions(t, f, topic, 3, 10)
	c := fakeClient(t, f)
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest},
		{Topic: topic, Partition: 1, Offset: 4}, {Topic: topic, Partition: 2, Offset: client.OffsetLatest}})
	sawFetch(t, fetches, 0, 2, 10) // latest resolved to the end
	delivered(t, p, rec(topic, 2, "", "p2-10"))
	got := byPartition(pollN(t, c, 10+6+1))
	checkRun(t, "from earliest", got[0], 0, 0, 10)
	checkRun(t, "from offset 4", got[1], 1, 4, 6)
	checkRun(t, "from latest", got[2], 2, 10, 1)
}

// Seek moves a partition, to an offset, the earliest or the latest, and
// the very next poll reads from there, even though a fetch from the old
// position is waiting at the broker meanwhile.
func TestFakeConsumerFirstPollAfterSeekReadsTheNewPosition(t *testing.T) {
	const topic = "seek"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	fetches := watchFetch(f, topic)
	p := fillPartitions(t, f, topic, 1, 10)
	// The fetch at the end waits 300 ms at the broker, longer than a seek
	// and a poll take.
	c := fakeClient(t, f, "fetch_max_wait_ms", "300")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 10}})
	end := int64(10)
	since := 0
	for _, to := range []struct{ offset, first int64 }{{client.OffsetEarliest, 0}, {3, 3}, {7, 7}, {client.OffsetLatest, -1}} {
		sawFetch(t, fetches, since, 0, end) // the consumer waits at the end
		since = len(fetches())
		if err := errorAfter(t, func(cb func(error)) { c.Seek(topic, 0, to.offset, cb) }); err != nil {
			t.Fatalf("seek to %d: %v", to.offset, err)
		}
		if to.first < 0 { // at the end again: the next record is the first to come
			delivered(t, p, rec(topic, 0, "", fmt.Sprintf("p0-%d", end)))
			to.first, end = end, end+1
		}
		checkRun(t, fmt.Sprintf("the first poll after a seek to %d", to.offset), pollOnce(t, c), 0, to.first, int(end-to.first))
	}
}

// max_poll_records bounds every poll, and a poll's own limit bounds it
// further (one above max_poll_records is cut to it); the rest stays
// buffered, in order.
func TestFakeConsumerMaxPollRecordsBoundsEachPoll(t *testing.T) {
	const topic, n, limit = "bounded", 250, 40
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	fillPartitions(t, f, topic, 1, n)
	c := fakeClient(t, f, "max_poll_records", fmt.Sprint(limit))
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
	var got []client.Message
	full := 0
	for i, deadline := 0, time.Now().Add(fakeWait); len(got) < n; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("polled %d records, want %d", len(got), n)
		}
		// Each poll's own limit in turn: none, below max_poll_records, above it.
		own := []int{0, 7, 2 * limit}[i%3]
		bound := limit
		if own > 0 && own < limit {
			bound = own
		}
		batch := pollUpTo(t, c, own)
		if len(batch) > bound {
			t.Fatalf("a poll limited to %d handed over %d records, max_poll_records is %d", own, len(batch), limit)
		}
		if len(batch) == bound {
			full++
		}
		got = append(got, batch...)
	}
	checkRun(t, "bounded polls", got, 0, 0, n)
	if full < n/limit-1 {
		t.Fatalf("only %d polls were full: the bounds were hardly reached", full)
	}
}

// A position outside the log (below its start after records were deleted,
// or past its end) is answered OFFSET_OUT_OF_RANGE, and the consumer
// starts over where auto_offset_reset says.
func TestFakeConsumerOffsetOutOfRangeResets(t *testing.T) {
	const topic = "reset"
	for _, reset := range []string{"earliest", "latest"} {
		t.Run(reset, func(t *testing.T) {
			f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
			fetches := watchFetch(f, topic)
			p := fillPartitions(t, f, topic, 1, 10)
			deleted, err := adminCall(t, func(cb func(tree.Value, error)) {
				p.DeleteRecords([]client.Assignment{{Topic: topic, Partition: 0, Offset: 4}}, 5000, cb)
			})
			if err != nil || deleted.Path("partitions", "0", "low_watermark").Int != 4 {
				t.Fatalf("deleting the first 4 records: %v %v", deleted, err)
			}
			c := fakeClient(t, f, "auto_offset_reset", reset)
			end := int64(10)
			for _, from := range []int64{2, 50} {
				since := len(fetches())
				c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: from}})
				sawFetch(t, fetches, since, 0, from)
				if reset == "earliest" {
					checkRun(t, fmt.Sprintf("reset from %d", from), pollN(t, c, 6), 0, 4, 6)
					continue
				}
				sawFetch(t, fetches, since, 0, end) // reset to the end
				delivered(t, p, rec(topic, 0, "", fmt.Sprintf("p0-%d", end)))
				checkRun(t, fmt.Sprintf("reset from %d", from), pollN(t, c, 1), 0, end, 1)
				end++
			}
		})
	}
}

// A fetch still waiting at the broker from before a reassignment (a
// group's revoke and assign, or a cooperative rebalance's incremental
// calls) must not move the new position: the records from the new start
// arrive, none skipped.
func TestFakeConsumerStaleFetchAfterReassign(t *testing.T) {
	start := func(topic string) []client.Assignment {
		return []client.Assignment{{Topic: topic, Partition: 0, Offset: 10}}
	}
	again := func(topic string) []client.Assignment {
		return []client.Assignment{{Topic: topic, Partition: 0, Offset: 5}}
	}
	for _, tc := range []struct {
		name     string
		reassign func(c *client.Client, topic string) error
	}{
		{"assign", func(c *client.Client, topic string) error { // as a group's revoke and assign do
			c.Assign(nil)
			c.Assign(again(topic))
			return nil
		}},
		// The calls a cooperative rebalance makes: the fetch still waiting
		// holds the partition's old position, dropped.
		{"incremental", func(c *client.Client, topic string) error {
			if err := c.IncrementalUnassign(start(topic)); err != nil {
				return err
			}
			return c.IncrementalAssign(again(topic))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := "stale-" + tc.name
			f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
			fetches := watchFetch(f, topic)
			p := fillPartitions(t, f, topic, 1, 10)
			c := fakeClient(t, f, "fetch_max_wait_ms", "3000")
			c.Assign(start(topic))
			sawFetch(t, fetches, 0, 0, 10) // a long poll at the end waits at the broker
			if err := tc.reassign(c, topic); err != nil {
				t.Fatal(err)
			}
			var recs []client.Record
			for i := 10; i < 15; i++ {
				recs = append(recs, rec(topic, 0, "", fmt.Sprintf("p0-%d", i)))
			}
			delivered(t, p, recs...) // the waiting fetch answers with 10..14
			checkRun(t, "after the reassignment", pollN(t, c, 10), 0, 5, 10)
		})
	}
}

// Partitions assigned at their earliest or latest offset are resolved
// together: one ListOffsets per leader and kind of offset, however many
// partitions there are, and each starts where asked.
func TestFakeConsumerResolvesStartsInOneRequestPerLeader(t *testing.T) {
	const topic, partitions = "resolved", 64
	f := kafkatest.Fake(t, 2, kfake.SeedTopics(partitions, topic))
	var mu sync.Mutex
	asked := map[int][]int32{} // ListOffsets requests: their partitions, by timestamp asked for
	f.ControlKey(int16(kmsg.ListOffsets), func(req kmsg.Request) (kmsg.Response, error, bool) {
		f.KeepControl()
		mu.Lock()
		defer mu.Unlock()
		for _, rt := range req.(*kmsg.ListOffsetsRequest).Topics {
			if rt.Topic == topic && len(rt.Partitions) > 0 {
				ts := int(rt.Partitions[0].Timestamp)
				asked[ts] = append(asked[ts], int32(len(rt.Partitions)))
			}
		}
		return nil, nil, false
	})
	fetches := watchFetch(f, topic)
	p := fillPartitions(t, f, topic, partitions, 2)
	c := fakeClient(t, f)
	var parts []client.Assignment
	for i := 0; i < partitions; i++ {
		at := int64(client.OffsetEarliest)
		if i%2 == 1 {
			at = client.OffsetLatest
		}
		parts = append(parts, client.Assignment{Topic: topic, Partition: int32(i), Offset: at})
	}
	c.Assign(parts)
	for i := 1; i < partitions; i += 2 {
		sawFetch(t, fetches, 0, int32(i), 2) // its latest offset is resolved
	}
	got := pollN(t, c, partitions)
	var recs []client.Record
	for i := 1; i < partitions; i += 2 {
		recs = append(recs, rec(topic, int32(i), "", fmt.Sprintf("p%d-2", i)))
	}
	delivered(t, p, recs...)
	byPart := byPartition(append(got, pollN(t, c, partitions/2)...))
	for i := 0; i < partitions; i++ {
		if i%2 == 0 {
			checkRun(t, "from earliest", byPart[int32(i)], int32(i), 0, 2)
		} else {
			checkRun(t, "from latest", byPart[int32(i)], int32(i), 2, 1)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, ts := range []int{-2, -1} { // earliest, latest
		if n := len(asked[ts]); n < 1 || n > 2 {
			t.Errorf("%d ListOffsets requests for timestamp %d (partitions in each: %v), want one per leader (2 leaders)",
				n, ts, asked[ts])
		}
	}
}

// A batch that fails its CRC check is reported and fetched again, never
// skipped, although the next fetch goes out from the batch headers'
// offsets before the records are checked: what that fetch brings is
// dropped, and once the broker sends the batch whole every record comes
// once, in order.
func TestFakeConsumerDoesNotSkipACorruptBatch(t *testing.T) {
	const topic = "corrupt"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	fillPartitions(t, f, topic, 1, 30) // the fake's own log ends at 30; it answers fetches from there
	batches := [][]byte{client.RecordBatch(t, 0, 10, compress.None, "p0-"), client.RecordBatch(t, 10, 10, compress.None, "p0-"),
		client.RecordBatch(t, 20, 10, compress.None, "p0-")}
	var mu sync.Mutex
	damaged := 0 // answers that carried the middle batch with a flipped byte
	f.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		r := req.(*kmsg.FetchRequest)
		if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 || r.Topics[0].Partitions[0].FetchOffset >= 30 {
			return nil, nil, false
		}
		f.KeepControl()
		rt, rp := r.Topics[0], r.Topics[0].Partitions[0]
		var data []byte
		for i, b := range batches {
			if int64(10*i+9) < rp.FetchOffset {
				continue
			}
			b = bytes.Clone(b)
			mu.Lock()
			if i == 1 && damaged < 2 {
				damaged++
				b[len(b)-1] ^= 0xff
			}
			mu.Unlock()
			data = append(data, b...)
		}
		resp := r.ResponseKind().(*kmsg.FetchResponse)
		t := kmsg.NewFetchResponseTopic()
		t.Topic, t.TopicID = rt.Topic, rt.TopicID
		p := kmsg.NewFetchResponseTopicPartition()
		p.Partition, p.HighWatermark, p.LastStableOffset, p.LogStartOffset = rp.Partition, 30, 30, 0
		p.RecordBatches = data
		t.Partitions = append(t.Partitions, p)
		resp.Topics = append(resp.Topics, t)
		return resp, nil, true
	})
	var crcErrors atomic.Int32
	c := kafkatest.Client(t, f.Brokers, client.Handler{OnError: func(err error) {
		if strings.Contains(err.Error(), "CRC mismatch") {
			crcErrors.Add(1)
		}
	}}, "retry_backoff_ms", "10", "fetch_max_wait_ms", "100")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
	checkRun(t, "around the damaged batch", pollN(t, c, 30), 0, 0, 30)
	if n := crcErrors.Load(); n != 2 {
		t.Errorf("%d CRC errors reported, want one per damaged answer (2)", n)
	}
}

// A failing fetch is tried again once retry_backoff_ms has passed, and
// only once however many kicks met the failure: polls made while fetches
// fail must not each start a chain of retries of their own (they did, and
// the retries multiplied without end).
func TestFakeConsumerRetriesFailingFetchesAtTheBackoffRate(t *testing.T) {
	const topic, backoff = "failing", 100 * time.Millisecond
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	var fetches atomic.Int64
	f.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		f.KeepControl()
		fetches.Add(1)
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		resp.Version = req.GetVersion()
		resp.ErrorCode = kerr.UnknownServerError
		return resp, nil, true
	})
	c := fakeClient(t, f, "retry_backoff_ms", fmt.Sprint(backoff.Milliseconds()))
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
	for i := 0; i < 20; i++ { // each poll's kick meets a failing fetch
		seen := fetches.Load()
		c.Poll(0, func([]client.Message) {}, func(int, error) {})
		eventually(t, "the poll's fetch", func() bool { return fetches.Load() > seen })
	}
	start, before := time.Now(), fetches.Load()
	time.Sleep(time.Second) // the window the rate is measured over
	n, window := fetches.Load()-before, time.Since(start)
	if most := int64(window/backoff) + 2; n > most {
		t.Fatalf("%d fetches in %v of failures, want at most %d: one retry per backoff", n, window, most)
	}
}
