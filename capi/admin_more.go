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

// The kfk_admin_* calls about groups' offsets, topics, ACLs, SCRAM
// credentials and configs of any resource; each completes with one RESULT
// event. Input the library cannot read (a NULL where a string is needed,
// an unknown name) is KFK_ERR_INVALID_ARG at once.

//export kfkgo_admin_describe_groups_operations
func kfkgo_admin_describe_groups_operations(h C.uint64_t, groups **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		ids, ok := goStrings(groups, n)
		if !ok || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DescribeGroupsOperations(ids, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_alter_group_offsets
func kfkgo_admin_alter_group_offsets(h C.uint64_t, group *C.char, tps *C.kfk_topic_partition_t, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		offsets, ok := goTopicPartitions(tps, n)
		if !ok || group == nil || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		for _, tp := range offsets {
			if tp.Partition < 0 || tp.Offset < 0 {
				return C.KFK_ERR_INVALID_ARG
			}
		}
		co.c.AlterGroupOffsets(C.GoString(group), offsets, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_list_offsets
func kfkgo_admin_list_offsets(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t, isolation C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		specs, ok := goTopicPartitions(tps, n)
		if !ok || n == 0 || (isolation != 0 && isolation != 1) {
			return C.KFK_ERR_INVALID_ARG
		}
		for _, tp := range specs {
			if tp.Partition < 0 || tp.Offset < client.OffsetMaxTimestamp {
				return C.KFK_ERR_INVALID_ARG
			}
		}
		co.c.ListOffsets(specs, int8(isolation), co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_describe_topics
func kfkgo_admin_describe_topics(h C.uint64_t, topics **C.char, n C.size_t, withOps C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		names, ok := goStrings(topics, n)
		if !ok || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DescribeTopics(names, withOps != 0, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_elect_leaders
func kfkgo_admin_elect_leaders(h C.uint64_t, kind C.int, tps *C.kfk_topic_partition_t, n C.size_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		parts, ok := goTopicPartitions(tps, n)
		if !ok || timeoutMs < 0 || (kind != C.int(client.ElectPreferred) && kind != C.int(client.ElectUnclean)) {
			return C.KFK_ERR_INVALID_ARG
		}
		if n == 0 {
			parts = nil // every partition
		}
		co.c.ElectLeaders(int8(kind), parts, int32(timeoutMs), co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

// goACLs reads n ACLs of client.ACLFields strings each.
func goACLs(p **C.char, n C.size_t, filter bool) ([]client.ACL, bool) {
	if p == nil || n == 0 || n > maxCount/client.ACLFields {
		return nil, false
	}
	strs := unsafe.Slice(p, n*client.ACLFields)
	out := make([]client.ACL, 0, n)
	for i := 0; i < len(strs); i += client.ACLFields {
		var f [client.ACLFields]*string
		for j := range f {
			f[j] = goStringPtr(strs[i+j])
		}
		a, err := client.ParseACL(f, filter)
		if err != nil {
			return nil, false
		}
		out = append(out, a)
	}
	return out, true
}

//export kfkgo_admin_create_acls
func kfkgo_admin_create_acls(h C.uint64_t, acls **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		list, ok := goACLs(acls, n, false)
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.CreateACLs(list, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_describe_acls
func kfkgo_admin_describe_acls(h C.uint64_t, filter **C.char, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		list, ok := goACLs(filter, 1, true)
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DescribeACLs(list[0], co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_delete_acls
func kfkgo_admin_delete_acls(h C.uint64_t, filters **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		list, ok := goACLs(filters, n, true)
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.DeleteACLs(list, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_describe_user_scram_credentials
func kfkgo_admin_describe_user_scram_credentials(h C.uint64_t, users **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		names, ok := goStrings(users, n)
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		if n == 0 {
			names = nil // every user
		}
		co.c.DescribeUserScramCredentials(names, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

// goBytes copies n bytes at p; a NULL p is nil (not given).
func goBytes(p unsafe.Pointer, n C.size_t) ([]byte, bool) {
	if p == nil {
		return nil, n == 0
	}
	if n > maxBytes {
		return nil, false
	}
	return append([]byte{}, unsafe.Slice((*byte)(p), n)...), true
}

//export kfkgo_admin_alter_user_scram_credentials
func kfkgo_admin_alter_user_scram_credentials(h C.uint64_t, creds *C.kfk_scram_credential_t, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if creds == nil || n == 0 || n > maxCount {
			return C.KFK_ERR_INVALID_ARG
		}
		changes := make([]client.ScramCredential, 0, n)
		for _, sc := range unsafe.Slice(creds, n) {
			password, okP := goBytes(sc.password, sc.password_len)
			salt, okS := goBytes(sc.salt, sc.salt_len)
			m := int8(sc.mechanism)
			if sc.user == nil || !okP || !okS || (sc.mechanism != C.int32_t(client.ScramSHA256) && sc.mechanism != C.int32_t(client.ScramSHA512)) {
				return C.KFK_ERR_INVALID_ARG
			}
			changes = append(changes, client.ScramCredential{User: C.GoString(sc.user), Mechanism: m,
				Iterations: int32(sc.iterations), Password: password, Salt: salt})
		}
		co.c.AlterUserScramCredentials(changes, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_describe_configs
func kfkgo_admin_describe_configs(h C.uint64_t, resources **C.char, n C.size_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		pairs, ok := goStringPairs(resources, n)
		if !ok || n == 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		list := make([]client.ConfigResource, 0, n)
		for i := 0; i < len(pairs); i += 2 {
			t, err := client.ParseConfigResourceType(pairs[i])
			if err != nil {
				return C.KFK_ERR_INVALID_ARG
			}
			list = append(list, client.ConfigResource{Type: t, Name: pairs[i+1]})
		}
		co.c.DescribeConfigs(list, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

// configChangeFields is how many strings make one change given to
// kfk_admin_incremental_alter_configs: resource type, resource name,
// operation, config name, value.
const configChangeFields = 5

//export kfkgo_admin_incremental_alter_configs
func kfkgo_admin_incremental_alter_configs(h C.uint64_t, ops **C.char, n C.size_t, validateOnly C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if ops == nil || n == 0 || n > maxCount/configChangeFields {
			return C.KFK_ERR_INVALID_ARG
		}
		strs := unsafe.Slice(ops, n*configChangeFields)
		changes := make([]client.ConfigChange, 0, n)
		for i := 0; i < len(strs); i += configChangeFields {
			if strs[i] == nil || strs[i+1] == nil || strs[i+2] == nil || strs[i+3] == nil {
				return C.KFK_ERR_INVALID_ARG
			}
			t, err := client.ParseConfigResourceType(C.GoString(strs[i]))
			if err != nil {
				return C.KFK_ERR_INVALID_ARG
			}
			op, err := client.ParseConfigOp(C.GoString(strs[i+2]))
			if err != nil {
				return C.KFK_ERR_INVALID_ARG
			}
			changes = append(changes, client.ConfigChange{Resource: client.ConfigResource{Type: t, Name: C.GoString(strs[i+1])},
				Op: op, Name: C.GoString(strs[i+3]), Value: goStringPtr(strs[i+4])})
		}
		co.c.IncrementalAlterConfigs(changes, validateOnly != 0, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_validate_create_topics
func kfkgo_admin_validate_create_topics(h C.uint64_t, topics *C.kfk_new_topic_t, n C.size_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		specs, ok := goNewTopics(topics, n)
		if !ok || n == 0 || timeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.CreateTopicsWith(specs, nil, int32(timeoutMs), true, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

// goNodeIDs copies n node ids.
func goNodeIDs(p *C.int32_t, n C.size_t) ([]int32, bool) {
	if p == nil || n == 0 || n > maxCount {
		return nil, false
	}
	return append([]int32{}, unsafe.Slice((*int32)(unsafe.Pointer(p)), n)...), true
}

// placement cuts node ids into one replica list per partition, per each.
func placement(ids []int32, per int) [][]int32 {
	out := make([][]int32, 0, len(ids)/per)
	for i := 0; i+per <= len(ids); i += per {
		out = append(out, ids[i:i+per:i+per])
	}
	return out
}

//export kfkgo_admin_create_topics_placed
func kfkgo_admin_create_topics_placed(h C.uint64_t, topics *C.kfk_new_topic_t, n C.size_t, replicas *C.int32_t, nReplicas C.size_t, validateOnly C.int, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		specs, ok := goNewTopics(topics, n)
		ids, okIDs := goNodeIDs(replicas, nReplicas)
		if !ok || !okIDs || n == 0 || timeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		placed := make([][][]int32, len(specs))
		for i, t := range specs {
			want := int(t.NumPartitions) * int(t.ReplicationFactor)
			if t.NumPartitions <= 0 || t.ReplicationFactor <= 0 || want > len(ids) {
				return C.KFK_ERR_INVALID_ARG
			}
			placed[i], ids = placement(ids[:want], int(t.ReplicationFactor)), ids[want:]
		}
		if len(ids) != 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		co.c.CreateTopicsWith(specs, placed, int32(timeoutMs), validateOnly != 0, co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}

//export kfkgo_admin_validate_create_partitions
func kfkgo_admin_validate_create_partitions(h C.uint64_t, topic *C.char, total C.int32_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if topic == nil || total <= 0 || timeoutMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		done := co.resultCB(cb, opaque)
		co.c.CreatePartitionsWith(C.GoString(topic), int32(total), nil, int32(timeoutMs), true, func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}

//export kfkgo_admin_create_partitions_placed
func kfkgo_admin_create_partitions_placed(h C.uint64_t, topic *C.char, total C.int32_t, replicas *C.int32_t, nReplicas C.size_t, perPartition C.int, validateOnly C.int, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		ids, ok := goNodeIDs(replicas, nReplicas)
		if !ok || topic == nil || total <= 0 || timeoutMs < 0 || perPartition <= 0 || len(ids)%int(perPartition) != 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		placed := placement(ids, int(perPartition))
		done := co.resultCB(cb, opaque)
		co.c.CreatePartitionsWith(C.GoString(topic), int32(total), placed, int32(timeoutMs), validateOnly != 0,
			func(err error) { done(tree.Value{}, err) })
		return C.KFK_OK
	})
}

//export kfkgo_admin_describe_cluster_operations
func kfkgo_admin_describe_cluster_operations(h C.uint64_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		co.c.DescribeClusterOperations(co.resultCB(cb, opaque))
		return C.KFK_OK
	})
}
