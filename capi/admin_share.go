package main

/*
#include "kfk.h"
*/
import "C"

import "github.com/kfk-dev/kfk/core/client"

// The kfk_admin_* calls for share groups: each completes with one RESULT
// event, as those of capi/admin.go do.

//export kfkgo_admin_list_share_groups
func kfkgo_admin_list_share_groups(h C.uint64_t, states **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		filter, ok := goStrings(states, n) // none: every state
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.ListShareGroups(filter, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_describe_share_groups
func kfkgo_admin_describe_share_groups(h C.uint64_t, groups **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		ids, ok := goStrings(groups, n)
		if !ok || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DescribeShareGroups(ids, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_share_group_offsets
func kfkgo_admin_share_group_offsets(h C.uint64_t, group *C.char, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if group == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.ShareGroupOffsets(C.GoString(group), co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_alter_share_group_offsets
func kfkgo_admin_alter_share_group_offsets(h C.uint64_t, group *C.char, tps *C.kfk_topic_partition_t, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		to, ok := goAssignments(tps, n, client.OffsetEarliest)
		if !ok || group == nil || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.AlterShareGroupOffsets(C.GoString(group), to, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_delete_share_group_offsets
func kfkgo_admin_delete_share_group_offsets(h C.uint64_t, group *C.char, topics **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		names, ok := goStrings(topics, n)
		if !ok || group == nil || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DeleteShareGroupOffsets(C.GoString(group), names, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_delete_groups
func kfkgo_admin_delete_groups(h C.uint64_t, groups **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		ids, ok := goStrings(groups, n)
		if !ok || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DeleteGroups(ids, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}
