package main

/*
#include "kfk.h"
*/
import "C"

import (
	"strconv"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
)

// groupOptions parses kfk_subscribe's key/value options.
func groupOptions(kv []string) (client.GroupOptions, error) {
	o := client.GroupOptions{AutoCommit: true}
	ms := func(key, v string, d *time.Duration) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return &client.ConfigError{Key: key, Value: v, Reason: "must be a positive number of ms"}
		}
		*d = time.Duration(n) * time.Millisecond
		return nil
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i], kv[i+1]
		var err error
		switch k {
		case "group_id", "group.id":
			o.GroupID = v
		case "session_timeout_ms", "session.timeout.ms":
			err = ms(k, v, &o.SessionTimeout)
		case "rebalance_timeout_ms", "max.poll.interval.ms":
			err = ms(k, v, &o.RebalanceTimeout)
		case "heartbeat_interval_ms", "heartbeat.interval.ms":
			err = ms(k, v, &o.HeartbeatInterval)
		case "auto_commit_interval_ms", "auto.commit.interval.ms":
			err = ms(k, v, &o.AutoCommitInterval)
		case "auto_commit", "enable.auto.commit":
			switch v {
			case "1", "true":
				o.AutoCommit = true
			case "0", "false":
				o.AutoCommit = false
			default:
				err = &client.ConfigError{Key: k, Value: v, Reason: "must be 0 or 1"}
			}
		case "group_instance_id", "group.instance.id":
			o.InstanceID = v
		case "assignor", "partition.assignment.strategy":
			o.Assignor = v
		case "auto_offset_reset", "auto.offset.reset":
			switch v {
			case "earliest", "smallest":
				o.AutoOffsetReset = "earliest"
			case "latest", "largest":
				o.AutoOffsetReset = "latest"
			default:
				err = &client.ConfigError{Key: k, Value: v, Reason: "must be earliest or latest"}
			}
		default:
			err = &client.ConfigError{Key: k, Reason: "unknown subscribe option"}
		}
		if err != nil {
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
		o.OnAssign, o.OnRevoke = push(C.KFK_EVENT_ASSIGN), push(C.KFK_EVENT_REVOKE)
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
