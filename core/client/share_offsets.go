package client

import (
	"slices"
	"sort"
)

// ackRange is a run of consecutive offsets of one AckType: one
// acknowledgement batch on the wire.
type ackRange struct {
	first, last int64
	kind        AckType
}

// offsetRuns is a set of one partition's offsets, each with an AckType,
// kept as sorted, disjoint runs of consecutive offsets, adjacent runs of
// one type merged. A share member is handed records and settles them
// mostly in offset order, so a partition's thousands of offsets are a few
// runs, most changes touch the last one, and the runs are already the
// acknowledgement batches a request carries (a map per offset cost a
// share consumer more CPU than decoding its records).
type offsetRuns []ackRange

// find reports off's type, and whether off is in the set.
func (r offsetRuns) find(off int64) (AckType, bool) {
	i := sort.Search(len(r), func(i int) bool { return r[i].last >= off })
	if i < len(r) && r[i].first <= off {
		return r[i].kind, true
	}
	return 0, false
}

// set gives the offsets first to last the type kind, adding those not in
// the set.
func (r *offsetRuns) set(first, last int64, kind AckType) {
	runs := *r
	if n := len(runs); n == 0 || runs[n-1].last < first { // past the end: the usual case
		if n > 0 && runs[n-1].last+1 == first && runs[n-1].kind == kind {
			runs[n-1].last = last
		} else {
			runs = append(runs, ackRange{first, last, kind})
		}
		*r = runs
		return
	}
	r.cut(first, last)
	r.insert(ackRange{first, last, kind})
}

// setMissing adds the offsets first to last that are not in the set, with
// the type kind; those in it keep theirs.
func (r *offsetRuns) setMissing(first, last int64, kind AckType) {
	var gaps []ackRange
	next := first
	for _, x := range *r {
		if x.last < next {
			continue
		}
		if x.first > last {
			break
		}
		if x.first > next {
			gaps = append(gaps, ackRange{next, x.first - 1, kind})
		}
		next = x.last + 1
	}
	if next <= last {
		gaps = append(gaps, ackRange{next, last, kind})
	}
	for _, g := range gaps {
		r.insert(g)
	}
}

// cut removes the offsets first to last.
func (r *offsetRuns) cut(first, last int64) {
	runs := *r
	lo := sort.Search(len(runs), func(i int) bool { return runs[i].last >= first })
	hi := lo
	for hi < len(runs) && runs[hi].first <= last {
		hi++
	}
	if lo == hi {
		return
	}
	// What the first and last runs cut into hold outside first to last.
	var kept [2]ackRange
	n := 0
	if runs[lo].first < first {
		kept[n] = ackRange{runs[lo].first, first - 1, runs[lo].kind}
		n++
	}
	if runs[hi-1].last > last {
		kept[n] = ackRange{last + 1, runs[hi-1].last, runs[hi-1].kind}
		n++
	}
	*r = slices.Replace(runs, lo, hi, kept[:n]...)
}

// insert adds x, none of whose offsets is in the set, merging it with the
// runs it touches.
func (r *offsetRuns) insert(x ackRange) {
	runs := *r
	i := sort.Search(len(runs), func(i int) bool { return runs[i].first > x.last })
	left := i > 0 && runs[i-1].last+1 == x.first && runs[i-1].kind == x.kind
	right := i < len(runs) && x.last+1 == runs[i].first && runs[i].kind == x.kind
	switch {
	case left && right:
		runs[i-1].last = runs[i].last
		runs = slices.Delete(runs, i, i+1)
	case left:
		runs[i-1].last = x.last
	case right:
		runs[i].first = x.first
	default:
		runs = slices.Insert(runs, i, x)
	}
	*r = runs
}
