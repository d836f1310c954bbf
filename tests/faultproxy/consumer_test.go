package faultproxy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/tests/faultproxy"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// fill writes n records spread over partitions (value "P-SEQ") straight to
// the broker and returns how many each partition got.
func fill(t *testing.T, brokers []string, topic string, partitions, n int) []int {
	t.Helper()
	c := newClient(t, brokers, "linger_ms", "5", "idempotent", "1", "batch_size", "1024") // many small batches: many fetches
	var d deliveries
	per := make([]int, partitions)
	for i := 0; i < n; i++ {
		part := i % partitions
		rec := client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(part), Value: []byte(fmt.Sprintf("%d-%07d", part, per[part]))}
		for c.Produce(rec, d.fn()) != nil {
			d.wg.Done()
			time.Sleep(time.Millisecond)
		}
		per[part]++
	}
	if failed := d.wait(t, 2*time.Minute); len(failed) > 0 {
		t.Fatalf("filling the topic: %v", failed[0])
	}
	return per
}

// seen tracks, per partition, which offsets a consumer was handed.
type seen struct {
	count      map[int32]map[int64]int
	total, dup int
	bad        []string
}

func newSeen() *seen { return &seen{count: map[int32]map[int64]int{}} }

func (s *seen) add(ms []client.Message) {
	for _, m := range ms {
		if s.count[m.Partition] == nil {
			s.count[m.Partition] = map[int64]int{}
		}
		s.count[m.Partition][m.Offset]++
		if s.count[m.Partition][m.Offset] > 1 {
			s.dup++
		} else {
			s.total++
		}
		if want := fmt.Sprintf("%d-%07d", m.Partition, m.Offset); string(m.Value) != want && len(s.bad) < 5 {
			s.bad = append(s.bad, fmt.Sprintf("offset %d of partition %d holds %q", m.Offset, m.Partition, m.Value))
		}
	}
}

// gaps lists offsets below per[p] that were never handed over.
func (s *seen) gaps(per []int) []string {
	var out []string
	for p, n := range per {
		for o := int64(0); o < int64(n); o++ {
			if s.count[int32(p)][o] == 0 {
				out = append(out, fmt.Sprintf("partition %d offset %d", p, o))
				if len(out) == 5 {
					return out
				}
			}
		}
	}
	return out
}

// cutsPerRun is how many times a consumer test cuts the proxy's
// connections: once per this fraction of the records read, so the cuts fall
// mid-stream however fast the machine reads.
const cutsPerRun = 20

// pollCutting polls c until want messages were seen or the time is up,
// cutting every connection of p each time another want/cutsPerRun records
// have been handed over. It returns the number of cuts.
func pollCutting(t *testing.T, c *client.Client, p *faultproxy.Proxy, s *seen, want int, limit time.Duration, deliver func([]client.Message)) int {
	t.Helper()
	cuts, step := 0, max(want/cutsPerRun, 1)
	next := step
	for deadline := time.Now().Add(limit); s.total < want && time.Now().Before(deadline); {
		if s.total >= next {
			if p.Cut() > 0 {
				cuts++
			}
			next += step
		}
		done := make(chan struct{})
		c.Poll(0, deliver, func(int, error) { close(done) })
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatal("a poll never completed")
		}
	}
	return cuts
}

// An assigned consumer reads through a proxy that cuts every connection
// every 1/20 of the stream: it must hand over every record exactly once (its positions
// are its own), in offset order per partition.
func TestAssignedConsumerThroughConnectionCuts(t *testing.T) {
	env := kafkatest.Brokers(t)
	const partitions = 2
	topic := kafkatest.CreateTopic(t, direct(t, env.Brokers), "fault", partitions)
	n := messages(t, 30000)
	per := fill(t, env.Brokers, topic, partitions, n)

	p := startProxy(t, env.Brokers)
	// Small fetches, so reading takes many round trips across the cuts.
	c := newClient(t, p.Addrs(), "fetch_max_bytes", "4096", "fetch_partition_max_bytes", "2048", "fetch_max_wait_ms", "50")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest},
		{Topic: topic, Partition: 1, Offset: client.OffsetEarliest}})
	s := newSeen()
	last := map[int32]int64{0: -1, 1: -1}
	cuts := pollCutting(t, c, p, s, n, 3*time.Minute, func(ms []client.Message) {
		for _, m := range ms {
			if m.Offset <= last[m.Partition] {
				t.Errorf("partition %d: offset %d after %d", m.Partition, m.Offset, last[m.Partition])
			}
			last[m.Partition] = m.Offset
		}
		s.add(ms)
	})
	if gaps := s.gaps(per); len(gaps) > 0 {
		t.Fatalf("read %d of %d; never handed over: %v", s.total, n, gaps)
	}
	if s.dup > 0 || len(s.bad) > 0 {
		t.Fatalf("%d duplicates; wrong values: %v", s.dup, s.bad)
	}
	if cuts < cutsPerRun/2 {
		t.Fatalf("only %d cuts while consuming: the test proved nothing", cuts)
	}
	kafkatest.Report(t, "fault proxy", "assigned consumer through repeated connection cuts: no gaps, no duplicates, offsets in order",
		map[string]int64{"messages checked": int64(n), "connection cuts": int64(cuts), "connections": p.Stats().Accepted})
}

// A group member with auto-commit reads through connection cuts (its
// coordinator connection too): no gaps; duplicates are allowed by
// at-least-once but counted.
func TestGroupConsumerThroughConnectionCuts(t *testing.T) {
	env := kafkatest.Brokers(t)
	const partitions = 3
	topic := kafkatest.CreateTopic(t, direct(t, env.Brokers), "fault", partitions)
	n := messages(t, 20000)
	per := fill(t, env.Brokers, topic, partitions, n)

	p := startProxy(t, env.Brokers)
	c := newClient(t, p.Addrs(), "fetch_max_bytes", "4096", "fetch_partition_max_bytes", "2048", "fetch_max_wait_ms", "50")
	err := c.Subscribe(client.GroupOptions{GroupID: kafkatest.UniqueTopic(t, "group"), Topics: []string{topic},
		AutoCommit: true, AutoCommitInterval: 200 * time.Millisecond, SessionTimeout: 10 * time.Second,
		HeartbeatInterval: 500 * time.Millisecond, AutoOffsetReset: "earliest"})
	if err != nil {
		t.Fatal(err)
	}
	s := newSeen()
	cuts := pollCutting(t, c, p, s, n, 3*time.Minute, s.add)
	if gaps := s.gaps(per); len(gaps) > 0 {
		t.Fatalf("read %d of %d; never handed over: %v", s.total, n, gaps)
	}
	if len(s.bad) > 0 {
		t.Fatalf("wrong values: %v", s.bad)
	}
	if cuts < cutsPerRun/2 {
		t.Fatalf("only %d cuts while consuming: the test proved nothing", cuts)
	}
	if s.dup > n/5 { // at-least-once, but not a re-read of the topic at every cut
		t.Fatalf("%d duplicates of %d records: commits are being lost", s.dup, n)
	}
	kafkatest.Report(t, "fault proxy", "group consumer (auto-commit) through repeated connection cuts: no gaps",
		map[string]int64{"messages checked": int64(n), "connection cuts": int64(cuts), "duplicates (at-least-once)": int64(s.dup)})
}
