package client

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Admin calls for share groups (KIP-932): the share-group counterparts of
// ListGroups, DescribeGroups and GroupLag, the start offsets an operator
// moves or forgets, and DeleteGroups (which serves every kind of group).

// shareGroupType is the group type ListGroups names share groups by.
const shareGroupType = "share"

// ListShareGroups lists the share groups of every broker, only those in
// one of states when it is not empty (lower case, as the results give
// them: "empty", "stable", "dead"). Result: {groups => [{group_id,
// state}]}, sorted by group id.
func (c *Client) ListShareGroups(states []string, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		groups, err := c.listGroupsEverywhere(func() *kmsg.ListGroupsRequest {
			req := kmsg.NewPtrListGroupsRequest()
			req.TypesFilter = []string{shareGroupType}
			req.StatesFilter = states
			return req
		})
		if err != nil {
			return tree.Value{}, err
		}
		out := []tree.Value{}
		for _, g := range groups {
			// A broker speaking ListGroups before v5 drops the types
			// filter and names no types: it has no share groups either.
			if !strings.EqualFold(g.GroupType, shareGroupType) {
				continue
			}
			out = append(out, tree.M("group_id", tree.S(g.Group), "state", tree.S(strings.ToLower(g.GroupState))))
		}
		return tree.M("groups", tree.L(out...)), nil
	})
}

// DescribeShareGroups describes share groups, each asked of its
// coordinator. Result: {groups => [{group_id, error_code, error_message,
// state, epoch, assignment_epoch, assignor, members => [{member_id,
// rack_id, member_epoch, client_id, client_host, subscribed_topics =>
// [topic], assignment => {topic => [partitions]}}]}]}, in the order asked.
func (c *Client) DescribeShareGroups(groups []string, cb func(tree.Value, error)) {
	eachGroup(groups, c.describeShareGroup, cb)
}

func (c *Client) describeShareGroup(id string) tree.Value {
	failed := func(code int16, msg *string) tree.Value {
		return tree.M("group_id", tree.S(id), "error_code", tree.I(code), "error_message", tree.OptS(msg),
			"members", tree.L())
	}
	req := kmsg.NewPtrShareGroupDescribeRequest()
	req.GroupIDs = []string{id}
	resp, err := c.coordinatorDo(id, coordinatorGroup, req)
	if err != nil {
		msg := err.Error()
		return failed(errorCodeOf(err), &msg)
	}
	r := resp.(*kmsg.ShareGroupDescribeResponse)
	if len(r.Groups) == 0 {
		msg := "the coordinator described no group"
		return failed(-1, &msg)
	}
	g := r.Groups[0]
	if g.ErrorCode != 0 {
		return failed(g.ErrorCode, g.ErrorMessage)
	}
	members := make([]tree.Value, 0, len(g.Members))
	for _, m := range g.Members {
		var assigned []any
		for _, t := range m.Assignment.TopicPartitions {
			assigned = append(assigned, t.Topic, tree.Ints(slices.Sorted(slices.Values(t.Partitions))))
		}
		members = append(members, tree.M("member_id", tree.S(m.MemberID), "rack_id", tree.OptS(m.RackID),
			"member_epoch", tree.I(m.MemberEpoch), "client_id", tree.S(m.ClientID), "client_host", tree.S(m.ClientHost),
			"subscribed_topics", tree.Strs(m.SubscribedTopicNames), "assignment", tree.M(assigned...)))
	}
	return tree.M("group_id", tree.S(g.GroupID), "error_code", tree.I(g.ErrorCode), "error_message", tree.OptS(g.ErrorMessage),
		"state", tree.S(strings.ToLower(g.GroupState)), "epoch", tree.I(g.GroupEpoch),
		"assignment_epoch", tree.I(g.AssignmentEpoch), "assignor", tree.S(g.Assignor), "members", tree.L(members...))
}

// ShareGroupOffsets reports where a share group stands on every partition
// it has started on: the start offset (every record before it is
// acknowledged), the latest offset and the lag. The lag is the broker's
// count of records not yet acknowledged where it gives one
// (DescribeShareGroupOffsets v1), else latest - start_offset, which also
// counts records acknowledged past the start. Result: {"topic:partition"
// => {start_offset, latest, lag}} (the shape of GroupLag).
func (c *Client) ShareGroupOffsets(groupID string, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		req := kmsg.NewPtrDescribeShareGroupOffsetsRequest()
		g := kmsg.NewDescribeShareGroupOffsetsRequestGroup()
		g.GroupID = groupID
		g.Topics = nil // every partition the group has started on
		req.Groups = []kmsg.DescribeShareGroupOffsetsRequestGroup{g}
		resp, err := c.coordinatorDo(groupID, coordinatorGroup, req)
		if err != nil {
			return tree.Value{}, fmt.Errorf("share offsets of group %s: %w", groupID, err)
		}
		r := resp.(*kmsg.DescribeShareGroupOffsetsResponse)
		if len(r.Groups) == 0 {
			return tree.Value{}, fmt.Errorf("share offsets of group %s: the coordinator answered for no group", groupID)
		}
		rg := r.Groups[0]
		if err := refused("share offsets of group "+groupID, rg.ErrorCode, rg.ErrorMessage); err != nil {
			return tree.Value{}, err
		}
		type started struct{ start, lag int64 }
		byTopic := map[string]map[int32]started{}
		for _, t := range rg.Topics {
			for _, p := range t.Partitions {
				// A partition left out would read as never started on.
				what := fmt.Sprintf("share offset of group %s on %s:%d", groupID, t.Topic, p.Partition)
				if err := refused(what, p.ErrorCode, p.ErrorMessage); err != nil {
					return tree.Value{}, err
				}
				if p.StartOffset < 0 {
					continue
				}
				if byTopic[t.Topic] == nil {
					byTopic[t.Topic] = map[int32]started{}
				}
				lag := p.Lag
				if r.Version < 1 {
					lag = -1 // v0 has no lag field
				}
				byTopic[t.Topic][p.Partition] = started{p.StartOffset, lag}
			}
		}
		topics := slices.Sorted(maps.Keys(byTopic))
		if _, err := c.lookupNow(topics); err != nil {
			return tree.Value{}, err
		}
		var kv []any
		for _, topic := range topics {
			parts := slices.Sorted(maps.Keys(byTopic[topic]))
			latest, err := c.listOffsetsNow(topic, parts, OffsetLatest)
			if err != nil {
				return tree.Value{}, err
			}
			for _, p := range parts {
				s := byTopic[topic][p]
				lag := s.lag
				if lag < 0 {
					lag = max(latest[p]-s.start, 0)
				}
				kv = append(kv, fmt.Sprintf("%s:%d", topic, p),
					tree.M("start_offset", tree.I(s.start), "latest", tree.I(latest[p]), "lag", tree.I(lag)))
			}
		}
		return tree.M(kv...), nil
	})
}

// AlterShareGroupOffsets moves the start offset of a share group with no
// members on each partition to its Offset; OffsetEarliest and
// OffsetLatest are looked up first. Result: {partitions => [{topic,
// partition, error_code, error_message}]}; a refusal of the whole request
// (a group with members: NON_EMPTY_GROUP) fails the call.
func (c *Client) AlterShareGroupOffsets(groupID string, to []Assignment, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		to, err := c.resolveOffsets(to)
		if err != nil {
			return tree.Value{}, err
		}
		req := kmsg.NewPtrAlterShareGroupOffsetsRequest()
		req.GroupID = groupID
		for _, a := range to {
			if n := len(req.Topics); n == 0 || req.Topics[n-1].Topic != a.Topic {
				t := kmsg.NewAlterShareGroupOffsetsRequestTopic()
				t.Topic = a.Topic
				req.Topics = append(req.Topics, t)
			}
			p := kmsg.NewAlterShareGroupOffsetsRequestTopicPartition()
			p.Partition, p.StartOffset = a.Partition, a.Offset
			t := &req.Topics[len(req.Topics)-1]
			t.Partitions = append(t.Partitions, p)
		}
		resp, err := c.coordinatorDo(groupID, coordinatorGroup, req)
		if err != nil {
			return tree.Value{}, fmt.Errorf("alter share offsets of group %s: %w", groupID, err)
		}
		r := resp.(*kmsg.AlterShareGroupOffsetsResponse)
		if err := refused("alter share offsets of group "+groupID, r.ErrorCode, r.ErrorMessage); err != nil {
			return tree.Value{}, err
		}
		var out []tree.Value
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				out = append(out, tree.M("topic", tree.S(t.Topic), "partition", tree.I(p.Partition),
					"error_code", tree.I(p.ErrorCode), "error_message", tree.OptS(p.ErrorMessage)))
			}
		}
		return tree.M("partitions", tree.L(out...)), nil
	})
}

// resolveOffsets returns to sorted by topic and partition, with
// OffsetEarliest and OffsetLatest replaced by the partitions' offsets.
func (c *Client) resolveOffsets(to []Assignment) ([]Assignment, error) {
	out := slices.Clone(to)
	slices.SortStableFunc(out, func(a, b Assignment) int {
		if a.Topic != b.Topic {
			return strings.Compare(a.Topic, b.Topic)
		}
		return int(a.Partition - b.Partition)
	})
	lookups := map[string]map[int64][]int32{} // topic => earliest/latest => partitions
	for _, a := range out {
		if a.Offset == OffsetEarliest || a.Offset == OffsetLatest {
			if lookups[a.Topic] == nil {
				lookups[a.Topic] = map[int64][]int32{}
			}
			lookups[a.Topic][a.Offset] = append(lookups[a.Topic][a.Offset], a.Partition)
		}
	}
	if len(lookups) == 0 {
		return out, nil
	}
	if _, err := c.lookupNow(slices.Sorted(maps.Keys(lookups))); err != nil {
		return nil, err
	}
	found := map[string]map[int64]map[int32]int64{}
	for topic, byKind := range lookups {
		found[topic] = map[int64]map[int32]int64{}
		for kind, parts := range byKind {
			offs, err := c.listOffsetsNow(topic, parts, kind)
			if err != nil {
				return nil, err
			}
			found[topic][kind] = offs
		}
	}
	for i, a := range out {
		if a.Offset == OffsetEarliest || a.Offset == OffsetLatest {
			out[i].Offset = found[a.Topic][a.Offset][a.Partition]
		}
	}
	return out, nil
}

// DeleteShareGroupOffsets makes a share group with no members forget its
// start offsets on topics, as if it had never read them. Result: {topics
// => [{topic, error_code, error_message}]}; a refusal of the whole request
// fails the call.
func (c *Client) DeleteShareGroupOffsets(groupID string, topics []string, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		req := kmsg.NewPtrDeleteShareGroupOffsetsRequest()
		req.GroupID = groupID
		for _, name := range topics {
			t := kmsg.NewDeleteShareGroupOffsetsRequestTopic()
			t.Topic = name
			req.Topics = append(req.Topics, t)
		}
		resp, err := c.coordinatorDo(groupID, coordinatorGroup, req)
		if err != nil {
			return tree.Value{}, fmt.Errorf("delete share offsets of group %s: %w", groupID, err)
		}
		r := resp.(*kmsg.DeleteShareGroupOffsetsResponse)
		if err := refused("delete share offsets of group "+groupID, r.ErrorCode, r.ErrorMessage); err != nil {
			return tree.Value{}, err
		}
		out := make([]tree.Value, 0, len(r.Topics))
		for _, t := range r.Topics {
			out = append(out, tree.M("topic", tree.S(t.Topic), "error_code", tree.I(t.ErrorCode),
				"error_message", tree.OptS(t.ErrorMessage)))
		}
		return tree.M("topics", tree.L(out...)), nil
	})
}

// DeleteGroups deletes groups with no members (consumer, classic or share
// groups), each asked of its coordinator. Result: {groups => [{group_id,
// error_code, error_message}]}, in the order asked; NON_EMPTY_GROUP (68)
// for a group with members, GROUP_ID_NOT_FOUND (69) for an unknown one.
func (c *Client) DeleteGroups(groups []string, cb func(tree.Value, error)) {
	eachGroup(groups, c.deleteGroup, cb)
}

func (c *Client) deleteGroup(id string) tree.Value {
	result := func(code int16, msg *string) tree.Value {
		return tree.M("group_id", tree.S(id), "error_code", tree.I(code), "error_message", tree.OptS(msg))
	}
	req := kmsg.NewPtrDeleteGroupsRequest()
	req.Groups = []string{id}
	resp, err := c.coordinatorDo(id, coordinatorGroup, req)
	if err != nil {
		msg := err.Error()
		return result(errorCodeOf(err), &msg)
	}
	r := resp.(*kmsg.DeleteGroupsResponse)
	if len(r.Groups) == 0 {
		msg := "the coordinator answered for no group"
		return result(-1, &msg)
	}
	return result(r.Groups[0].ErrorCode, r.Groups[0].ErrorMessage)
}
