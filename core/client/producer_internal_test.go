package client

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// The producer's clock tracks the wall clock: derived from a base plus
// monotonic time, each reading falls between time.Now before and after it,
// and renewing the base follows the wall clock again.
func TestProducerClockFollowsWallClock(t *testing.T) {
	var c producerClock
	for i := 0; i < 3; i++ {
		before := time.Now()
		got := c.now()
		after := time.Now()
		if got.time().Before(before) || got.time().After(after) {
			t.Fatalf("clock reads %v, between %v and %v", got.time(), before, after)
		}
		// Wall time may be slewed by microseconds between base and now.
		if ms := got.unixMilli(); ms < before.UnixMilli()-1 || ms > after.UnixMilli()+1 {
			t.Fatalf("timestamp %d ms, between %d and %d", ms, before.UnixMilli(), after.UnixMilli())
		}
		time.Sleep(20 * time.Millisecond) // let the base age
	}
	old := c.base.Load()
	c.renewEvery(10 * time.Millisecond)
	if c.base.Load() == old {
		t.Fatal("a base older than the renewal interval was kept")
	}
	renewed := c.base.Load()
	c.renewEvery(time.Hour)
	if c.base.Load() != renewed {
		t.Fatal("a fresh base was replaced")
	}
}

// A producer rotating among topics keeps each topic's lookups, and still
// one state per partition when a topic grows partitions meanwhile.
func TestRotatingTopicsKeepOneStatePerPartition(t *testing.T) {
	p := placingProducer(t)
	partitions := func(a, b int) {
		p.c.meta.Store(&metadata{topics: map[string]*topicMeta{
			"a": {partitions: make([]partitionMeta, a)}, "b": {partitions: make([]partitionMeta, b)}}})
	}
	produce := func(topic string, partition int32) {
		t.Helper()
		if err := p.produce(&Record{Topic: topic, Partition: partition, Value: []byte("v"), Timestamp: -1}, nil, p.clock.now()); err != nil {
			t.Fatal(err)
		}
	}
	partitions(2, 2)
	produce("a", 0)
	produce("b", 0)
	first := p.topics["a"].parts[0]
	partitions(4, 2)
	produce("a", 3)
	produce("b", 1)
	produce("a", 0)
	if err := p.produce(&Record{Topic: "bad topic!", Value: []byte("v"), Timestamp: -1}, nil, p.clock.now()); !errors.Is(err, ErrInvalidTopic) {
		t.Fatalf("an invalid topic: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.rotation) != 4 || p.topics["a"].parts[0] != first || len(p.topics["a"].parts) != 4 {
		t.Fatalf("%d partition states for 4 partitions; a[0] kept: %v; a has %d", len(p.rotation),
			p.topics["a"].parts[0] == first, len(p.topics["a"].parts))
	}
	if got := p.topics["a"].parts[0].open.builder.Count(); got != 2 {
		t.Fatalf("a[0]'s batch holds %d records, want 2", got)
	}
}

// Records waiting for a new topic's metadata have it asked for again
// soon, then less often: the gap doubles from firstWaitRefresh up to
// minRefreshInterval.
func TestWaitingRecordsAskForMetadataSoonThenLessOften(t *testing.T) {
	p := placingProducer(t)
	now := p.clock.now()
	if err := p.produce(&Record{Topic: "new", Value: []byte("v"), Timestamp: -1}, nil, now); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiting["new"]) != 1 {
		t.Fatalf("%d records wait for metadata, want 1", len(p.waiting["new"]))
	}
	at := now.time()
	var gaps []time.Duration
	for range 7 {
		next := p.refreshForWaitingLocked(at)
		gaps = append(gaps, next.Sub(at))
		at = next
	}
	ms := time.Millisecond
	if want := []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms, 100 * ms, 100 * ms, 100 * ms}; !slices.Equal(gaps, want) {
		t.Fatalf("asks came after %v, want %v", gaps, want)
	}
}
