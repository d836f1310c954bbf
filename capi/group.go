package main

/*
#include "kfk.h"
*/
import "C"

import (
	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
)

// groupOptions parses kfk_subscribe's key/value options (core owns the
// names and rules).
func groupOptions(kv []string) (client.GroupOptions, error) {
	o := client.NewGroupOptions()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := o.Set(kv[i], kv[i+1]); err != nil {
			return o, err
		}
	}
	return o, nil
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
		names, ok := goStrings(topics, nTopics)
		if !ok || nTopics == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		kv, ok := goStringPairs(options, nOptions)
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		o, err := groupOptions(kv)
		if err != nil {
			return C.KFK_ERR_CONFIG
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

//export kfkgo_unsubscribe
func kfkgo_unsubscribe(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		done := co.resultCB(cb, opaque)
		co.c.Unsubscribe(func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}
