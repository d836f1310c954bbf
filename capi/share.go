package main

/*
#include "kfk.h"
*/
import "C"

import (
	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
)

// The kfk_share_* calls: a share group subscription (KIP-932), its records
// and their acknowledgements.

//export kfkgo_share_subscribe
func kfkgo_share_subscribe(h C.uint64_t, topics **C.char, nTopics C.size_t, options **C.char, nOptions C.size_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		o := client.NewShareOptions()
		names, rc := subscribeArgs(topics, nTopics, options, nOptions, o.Set)
		if rc != C.KFK_OK {
			return rc
		}
		o.Topics = names
		if err := co.c.ShareSubscribe(o); err != nil {
			return C.KFK_ERR_CONFIG
		}
		return C.KFK_OK
	})
}

//export kfkgo_share_consume
func kfkgo_share_consume(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		co.c.SharePoll(co.messageEvents(cb, opaque), func(n int, err error) {
			co.resultCB(cb, opaque)(tree.M("count", tree.I(n)), err)
		})
		return C.KFK_OK
	})
}

//export kfkgo_share_acknowledge
func kfkgo_share_acknowledge(h C.uint64_t, topic *C.char, partition C.int32_t, offset C.int64_t, kind C.int) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if topic == nil || partition < 0 || offset < 0 || kind < C.KFK_ACK_ACCEPT || kind > C.KFK_ACK_REJECT {
			return C.KFK_ERR_INVALID_ARG
		}
		return errCode(co.c.Acknowledge(C.GoString(topic), int32(partition), int64(offset), client.AckType(kind)))
	})
}

//export kfkgo_share_commit
func kfkgo_share_commit(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		done := co.resultCB(cb, opaque)
		co.c.CommitAcknowledgements(func(results []client.AckResult, err error) {
			if results == nil && err != nil {
				done(tree.Value{}, err) // the call failed as a whole
				return
			}
			done(ackResultsTree(results), nil)
		})
		return C.KFK_OK
	})
}

// ackResultsTree is kfk_share_commit's result: [{topic, partition,
// error_code, by_fetch}].
func ackResultsTree(results []client.AckResult) tree.Value {
	items := make([]tree.Value, len(results))
	for i, r := range results {
		code := int64(0)
		if r.Err != nil {
			code = int64(errCode(r.Err))
		}
		items[i] = tree.M("topic", tree.S(r.Topic), "partition", tree.I(r.Partition), "error_code", tree.I(code),
			"by_fetch", tree.Flag(r.ByFetch))
	}
	return tree.L(items...)
}

//export kfkgo_share_unsubscribe
func kfkgo_share_unsubscribe(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		done := co.resultCB(cb, opaque)
		co.c.ShareUnsubscribe(func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}
