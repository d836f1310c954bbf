package client

import (
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
