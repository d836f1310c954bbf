package main

import (
	"sync"
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

type slot struct {
	gen  uint32
	kind kind
	obj  any // nil when free
}

// handleTable maps handles to live objects.
type handleTable struct {
	mu    sync.RWMutex
	slots []slot
	free  []int
}

var handles handleTable

// add stores obj and returns its new handle.
func (t *handleTable) add(k kind, obj any) handle {
	t.mu.Lock()
	defer t.mu.Unlock()
	var idx int
	if n := len(t.free); n > 0 {
		idx = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		idx = len(t.slots)
		t.slots = append(t.slots, slot{})
	}
	s := &t.slots[idx]
	s.gen++
	s.kind, s.obj = k, obj
	return makeHandle(s.gen, idx, k)
}

// get returns the object for h if h is live and of kind k.
func (t *handleTable) get(h handle, k kind) (any, bool) {
	gen, idx, hk := h.parts()
	if hk != k {
		return nil, false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !t.liveLocked(gen, idx, k) {
		return nil, false
	}
	return t.slots[idx].obj, true
}

// remove frees h's slot and returns its object, if h was live and of kind k.
func (t *handleTable) remove(h handle, k kind) (any, bool) {
	gen, idx, hk := h.parts()
	if hk != k {
		return nil, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.liveLocked(gen, idx, k) {
		return nil, false
	}
	obj := t.slots[idx].obj
	t.slots[idx].obj = nil
	t.free = append(t.free, idx)
	return obj, true
}

func (t *handleTable) liveLocked(gen uint32, idx int, k kind) bool {
	return idx >= 0 && idx < len(t.slots) && t.slots[idx].gen == gen &&
		t.slots[idx].kind == k && t.slots[idx].obj != nil
}

// count is the number of live handles of kind k (for leak checks in tests).
func (t *handleTable) count(k kind) int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, s := range t.slots {
		if s.obj != nil && s.kind == k {
			n++
		}
	}
	return n
}
