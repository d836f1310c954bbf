package client

import "math/bits"

// spares keeps the slices of delivered batches (their buffers, their
// per-record bookkeeping) for new batches, by capacity class. A new batch
// asks for about what its partition's last batch held, so at a thousand
// partitions each batch gets a buffer of its size, recycled, instead of a
// fixed 16 KiB one or a fresh allocation.
//
// The classes are four to each doubling (4, 5, 6 and 7 times a power of
// two), so a slice is at most a quarter larger than asked for. With powers
// of two a 33 KB batch held a 64 KiB buffer, and a thousand partitions'
// batches waiting their turn held twice the memory their records need.
type spares[T any] struct {
	classes [classesPerDoubling * 64][][]T // classes[c]: slices of capacity classSize(c) or more, less than classSize(c+1)
	kept    int                            // elements held, all classes
	limit   int                            // elements held at most
}

const classesPerDoubling = 4

// classOf returns the smallest class whose size holds n elements.
func classOf(n int) int {
	n = max(n, classesPerDoubling)
	shift := max(bits.Len(uint(n-1))-3, 0) // n-1 < 8<<shift
	steps := (n + 1<<shift - 1) >> shift   // n in units of 1<<shift, rounded up: 4..8
	return shift*classesPerDoubling + steps - classesPerDoubling
}

// classSize is the capacity a new slice of class c gets.
func classSize(c int) int {
	return (classesPerDoubling + c%classesPerDoubling) << (c / classesPerDoubling)
}

// classHolding returns the largest class whose size is at most n, or -1
// for n smaller than every class.
func classHolding(n int) int {
	if n < classesPerDoubling {
		return -1
	}
	shift := max(bits.Len(uint(n))-3, 0)
	return shift*classesPerDoubling + n>>shift - classesPerDoubling
}

// get returns an empty slice with room for at least n elements.
func (s *spares[T]) get(n int) []T {
	c := classOf(n)
	// Or one up to a doubling larger, rather than allocate.
	for class := c; class <= c+classesPerDoubling && class < len(s.classes); class++ {
		if list := s.classes[class]; len(list) > 0 {
			x := list[len(list)-1]
			s.classes[class] = list[:len(list)-1]
			s.kept -= cap(x)
			return x
		}
	}
	return make([]T, 0, classSize(c))
}

// put keeps x for a later get. Over the limit, slices of smaller classes
// make room for it, the smallest first: they cost less to make again, and
// the small buffers an open batch grows by must not crowd out the large
// ones whole batches are joined into. The caller must not use x
// afterwards; x must hold nothing that should be freed (clear it first).
func (s *spares[T]) put(x []T) {
	c := classHolding(cap(x))
	if c < 0 || cap(x) > s.limit {
		return
	}
	for small := 0; small < c && s.kept+cap(x) > s.limit; small++ {
		list := s.classes[small]
		for len(list) > 0 && s.kept+cap(x) > s.limit {
			s.kept -= cap(list[len(list)-1])
			list[len(list)-1] = nil // for the collector
			list = list[:len(list)-1]
		}
		s.classes[small] = list
	}
	if s.kept+cap(x) > s.limit {
		return
	}
	s.classes[c] = append(s.classes[c], x[:0])
	s.kept += cap(x)
}
