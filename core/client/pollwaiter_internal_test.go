package client

import (
	"testing"
	"time"
)

// A poll completed with messages stops its expiry timer: a consumer that
// polls for every few records must not leave a timer per poll to wake the
// runtime later.
func TestFinishedPollStopsItsExpiry(t *testing.T) {
	var got []int
	w := &pollWaiter{done: func(n int, err error) { got = append(got, n) }}
	w.expiry = time.AfterFunc(time.Hour, func() { t.Error("the expiry ran") })
	w.finish(3, nil)
	if w.expiry.Stop() {
		t.Fatal("the expiry timer was still armed after finish")
	}
	if len(got) != 1 || got[0] != 3 {
		t.Fatalf("done got %v, want one call with 3", got)
	}
	// A poll handed records at once has no timer, and finishes too.
	(&pollWaiter{done: func(n int, err error) { got = append(got, n) }}).finish(0, nil)
	if len(got) != 2 {
		t.Fatalf("done got %v, want a second call", got)
	}
}
