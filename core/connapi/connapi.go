// Package connapi is the request set of EV::Kafka::Conn on top of a
// conn.Conn: each call builds its Kafka request from plain arguments and
// hands the response to the callback as a result tree (package tree) in the
// shape EV::Kafka documents. Broker error codes stay inside the tree, as
// error_code fields; the callback's error is for transport failures
// (disconnects, timeouts, unsupported versions).
package connapi

import (
	"fmt"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Callback receives a call's result tree or its error. It runs on a
// connection goroutine and must not block.
type Callback func(tree.Value, error)

// TopicPartition names a partition, with an offset where the call uses one.
type TopicPartition struct {
	Topic       string
	Partition   int32
	Offset      int64
	LeaderEpoch int32   // -1 when unknown
	Metadata    *string // commit metadata
}

// do sends req and shapes the typed response with shape.
func do[R kmsg.Response](c *conn.Conn, req kmsg.Request, cb Callback, shape func(R) tree.Value) {
	c.Do(req, func(resp kmsg.Response, err error) {
		if err != nil {
			cb(tree.Value{}, err)
			return
		}
		r, ok := resp.(R)
		if !ok {
			cb(tree.Value{}, fmt.Errorf("%w: unexpected response type %T", conn.ErrProtocol, resp))
			return
		}
		cb(shape(r), nil)
	})
}

// topicGroup is the partitions of one topic, in the order first seen.
type topicGroup struct {
	topic string
	parts []TopicPartition
}

// groupByTopic groups tps by topic, keeping first-seen order, since most
// requests nest partitions under topics.
func groupByTopic(tps []TopicPartition) []topicGroup {
	var groups []topicGroup
	index := map[string]int{}
	for _, tp := range tps {
		i, ok := index[tp.Topic]
		if !ok {
			i = len(groups)
			index[tp.Topic] = i
			groups = append(groups, topicGroup{topic: tp.Topic})
		}
		groups[i].parts = append(groups[i].parts, tp)
	}
	return groups
}

// partitionErrors shapes the common {topics => [{topic, partitions =>
// [{partition, error_code}]}]} result.
func partitionErrors(n int, topic func(i int) (string, int), part func(i, j int) (int32, int16)) tree.Value {
	topics := make([]tree.Value, 0, n)
	for i := range n {
		name, np := topic(i)
		parts := make([]tree.Value, 0, np)
		for j := range np {
			p, code := part(i, j)
			parts = append(parts, tree.M("partition", tree.I(p), "error_code", tree.I(code)))
		}
		topics = append(topics, tree.M("topic", tree.S(name), "partitions", tree.L(parts...)))
	}
	return tree.M("topics", tree.L(topics...))
}

// Raw sends a request body already encoded for key at version (for custom
// protocols and debugging). Result: {api_key, api_version, body}, body being
// the raw response after its header.
func Raw(c *conn.Conn, key, version int16, body []byte, cb Callback) {
	c.DoRaw(key, version, body, func(resp []byte, err error) {
		if err != nil {
			cb(tree.Value{}, err)
			return
		}
		cb(tree.M("api_key", tree.I(key), "api_version", tree.I(version),
			"body", tree.Value{Kind: tree.Bytes, Bytes: resp}), nil)
	})
}
