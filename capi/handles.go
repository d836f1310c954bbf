package main

import (
	"sync"
	"sync/atomic"
)

// kind is the type of object a handle names; a handle of one kind passed
// where another is expected is rejected like a forged one.
type kind uint8

const (
	kindQueue kind = 1 + iota
	kindConn
	kindConf
	kindClient
)

// A handle is what C holds for an object: slot index, kind and the slot's
// generation packed into 64 bits, never a pointer. Reusing a slot bumps its
// generation, so a handle kept after destroy no longer matches.
//
//	bits 63..32 generation | 31..8 slot index + 1 | 7..0 kind
type handle uint64

func makeHandle(gen uint32, idx int, k kind) handle {
	return handle(uint64(gen)<<32 | uint64(idx+1)<<8 | uint64(k))
}

func (h handle) parts() (gen uint32, idx int, k kind) {
	return uint32(h >> 32), int(uint32(h)>>8) - 1, kind(h & 0xff)
}

// entry is what a live slot holds; it never changes once made, so a
// lookup reads it without a lock.
type entry struct {
	gen  uint32
	kind kind
	obj  any
}

// slot is one place in the table; nil while free.
type slot struct {
	live atomic.Pointer[entry]
	gen  uint32 // the last generation handed out here (under handleTable.mu)
}

// handleTable maps handles to live objects. Every call into the library
// looks its handle up, often from several threads at once, so get takes
// no lock: slots are published as an array that add replaces (copied,
// with the same *slot pointers) when it grows, and each slot's entry is
// swapped atomically. add and remove take the mutex between themselves.
type handleTable struct {
	mu    sync.Mutex
	slots atomic.Pointer[[]*slot]
	free  []int
}

var handles handleTable

// add stores obj and returns its new handle.
func (t *handleTable) add(k kind, obj any) handle {
	t.mu.Lock()
	defer t.mu.Unlock()
	var slots []*slot
	if p := t.slots.Load(); p != nil {
		slots = *p
	}
	var idx int
	if n := len(t.free); n > 0 {
		idx = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		idx = len(slots)
		grown := append(slots[:len(slots):len(slots)], &slot{})
		t.slots.Store(&grown)
		slots = grown
	}
	s := slots[idx]
	s.gen++
	s.live.Store(&entry{gen: s.gen, kind: k, obj: obj})
	return makeHandle(s.gen, idx, k)
}

// lookup returns h's slot and its live entry if h names a live object of
// kind k.
func (t *handleTable) lookup(h handle, k kind) (*slot, *entry) {
	gen, idx, hk := h.parts()
	p := t.slots.Load()
	if hk != k || p == nil || idx < 0 || idx >= len(*p) {
		return nil, nil
	}
	s := (*p)[idx]
	if e := s.live.Load(); e != nil && e.gen == gen && e.kind == k {
		return s, e
	}
	return nil, nil
}

// get returns the object for h if h is live and of kind k.
func (t *handleTable) get(h handle, k kind) (any, bool) {
	if _, e := t.lookup(h, k); e != nil {
		return e.obj, true
	}
	return nil, false
}

// remove frees h's slot and returns its object, if h was live and of kind k.
func (t *handleTable) remove(h handle, k kind) (any, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, e := t.lookup(h, k)
	if e == nil || !s.live.CompareAndSwap(e, nil) {
		return nil, false
	}
	_, idx, _ := h.parts()
	t.free = append(t.free, idx)
	return e.obj, true
}

// count is the number of live handles of kind k (for leak checks in tests).
func (t *handleTable) count(k kind) int {
	p := t.slots.Load()
	if p == nil {
		return 0
	}
	n := 0
	for _, s := range *p {
		if e := s.live.Load(); e != nil && e.kind == k {
			n++
		}
	}
	return n
}
