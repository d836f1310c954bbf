package client

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The admin calls: what an operator reaches for, answered as result trees.
// Calls naming several resources report a per-resource error_code in the
// result (as create_topics does); calls about one resource fail with the
// broker's error. Each runs on a goroutine of its own: none is on a hot
// path, and most need a lookup (coordinator, leaders) first.

// adminError is a broker's refusal of an admin call about one resource.
type adminError struct {
	what string
	err  error
	msg  *string
}

func (e *adminError) Error() string {
	if e.msg != nil && *e.msg != "" {
		return fmt.Sprintf("%s: %v: %s", e.what, e.err, *e.msg)
	}
	return fmt.Sprintf("%s: %v", e.what, e.err)
}

func (e *adminError) Unwrap() error { return e.err }

func refused(what string, code int16, msg *string) error {
	if code == 0 {
		return nil
	}
	return &adminError{what: what, err: kerr.ForCode(code), msg: msg}
}

// async runs call on its own goroutine and hands its result to cb.
func async(cb func(tree.Value, error), call func() (tree.Value, error)) {
	go func() { cb(call()) }()
}

// adminConn is a connection for a cluster-wide request: to the
// controller the metadata names (ZooKeeper-mode brokers answer
// NOT_CONTROLLER otherwise), or any broker (in KRaft every broker forwards
// controller requests, KIP-590, and names one of them as controller).
func (c *Client) adminConn() (*conn.Conn, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	if m := c.meta.Load(); m != nil {
		c.mu.Lock()
		b := c.brokers[m.controller]
		c.mu.Unlock()
		if b != nil {
			return c.connFor(b, general), nil
		}
	}
	if _, cn := c.anyConn(nil); cn != nil {
		return cn, nil
	}
	return nil, ErrNoBroker
}

// viaAnyBroker adapts a connapi call to the client: it runs on any broker.
func (c *Client) viaAnyBroker(cb func(tree.Value, error), issue func(*conn.Conn, connapi.Callback)) {
	cn, err := c.adminConn()
	if err != nil {
		cb(tree.Value{}, err)
		return
	}
	issue(cn, cb)
}

// CreateTopics creates topics. Result: {topics => [{name, error_code,
// error_message}]}.
func (c *Client) CreateTopics(topics []connapi.NewTopic, timeoutMs int32, cb func(tree.Value, error)) {
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) { connapi.CreateTopics(cn, topics, timeoutMs, done) })
}

// DeleteTopics deletes topics. Result: {topics => [{name, error_code,
// error_message}]}.
func (c *Client) DeleteTopics(names []string, timeoutMs int32, cb func(tree.Value, error)) {
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) { connapi.DeleteTopics(cn, names, timeoutMs, done) })
}

// DescribeCluster reports the cluster id, the controller and the brokers.
// Result: {cluster_id, controller_id, brokers => [{node_id, host, port,
// rack}]}.
func (c *Client) DescribeCluster(cb func(tree.Value, error)) {
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		connapi.Metadata(cn, []string{}, false, func(v tree.Value, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			done(tree.M("cluster_id", v.Path("cluster_id"), "controller_id", v.Path("controller_id"),
				"brokers", v.Path("brokers")), nil)
		})
	})
}

// brokerConns returns a connection to every broker in the metadata.
func (c *Client) brokerConns() map[int32]*conn.Conn {
	c.mu.Lock()
	known := make(map[int32]*broker, len(c.brokers))
	for id, b := range c.brokers {
		known[id] = b
	}
	c.mu.Unlock()
	out := make(map[int32]*conn.Conn, len(known))
	for id, b := range known { // connFor takes c.mu itself
		out[id] = c.connFor(b, general)
	}
	return out
}

// ListGroups lists the groups of every broker. Result: {groups =>
// [{group_id, protocol_type, state, type}]}, sorted by group id. A broker
// that cannot answer makes the call fail: a partial list would mislead.
func (c *Client) ListGroups(cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		groups, err := c.listGroupsEverywhere(kmsg.NewPtrListGroupsRequest)
		if err != nil {
			return tree.Value{}, err
		}
		out := make([]tree.Value, 0, len(groups))
		for _, g := range groups {
			out = append(out, tree.M("group_id", tree.S(g.Group), "protocol_type", tree.S(g.ProtocolType),
				"state", tree.S(strings.ToLower(g.GroupState)), "type", tree.S(strings.ToLower(g.GroupType))))
		}
		return tree.M("groups", tree.L(out...)), nil
	})
}

// listGroupsEverywhere asks every broker for its groups, sorted by group
// id. Each broker gets a request of its own from newReq: sending sets the
// version that broker speaks on the request.
func (c *Client) listGroupsEverywhere(newReq func() *kmsg.ListGroupsRequest) ([]kmsg.ListGroupsResponseGroup, error) {
	if _, err := c.metadataNow(); err != nil {
		return nil, err
	}
	conns := c.brokerConns()
	type answer struct {
		node int32
		resp kmsg.Response
		err  error
	}
	answers := make(chan answer, len(conns))
	for node, cn := range conns {
		cn.Do(newReq(), func(r kmsg.Response, err error) { answers <- answer{node, r, err} })
	}
	var groups []kmsg.ListGroupsResponseGroup
	for range conns {
		a := <-answers
		if a.err != nil {
			return nil, fmt.Errorf("list groups on broker %d: %w", a.node, a.err)
		}
		r := a.resp.(*kmsg.ListGroupsResponse)
		if err := refused(fmt.Sprintf("list groups on broker %d", a.node), r.ErrorCode, nil); err != nil {
			return nil, err
		}
		groups = append(groups, r.Groups...)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Group < groups[j].Group })
	return groups, nil
}

// metadataNow refreshes metadata for the client's topics and waits.
func (c *Client) metadataNow() (*metadata, error) {
	return waitMetadata(func(cb func(*metadata, error)) { c.refreshMetadata(nil, cb) })
}

// metadataWithNow refreshes metadata for the client's topics and, this
// once, topics (which brokers that allow it create, as for a
// subscription), and waits.
func (c *Client) metadataWithNow(topics []string) (*metadata, error) {
	return waitMetadata(func(cb func(*metadata, error)) {
		c.metaMu.Lock()
		c.startRefreshLocked(c.onceTopics, topics, cb)
	})
}

// lookupNow is lookupMetadata, waiting: an admin call's topics, which
// brokers must not create.
func (c *Client) lookupNow(topics []string) (*metadata, error) {
	return waitMetadata(func(cb func(*metadata, error)) { c.lookupMetadata(topics, cb) })
}

func waitMetadata(refresh func(cb func(*metadata, error))) (*metadata, error) {
	type result struct {
		m   *metadata
		err error
	}
	ch := make(chan result, 1)
	refresh(func(m *metadata, err error) { ch <- result{m, err} })
	r := <-ch
	return r.m, r.err
}

// DescribeGroups describes groups, each asked of its coordinator. Result:
// {groups => [{group_id, error_code, state, protocol_type, protocol,
// members => [{member_id, group_instance_id, client_id, client_host,
// assignment => {topic => [partitions]}}]}]}.
func (c *Client) DescribeGroups(groups []string, cb func(tree.Value, error)) {
	c.describeGroups(groups, false, cb)
}

// describeGroups is DescribeGroups, each group with its
// authorized_operations when withOps (see DescribeGroupsOperations).
func (c *Client) describeGroups(groups []string, withOps bool, cb func(tree.Value, error)) {
	eachGroup(groups, func(id string) tree.Value { return c.describeGroup(id, withOps) }, cb)
}

// eachGroup gives cb {groups => [one(group), ...]} in the order given,
// asking about the groups at once (each of its own coordinator).
func eachGroup(groups []string, one func(string) tree.Value, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		out := make([]tree.Value, len(groups))
		var wg sync.WaitGroup
		for i, id := range groups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = one(id)
			}()
		}
		wg.Wait()
		return tree.M("groups", tree.L(out...)), nil
	})
}

func (c *Client) describeGroup(id string, withOps bool) tree.Value {
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups = []string{id}
	req.IncludeAuthorizedOperations = withOps
	failed := func(code int16) tree.Value {
		return tree.M("group_id", tree.S(id), "error_code", tree.I(code), "members", tree.L())
	}
	resp, err := c.coordinatorDo(id, coordinatorGroup, req)
	if err != nil {
		return failed(errorCodeOf(err))
	}
	r := resp.(*kmsg.DescribeGroupsResponse)
	if len(r.Groups) == 0 {
		return failed(-1)
	}
	g := r.Groups[0]
	members := make([]tree.Value, 0, len(g.Members))
	for _, m := range g.Members {
		assigned := tree.M()
		if g.ProtocolType == "consumer" && len(m.MemberAssignment) > 0 {
			var ma kmsg.ConsumerMemberAssignment
			if ma.ReadFrom(m.MemberAssignment) == nil {
				var kv []any
				for _, t := range ma.Topics {
					kv = append(kv, t.Topic, tree.Ints(t.Partitions))
				}
				assigned = tree.M(kv...)
			}
		}
		members = append(members, tree.M("member_id", tree.S(m.MemberID), "group_instance_id", tree.OptS(m.InstanceID),
			"client_id", tree.S(m.ClientID), "client_host", tree.S(m.ClientHost), "assignment", assigned))
	}
	v := tree.M("group_id", tree.S(g.Group), "error_code", tree.I(g.ErrorCode), "state", tree.S(strings.ToLower(g.State)),
		"protocol_type", tree.S(g.ProtocolType), "protocol", tree.S(g.Protocol), "members", tree.L(members...))
	if withOps {
		v.Items = append(v.Items, tree.S("authorized_operations"), operationNames(g.AuthorizedOperations))
	}
	return v
}

// errorCodeOf is the Kafka code of err, or -1 (UNKNOWN_SERVER_ERROR) for a
// local failure.
func errorCodeOf(err error) int16 {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	return -1
}

// DescribeTopicConfigs reports every config of each topic. Result:
// {topics => [{name, error_code, error_message, configs => {key =>
// {value, source, read_only, sensitive}}}]}; value is null when sensitive,
// source is e.g. "dynamic_topic_config" or "default_config".
func (c *Client) DescribeTopicConfigs(topics []string, cb func(tree.Value, error)) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	for _, t := range topics {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeTopic
		r.ResourceName = t
		req.Resources = append(req.Resources, r)
	}
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			var out []tree.Value
			for _, r := range resp.(*kmsg.DescribeConfigsResponse).Resources {
				var kv []any
				for _, cfg := range r.Configs {
					kv = append(kv, cfg.Name, tree.M("value", tree.OptS(cfg.Value),
						"source", tree.S(strings.ToLower(cfg.Source.String())),
						"read_only", tree.Flag(cfg.ReadOnly), "sensitive", tree.Flag(cfg.IsSensitive)))
				}
				out = append(out, tree.M("name", tree.S(r.ResourceName), "error_code", tree.I(r.ErrorCode),
					"error_message", tree.OptS(r.ErrorMessage), "configs", tree.M(kv...)))
			}
			done(tree.M("topics", tree.L(out...)), nil)
		})
	})
}

// AlterTopicConfigs sets (or, for a nil value, resets to the default) some
// configs of one topic, leaving the others as they are.
func (c *Client) AlterTopicConfigs(topic string, set map[string]*string, cb func(error)) {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType = kmsg.ConfigResourceTypeTopic
	r.ResourceName = topic
	for _, name := range slices.Sorted(maps.Keys(set)) {
		cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		cfg.Name, cfg.Value = name, set[name]
		cfg.Op = kmsg.IncrementalAlterConfigOpSet
		if set[name] == nil {
			cfg.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		r.Configs = append(r.Configs, cfg)
	}
	req.Resources = []kmsg.IncrementalAlterConfigsRequestResource{r}
	c.viaAnyBroker(func(_ tree.Value, err error) { cb(err) }, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err == nil {
				for _, res := range resp.(*kmsg.IncrementalAlterConfigsResponse).Resources {
					if err = refused("alter configs of "+topic, res.ErrorCode, res.ErrorMessage); err != nil {
						break
					}
				}
			}
			done(tree.Value{}, err)
		})
	})
}

// CreatePartitions grows topic to count partitions in total.
func (c *Client) CreatePartitions(topic string, count int32, timeoutMs int32, cb func(error)) {
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = timeoutMs
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
			if err == nil {
				c.awaitPartitions(topic, count, 10*time.Second)
			}
			done(tree.Value{}, err)
		})
	})
}

// awaitPartitions refreshes the metadata until topic shows count
// partitions or wait passes, so producers and consumers (a group leader
// watching its assignment) see the new partitions. The controller has
// accepted them when CreatePartitions answers; the broker that answers
// Metadata may learn of them a moment later, so one refresh is not enough.
func (c *Client) awaitPartitions(topic string, count int32, wait time.Duration) {
	deadline := time.Now().Add(wait)
	var check func(*metadata, error)
	check = func(m *metadata, err error) {
		if m != nil {
			if n, _, _ := m.topic(topic); n >= int(count) {
				return
			}
		}
		if c.isClosed() || time.Now().After(deadline) {
			return
		}
		time.AfterFunc(200*time.Millisecond, func() { c.refreshMetadata([]string{topic}, check) })
	}
	c.refreshMetadata([]string{topic}, check)
}

// DeleteRecords deletes the records of each partition before its offset
// (OffsetLatest: everything so far), asking each partition's leader.
// Result: {partitions => [{topic, partition, low_watermark, error_code}]}.
func (c *Client) DeleteRecords(before []Assignment, timeoutMs int32, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		topics := map[string]bool{}
		for _, a := range before {
			topics[a.Topic] = true
		}
		m, err := c.lookupNow(slices.Sorted(maps.Keys(topics)))
		if err != nil {
			return tree.Value{}, err
		}
		var out []tree.Value
		byLeader := map[int32][]Assignment{}
		for _, a := range before {
			leader, ok := m.leader(a.Topic, a.Partition)
			if !ok {
				out = append(out, deletedTree(a.Topic, a.Partition, -1, 3)) // UNKNOWN_TOPIC_OR_PARTITION
				continue
			}
			byLeader[leader] = append(byLeader[leader], a)
		}
		for leader, parts := range byLeader {
			req := kmsg.NewPtrDeleteRecordsRequest()
			req.TimeoutMillis = timeoutMs
			for _, a := range parts {
				if n := len(req.Topics); n == 0 || req.Topics[n-1].Topic != a.Topic {
					t := kmsg.NewDeleteRecordsRequestTopic()
					t.Topic = a.Topic
					req.Topics = append(req.Topics, t)
				}
				p := kmsg.NewDeleteRecordsRequestTopicPartition()
				p.Partition, p.Offset = a.Partition, a.Offset
				t := &req.Topics[len(req.Topics)-1]
				t.Partitions = append(t.Partitions, p)
			}
			resp, err := c.askBroker(leader, "leader", req)
			if err != nil {
				return tree.Value{}, err
			}
			for _, t := range resp.(*kmsg.DeleteRecordsResponse).Topics {
				for _, p := range t.Partitions {
					out = append(out, deletedTree(t.Topic, p.Partition, p.LowWatermark, p.ErrorCode))
				}
			}
		}
		sort.SliceStable(out, func(i, j int) bool {
			a, b := out[i], out[j]
			if ta, tb := string(a.Path("topic").Bytes), string(b.Path("topic").Bytes); ta != tb {
				return ta < tb
			}
			return a.Path("partition").Int < b.Path("partition").Int
		})
		return tree.M("partitions", tree.L(out...)), nil
	})
}

func deletedTree(topic string, partition int32, low int64, code int16) tree.Value {
	return tree.M("topic", tree.S(topic), "partition", tree.I(partition), "low_watermark", tree.I(low),
		"error_code", tree.I(code))
}

// GroupLag reports, for every partition a group has committed, the
// committed offset, the latest offset and the lag. Result: {"topic:0" =>
// {committed, latest, lag}} (the shape of Lag).
func (c *Client) GroupLag(groupID string, cb func(tree.Value, error)) {
	async(cb, func() (tree.Value, error) {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Group = groupID
		req.Topics = nil // every topic the group committed
		r, err := c.fetchStableOffsets(req, func(req kmsg.Request) (kmsg.Response, error) {
			return c.coordinatorDo(groupID, coordinatorGroup, req)
		})
		if err != nil {
			return tree.Value{}, err
		}
		if err := refused("offsets of group "+groupID, r.ErrorCode, nil); err != nil {
			return tree.Value{}, err
		}
		committed := map[string]map[int32]int64{}
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				// A partition left out would read as never committed;
				// one still unstable (an open transaction) is an error.
				if err := refused(fmt.Sprintf("offset of group %s on %s:%d", groupID, t.Topic, p.Partition), p.ErrorCode, nil); err != nil {
					return tree.Value{}, err
				}
				if p.Offset >= 0 {
					if committed[t.Topic] == nil {
						committed[t.Topic] = map[int32]int64{}
					}
					committed[t.Topic][p.Partition] = p.Offset
				}
			}
		}
		if _, err := c.lookupNow(slices.Sorted(maps.Keys(committed))); err != nil {
			return tree.Value{}, err
		}
		var kv []any
		for _, topic := range slices.Sorted(maps.Keys(committed)) {
			parts := make([]int32, 0, len(committed[topic]))
			for p := range committed[topic] {
				parts = append(parts, p)
			}
			sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
			latest, err := c.listOffsetsNow(topic, parts, OffsetLatest)
			if err != nil {
				return tree.Value{}, err
			}
			for _, p := range parts {
				at := committed[topic][p]
				kv = append(kv, fmt.Sprintf("%s:%d", topic, p),
					tree.M("committed", tree.I(at), "latest", tree.I(latest[p]), "lag", tree.I(max(latest[p]-at, 0))))
			}
		}
		return tree.M(kv...), nil
	})
}

// listOffsetsNow is listOffsets, waiting for the answer.
func (c *Client) listOffsetsNow(topic string, parts []int32, at int64) (map[int32]int64, error) {
	type result struct {
		offs map[int32]int64
		err  error
	}
	ch := make(chan result, 1)
	c.listOffsets(topic, parts, at, func(offs map[int32]int64, err error) { ch <- result{offs, err} })
	r := <-ch
	return r.offs, r.err
}
