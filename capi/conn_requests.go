package main

/*
#include "kfk.h"
*/
import "C"

import (
	"unsafe"

	"github.com/kfk-dev/kfk/core/connapi"
)

// connRequest validates the handle, then lets issue check its arguments and
// send the request with a callback that queues the RESULT event.
func connRequest(h C.uint64_t, cb, opaque C.uintptr_t, issue func(co *connObj, done connapi.Callback) C.kfk_err_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupConn(h)
	if rc != C.KFK_OK {
		return rc
	}
	return issue(co, co.resultCB(cb, opaque))
}

// metadataAllTopics as kfk_conn_metadata's count asks for every topic.
const metadataAllTopics = -1

//export kfkgo_conn_metadata
func kfkgo_conn_metadata(h C.uint64_t, topics **C.char, n C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		switch {
		case n == metadataAllTopics:
			connapi.Metadata(co.c, nil, true, done)
			return C.KFK_OK
		case n < 0:
			return C.KFK_ERR_INVALID_ARG
		}
		names, ok := goStrings(topics, C.size_t(n))
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.Metadata(co.c, names, false, done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_list_offsets
func kfkgo_conn_list_offsets(h C.uint64_t, topic *C.char, partition C.int32_t, timestamp C.int64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if topic == nil || partition < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		tp := connapi.TopicPartition{Topic: C.GoString(topic), Partition: int32(partition), LeaderEpoch: -1}
		connapi.ListOffsets(co.c, []connapi.TopicPartition{tp}, int64(timestamp), 0, done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_find_coordinator
func kfkgo_conn_find_coordinator(h C.uint64_t, key *C.char, keyType C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if key == nil || (keyType != 0 && keyType != 1) {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.FindCoordinator(co.c, C.GoString(key), int8(keyType), done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_join_group
func kfkgo_conn_join_group(h C.uint64_t, group, member *C.char, topics **C.char, nTopics C.size_t,
	sessionMs, rebalanceMs C.int, instance *C.char, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		names, ok := goStrings(topics, nTopics)
		if !ok || group == nil || sessionMs < 0 || rebalanceMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.JoinGroup(co.c, C.GoString(group), goStringOrEmpty(member), names,
			int32(sessionMs), int32(rebalanceMs), goStringPtr(instance), done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_sync_group
func kfkgo_conn_sync_group(h C.uint64_t, group *C.char, generation C.int32_t, member *C.char,
	assignments *C.kfk_member_assignment_t, n C.size_t, instance *C.char, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if group == nil || member == nil || (n > 0 && assignments == nil) || n > maxCount {
			return C.KFK_ERR_INVALID_ARG
		}
		var plan []connapi.MemberAssignment
		for _, a := range unsafe.Slice(assignments, n) {
			tps, ok := goTopicPartitions(a.partitions, a.n)
			if !ok || a.member_id == nil {
				return C.KFK_ERR_INVALID_ARG
			}
			ma := connapi.MemberAssignment{MemberID: C.GoString(a.member_id), Partitions: map[string][]int32{}}
			for _, tp := range tps {
				ma.Partitions[tp.Topic] = append(ma.Partitions[tp.Topic], tp.Partition)
			}
			plan = append(plan, ma)
		}
		connapi.SyncGroup(co.c, C.GoString(group), int32(generation), C.GoString(member), plan, goStringPtr(instance), done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_heartbeat
func kfkgo_conn_heartbeat(h C.uint64_t, group *C.char, generation C.int32_t, member, instance *C.char, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if group == nil || member == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.Heartbeat(co.c, C.GoString(group), int32(generation), C.GoString(member), goStringPtr(instance), done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_leave_group
func kfkgo_conn_leave_group(h C.uint64_t, group, member, instance *C.char, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if group == nil || member == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.LeaveGroup(co.c, C.GoString(group), C.GoString(member), goStringPtr(instance), done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_offset_commit
func kfkgo_conn_offset_commit(h C.uint64_t, group *C.char, generation C.int32_t, member *C.char,
	tps *C.kfk_topic_partition_t, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		offsets, ok := goTopicPartitions(tps, n)
		if !ok || group == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.OffsetCommit(co.c, C.GoString(group), int32(generation), goStringOrEmpty(member), offsets, done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_offset_fetch
func kfkgo_conn_offset_fetch(h C.uint64_t, group *C.char, topics **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		names, ok := goStrings(topics, n)
		if !ok || group == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.OffsetFetch(co.c, C.GoString(group), names, done)
		return C.KFK_OK
	})
}

// goNewTopics converts n kfk_new_topic_t.
func goNewTopics(topics *C.kfk_new_topic_t, n C.size_t) ([]connapi.NewTopic, bool) {
	if (n > 0 && topics == nil) || n > maxCount {
		return nil, false
	}
	specs := make([]connapi.NewTopic, 0, n)
	for _, t := range unsafe.Slice(topics, n) {
		if t.name == nil || (t.config_n > 0 && t.config == nil) {
			return nil, false
		}
		kv, ok := goStringPairs(t.config, t.config_n)
		if !ok {
			return nil, false
		}
		cfg := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			cfg[kv[i]] = kv[i+1]
		}
		specs = append(specs, connapi.NewTopic{Name: C.GoString(t.name), NumPartitions: int32(t.num_partitions),
			ReplicationFactor: int16(t.replication_factor), Config: cfg})
	}
	return specs, true
}

//export kfkgo_conn_create_topics
func kfkgo_conn_create_topics(h C.uint64_t, topics *C.kfk_new_topic_t, n C.size_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		specs, ok := goNewTopics(topics, n)
		if !ok || timeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.CreateTopics(co.c, specs, int32(timeoutMs), done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_delete_topics
func kfkgo_conn_delete_topics(h C.uint64_t, names **C.char, n C.size_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		list, ok := goStrings(names, n)
		if !ok || timeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.DeleteTopics(co.c, list, int32(timeoutMs), done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_init_producer_id
func kfkgo_conn_init_producer_id(h C.uint64_t, txnID *C.char, txnTimeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if txnTimeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		if txnTimeoutMs == 0 {
			txnTimeoutMs = 60000
		}
		connapi.InitProducerID(co.c, goStringPtr(txnID), int32(txnTimeoutMs), done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_add_partitions_to_txn
func kfkgo_conn_add_partitions_to_txn(h C.uint64_t, txnID *C.char, pid C.int64_t, epoch C.int16_t,
	tps *C.kfk_topic_partition_t, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		parts, ok := goTopicPartitions(tps, n)
		if !ok || txnID == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.AddPartitionsToTxn(co.c, C.GoString(txnID), int64(pid), int16(epoch), parts, done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_add_offsets_to_txn
func kfkgo_conn_add_offsets_to_txn(h C.uint64_t, txnID *C.char, pid C.int64_t, epoch C.int16_t, group *C.char, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if txnID == nil || group == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.AddOffsetsToTxn(co.c, C.GoString(txnID), int64(pid), int16(epoch), C.GoString(group), done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_end_txn
func kfkgo_conn_end_txn(h C.uint64_t, txnID *C.char, pid C.int64_t, epoch C.int16_t, committed C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if txnID == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.EndTxn(co.c, C.GoString(txnID), int64(pid), int16(epoch), committed != 0, done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_txn_offset_commit
func kfkgo_conn_txn_offset_commit(h C.uint64_t, txnID, group *C.char, pid C.int64_t, epoch C.int16_t,
	generation C.int32_t, member *C.char, tps *C.kfk_topic_partition_t, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		offsets, ok := goTopicPartitions(tps, n)
		if !ok || txnID == nil || group == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.TxnOffsetCommit(co.c, C.GoString(txnID), C.GoString(group), int64(pid), int16(epoch),
			int32(generation), goStringOrEmpty(member), offsets, done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_raw_request
func kfkgo_conn_raw_request(h C.uint64_t, key, version C.int16_t, body unsafe.Pointer, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if key < 0 || version < 0 || (n > 0 && body == nil) || n > maxBytes {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.Raw(co.c, int16(key), int16(version), C.GoBytes(body, C.int(n)), done)
		return C.KFK_OK
	})
}
