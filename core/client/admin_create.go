package client

import (
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CreateTopicsWith creates topics as CreateTopics does, with two
// options: replicas (nil: none) places each topic's partitions,
// replicas[i][p] listing the nodes of topic i's partition p, leader
// first, in place of its partition count and replication factor; and
// validateOnly has the broker check the topics and create none. Result:
// as CreateTopics'.
func (c *Client) CreateTopicsWith(topics []connapi.NewTopic, replicas [][][]int32, timeoutMs int32, validateOnly bool, cb func(tree.Value, error)) {
	req := connapi.CreateTopicsRequest(topics, timeoutMs)
	req.ValidateOnly = validateOnly
	for i, placed := range replicas {
		t := &req.Topics[i]
		t.NumPartitions, t.ReplicationFactor = -1, -1 // the broker counts the placement
		for p, nodes := range placed {
			ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
			ra.Partition, ra.Replicas = int32(p), nodes
			t.ReplicaAssignment = append(t.ReplicaAssignment, ra)
		}
	}
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			done(connapi.CreateTopicsTree(resp.(*kmsg.CreateTopicsResponse)), nil)
		})
	})
}

// CreatePartitionsWith grows topic to count partitions as
// CreatePartitions does, with two options: replicas (nil: the broker
// chooses) places the new partitions, replicas[i] the nodes of the i-th
// new one; and validateOnly has the broker check the change and make
// none.
func (c *Client) CreatePartitionsWith(topic string, count int32, replicas [][]int32, timeoutMs int32, validateOnly bool, cb func(error)) {
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = timeoutMs
	req.ValidateOnly = validateOnly
	t := kmsg.NewCreatePartitionsRequestTopic()
	t.Topic, t.Count = topic, count
	for _, nodes := range replicas {
		a := kmsg.NewCreatePartitionsRequestTopicAssignment()
		a.Replicas = nodes
		t.Assignment = append(t.Assignment, a)
	}
	req.Topics = []kmsg.CreatePartitionsRequestTopic{t}
	c.viaAnyBroker(func(_ tree.Value, err error) { cb(err) }, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err == nil {
				for _, res := range resp.(*kmsg.CreatePartitionsResponse).Topics {
					if err = refused("create partitions of "+topic, res.ErrorCode, res.ErrorMessage); err != nil {
						break
					}
				}
			}
			if err == nil && !validateOnly {
				c.awaitPartitions(topic, count, newPartitionsWait)
			}
			done(tree.Value{}, err)
		})
	})
}

// newPartitionsWait is how long CreatePartitionsWith waits for the
// metadata to show the new partitions, as CreatePartitions does.
const newPartitionsWait = 10 * time.Second

// DescribeClusterOperations is DescribeCluster with the operations the
// client may perform on the cluster, from a DescribeCluster request
// (KIP-700). Result: {cluster_id, controller_id, brokers => [{node_id,
// host, port, rack}], authorized_operations => ["alter", ...]}.
func (c *Client) DescribeClusterOperations(cb func(tree.Value, error)) {
	req := kmsg.NewPtrDescribeClusterRequest()
	req.IncludeClusterAuthorizedOperations = true
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			r := resp.(*kmsg.DescribeClusterResponse)
			if err := refused("describe cluster", r.ErrorCode, r.ErrorMessage); err != nil {
				done(tree.Value{}, err)
				return
			}
			brokers := make([]tree.Value, 0, len(r.Brokers))
			for _, b := range r.Brokers {
				brokers = append(brokers, tree.M("node_id", tree.I(b.NodeID), "host", tree.S(b.Host),
					"port", tree.I(b.Port), "rack", tree.OptS(b.Rack)))
			}
			done(tree.M("cluster_id", tree.S(r.ClusterID), "controller_id", tree.I(r.ControllerID),
				"brokers", tree.L(brokers...), "authorized_operations", operationNames(r.ClusterAuthorizedOperations)), nil)
		})
	})
}
