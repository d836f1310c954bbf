package client

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ConfigResource names a resource with configs: a topic, a broker (by
// node id; "" for the cluster-wide default), a broker's loggers or a
// group.
type ConfigResource struct {
	Type kmsg.ConfigResourceType
	Name string
}

// configResourceTypes names the resource types as Kafka's tools do
// (kmsg calls a group "group_config").
var configResourceTypes = map[string]kmsg.ConfigResourceType{
	"topic": kmsg.ConfigResourceTypeTopic, "broker": kmsg.ConfigResourceTypeBroker,
	"broker_logger": kmsg.ConfigResourceTypeBrokerLogger, "client_metrics": kmsg.ConfigResourceTypeClientMetrics,
	"group": kmsg.ConfigResourceTypeGroupConfig,
}

// ParseConfigResourceType reads "topic", "broker", "broker_logger",
// "client_metrics" or "group" (any case).
func ParseConfigResourceType(s string) (kmsg.ConfigResourceType, error) {
	if t, ok := configResourceTypes[strings.ToLower(s)]; ok {
		return t, nil
	}
	return 0, fmt.Errorf("config resource type %q unknown (topic, broker, broker_logger, client_metrics, group)", s)
}

func configResourceTypeName(t kmsg.ConfigResourceType) string {
	for name, v := range configResourceTypes {
		if v == t {
			return name
		}
	}
	return fmt.Sprintf("unknown-%d", t)
}

// ConfigChange is one operation of IncrementalAlterConfigs on a resource.
type ConfigChange struct {
	Resource ConfigResource
	Op       kmsg.IncrementalAlterConfigOp
	Name     string
	Value    *string
}

// ParseConfigOp reads "set", "delete", "append" or "subtract" (any case).
func ParseConfigOp(s string) (kmsg.IncrementalAlterConfigOp, error) {
	op, err := kmsg.ParseIncrementalAlterConfigOp(s)
	if err != nil {
		return 0, fmt.Errorf("config operation %q unknown (set, delete, append, subtract)", s)
	}
	return op, nil
}

// The node a broker or broker_logger resource names must answer for it;
// the cluster-wide default ("") and other resources go to any broker.
func (c *Client) configConn(r ConfigResource) (*conn.Conn, error) {
	if (r.Type != kmsg.ConfigResourceTypeBroker && r.Type != kmsg.ConfigResourceTypeBrokerLogger) || r.Name == "" {
		return c.adminConn()
	}
	id, err := strconv.ParseInt(r.Name, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("broker resource %q is not a node id", r.Name)
	}
	node := int32(id)
	if !c.brokerKnown(node) {
		if _, err := c.metadataNow(); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	b := c.brokers[node]
	c.mu.Unlock()
	if b == nil {
		return nil, fmt.Errorf("broker %d: %w", node, ErrNoBroker)
	}
	return c.connFor(b, general), nil
}

// DescribeConfigs reports every config of each resource, one request per
// resource (a broker's configs come from that broker). Result: {resources
// => [{type, name, error_code, error_message, configs => {key => {value,
// source, read_only, sensitive}}}]} in the order given, type in lower
// case; configs as DescribeTopicConfigs gives them.
func (c *Client) DescribeConfigs(resources []ConfigResource, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		out := make([]tree.Value, 0, len(resources))
		for _, res := range resources {
			req := kmsg.NewPtrDescribeConfigsRequest()
			rr := kmsg.NewDescribeConfigsRequestResource()
			rr.ResourceType, rr.ResourceName = res.Type, res.Name
			req.Resources = []kmsg.DescribeConfigsRequestResource{rr}
			cn, err := c.configConn(res)
			if err != nil {
				return tree.Value{}, err
			}
			resp, err := wait(cn, req)
			if err != nil {
				return tree.Value{}, err
			}
			for _, r := range resp.(*kmsg.DescribeConfigsResponse).Resources {
				var kv []any
				for _, cfg := range r.Configs {
					kv = append(kv, cfg.Name, tree.M("value", tree.OptS(cfg.Value),
						"source", tree.S(strings.ToLower(cfg.Source.String())),
						"read_only", tree.Flag(cfg.ReadOnly), "sensitive", tree.Flag(cfg.IsSensitive)))
				}
				out = append(out, tree.M("type", tree.S(configResourceTypeName(r.ResourceType)), "name", tree.S(r.ResourceName),
					"error_code", tree.I(r.ErrorCode), "error_message", tree.OptS(r.ErrorMessage), "configs", tree.M(kv...)))
			}
		}
		return tree.M("resources", tree.L(out...)), nil
	})
}

// IncrementalAlterConfigs applies changes, grouped by resource in the
// order first named (validateOnly: the broker checks them and changes
// nothing). Result: {resources => [{type, name, error_code,
// error_message}]}.
func (c *Client) IncrementalAlterConfigs(changes []ConfigChange, validateOnly bool, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		var order []ConfigResource
		byResource := map[ConfigResource]*kmsg.IncrementalAlterConfigsRequestResource{}
		for _, ch := range changes {
			r := byResource[ch.Resource]
			if r == nil {
				rr := kmsg.NewIncrementalAlterConfigsRequestResource()
				rr.ResourceType, rr.ResourceName = ch.Resource.Type, ch.Resource.Name
				r = &rr
				byResource[ch.Resource] = r
				order = append(order, ch.Resource)
			}
			cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			cfg.Name, cfg.Op, cfg.Value = ch.Name, ch.Op, ch.Value
			r.Configs = append(r.Configs, cfg)
		}
		out := make([]tree.Value, 0, len(order))
		for _, res := range order {
			req := kmsg.NewPtrIncrementalAlterConfigsRequest()
			req.Resources = []kmsg.IncrementalAlterConfigsRequestResource{*byResource[res]}
			req.ValidateOnly = validateOnly
			cn, err := c.configConn(res)
			if err != nil {
				return tree.Value{}, err
			}
			resp, err := wait(cn, req)
			if err != nil {
				return tree.Value{}, err
			}
			for _, r := range resp.(*kmsg.IncrementalAlterConfigsResponse).Resources {
				out = append(out, tree.M("type", tree.S(configResourceTypeName(r.ResourceType)), "name", tree.S(r.ResourceName),
					"error_code", tree.I(r.ErrorCode), "error_message", tree.OptS(r.ErrorMessage)))
			}
		}
		return tree.M("resources", tree.L(out...)), nil
	})
}
