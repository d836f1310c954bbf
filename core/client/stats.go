package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/kerr"
)

// counters are the client-wide totals behind the statistics.
type counters struct {
	msgsProduced, bytesProduced, msgsFailed atomic.Int64
	msgsConsumed, bytesConsumed             atomic.Int64

	mu      sync.Mutex
	errors  map[string]int64 // by kind, see errorKind
	retries map[string]int64
}

// add counts err under its kind in m (&c.errors or &c.retries).
// consumed counts a batch of messages handed to the application.
func (c *counters) consumed(msgs []Message) {
	payload := 0
	for _, m := range msgs {
		payload += len(m.Key) + len(m.Value)
	}
	c.msgsConsumed.Add(int64(len(msgs)))
	c.bytesConsumed.Add(int64(payload))
}

func (c *counters) add(m *map[string]int64, err error) {
	kind := errorKind(err)
	c.mu.Lock()
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[kind]++
	c.mu.Unlock()
}

func (c *counters) snapshot(m *map[string]int64) map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(*m))
	for k, v := range *m {
		out[k] = v
	}
	return out
}

// errorKind names the cause of err for the errors and retries tables: the
// Kafka error name, or what went wrong with the connection.
func errorKind(err error) string {
	var ke *kerr.Error
	switch {
	case errors.As(err, &ke):
		return ke.Name
	case errors.Is(err, ErrDeliveryTimeout):
		return "delivery_timeout"
	case errors.Is(err, conn.ErrTimeout):
		return "request_timeout"
	case errors.Is(err, conn.ErrConnect):
		return "connect"
	case errors.Is(err, conn.ErrTLS):
		return "tls"
	case errors.Is(err, conn.ErrSASL):
		return "sasl"
	case errors.Is(err, conn.ErrProtocol):
		return "protocol"
	case errors.Is(err, conn.ErrDisconnected), errors.Is(err, conn.ErrClosedByPeer), errors.Is(err, conn.ErrNotConnected):
		return "disconnected"
	case errors.Is(err, ErrNoBroker):
		return "no_broker"
	}
	return "other"
}

// startStatistics hands a statistics document to the handler every
// StatisticsInterval until the client closes.
func (c *Client) startStatistics() {
	if c.cfg.StatisticsInterval <= 0 || c.handler.OnStats == nil {
		return
	}
	c.every(c.cfg.StatisticsInterval, func() { c.handler.OnStats(c.Statistics()) })
}

// The statistics document; docs/STATISTICS.md describes every field.
type statsDoc struct {
	Name             string                 `json:"name"`
	ClientID         string                 `json:"client_id"`
	Time             int64                  `json:"ts_ms"`
	Uptime           int64                  `json:"uptime_ms"`
	MsgsProduced     int64                  `json:"msgs_produced"`
	BytesProduced    int64                  `json:"bytes_produced"`
	MsgsFailed       int64                  `json:"msgs_failed"`
	MsgsConsumed     int64                  `json:"msgs_consumed"`
	BytesConsumed    int64                  `json:"bytes_consumed"`
	QueueMsgs        int64                  `json:"queue_msgs"`
	QueueBytes       int64                  `json:"queue_bytes"`
	RequestsInFlight int64                  `json:"requests_in_flight"`
	Errors           map[string]int64       `json:"errors"`
	Retries          map[string]int64       `json:"retries"`
	Brokers          map[string]brokerStats `json:"brokers"`
	Topics           map[string]topicStats  `json:"topics"`
	Group            *groupStats            `json:"group"`
}

type brokerStats struct {
	NodeID      int32      `json:"node_id"`
	Addr        string     `json:"addr"`
	State       string     `json:"state"`
	Connections int        `json:"connections"`
	Connects    int64      `json:"connects"`
	Disconnects int64      `json:"disconnects"`
	Reauths     int64      `json:"reauthentications"`
	Requests    int64      `json:"requests"`
	Responses   int64      `json:"responses"`
	InFlight    int        `json:"in_flight"`
	BytesOut    int64      `json:"bytes_out"`
	BytesIn     int64      `json:"bytes_in"`
	RTT         rttStats   `json:"rtt_us"`
	Throttle    throttling `json:"throttle"`
}

type rttStats struct {
	Count int64 `json:"count"`
	Min   int64 `json:"min"`
	Avg   int64 `json:"avg"`
	P50   int64 `json:"p50"`
	P99   int64 `json:"p99"`
	Max   int64 `json:"max"`
}

type throttling struct {
	Count   int64 `json:"count"`
	TotalMs int64 `json:"total_ms"`
	LastMs  int64 `json:"last_ms"`
}

type topicStats struct {
	Partitions map[string]*partitionStats `json:"partitions"`
}

type partitionStats struct {
	Leader          int32 `json:"leader"`
	QueuedMsgs      int   `json:"queued_msgs"`
	InFlightBatches int   `json:"in_flight_batches"`
	FetchOffset     int64 `json:"fetch_offset"`
	ConsumedOffset  int64 `json:"consumed_offset"`
	CommittedOffset int64 `json:"committed_offset"`
	HighWatermark   int64 `json:"high_watermark"`
	Lag             int64 `json:"lag"`
	ConsumerLag     int64 `json:"consumer_lag"`
}

type groupStats struct {
	GroupID         string   `json:"group_id"`
	State           string   `json:"state"`
	MemberID        string   `json:"member_id"`
	Generation      int32    `json:"generation"`
	Leader          bool     `json:"leader"`
	Assignor        string   `json:"assignor"`           // the one the group chose
	Rebalancing     string   `json:"rebalance_protocol"` // eager or cooperative
	Assignment      []string `json:"assignment"`
	Rebalances      int64    `json:"rebalances"`
	LastRebalanceMs int64    `json:"last_rebalance_ms"`
}

// Statistics returns the statistics document now.
func (c *Client) Statistics() []byte {
	now := time.Now()
	doc := statsDoc{
		Name: c.cfg.ClientID, ClientID: c.cfg.ClientID, Time: now.UnixMilli(), Uptime: now.Sub(c.started).Milliseconds(),
		MsgsProduced: c.counts.msgsProduced.Load(), BytesProduced: c.counts.bytesProduced.Load(),
		MsgsFailed: c.counts.msgsFailed.Load(), MsgsConsumed: c.counts.msgsConsumed.Load(),
		BytesConsumed: c.counts.bytesConsumed.Load(),
		Errors:        c.counts.snapshot(&c.counts.errors), Retries: c.counts.snapshot(&c.counts.retries),
		Brokers: map[string]brokerStats{}, Topics: map[string]topicStats{},
	}
	doc.RequestsInFlight = c.brokerStats(doc.Brokers)
	parts := func(topic string, partition int32) *partitionStats {
		t, ok := doc.Topics[topic]
		if !ok {
			t = topicStats{Partitions: map[string]*partitionStats{}}
			doc.Topics[topic] = t
		}
		key := strconv.Itoa(int(partition))
		p := t.Partitions[key]
		if p == nil {
			p = &partitionStats{Leader: -1, FetchOffset: -1, ConsumedOffset: -1, CommittedOffset: -1, HighWatermark: -1}
			if m := c.meta.Load(); m != nil {
				if l, ok := m.leader(topic, partition); ok {
					p.Leader = l
				}
			}
			t.Partitions[key] = p
		}
		return p
	}
	doc.QueueMsgs, doc.QueueBytes = c.producer.stats(parts)
	c.consumer.stats(parts)
	if g := c.currentGroup(); g != nil {
		doc.Group = g.stats(parts)
	}
	out, err := json.Marshal(doc)
	if err != nil { // plain values only: not expected, but never fatal
		out, _ = json.Marshal(map[string]string{"error": "statistics: " + err.Error()})
	}
	return out
}

// brokerStats fills per-broker figures and returns the requests in flight.
func (c *Client) brokerStats(out map[string]brokerStats) int64 {
	c.mu.Lock()
	brokers := make([]*broker, 0, len(c.brokers))
	for _, b := range c.brokers {
		brokers = append(brokers, b)
	}
	conns := make([][]*conn.Conn, len(brokers))
	for i, b := range brokers {
		conns[i] = b.open()
	}
	c.mu.Unlock()
	var total int64
	for i, b := range brokers {
		bs := brokerStats{NodeID: b.id, Addr: fmt.Sprintf("%s:%d", b.host, b.port), State: "down",
			Connections: len(conns[i])}
		for _, cn := range conns[i] {
			bs.InFlight += cn.Pending()
			switch st := cn.State(); {
			case st == conn.Ready:
				bs.State = "up"
			case st != conn.Disconnected && bs.State != "up":
				bs.State = "connecting"
			}
		}
		m := &b.meter
		bs.Connects, bs.Disconnects = m.Connects.Load(), m.Disconnects.Load()
		bs.Reauths = m.Reauthentications.Load()
		bs.Requests, bs.Responses = m.Requests.Load(), m.Responses.Load()
		bs.BytesOut, bs.BytesIn = m.BytesOut.Load(), m.BytesIn.Load()
		r := m.TakeRTT()
		bs.RTT = rttStats{Count: r.Count, Min: r.Min, Avg: r.Avg, P50: r.P50, P99: r.P99, Max: r.Max}
		bs.Throttle = throttling{Count: m.Throttles.Load(), TotalMs: m.ThrottleMs.Load(), LastMs: m.LastThrottleMs.Load()}
		total += int64(bs.InFlight)
		out[strconv.Itoa(int(b.id))] = bs
	}
	return total
}

// stats adds each partition's buffered records and batches in flight, and
// returns the totals buffered.
func (p *producer) stats(parts func(string, int32) *partitionStats) (msgs, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.topics {
		for _, ps := range t.parts {
			if ps == nil {
				continue
			}
			queued := 0
			if ps.open != nil {
				queued += len(ps.open.recs)
			}
			for _, b := range ps.ready {
				queued += len(b.recs)
			}
			if queued == 0 && ps.inflight == 0 {
				continue
			}
			st := parts(ps.topic, ps.partition)
			st.QueuedMsgs, st.InFlightBatches = queued, ps.inflight
		}
	}
	return int64(p.buffered), p.bufBytes
}

// stats adds each assigned partition's positions and lag.
func (k *consumer) stats(parts func(string, int32) *partitionStats) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for which, pos := range k.assigned {
		st := parts(which.topic, which.partition)
		st.FetchOffset, st.ConsumedOffset, st.HighWatermark = pos.offset, pos.consumed, pos.hwm
		if pos.hwm >= 0 && pos.offset >= 0 {
			st.Lag = max(pos.hwm-pos.offset, 0)
		}
		if pos.hwm >= 0 && pos.consumed >= 0 {
			st.ConsumerLag = max(pos.hwm-pos.consumed, 0)
		}
	}
}

func (c *Client) currentGroup() *group {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.group
}

// stats describes the membership and adds the committed offsets.
func (g *group) stats(parts func(string, int32) *partitionStats) *groupStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	gs := &groupStats{GroupID: g.opts.GroupID, State: string(g.state), MemberID: g.memberID, Generation: g.generation,
		Leader: g.leader, Assignor: g.assignor, Rebalancing: "eager", Assignment: []string{}, Rebalances: g.rebalances}
	switch {
	case g.opts.Protocol == ConsumerProtocol:
		gs.Rebalancing = ConsumerProtocol // KIP-848: the coordinator assigns, incrementally
	case g.cooperative:
		gs.Rebalancing = "cooperative"
	}
	if !g.lastRebalance.IsZero() {
		gs.LastRebalanceMs = g.lastRebalance.UnixMilli()
	}
	for _, a := range g.owned {
		gs.Assignment = append(gs.Assignment, fmt.Sprintf("%s:%d", a.Topic, a.Partition))
	}
	sort.Strings(gs.Assignment)
	for which, off := range g.committed {
		parts(which.topic, which.partition).CommittedOffset = off
	}
	return gs
}
