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

// A flush that completes stops its timeout's timer, the way a finished
// poll stops its expiry: an application that flushes per record must not
// leave a timer per flush behind.
func TestCompletedFlushStopsItsTimeout(t *testing.T) {
	p := &producer{buffered: 1}
	var got []error
	p.flush(time.Hour, func(err error) { got = append(got, err) })
	if len(p.flushWaiters) != 1 || p.flushWaiters[0].timeout == nil {
		t.Fatalf("the flush did not wait with a timeout: %d waiters", len(p.flushWaiters))
	}
	w := p.flushWaiters[0]
	p.buffered = 0
	p.checkFlushed()
	if len(got) != 1 || got[0] != nil {
		t.Fatalf("the flush's callback got %v, want one call with nil", got)
	}
	if w.timeout.Stop() {
		t.Fatal("the timeout timer was still armed after the flush completed")
	}
}
