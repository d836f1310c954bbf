package main

/*
#include "kfk.h"
*/
import "C"

import (
	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
)

//export kfkgo_txn_begin
func kfkgo_txn_begin(h C.uint64_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		return errCode(co.c.BeginTransaction())
	})
}

//export kfkgo_txn_send_offsets
func kfkgo_txn_send_offsets(h C.uint64_t, group *C.char, tps *C.kfk_topic_partition_t, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		offsets, ok := goAssignments(tps, n, 0) // nil: the positions consumed so far
		if group == nil || !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		done := co.resultCB(cb, opaque)
		co.c.SendOffsetsToTransaction(C.GoString(group), offsets, func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}

func txnEnd(h C.uint64_t, cb, opaque C.uintptr_t, end func(c *client.Client, done func(error))) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		done := co.resultCB(cb, opaque)
		end(co.c, func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}

//export kfkgo_txn_commit
func kfkgo_txn_commit(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return txnEnd(h, cb, opaque, (*client.Client).CommitTransaction)
}

//export kfkgo_txn_abort
func kfkgo_txn_abort(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return txnEnd(h, cb, opaque, (*client.Client).AbortTransaction)
}
