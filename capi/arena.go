package main

/*
#include <stdlib.h>
#include "kfk.h"
*/
import "C"

import (
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
	arenaKeep      = 4 << 20
)

// alloc returns n zeroed bytes aligned to 8.
func (a *arena) alloc(n uintptr) unsafe.Pointer {
	n = (n + 7) &^ 7
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
	size := max(uintptr(arenaChunkSize), n)
	base := C.malloc(C.size_t(size))
	if base == nil {
		panic("kfk: out of memory")
	}
	a.chunks = append(a.chunks, arenaChunk{base: base, size: size, used: n})
	a.cur = len(a.chunks) - 1
	clear(unsafe.Slice((*byte)(base), n))
	return base
}

// reset makes all memory reusable. Up to arenaKeep bytes of chunks stay
// allocated: a steady stream of polls then fills the same pages (freeing
// and mallocing them again cost a page fault per 4 KiB), while one burst of
// large events does not keep its memory forever.
func (a *arena) reset() {
	const keep = arenaKeep / arenaChunkSize
	for i := range a.chunks {
		if i >= keep || a.chunks[i].size > arenaChunkSize {
			C.free(a.chunks[i].base)
			a.chunks[i].base = nil
		} else {
			a.chunks[i].used = 0
		}
	}
	kept := a.chunks[:0]
	for _, c := range a.chunks {
		if c.base != nil {
			kept = append(kept, c)
		}
	}
	a.chunks = kept
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
