package main

/*
#include "kfk.h"
*/
import "C"

import (
	"unsafe"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
)

// subscribeArgs reads a subscribe call's topics (at least one) and applies
// its key/value options with set (core owns the names and rules).
func subscribeArgs(topics **C.char, nTopics C.size_t, options **C.char, nOptions C.size_t,
	set func(key, value string) error) ([]string, C.kfk_err_t) {
	names, ok := goStrings(topics, nTopics)
	if !ok || nTopics == 0 {
		return nil, C.KFK_ERR_INVALID_ARG
	}
	kv, ok := goStringPairs(options, nOptions)
	if !ok {
		return nil, C.KFK_ERR_INVALID_ARG
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if err := set(kv[i], kv[i+1]); err != nil {
			return nil, C.KFK_ERR_CONFIG
		}
	}
	return names, C.KFK_OK
}

func assignmentTree(parts []client.Assignment) tree.Value {
	items := make([]tree.Value, len(parts))
	for i, p := range parts {
		items[i] = tree.M("topic", tree.S(p.Topic), "partition", tree.I(p.Partition), "offset", tree.I(p.Offset))
	}
	return tree.L(items...)
}

//export kfkgo_subscribe
func kfkgo_subscribe(h C.uint64_t, topics **C.char, nTopics C.size_t, options **C.char, nOptions C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		o := client.NewGroupOptions()
		names, rc := subscribeArgs(topics, nTopics, options, nOptions, o.Set)
		if rc != C.KFK_OK {
			return rc
		}
		o.Topics = names
		push := func(typ C.int32_t) func([]client.Assignment) {
			return func(parts []client.Assignment) {
				assigned := assignmentTree(parts)
				co.q.push(event{typ: typ, source: co.self, cb: uintptr(cb), opaque: uintptr(opaque), result: &assigned})
			}
		}
		o.OnAssign, o.OnRevoke, o.OnLost = push(C.KFK_EVENT_ASSIGN), push(C.KFK_EVENT_REVOKE), push(C.KFK_EVENT_LOST)
		if err := co.c.Subscribe(o); err != nil {
			return C.KFK_ERR_CONFIG
		}
		return C.KFK_OK
	})
}

//export kfkgo_commit
func kfkgo_commit(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		done := co.resultCB(cb, opaque)
		co.c.Commit(func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}

//export kfkgo_commit_offsets
func kfkgo_commit_offsets(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		offsets, ok := goAssignments(tps, n, 0)
		if !ok || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		done := co.resultCB(cb, opaque)
		co.c.CommitOffsets(offsets, func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}

//export kfkgo_group_member_id
func kfkgo_group_member_id(h C.uint64_t, buf *C.char, size C.size_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if buf == nil || size == 0 || size > maxBytes {
			return C.KFK_ERR_INVALID_ARG
		}
		member, subscribed := co.c.MemberID()
		if !subscribed {
			return C.KFK_ERR_STATE
		}
		if C.size_t(len(member)) >= size {
			return C.KFK_ERR_NO_BUFFER_SPACE
		}
		out := unsafe.Slice((*byte)(unsafe.Pointer(buf)), size)
		out[copy(out, member)] = 0
		return C.KFK_OK
	})
}

//export kfkgo_revoke_done
func kfkgo_revoke_done(h C.uint64_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		co.c.RevokeDone()
		return C.KFK_OK
	})
}

//export kfkgo_unsubscribe
func kfkgo_unsubscribe(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		done := co.resultCB(cb, opaque)
		co.c.Unsubscribe(func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}
