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
// waits all of it out, however often it ran out before (and stopped
// dozing).
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

// A run of waits longer than the doze window ends the dozes (a poll
// sleeps at once); a single long wait among short ones does not, and a
// run of short ones brings them back. A poll that finds its event without
// waiting does not count.
func TestLongWaitsEndTheDoze(t *testing.T) {
	q := newTestQueue(t)
	if q.typicalWait >= futexWindow {
		t.Fatal("a new queue's polls do not doze")
	}
	for range 8 {
		q.wait(1) // each waits out its millisecond
	}
	if q.typicalWait < futexWindow {
		t.Fatalf("after 8 waits of a millisecond the typical wait is %v: still dozing", q.typicalWait)
	}
	before := q.typicalWait
	q.push(event{})
	if !q.wait(60_000) || q.typicalWait != before {
		t.Fatalf("a poll that did not wait moved the typical wait %v -> %v", before, q.typicalWait)
	}
	for range 8 {
		q.waited(50 * time.Microsecond)
	}
	if q.typicalWait >= futexWindow {
		t.Fatalf("after 8 short waits the typical wait is %v: still sleeping at once", q.typicalWait)
	}
	q.waited(time.Second)
	if q.typicalWait >= futexWindow {
		t.Fatalf("one long wait among short ones ended the dozes (typical wait %v)", q.typicalWait)
	}
}
