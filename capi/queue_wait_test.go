package main

import (
	"testing"
	"time"
)

func newTestQueue(t *testing.T) *queue {
	t.Helper()
	q, err := newQueue()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.close)
	return q
}

// A poll that has slept past its first moments wakes for an event queued
// from another thread, long before its timeout.
func TestWaitWakesForAnEventWhileAsleep(t *testing.T) {
	q := newTestQueue(t)
	go func() {
		time.Sleep(20 * time.Millisecond) // past the doze: the poll sleeps
		q.push(event{})
	}()
	start := time.Now()
	if !q.wait(60_000) {
		t.Fatal("wait returned without the event")
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("woken after %v: the push did not wake it", took)
	}
}

// A poll without a timeout returns on kfk_wake, and one with a timeout
// waits all of it out, however often it ran out before (quiet).
func TestWaitEndsOnWakeOrTimeout(t *testing.T) {
	q := newTestQueue(t)
	go func() {
		time.Sleep(20 * time.Millisecond)
		q.wake()
	}()
	if q.wait(-1) {
		t.Fatal("woken wait reported events")
	}
	for range 3 {
		start := time.Now()
		if q.wait(30) {
			t.Fatal("wait on an empty queue reported events")
		}
		if took := time.Since(start); took < 30*time.Millisecond {
			t.Fatalf("wait(30) returned after %v", took)
		}
	}
}
