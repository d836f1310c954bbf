package client

import "testing"

// A slice from the spares holds what was asked for and at most a quarter
// more (beyond the smallest classes), and a slice put back is found by a
// get it can serve, never by one it cannot.
func TestSparesFitWhatIsAsked(t *testing.T) {
	var s spares[byte]
	s.limit = 1 << 30
	for n := 0; n <= 1<<20; n += 1 + n/7 {
		got := s.get(n)
		if cap(got) < n || (n > 16 && 4*cap(got) > 5*n) {
			t.Fatalf("get(%d) has capacity %d", n, cap(got))
		}
		if c := classOf(n); classSize(c) != cap(got) || classHolding(cap(got)) != c {
			t.Fatalf("get(%d): class %d of size %d, capacity %d held by class %d",
				n, c, classSize(c), cap(got), classHolding(cap(got)))
		}
	}
	odd := make([]byte, 0, 1000) // not a class size: kept in the class below
	s.put(odd)
	if got := s.get(1001); cap(got) == 1000 {
		t.Fatal("a slice of 1000 served a get of 1001")
	}
	if got := s.get(800); cap(got) != 1000 {
		t.Fatalf("a get of 800 did not reuse the slice of 1000 (got capacity %d)", cap(got))
	}
	if s.kept != 0 {
		t.Fatalf("%d elements counted as kept with none left", s.kept)
	}
}

// The spares keep no more than their limit; over it, smaller slices make
// room for a larger one, and never the reverse.
func TestSparesKeepWithinTheirLimit(t *testing.T) {
	s := spares[byte]{limit: 2100}
	s.put(make([]byte, 0, 1024))
	s.put(make([]byte, 0, 1024))
	s.put(make([]byte, 0, 1024)) // over the limit, and no smaller slice to drop
	if s.kept != 2048 {
		t.Fatalf("kept %d, want 2048", s.kept)
	}
	large := make([]byte, 0, 2048)
	s.put(large) // the 1024s make room
	if s.kept != 2048 {
		t.Fatalf("kept %d, want 2048", s.kept)
	}
	s.put(make([]byte, 0, 1024)) // the 2048 makes no room for a smaller one
	if got := s.get(2048); &got[:1][0] != &large[:1][0] || s.kept != 0 {
		t.Fatalf("the 2048 was not kept, or %d elements are counted beside it", s.kept)
	}
	s.put(make([]byte, 0, 4096)) // larger than the limit itself
	if s.kept != 0 {
		t.Fatalf("kept %d, want 0", s.kept)
	}
}
