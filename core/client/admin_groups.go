package client

import (
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AlterGroupOffsets sets a group's committed offsets (offset, leader
// epoch and metadata of each partition), as a commit from outside the
// group: the broker refuses it while the group has members
// (UNKNOWN_MEMBER_ID, 25). Result: {partitions => [{topic, partition,
// error_code}]}; a failure to reach the coordinator is the call's error.
func (c *Client) AlterGroupOffsets(groupID string, offsets []connapi.TopicPartition, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		req := connapi.OffsetCommitRequest(groupID, -1, "", offsets)
		resp, err := c.coordinatorDo(groupID, coordinatorGroup, req)
		if err != nil {
			return tree.Value{}, err
		}
		var out []tree.Value
		for _, t := range resp.(*kmsg.OffsetCommitResponse).Topics {
			for _, p := range t.Partitions {
				out = append(out, tree.M("topic", tree.S(t.Topic), "partition", tree.I(p.Partition),
					"error_code", tree.I(p.ErrorCode)))
			}
		}
		return tree.M("partitions", tree.L(out...)), nil
	})
}

// DescribeGroupsOperations is DescribeGroups with each group's
// authorized_operations: what the client may do on it ("read",
// "describe", "delete").
func (c *Client) DescribeGroupsOperations(groups []string, cb func(tree.Value, error)) {
	c.describeGroups(groups, true, cb)
}
