package main

/*
#include "kfk.h"
*/
import "C"

import (
	"hash/crc32"
	"unsafe"

	"github.com/kfk-dev/kfk/core/murmur2"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Bounds on the sizes a caller passes. A negative int converted to size_t,
// or garbage, must be refused before the library reads that far past the
// caller's pointer or allocates for it (an allocation the runtime cannot
// satisfy ends the whole process).
const (
	maxCount = 1 << 24   // elements of an array argument
	maxBytes = 1<<31 - 1 // bytes of a key, value or body: Kafka sizes are int32
)

//export kfkgo_murmur2
func kfkgo_murmur2(data unsafe.Pointer, n C.size_t) (h C.int32_t) {
	defer recoverTo(&h, -1)
	if (data == nil && n > 0) || n > maxBytes {
		return -1
	}
	return C.int32_t(murmur2.Positive(unsafe.Slice((*byte)(data), n)))
}

//export kfkgo_crc32c
func kfkgo_crc32c(data unsafe.Pointer, n C.size_t) (sum C.uint32_t) {
	defer recoverTo(&sum, 0)
	if data == nil || n > maxBytes {
		return 0
	}
	return C.uint32_t(crc32.Checksum(unsafe.Slice((*byte)(data), n), castagnoli))
}

// cStrlen is strlen without a call into C, which costs more than the scan
// for the short strings (topic names) it is used on per message.
func cStrlen(p *C.char) int {
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return n
}
