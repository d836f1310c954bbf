package client

import (
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetMaxTimestamp asks ListOffsets for the offset of the record with
// the largest timestamp (KIP-734), beside OffsetLatest and OffsetEarliest.
const OffsetMaxTimestamp int64 = -3

// ListOffsets asks each partition's leader for an offset: tps[i].Offset is
// OffsetLatest, OffsetEarliest, OffsetMaxTimestamp or a timestamp (ms; the
// first offset at or after it). isolation 1 reads committed (the latest
// offset stops at the last stable one). Result: {partitions => [{topic,
// partition, error_code, offset, timestamp, leader_epoch}]} in the order
// given; offset is -1 when no record qualifies.
func (c *Client) ListOffsets(tps []connapi.TopicPartition, isolation int8, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		topics := map[string]bool{}
		for _, tp := range tps {
			topics[tp.Topic] = true
		}
		m, err := c.lookupNow(slices.Sorted(maps.Keys(topics)))
		if err != nil {
			return tree.Value{}, err
		}
		out := make([]tree.Value, len(tps))
		answer := func(i int, code int16, offset, ts int64, epoch int32) {
			out[i] = tree.M("topic", tree.S(tps[i].Topic), "partition", tree.I(tps[i].Partition),
				"error_code", tree.I(code), "offset", tree.I(offset), "timestamp", tree.I(ts), "leader_epoch", tree.I(epoch))
		}
		// A request names each partition once (the broker refuses it
		// otherwise), so a partition asked about again goes in a later round.
		type key struct {
			topic     string
			partition int32
		}
		type round struct {
			byLeader map[int32]*kmsg.ListOffsetsRequest
			index    map[key]int
		}
		var rounds []round
		asked := map[key]int{}
		for i, tp := range tps {
			answer(i, kerr.UnknownTopicOrPartition, -1, -1, -1) // until the leader answers
			leader, ok := m.leader(tp.Topic, tp.Partition)
			if !ok {
				answer(i, unknownOrLeaderless(m, tp.Topic, tp.Partition), -1, -1, -1)
				continue
			}
			k := key{tp.Topic, tp.Partition}
			r := asked[k]
			asked[k]++
			if r == len(rounds) {
				rounds = append(rounds, round{map[int32]*kmsg.ListOffsetsRequest{}, map[key]int{}})
			}
			rounds[r].index[k] = i
			req := rounds[r].byLeader[leader]
			if req == nil {
				req = kmsg.NewPtrListOffsetsRequest()
				req.ReplicaID = -1
				req.IsolationLevel = isolation
				rounds[r].byLeader[leader] = req
			}
			ti := slices.IndexFunc(req.Topics, func(t kmsg.ListOffsetsRequestTopic) bool { return t.Topic == tp.Topic })
			if ti < 0 {
				t := kmsg.NewListOffsetsRequestTopic()
				t.Topic = tp.Topic
				req.Topics = append(req.Topics, t)
				ti = len(req.Topics) - 1
			}
			p := kmsg.NewListOffsetsRequestTopicPartition()
			p.Partition, p.Timestamp = tp.Partition, tp.Offset
			req.Topics[ti].Partitions = append(req.Topics[ti].Partitions, p)
		}
		for _, r := range rounds {
			for leader, req := range r.byLeader {
				resp, err := c.askBroker(leader, "leader", req)
				if err != nil {
					return tree.Value{}, err
				}
				for _, t := range resp.(*kmsg.ListOffsetsResponse).Topics {
					for _, p := range t.Partitions {
						if i, ok := r.index[key{t.Topic, p.Partition}]; ok {
							answer(i, p.ErrorCode, p.Offset, p.Timestamp, p.LeaderEpoch)
						}
					}
				}
			}
		}
		return tree.M("partitions", tree.L(out...)), nil
	})
}

// unknownOrLeaderless is the error for a partition without a known
// leader: the topic's own error, UNKNOWN_TOPIC_OR_PARTITION for a topic
// or partition that does not exist, else LEADER_NOT_AVAILABLE.
func unknownOrLeaderless(m *metadata, topic string, partition int32) int16 {
	n, code, known := m.topic(topic)
	switch {
	case known && code != 0:
		return code
	case !known || int(partition) >= n:
		return kerr.UnknownTopicOrPartition
	}
	return kerr.LeaderNotAvailable
}

// DescribeTopics describes topics from a Metadata request that creates
// none. Result: {brokers => [{node_id, host, port, rack}], topics =>
// [{name, topic_id (16 bytes), error_code, is_internal, partitions =>
// [{partition, leader, replicas, isr}], authorized_operations}]}, where
// authorized_operations lists the operations the client may do on the
// topic (lower case, e.g. "read", "describe_configs") when asked for, else
// is null.
func (c *Client) DescribeTopics(topics []string, withOperations bool, cb func(tree.Value, error)) {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	req.AllowAutoTopicCreation = false
	req.IncludeTopicAuthorizedOperations = withOperations
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			r := resp.(*kmsg.MetadataResponse)
			brokers := make([]tree.Value, 0, len(r.Brokers))
			for _, b := range r.Brokers {
				brokers = append(brokers, tree.M("node_id", tree.I(b.NodeID), "host", tree.S(b.Host),
					"port", tree.I(b.Port), "rack", tree.OptS(b.Rack)))
			}
			out := make([]tree.Value, 0, len(r.Topics))
			for _, t := range r.Topics {
				parts := make([]tree.Value, 0, len(t.Partitions))
				for _, p := range t.Partitions {
					parts = append(parts, tree.M("partition", tree.I(p.Partition), "leader", tree.I(p.Leader),
						"replicas", tree.Ints(p.Replicas), "isr", tree.Ints(p.ISR)))
				}
				ops := tree.Value{}
				if withOperations {
					ops = operationNames(t.AuthorizedOperations)
				}
				out = append(out, tree.M("name", tree.OptS(t.Topic), "topic_id", tree.B(t.TopicID[:]),
					"error_code", tree.I(t.ErrorCode), "is_internal", tree.Flag(t.IsInternal),
					"partitions", tree.L(parts...), "authorized_operations", ops))
			}
			done(tree.M("brokers", tree.L(brokers...), "topics", tree.L(out...)), nil)
		})
	})
}

// operationsOmitted is the authorized operations field of a broker that
// did not compute them.
const operationsOmitted = -2147483648

// operationNames turns a bit set of ACL operations (bit n: operation n)
// into their lower-case names; null when the broker gave none.
func operationNames(set int32) tree.Value {
	if set == operationsOmitted {
		return tree.Value{}
	}
	var names []string
	for u := uint32(set); u != 0; u &= u - 1 {
		names = append(names, aclName(kmsg.ACLOperation(bits.TrailingZeros32(u))))
	}
	return tree.Strs(names)
}

// aclName is the lower-case name of one of kmsg's ACL enums.
func aclName(v fmt.Stringer) string { return strings.ToLower(v.String()) }

// The kinds of leader election ElectLeaders asks for.
const (
	ElectPreferred int8 = 0
	ElectUnclean   int8 = 1
)

// ElectLeaders asks the controller to elect leaders for partitions (nil:
// every partition), the preferred replica or (unclean) any replica.
// Result: {partitions => [{topic, partition, error_code, error_message}]};
// ELECTION_NOT_NEEDED (84) where the leader is already the one wanted.
func (c *Client) ElectLeaders(kind int8, partitions []connapi.TopicPartition, timeoutMs int32, cb func(tree.Value, error)) {
	req := kmsg.NewPtrElectLeadersRequest()
	req.ElectionType = kind
	req.TimeoutMillis = timeoutMs
	if partitions != nil {
		req.Topics = []kmsg.ElectLeadersRequestTopic{}
	}
	for _, tp := range partitions {
		if n := len(req.Topics); n == 0 || req.Topics[n-1].Topic != tp.Topic {
			t := kmsg.NewElectLeadersRequestTopic()
			t.Topic = tp.Topic
			req.Topics = append(req.Topics, t)
		}
		t := &req.Topics[len(req.Topics)-1]
		t.Partitions = append(t.Partitions, tp.Partition)
	}
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			r := resp.(*kmsg.ElectLeadersResponse)
			if err := refused("elect leaders", r.ErrorCode, nil); err != nil {
				done(tree.Value{}, err)
				return
			}
			var out []tree.Value
			for _, t := range r.Topics {
				for _, p := range t.Partitions {
					out = append(out, tree.M("topic", tree.S(t.Topic), "partition", tree.I(p.Partition),
						"error_code", tree.I(p.ErrorCode), "error_message", tree.OptS(p.ErrorMessage)))
				}
			}
			done(tree.M("partitions", tree.L(out...)), nil)
		})
	})
}
