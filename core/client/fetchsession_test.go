package client

import (
	"math"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestFetchSessionNamesOnlyWhatChanged(t *testing.T) {
	s := &fetchSession{}
	s.reset()
	a, b, c := tp{"a", 0}, tp{"a", 1}, tp{"b", 0}
	parts, offs := []tp{a, b, c}, []int64{10, 20, 30}

	first := s.plan(parts, offs)
	if !first.full || len(first.send) != 3 {
		t.Fatalf("first fetch %+v, want a full one", first)
	}
	s.answered(first, parts, offs, 0)
	if s.id != 0 || !s.plan(parts, offs).full {
		t.Fatal("a broker answering session id 0 must leave every fetch full")
	}
	s.answered(first, parts, offs, 42)
	if s.id != 42 || s.epoch != 1 {
		t.Fatalf("session %d epoch %d, want 42 epoch 1", s.id, s.epoch)
	}

	// Partition a moved on, b is unchanged, c left the plan.
	parts2, offs2 := []tp{a, b}, []int64{15, 20}
	f := s.plan(parts2, offs2)
	if f.full || !reflect.DeepEqual(f.send, []int{0}) || !reflect.DeepEqual(f.forgotten, []tp{c}) {
		t.Fatalf("incremental fetch %+v", f)
	}
	req := kmsg.NewPtrFetchRequest()
	s.fill(req, f)
	if req.SessionID != 42 || req.SessionEpoch != 1 || len(req.ForgottenTopics) != 1 ||
		req.ForgottenTopics[0].Topic != "b" || !reflect.DeepEqual(req.ForgottenTopics[0].Partitions, []int32{0}) {
		t.Fatalf("request session fields %+v", req)
	}
	s.answered(f, parts2, offs2, 42)
	if s.epoch != 2 || !reflect.DeepEqual(s.held, map[tp]int64{a: 15, b: 20}) {
		t.Fatalf("after incremental: epoch %d held %v", s.epoch, s.held)
	}
	if f := s.plan(parts2, offs2); len(f.send) != 0 || len(f.forgotten) != 0 {
		t.Fatalf("nothing changed, yet %+v", f)
	}
	// As many partitions as the session holds, one of them new: b must
	// still be forgotten; a new one alone forgets nothing.
	d := tp{"c", 0}
	if f := s.plan([]tp{a, d}, []int64{15, 40}); !reflect.DeepEqual(f.send, []int{1}) ||
		!reflect.DeepEqual(f.forgotten, []tp{b}) {
		t.Fatalf("a swapped partition: %+v", f)
	}
	if f := s.plan([]tp{a, b, d}, []int64{15, 20, 40}); !reflect.DeepEqual(f.send, []int{2}) || len(f.forgotten) != 0 {
		t.Fatalf("an added partition: %+v", f)
	}

	s.reset()
	if !s.plan(parts2, offs2).full {
		t.Fatal("after reset the next fetch must be full")
	}
	if nextSessionEpoch(math.MaxInt32) != 1 {
		t.Fatal("epoch must wrap to 1")
	}
}
