package main

/*
#include <stdlib.h>
#include "kfk.h"
*/
import "C"

import (
	"slices"
	"time"
	"unsafe"

	"github.com/kfk-dev/kfk/core/tree"
)

// arena hands out C memory for the events of one poll: everything an event
// points to lives here, outside the Go heap, so C may read it freely, and
// all of it is released at once when the next poll begins. Allocation is a
// pointer bump inside malloc'd chunks; Go fills the memory directly.
type arena struct {
	chunks []arenaChunk
	cur    int // index of the chunk being filled

	// The most chunks a poll filled lately, and when (see reset).
	peak   int
	peakAt time.Time

	// The topic name copied last, reused while the same Go string comes
	// again: every delivery report of a batch names the same topic.
	lastName  string
	lastNameC *C.char
}

type arenaChunk struct {
	base unsafe.Pointer
	size uintptr
	used uintptr
}

const (
	arenaChunkSize = 64 << 10
	arenaHold      = 5 * time.Second // how long reset keeps a burst's chunks
	// arenaKeepMax bounds the chunks kept (4 MiB): kfk_poll fills a few
	// per chunk of events; only a huge kfk_poll_batch or result (the
	// metadata of a large cluster) fills more, and rarely.
	arenaKeepMax = 64
)

// alloc returns n zeroed bytes aligned to 8.
func (a *arena) alloc(n uintptr) unsafe.Pointer {
	n = (n + 7) &^ 7
	if n > arenaChunkSize {
		// A block of its own, freed by the next reset; filling goes on
		// in the current chunk (moving past the free chunks after it would
		// leave them unused and grow the arena on every poll).
		base := C.malloc(C.size_t(n))
		if base == nil {
			panic("kfk: out of memory")
		}
		a.chunks = append(a.chunks, arenaChunk{base: base, size: n, used: n})
		clear(unsafe.Slice((*byte)(base), n))
		return base
	}
	for a.cur < len(a.chunks) {
		c := &a.chunks[a.cur]
		if c.size-c.used >= n {
			p := unsafe.Add(c.base, c.used)
			c.used += n
			clear(unsafe.Slice((*byte)(p), n))
			return p
		}
		a.cur++
	}
	base := C.malloc(arenaChunkSize)
	if base == nil {
		panic("kfk: out of memory")
	}
	a.chunks = append(a.chunks, arenaChunk{base: base, size: arenaChunkSize, used: n})
	a.cur = len(a.chunks) - 1
	clear(unsafe.Slice((*byte)(base), n))
	return base
}

// reset makes all memory reusable. It keeps as many chunks as the busiest
// poll of the last arenaHold filled: a stream of polls refills the same
// pages (freeing and mallocing them again costs a page fault per 4 KiB),
// while the memory of a one-off burst goes back once bursts stop.
func (a *arena) reset() {
	filled := 0 // chunks of the standard size that the poll used
	for _, c := range a.chunks {
		if c.size == arenaChunkSize && c.used > 0 {
			filled++
		}
	}
	if now := time.Now(); filled >= a.peak || now.Sub(a.peakAt) > arenaHold {
		a.peak, a.peakAt = min(filled, arenaKeepMax), now
	}
	kept := 0
	for i := range a.chunks {
		if kept >= a.peak || a.chunks[i].size > arenaChunkSize {
			C.free(a.chunks[i].base)
			a.chunks[i].base = nil
		} else {
			a.chunks[i].used = 0
			kept++
		}
	}
	a.chunks = slices.DeleteFunc(a.chunks, func(c arenaChunk) bool { return c.base == nil })
	a.cur = 0
	a.lastName, a.lastNameC = "", nil
}

// free releases all chunks.
func (a *arena) free() {
	for _, c := range a.chunks {
		C.free(c.base)
	}
	a.chunks, a.cur = nil, 0
	a.lastName, a.lastNameC = "", nil
}

// bytes copies b into the arena with a NUL after it (convenient for C
// strings; lengths are always given separately). nil stays NULL.
func (a *arena) bytes(b []byte) *C.char {
	if b == nil {
		return nil
	}
	p := a.alloc(uintptr(len(b)) + 1)
	copy(unsafe.Slice((*byte)(p), len(b)), b)
	return (*C.char)(p)
}

// str copies s as a NUL-terminated C string.
func (a *arena) str(s string) *C.char {
	p := a.alloc(uintptr(len(s)) + 1)
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	return (*C.char)(p)
}

// name is str for topic names: the same Go string is copied once per poll.
func (a *arena) name(s string) *C.char {
	if a.lastNameC != nil && len(s) == len(a.lastName) && unsafe.StringData(s) == unsafe.StringData(a.lastName) {
		return a.lastNameC
	}
	a.lastName, a.lastNameC = s, a.str(s)
	return a.lastNameC
}

// val copies a result tree into the arena as kfk_val_t nodes.
func (a *arena) val(v tree.Value) *C.kfk_val_t {
	out := (*C.kfk_val_t)(a.alloc(C.sizeof_kfk_val_t))
	a.fillVal(out, v)
	return out
}

func (a *arena) fillVal(out *C.kfk_val_t, v tree.Value) {
	out._type = C.int32_t(v.Kind)
	switch v.Kind {
	case tree.Int, tree.Bool:
		out.i = C.int64_t(v.Int)
	case tree.Str, tree.Bytes:
		if v.Bytes == nil {
			out.s = a.str("")
		} else {
			out.s = a.bytes(v.Bytes)
		}
		out.n = C.size_t(len(v.Bytes))
	case tree.List, tree.Map:
		n := len(v.Items)
		if v.Kind == tree.Map {
			out.n = C.size_t(n / 2)
		} else {
			out.n = C.size_t(n)
		}
		if n == 0 {
			return
		}
		items := unsafe.Slice((*C.kfk_val_t)(a.alloc(uintptr(n)*C.sizeof_kfk_val_t)), n)
		for i := range v.Items {
			a.fillVal(&items[i], v.Items[i])
		}
		out.items = &items[0]
	}
}
