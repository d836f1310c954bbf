package main

/*
#include "kfk.h"
*/
import "C"

import (
	"unsafe"
)

func lookupQueue(h C.uint64_t) (*queue, C.kfk_err_t) {
	obj, ok := handles.get(handle(h), kindQueue)
	if !ok {
		return nil, C.KFK_ERR_INVALID_HANDLE
	}
	return obj.(*queue), C.KFK_OK
}

//export kfkgo_queue_new
func kfkgo_queue_new(out *C.uint64_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	if out == nil {
		return C.KFK_ERR_INVALID_ARG
	}
	q, err := newQueue()
	if err != nil {
		return C.KFK_ERR_INTERNAL
	}
	*out = C.uint64_t(handles.add(kindQueue, q))
	return C.KFK_OK
}

//export kfkgo_queue_destroy
func kfkgo_queue_destroy(h C.uint64_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	q, rc := lookupQueue(h)
	if rc != C.KFK_OK {
		return rc
	}
	if q.users.Load() > 0 {
		return C.KFK_ERR_STATE
	}
	if _, ok := handles.remove(handle(h), kindQueue); !ok {
		return C.KFK_ERR_INVALID_HANDLE
	}
	q.close()
	return C.KFK_OK
}

//export kfkgo_queue_fd
func kfkgo_queue_fd(h C.uint64_t) (fd C.int) {
	defer recoverTo(&fd, -1)
	q, rc := lookupQueue(h)
	if rc != C.KFK_OK {
		return -1
	}
	return C.int(q.watch())
}

//export kfkgo_poll
func kfkgo_poll(h C.uint64_t, timeoutMs, maxEvents C.int) (n C.int) {
	defer recoverTo(&n, C.KFK_ERR_INTERNAL)
	q, rc := lookupQueue(h)
	if rc != C.KFK_OK {
		return C.int(rc)
	}
	return C.int(q.serve(int(timeoutMs), max(int(maxEvents), 0), nil))
}

//export kfkgo_poll_batch
func kfkgo_poll_batch(h C.uint64_t, out *C.kfk_event_t, max C.int, timeoutMs C.int) (n C.int) {
	defer recoverTo(&n, C.KFK_ERR_INTERNAL)
	q, rc := lookupQueue(h)
	if rc != C.KFK_OK {
		return C.int(rc)
	}
	if out == nil || max < 0 {
		return C.KFK_ERR_INVALID_ARG
	}
	return C.int(q.serve(int(timeoutMs), 0, unsafe.Slice(out, int(max))))
}

//export kfkgo_wake
func kfkgo_wake(h C.uint64_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	q, rc := lookupQueue(h)
	if rc != C.KFK_OK {
		return rc
	}
	q.wake()
	return C.KFK_OK
}

//export kfkgo_queue_set_handler
func kfkgo_queue_set_handler(h C.uint64_t, cb, opaque C.uintptr_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	q, rc := lookupQueue(h)
	if rc != C.KFK_OK {
		return rc
	}
	q.mu.Lock()
	q.handler = [2]uintptr{uintptr(cb), uintptr(opaque)}
	q.mu.Unlock()
	return C.KFK_OK
}

//export kfkgo_queue_length
func kfkgo_queue_length(h C.uint64_t) (n C.int64_t) {
	defer recoverTo(&n, C.KFK_ERR_INTERNAL)
	q, rc := lookupQueue(h)
	if rc != C.KFK_OK {
		return C.int64_t(rc)
	}
	return C.int64_t(q.length())
}
