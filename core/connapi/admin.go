package connapi

import (
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
	"maps"
	"slices"
)

// NewTopic describes a topic to create. -1 leaves a count to the broker.
type NewTopic struct {
	Name              string
	NumPartitions     int32
	ReplicationFactor int16
	Config            map[string]string
}

// CreateTopics creates topics, waiting up to timeoutMs on the broker.
// Result: {topics => [{name, error_code, error_message}]}.
func CreateTopics(c *conn.Conn, topics []NewTopic, timeoutMs int32, cb Callback) {
	do(c, CreateTopicsRequest(topics, timeoutMs), cb, CreateTopicsTree)
}

// CreateTopicsRequest is the CreateTopics request for topics.
func CreateTopicsRequest(topics []NewTopic, timeoutMs int32) *kmsg.CreateTopicsRequest {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = timeoutMs
	for _, nt := range topics {
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic = nt.Name
		t.NumPartitions = nt.NumPartitions
		t.ReplicationFactor = nt.ReplicationFactor
		for _, k := range slices.Sorted(maps.Keys(nt.Config)) {
			cfg := kmsg.NewCreateTopicsRequestTopicConfig()
			cfg.Name = k
			cfg.Value = kmsg.StringPtr(nt.Config[k])
			t.Configs = append(t.Configs, cfg)
		}
		req.Topics = append(req.Topics, t)
	}
	return req
}

// CreateTopicsTree shapes a CreateTopics response as the result tree.
func CreateTopicsTree(resp *kmsg.CreateTopicsResponse) tree.Value {
	out := make([]tree.Value, 0, len(resp.Topics))
	for _, t := range resp.Topics {
		out = append(out, tree.M("name", tree.S(t.Topic), "error_code", tree.I(t.ErrorCode),
			"error_message", tree.OptS(t.ErrorMessage)))
	}
	return tree.M("topics", tree.L(out...))
}

// DeleteTopics deletes topics by name. Result: {topics => [{name, error_code}]}.
func DeleteTopics(c *conn.Conn, names []string, timeoutMs int32, cb Callback) {
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = timeoutMs
	req.TopicNames = names // v0-v5
	for _, n := range names {
		t := kmsg.NewDeleteTopicsRequestTopic()
		t.Topic = kmsg.StringPtr(n)
		req.Topics = append(req.Topics, t) // v6+
	}
	do(c, req, cb, func(resp *kmsg.DeleteTopicsResponse) tree.Value {
		out := make([]tree.Value, 0, len(resp.Topics))
		for _, t := range resp.Topics {
			out = append(out, tree.M("name", tree.OptS(t.Topic), "error_code", tree.I(t.ErrorCode),
				"error_message", tree.OptS(t.ErrorMessage)))
		}
		return tree.M("topics", tree.L(out...))
	})
}
