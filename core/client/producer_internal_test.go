package client

import (
	"testing"
	"time"
)

// The producer's clock tracks the wall clock: derived from a base plus
// monotonic time, it stays within a few milliseconds of time.Now, and
// renewing the base follows the wall clock again.
func TestProducerClockFollowsWallClock(t *testing.T) {
	var c producerClock
	for i := 0; i < 3; i++ {
		got, want := c.now(), time.Now()
		if d := want.Sub(got); d < 0 || d > 5*time.Millisecond {
			t.Fatalf("clock reads %v, wall clock %v", got, want)
		}
		if ms := want.UnixMilli() - got.UnixMilli(); ms < 0 || ms > 5 {
			t.Fatalf("timestamps differ by %d ms", ms)
		}
		time.Sleep(20 * time.Millisecond)
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
