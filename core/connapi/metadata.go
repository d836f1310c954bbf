package connapi

import (
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Metadata asks for brokers and topics; all=true asks for every topic.
// Topic auto-creation follows the broker's setting, as for any client.
// Result: {controller_id, cluster_id, brokers => [{node_id, host, port,
// rack}], topics => [{name, error_code, is_internal, partitions =>
// [{partition, leader, leader_epoch, replicas, isr, error_code}]}]}.
func Metadata(c *conn.Conn, topics []string, all bool, cb Callback) {
	req := kmsg.NewPtrMetadataRequest()
	if !all {
		req.Topics = []kmsg.MetadataRequestTopic{}
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
	}
	req.AllowAutoTopicCreation = true
	do(c, req, cb, MetadataTree)
}

// MetadataTree shapes a Metadata response as the result tree.
func MetadataTree(resp *kmsg.MetadataResponse) tree.Value {
	brokers := make([]tree.Value, 0, len(resp.Brokers))
	for _, b := range resp.Brokers {
		brokers = append(brokers, tree.M("node_id", tree.I(b.NodeID), "host", tree.S(b.Host),
			"port", tree.I(b.Port), "rack", tree.OptS(b.Rack)))
	}
	topics := make([]tree.Value, 0, len(resp.Topics))
	for _, t := range resp.Topics {
		parts := make([]tree.Value, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			parts = append(parts, tree.M("partition", tree.I(p.Partition), "leader", tree.I(p.Leader),
				"leader_epoch", tree.I(p.LeaderEpoch), "replicas", tree.Ints(p.Replicas),
				"isr", tree.Ints(p.ISR), "error_code", tree.I(p.ErrorCode)))
		}
		topics = append(topics, tree.M("name", tree.OptS(t.Topic), "error_code", tree.I(t.ErrorCode),
			"is_internal", tree.Flag(t.IsInternal), "partitions", tree.L(parts...)))
	}
	return tree.M("controller_id", tree.I(resp.ControllerID), "cluster_id", tree.OptS(resp.ClusterID),
		"brokers", tree.L(brokers...), "topics", tree.L(topics...))
}

// ListOffsets finds the offset for timestamp in one partition (-1 latest,
// -2 earliest). isolation 1 reads the last stable offset.
// Result: {topics => [{topic, partitions => [{partition, error_code,
// timestamp, offset, leader_epoch}]}]}.
func ListOffsets(c *conn.Conn, tps []TopicPartition, timestamp int64, isolation int8, cb Callback) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	req.IsolationLevel = isolation
	for _, g := range groupByTopic(tps) {
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = g.topic
		for _, tp := range g.parts {
			p := kmsg.NewListOffsetsRequestTopicPartition()
			p.Partition = tp.Partition
			p.Timestamp = timestamp
			p.CurrentLeaderEpoch = tp.LeaderEpoch
			t.Partitions = append(t.Partitions, p)
		}
		req.Topics = append(req.Topics, t)
	}
	do(c, req, cb, func(resp *kmsg.ListOffsetsResponse) tree.Value {
		topics := make([]tree.Value, 0, len(resp.Topics))
		for _, t := range resp.Topics {
			parts := make([]tree.Value, 0, len(t.Partitions))
			for _, p := range t.Partitions {
				parts = append(parts, tree.M("partition", tree.I(p.Partition), "error_code", tree.I(p.ErrorCode),
					"timestamp", tree.I(p.Timestamp), "offset", tree.I(p.Offset), "leader_epoch", tree.I(p.LeaderEpoch)))
			}
			topics = append(topics, tree.M("topic", tree.S(t.Topic), "partitions", tree.L(parts...)))
		}
		return tree.M("topics", tree.L(topics...))
	})
}
