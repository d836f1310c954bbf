package client

import (
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ValidateCreateTopics has the broker check topics as CreateTopics would
// create them, creating none. Result: as CreateTopics', an error_code per
// topic (0: it would be created).
func (c *Client) ValidateCreateTopics(topics []connapi.NewTopic, timeoutMs int32, cb func(tree.Value, error)) {
	req := connapi.CreateTopicsRequest(topics, timeoutMs)
	req.ValidateOnly = true
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

// ValidateCreatePartitions has the broker check growing topic to count
// partitions, growing nothing: the error is the refusal CreatePartitions
// would get.
func (c *Client) ValidateCreatePartitions(topic string, count int32, timeoutMs int32, cb func(error)) {
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = timeoutMs
	req.ValidateOnly = true
	t := kmsg.NewCreatePartitionsRequestTopic()
	t.Topic, t.Count = topic, count
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
			done(tree.Value{}, err)
		})
	})
}

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
