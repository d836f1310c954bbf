package client

import "math/bits"

// spares keeps the slices of delivered batches (their buffers, their
// per-record bookkeeping) for new batches, by capacity class: powers of
// two. A new batch asks for about what its partition's last batch held,
// so at a thousand partitions each batch gets a buffer of its size,
// recycled, instead of a fixed 16 KiB one or a fresh allocation.
type spares[T any] struct {
	classes [64][][]T // classes[c]: slices of capacity 1<<c or more, less than 1<<(c+1)
	kept    int       // elements held, all classes
	limit   int       // elements held at most
}

// get returns an empty slice with room for at least n elements.
func (s *spares[T]) get(n int) []T {
	c := bits.Len(uint(max(n, 1) - 1))      // the smallest class that holds n
	for _, class := range []int{c, c + 1} { // or one class up, rather than allocate
		if list := s.classes[class]; len(list) > 0 {
			x := list[len(list)-1]
			s.classes[class] = list[:len(list)-1]
			s.kept -= cap(x)
			return x
		}
	}
	return make([]T, 0, 1<<c)
}

// put keeps x for a later get, unless that would hold more than the limit.
// The caller must not use x afterwards; x must hold nothing that should be
// freed (clear it first).
func (s *spares[T]) put(x []T) {
	if cap(x) == 0 || s.kept+cap(x) > s.limit {
		return
	}
	c := bits.Len(uint(cap(x))) - 1
	s.classes[c] = append(s.classes[c], x[:0])
	s.kept += cap(x)
}
