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

// The kfk_admin_* calls: each completes with one RESULT event.

//export kfkgo_admin_create_topics
func kfkgo_admin_create_topics(h C.uint64_t, topics *C.kfk_new_topic_t, n C.size_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		specs, ok := goNewTopics(topics, n)
		if !ok || n == 0 || timeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.CreateTopics(specs, int32(timeoutMs), co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_delete_topics
func kfkgo_admin_delete_topics(h C.uint64_t, names **C.char, n C.size_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		list, ok := goStrings(names, n)
		if !ok || n == 0 || timeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DeleteTopics(list, int32(timeoutMs), co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_describe_cluster
func kfkgo_admin_describe_cluster(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		co.c.DescribeCluster(co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_list_groups
func kfkgo_admin_list_groups(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		co.c.ListGroups(co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_describe_groups
func kfkgo_admin_describe_groups(h C.uint64_t, groups **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		ids, ok := goStrings(groups, n)
		if !ok || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DescribeGroups(ids, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_describe_topic_configs
func kfkgo_admin_describe_topic_configs(h C.uint64_t, topics **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		names, ok := goStrings(topics, n)
		if !ok || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DescribeTopicConfigs(names, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_alter_topic_configs
func kfkgo_admin_alter_topic_configs(h C.uint64_t, topic *C.char, kv **C.char, nPairs C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if topic == nil || nPairs == 0 || kv == nil || nPairs > maxCount/2 {
			return C.KFK_ERR_INVALID_ARG
		}
		set := map[string]*string{}
		pairs := unsafe.Slice(kv, nPairs*2)
		for i := 0; i < len(pairs); i += 2 {
			if pairs[i] == nil {
				return C.KFK_ERR_INVALID_ARG
			}
			set[C.GoString(pairs[i])] = goStringPtr(pairs[i+1]) // NULL: back to the default
		}
		done := co.resultCB(cb, opaque)
		co.c.AlterTopicConfigs(C.GoString(topic), set, func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}

//export kfkgo_admin_create_partitions
func kfkgo_admin_create_partitions(h C.uint64_t, topic *C.char, total C.int32_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if topic == nil || total <= 0 || timeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		done := co.resultCB(cb, opaque)
		co.c.CreatePartitions(C.GoString(topic), int32(total), int32(timeoutMs), func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}

//export kfkgo_admin_delete_records
func kfkgo_admin_delete_records(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		before, ok := goAssignments(tps, n, client.OffsetLatest)
		if !ok || n == 0 || timeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DeleteRecords(before, int32(timeoutMs), co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_group_lag
func kfkgo_admin_group_lag(h C.uint64_t, group *C.char, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if group == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.GroupLag(C.GoString(group), co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}
