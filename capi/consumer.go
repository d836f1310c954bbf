package main

/*
#include "kfk.h"
*/
import "C"

import (
	"math"
	"unsafe"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
)

// clientCall validates the handle and runs issue with the client.
func clientCall(h C.uint64_t, issue func(co *clientObj) C.kfk_err_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupClient(h)
	if rc != C.KFK_OK {
		return rc
	}
	return issue(co)
}

// goAssignments converts n kfk_topic_partition_t to assignments whose
// offsets are at least minOffset; n = 0 gives nil.
func goAssignments(tps *C.kfk_topic_partition_t, n C.size_t, minOffset int64) ([]client.Assignment, bool) {
	if (n > 0 && tps == nil) || n > maxCount {
		return nil, false
	}
	var out []client.Assignment
	for _, tp := range unsafe.Slice(tps, n) {
		if tp.topic == nil || tp.partition < 0 || int64(tp.offset) < minOffset {
			return nil, false
		}
		out = append(out, client.Assignment{Topic: C.GoString(tp.topic), Partition: int32(tp.partition),
			Offset: int64(tp.offset)})
	}
	return out, true
}

//export kfkgo_assign
func kfkgo_assign(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		parts, ok := goAssignments(tps, n, client.OffsetEarliest)
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.Assign(parts)
		return C.KFK_OK
	})
}

// partitionsCall runs call (a consumer's Pause, Resume, StoreOffsets or
// incremental assignment) with n kfk_topic_partition_t whose offsets are
// at least minOffset; a partition call refuses is KFK_ERR_STATE.
func partitionsCall(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t, minOffset int64,
	call func(c *client.Client, parts []client.Assignment) error) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		parts, ok := goAssignments(tps, n, minOffset)
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		if err := call(co.c, parts); err != nil {
			return C.KFK_ERR_STATE
		}
		return C.KFK_OK
	})
}

//export kfkgo_incremental_assign
func kfkgo_incremental_assign(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t) C.kfk_err_t {
	return partitionsCall(h, tps, n, client.OffsetEarliest, (*client.Client).IncrementalAssign)
}

//export kfkgo_incremental_unassign
func kfkgo_incremental_unassign(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t) C.kfk_err_t {
	return partitionsCall(h, tps, n, math.MinInt64, (*client.Client).IncrementalUnassign)
}

//export kfkgo_pause
func kfkgo_pause(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t) C.kfk_err_t {
	return partitionsCall(h, tps, n, math.MinInt64, (*client.Client).Pause)
}

//export kfkgo_resume
func kfkgo_resume(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t) C.kfk_err_t {
	return partitionsCall(h, tps, n, math.MinInt64, (*client.Client).Resume)
}

//export kfkgo_store_offsets
func kfkgo_store_offsets(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t) C.kfk_err_t {
	return partitionsCall(h, tps, n, 0, (*client.Client).StoreOffsets)
}

//export kfkgo_seek
func kfkgo_seek(h C.uint64_t, topic *C.char, partition C.int32_t, offset C.int64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if topic == nil || partition < 0 || offset < C.int64_t(client.OffsetEarliest) {
			return C.KFK_ERR_INVALID_ARG
		}
		done := co.resultCB(cb, opaque)
		co.c.Seek(C.GoString(topic), int32(partition), int64(offset), func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}

// messageEvents pushes consumed messages as MESSAGE events, one pushN per
// batch.
func (co *clientObj) messageEvents(cb, opaque C.uintptr_t) func([]client.Message) {
	return func(msgs []client.Message) {
		co.q.pushN(len(msgs), func(evs []event) {
			for i := range msgs {
				evs[i] = event{typ: C.KFK_EVENT_MESSAGE, source: co.self, cb: uintptr(cb), opaque: uintptr(opaque),
					message: &msgs[i]}
			}
		})
	}
}

// kfk_consume is kfk_consume_max with max 0 (max_poll_records).
//
//export kfkgo_consume
func kfkgo_consume(h C.uint64_t, limit C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	if limit > maxCount {
		return C.KFK_ERR_INVALID_ARG
	}
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		co.c.Poll(int(limit), co.messageEvents(cb, opaque), func(n int, err error) {
			co.resultCB(cb, opaque)(tree.M("count", tree.I(n)), err)
		})
		return C.KFK_OK
	})
}

//export kfkgo_offsets_for
func kfkgo_offsets_for(h C.uint64_t, topic *C.char, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if topic == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.OffsetsFor(C.GoString(topic), co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_lag
func kfkgo_lag(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		co.c.Lag(co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}
