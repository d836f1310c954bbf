package main

import "testing"

// Polls of the same size reuse the same chunks, even when one of their
// allocations is larger than a chunk (such an allocation once moved the
// fill position past every free chunk, so the arena grew on every poll).
func TestArenaReusesChunksAcrossPolls(t *testing.T) {
	var a arena
	defer a.free()
	poll := func() {
		a.reset()
		a.alloc(3 * arenaChunkSize) // a large value
		for i := 0; i < 2000; i++ {
			a.alloc(200) // events and messages
		}
	}
	poll()
	want := len(a.chunks)
	for i := 0; i < 20; i++ {
		poll()
	}
	if len(a.chunks) != want {
		t.Fatalf("after 20 equal polls the arena has %d chunks, after the first %d", len(a.chunks), want)
	}
}

// A burst's chunks are kept while bursts continue and released once the
// polls after it need less for longer than arenaHold.
func TestArenaReleasesABurstLater(t *testing.T) {
	var a arena
	defer a.free()
	a.reset()
	for i := 0; i < 1000; i++ {
		a.alloc(1000)
	}
	a.reset()
	burst := len(a.chunks)
	a.alloc(8)
	a.reset()
	if len(a.chunks) != burst {
		t.Fatalf("a small poll right after a burst dropped chunks: %d, want %d", len(a.chunks), burst)
	}
	a.peakAt = a.peakAt.Add(-2 * arenaHold)
	a.alloc(8)
	a.reset()
	if len(a.chunks) != 1 {
		t.Fatalf("long after the burst the arena keeps %d chunks, want 1", len(a.chunks))
	}
}

// However large a burst, reset keeps at most arenaKeepMax chunks for the
// polls after it: a one-off result of megabytes (a large cluster's
// metadata) does not stay resident.
func TestArenaKeepsABoundedBurst(t *testing.T) {
	var a arena
	defer a.free()
	a.reset()
	for i := 0; i < 4*arenaKeepMax*arenaChunkSize/1000; i++ {
		a.alloc(1000)
	}
	a.reset()
	if len(a.chunks) != arenaKeepMax {
		t.Fatalf("after a burst of %d chunks the arena keeps %d, want %d", 4*arenaKeepMax, len(a.chunks), arenaKeepMax)
	}
}
