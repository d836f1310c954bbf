package connapi

import (
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
	"maps"
	"slices"
)

// Assignors offered when joining with the consumer protocol. The group's
// leader chooses one that every member offers; kfk's own group client
// implements all three.
var Assignors = []string{"sticky", "range", "roundrobin"}

// FindCoordinator finds the coordinator for key (KeyTypeGroup or
// KeyTypeTxn). Result: {error_code, error_message, node_id, host, port}.
func FindCoordinator(c *conn.Conn, key string, keyType int8, cb Callback) {
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKey = key
	req.CoordinatorKeys = []string{key} // v4+ batches keys
	req.CoordinatorType = keyType
	do(c, req, cb, func(resp *kmsg.FindCoordinatorResponse) tree.Value {
		if len(resp.Coordinators) > 0 {
			co := resp.Coordinators[0]
			return tree.M("error_code", tree.I(co.ErrorCode), "error_message", tree.OptS(co.ErrorMessage),
				"node_id", tree.I(co.NodeID), "host", tree.S(co.Host), "port", tree.I(co.Port))
		}
		return tree.M("error_code", tree.I(resp.ErrorCode), "error_message", tree.OptS(resp.ErrorMessage),
			"node_id", tree.I(resp.NodeID), "host", tree.S(resp.Host), "port", tree.I(resp.Port))
	})
}

// Coordinator key types for FindCoordinator.
const (
	KeyTypeGroup int8 = 0
	KeyTypeTxn   int8 = 1
)

// JoinGroup joins groupID with the consumer protocol, subscribing to
// topics. Timeouts are in milliseconds (0 picks 30000 / 60000).
// Result: {error_code, generation_id, protocol, leader, member_id,
// members => [{member_id, group_instance_id, topics => [...]}]}.
func JoinGroup(c *conn.Conn, groupID, memberID string, topics []string, sessionMs, rebalanceMs int32, instanceID *string, cb Callback) {
	if sessionMs <= 0 {
		sessionMs = 30000
	}
	if rebalanceMs <= 0 {
		rebalanceMs = 60000
	}
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Topics = topics
	metaBytes := meta.AppendTo(nil)
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group = groupID
	req.MemberID = memberID
	req.InstanceID = instanceID
	req.SessionTimeoutMillis = sessionMs
	req.RebalanceTimeoutMillis = rebalanceMs
	req.ProtocolType = "consumer"
	for _, name := range Assignors {
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name = name
		p.Metadata = metaBytes
		req.Protocols = append(req.Protocols, p)
	}
	do(c, req, cb, func(resp *kmsg.JoinGroupResponse) tree.Value {
		members := make([]tree.Value, 0, len(resp.Members))
		for _, m := range resp.Members {
			var md kmsg.ConsumerMemberMetadata
			topics := tree.L()
			if md.ReadFrom(m.ProtocolMetadata) == nil {
				topics = tree.Strs(md.Topics)
			}
			members = append(members, tree.M("member_id", tree.S(m.MemberID),
				"group_instance_id", tree.OptS(m.InstanceID), "topics", topics))
		}
		return tree.M("error_code", tree.I(resp.ErrorCode), "generation_id", tree.I(resp.Generation),
			"protocol", tree.OptS(resp.Protocol), "leader", tree.S(resp.LeaderID),
			"member_id", tree.S(resp.MemberID), "members", tree.L(members...))
	})
}

// MemberAssignment is what the group leader gives one member in SyncGroup.
type MemberAssignment struct {
	MemberID   string
	Partitions map[string][]int32
}

// SyncGroup sends the leader's assignments (nil for followers) and returns
// this member's. Result: {error_code, assignment => [{topic, partitions}]}.
func SyncGroup(c *conn.Conn, groupID string, generation int32, memberID string, assignments []MemberAssignment, instanceID *string, cb Callback) {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group = groupID
	req.Generation = generation
	req.MemberID = memberID
	req.InstanceID = instanceID
	proto, ptype := Assignors[0], "consumer"
	req.Protocol, req.ProtocolType = &proto, &ptype
	for _, a := range assignments {
		ma := kmsg.NewConsumerMemberAssignment()
		for _, topic := range slices.Sorted(maps.Keys(a.Partitions)) {
			t := kmsg.NewConsumerMemberAssignmentTopic()
			t.Topic = topic
			t.Partitions = a.Partitions[topic]
			ma.Topics = append(ma.Topics, t)
		}
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID = a.MemberID
		ga.MemberAssignment = ma.AppendTo(nil)
		req.GroupAssignment = append(req.GroupAssignment, ga)
	}
	do(c, req, cb, func(resp *kmsg.SyncGroupResponse) tree.Value {
		var ma kmsg.ConsumerMemberAssignment
		topics := []tree.Value{}
		if len(resp.MemberAssignment) > 0 && ma.ReadFrom(resp.MemberAssignment) == nil {
			for _, t := range ma.Topics {
				topics = append(topics, tree.M("topic", tree.S(t.Topic), "partitions", tree.Ints(t.Partitions)))
			}
		}
		return tree.M("error_code", tree.I(resp.ErrorCode), "assignment", tree.L(topics...))
	})
}

// Heartbeat keeps the member alive. Result: {error_code}.
func Heartbeat(c *conn.Conn, groupID string, generation int32, memberID string, instanceID *string, cb Callback) {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group = groupID
	req.Generation = generation
	req.MemberID = memberID
	req.InstanceID = instanceID
	do(c, req, cb, func(resp *kmsg.HeartbeatResponse) tree.Value {
		return tree.M("error_code", tree.I(resp.ErrorCode))
	})
}

// LeaveGroup removes the member so the group rebalances at once.
// Result: {error_code}.
func LeaveGroup(c *conn.Conn, groupID, memberID string, instanceID *string, cb Callback) {
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = groupID
	req.MemberID = memberID // v0-v2
	m := kmsg.NewLeaveGroupRequestMember()
	m.MemberID = memberID
	m.InstanceID = instanceID
	req.Members = []kmsg.LeaveGroupRequestMember{m} // v3+
	do(c, req, cb, func(resp *kmsg.LeaveGroupResponse) tree.Value {
		code := resp.ErrorCode
		for _, m := range resp.Members {
			if code == 0 {
				code = m.ErrorCode
			}
		}
		return tree.M("error_code", tree.I(code))
	})
}

// OffsetCommit commits offsets for the group. generation -1 and memberID ""
// commit outside group membership.
// Result: {topics => [{topic, partitions => [{partition, error_code}]}]}.
func OffsetCommit(c *conn.Conn, groupID string, generation int32, memberID string, offsets []TopicPartition, cb Callback) {
	req := OffsetCommitRequest(groupID, generation, memberID, offsets)
	do(c, req, cb, func(resp *kmsg.OffsetCommitResponse) tree.Value {
		return partitionErrors(len(resp.Topics),
			func(i int) (string, int) { return resp.Topics[i].Topic, len(resp.Topics[i].Partitions) },
			func(i, j int) (int32, int16) {
				p := resp.Topics[i].Partitions[j]
				return p.Partition, p.ErrorCode
			})
	})
}

// OffsetCommitRequest is the OffsetCommit request committing offsets for
// a member (generation -1 and no member id outside a group).
func OffsetCommitRequest(groupID string, generation int32, memberID string, offsets []TopicPartition) *kmsg.OffsetCommitRequest {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group = groupID
	req.Generation = generation
	req.MemberID = memberID
	for _, g := range groupByTopic(offsets) {
		t := kmsg.NewOffsetCommitRequestTopic()
		t.Topic = g.topic
		for _, tp := range g.parts {
			p := kmsg.NewOffsetCommitRequestTopicPartition()
			p.Partition = tp.Partition
			p.Offset = tp.Offset
			p.LeaderEpoch = tp.LeaderEpoch
			p.Metadata = tp.Metadata
			t.Partitions = append(t.Partitions, p)
		}
		req.Topics = append(req.Topics, t)
	}
	return req
}

// OffsetFetch returns the group's committed offsets for topics (nil: all).
// Result: {error_code, topics => [{topic, partitions => [{partition,
// offset, leader_epoch, metadata, error_code}]}]}.
func OffsetFetch(c *conn.Conn, groupID string, topics []string, cb Callback) {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = groupID
	// Asking for all of the group's topics works on every version; the
	// answer is filtered here, since naming topics would need their
	// partition lists.
	req.Topics = nil
	want := make(map[string]bool, len(topics))
	for _, t := range topics {
		want[t] = true
	}
	do(c, req, cb, func(resp *kmsg.OffsetFetchResponse) tree.Value {
		out := []tree.Value{}
		for _, t := range resp.Topics {
			if len(want) > 0 && !want[t.Topic] {
				continue
			}
			parts := make([]tree.Value, 0, len(t.Partitions))
			for _, p := range t.Partitions {
				parts = append(parts, tree.M("partition", tree.I(p.Partition), "offset", tree.I(p.Offset),
					"leader_epoch", tree.I(p.LeaderEpoch), "metadata", tree.OptS(p.Metadata),
					"error_code", tree.I(p.ErrorCode)))
			}
			out = append(out, tree.M("topic", tree.S(t.Topic), "partitions", tree.L(parts...)))
		}
		return tree.M("error_code", tree.I(resp.ErrorCode), "topics", tree.L(out...))
	})
}
