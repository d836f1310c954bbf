package client

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// offsetModel is what offsetRuns stands for: a type per offset.
type offsetModel map[int64]AckType

// checkRuns fails unless r holds exactly the model's offsets and types, as
// sorted, disjoint runs with no two adjacent runs of one type.
func checkRuns(t *testing.T, step string, r offsetRuns, want offsetModel) {
	t.Helper()
	got := offsetModel{}
	for i, x := range r {
		if x.first > x.last {
			t.Fatalf("%s: run %d is empty: %+v", step, i, r)
		}
		if i > 0 {
			prev := r[i-1]
			if prev.last >= x.first {
				t.Fatalf("%s: runs %d and %d overlap or are out of order: %+v", step, i-1, i, r)
			}
			if prev.last+1 == x.first && prev.kind == x.kind {
				t.Fatalf("%s: runs %d and %d should be one: %+v", step, i-1, i, r)
			}
		}
		for off := x.first; off <= x.last; off++ {
			got[off] = x.kind
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d offsets, want %d: %+v", step, len(got), len(want), r)
	}
	for off, kind := range want {
		if k, ok := r.find(off); !ok || k != kind {
			t.Fatalf("%s: offset %d is (%d, %v), want %d: %+v", step, off, k, ok, kind, r)
		}
	}
}

func TestOffsetRunsAgainstAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []AckType{AckAccept, AckRelease, AckReject}
	for round := 0; round < 200; round++ {
		var r offsetRuns
		model := offsetModel{}
		for step := 0; step < 60; step++ {
			first := rng.Int64N(40)
			last := first + rng.Int64N(6)
			kind := kinds[rng.IntN(len(kinds))]
			switch op := rng.IntN(3); op {
			case 0:
				r.set(first, last, kind)
				for off := first; off <= last; off++ {
					model[off] = kind
				}
			case 1:
				r.cut(first, last)
				for off := first; off <= last; off++ {
					delete(model, off)
				}
			case 2:
				r.setMissing(first, last, kind)
				for off := first; off <= last; off++ {
					if _, ok := model[off]; !ok {
						model[off] = kind
					}
				}
			}
			checkRuns(t, "after a change", r, model)
		}
		for off := int64(-1); off <= 46; off++ {
			if _, ok := model[off]; !ok {
				if _, found := r.find(off); found {
					t.Fatalf("offset %d found, never added: %+v", off, r)
				}
			}
		}
	}
}

func TestOffsetRunsInOrderStayOneRun(t *testing.T) {
	var r offsetRuns
	for off := int64(100); off < 10_100; off++ {
		r.set(off, off, AckAccept)
	}
	if want := (offsetRuns{{100, 10_099, AckAccept}}); !slices.Equal(r, want) {
		t.Fatalf("runs %+v, want %+v", r, want)
	}
	// Settling the first one otherwise splits off a run of its own.
	r.set(100, 100, AckRelease)
	if want := (offsetRuns{{100, 100, AckRelease}, {101, 10_099, AckAccept}}); !slices.Equal(r, want) {
		t.Fatalf("runs %+v, want %+v", r, want)
	}
}

func TestSettleDeliveredSendsRuns(t *testing.T) {
	var a shareAckState
	a.init()
	var counts counters
	which := tp{"t", 3}
	batch := []Message{{Topic: "t", Partition: 3, Offset: 7}, {Topic: "t", Partition: 3, Offset: 8},
		{Topic: "t", Partition: 3, Offset: 10}}
	a.deliveredLocked([][]Message{batch}, &counts)
	if !a.isDeliveredLocked(which, 8) || a.isDeliveredLocked(which, 9) {
		t.Fatalf("delivered %+v: want 7, 8 and 10", a.delivered[which])
	}
	a.settleDeliveredLocked(AckAccept)
	if len(a.delivered) != 0 {
		t.Fatalf("still delivered after settling: %+v", a.delivered)
	}
	sent := a.takeLocked([]tp{which})
	if want := (offsetRuns{{7, 8, AckAccept}, {10, 10, AckAccept}}); !slices.Equal(sent[which], want) {
		t.Fatalf("request carries %+v, want %+v", sent[which], want)
	}
	// A request that failed as a whole gives its acknowledgements back,
	// but not over what the application settled meanwhile.
	a.addRangeLocked(which, 8, 8, AckRelease)
	a.requeueLocked(sent, nil)
	if want := (offsetRuns{{7, 7, AckAccept}, {8, 8, AckRelease}, {10, 10, AckAccept}}); !slices.Equal(a.pending[which], want) {
		t.Fatalf("pending after the requeue %+v, want %+v", a.pending[which], want)
	}
}
