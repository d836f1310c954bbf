package conn

import (
	"testing"
	"time"
)

// Re-authentication starts between 85 % and 95 % of a long session, never
// with less than reauthMargin (or half of a short session) left, and never
// sooner than the broker allows after the last one.
func TestReauthDelayLeavesAMargin(t *testing.T) {
	for _, c := range []struct {
		lifetime, earliest, latest time.Duration
	}{
		{time.Hour, 51 * time.Minute, 57 * time.Minute},
		{10 * time.Second, 8500 * time.Millisecond, 9 * time.Second},
		{3 * time.Second, 2 * time.Second, 2 * time.Second},
		{1500 * time.Millisecond, 1 * time.Second, 1 * time.Second},
		{300 * time.Millisecond, brokerReauthInterval, brokerReauthInterval},
	} {
		for range 100 {
			if d := reauthDelay(c.lifetime); d < c.earliest || d > c.latest {
				t.Fatalf("a session of %v re-authenticates after %v, want %v to %v", c.lifetime, d, c.earliest, c.latest)
			}
		}
	}
}
