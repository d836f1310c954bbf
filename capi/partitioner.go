package main

/*
#include <stdlib.h>
#include "kfk.h"

static inline int32_t kfk_call_partitioner(kfk_partitioner_fn fn, const char *topic, const void *key,
                                           size_t key_len, int32_t n, void *opaque) {
    return fn(topic, key, key_len, n, opaque);
}
*/
import "C"

import (
	"sync"
	"unsafe"
)

// cPartitioner runs a kfk_partitioner_fn for one client.
type cPartitioner struct {
	fn     C.kfk_partitioner_fn
	opaque unsafe.Pointer // the caller's, never dereferenced

	mu       sync.Mutex
	names    map[string]*C.char // C copies of topic names, one per topic
	released bool
}

func newCPartitioner(fn C.kfk_partitioner_fn, opaque unsafe.Pointer) *cPartitioner {
	return &cPartitioner{fn: fn, opaque: opaque, names: map[string]*C.char{}}
}

// partition is a client.Config PartitionFunc.
func (p *cPartitioner) partition(topic string, key []byte, n int32) int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.released {
		return -1 // the client is gone: fail the message
	}
	name := p.names[topic]
	if name == nil {
		name = C.CString(topic)
		p.names[topic] = name
	}
	var k unsafe.Pointer
	if key != nil {
		k = unsafe.Pointer(unsafe.SliceData(key))
	}
	return int32(C.kfk_call_partitioner(p.fn, name, k, C.size_t(len(key)), C.int32_t(n), p.opaque))
}

// release frees the topic names once the client is closed.
func (p *cPartitioner) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.released = true
	for _, name := range p.names {
		C.free(unsafe.Pointer(name))
	}
	p.names = nil
}

//export kfkgo_conf_set_partitioner
func kfkgo_conf_set_partitioner(h C.uint64_t, fn C.kfk_partitioner_fn, opaque unsafe.Pointer) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, ok := lookupConf(h)
	if !ok {
		return C.KFK_ERR_INVALID_HANDLE
	}
	co.mu.Lock()
	defer co.mu.Unlock()
	co.partitioner, co.partitionerOpaque = fn, opaque
	return C.KFK_OK
}
