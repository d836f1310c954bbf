package client

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// metadata is one immutable snapshot of the cluster; a refresh replaces it.
type metadata struct {
	// tree is the result tree of a refresh whose callbacks read it (connect,
	// RefreshMetadata), in the snapshot those callbacks get; the client
	// keeps its snapshots without it: at a few thousand partitions it is
	// megabytes, and a connect's lists every topic of the cluster.
	tree       tree.Value
	controller int32
	topics     map[string]*topicMeta
	byID       map[[16]byte]string // topic names by topic id (Metadata v10+)
	at         time.Time
}

type topicMeta struct {
	err        int16
	id         [16]byte        // zero when the broker gave none
	internal   bool            // __consumer_offsets and the like
	partitions []partitionMeta // indexed by partition number
}

type partitionMeta struct {
	leader int32
	epoch  int32
	err    int16
}

func (m *metadata) leader(topic string, partition int32) (int32, bool) {
	return m.topics[topic].leader(partition)
}

// leader is the leader of t's partition, if t (nil: a topic the metadata
// does not know) has one for it.
func (t *topicMeta) leader(partition int32) (int32, bool) {
	if t == nil || partition < 0 || int(partition) >= len(t.partitions) {
		return -1, false
	}
	p := t.partitions[partition]
	return p.leader, p.leader >= 0
}

// topic returns what is known of a topic: its partition count, and the
// topic-level error code (0 when usable).
func (m *metadata) topic(name string) (n int, code int16, known bool) {
	t := m.topics[name]
	if t == nil {
		return 0, 0, false
	}
	return len(t.partitions), t.err, true
}

func newMetadata(resp *kmsg.MetadataResponse, withTree bool) *metadata {
	m := &metadata{controller: resp.ControllerID, topics: map[string]*topicMeta{}, byID: map[[16]byte]string{}, at: time.Now()}
	if withTree {
		m.tree = metadataTree(resp)
	}
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		// A topic's partitions are numbered 0..n-1 and all listed; a number
		// outside that range (only a broken or hostile broker sends one) is
		// ignored rather than trusted to size a table.
		tm := &topicMeta{err: t.ErrorCode, id: t.TopicID, internal: t.IsInternal,
			partitions: make([]partitionMeta, len(t.Partitions))}
		if t.TopicID != ([16]byte{}) {
			m.byID[t.TopicID] = *t.Topic
		}
		for i := range tm.partitions {
			tm.partitions[i].leader = -1
		}
		for _, p := range t.Partitions {
			if p.Partition >= 0 && int(p.Partition) < len(tm.partitions) {
				tm.partitions[p.Partition] = partitionMeta{leader: p.Leader, epoch: p.LeaderEpoch, err: p.ErrorCode}
			}
		}
		m.topics[*t.Topic] = tm
	}
	return m
}

// allTopicsNow fetches the metadata of every topic in the cluster (to
// match subscribed patterns against).
func (c *Client) allTopicsNow() (*metadata, error) {
	return waitMetadata(func(cb func(*metadata, error)) {
		c.metaMu.Lock()
		c.allTopicsOnce = true // with cb's registration (RefreshMetadata says why)
		c.startRefreshLocked(c.wantTopics, nil, cb)
	})
}

// refreshMetadata asks for metadata covering the client's topics plus
// topics, and calls cb (may be nil) with the new snapshot. Concurrent
// refreshes are merged: a call made while one runs is served by the next
// run, so it sees topics it added.
func (c *Client) refreshMetadata(topics []string, cb func(*metadata, error)) {
	c.metaMu.Lock()
	c.startRefreshLocked(c.wantTopics, topics, cb)
}

// lookupMetadata is refreshMetadata for an admin call's topics: brokers
// are asked not to create those that are missing (an admin call reports
// them unknown, as other clients' do), and only those that exist join the
// topics every refresh covers, so that no later refresh creates the
// others either. A producer's refresh joining the same run creates
// nothing then; its records wait for the sender's next refresh.
func (c *Client) lookupMetadata(topics []string, cb func(*metadata, error)) {
	c.metaMu.Lock()
	c.noAutoCreate = true
	c.startRefreshLocked(c.lookupTopics, topics, cb)
}

// startRefreshLocked adds topics to set (one of the topic sets a refresh
// asks for, see runMetadata) and cb to the next refresh, and starts that
// refresh unless one runs. It releases metaMu.
func (c *Client) startRefreshLocked(set map[string]bool, topics []string, cb func(*metadata, error)) {
	for _, t := range topics {
		set[t] = true
	}
	c.metaWaiters = append(c.metaWaiters, cb)
	if c.metaRunning {
		c.metaMu.Unlock()
		return
	}
	c.metaRunning = true
	c.metaMu.Unlock()
	c.runMetadata()
}

// want adds topic to the topics every refresh covers.
func (c *Client) want(topic string) {
	c.metaMu.Lock()
	c.wantTopics[topic] = true
	c.metaMu.Unlock()
}

// setSubscribed makes every refresh cover topics, the subscription g's
// member resolved, while g is the client's group. The group's end
// (Subscribe replacing it, Unsubscribe, Close) clears them with
// c.group, under c.mu, so that a late resolve cannot bring them back.
func (c *Client) setSubscribed(g *group, topics []string) {
	c.mu.Lock()
	if c.group == g {
		c.metaMu.Lock()
		c.subscribed = topics
		c.metaMu.Unlock()
	}
	c.mu.Unlock()
}

// setGroupLocked makes g (nil: none) the client's group. Its caller holds
// c.mu.
func (c *Client) setGroupLocked(g *group) {
	c.group = g
	c.metaMu.Lock()
	c.subscribed = nil
	c.metaMu.Unlock()
}

// setShareLocked makes s (nil: none) the client's share group member, and
// its topics part of every refresh while it is. Its caller holds c.mu.
func (c *Client) setShareLocked(s *shareMember) {
	c.share = s
	c.metaMu.Lock()
	c.shareTopics = nil
	if s != nil {
		c.shareTopics = s.opts.Topics
	}
	c.metaMu.Unlock()
}

// runMetadata performs one refresh for everyone waiting now.
func (c *Client) runMetadata() {
	c.metaMu.Lock()
	waiters := c.metaWaiters
	c.metaWaiters = nil
	all, withTree, autoCreate := c.allTopicsOnce, c.treeOnce, !c.noAutoCreate && c.cfg.AutoCreateTopics
	c.allTopicsOnce, c.treeOnce, c.noAutoCreate = false, false, false
	// The producer's topics and those wanted explicitly are asked for
	// always; a subscription's and the assigned partitions' while they
	// are; a group leader's and admin lookups' this once.
	asked := maps.Clone(c.wantTopics)
	for _, t := range slices.Concat(c.subscribed, c.shareTopics, c.assignedTopics, slices.Collect(maps.Keys(c.onceTopics))) {
		asked[t] = true
	}
	var lookups []string // admin lookups' topics nothing else asks for
	for t := range c.lookupTopics {
		if !asked[t] {
			asked[t] = true
			lookups = append(lookups, t)
		}
	}
	clear(c.lookupTopics)
	clear(c.onceTopics)
	want := slices.Collect(maps.Keys(asked))
	c.metaMu.Unlock()
	sort.Strings(want)

	c.fetchMetadata(want, all, withTree, autoCreate, map[*broker]bool{}, nil, func(m *metadata, err error) {
		if m != nil && len(lookups) > 0 {
			c.metaMu.Lock()
			for _, t := range lookups {
				if n, code, known := m.topic(t); known && code == 0 && n > 0 {
					c.wantTopics[t] = true
				}
			}
			c.metaMu.Unlock()
		}
		for _, w := range waiters {
			if w != nil {
				w(m, err)
			}
		}
		c.metaMu.Lock()
		again := len(c.metaWaiters) > 0
		c.metaRunning = again
		c.metaMu.Unlock()
		if again {
			c.runMetadata()
		}
	})
}

// fetchMetadata tries brokers in turn until one answers.
func (c *Client) fetchMetadata(topics []string, all, withTree, autoCreate bool, tried map[*broker]bool, lastErr error,
	cb func(*metadata, error)) {
	if c.isClosed() {
		cb(nil, ErrClosed)
		return
	}
	b, cn := c.anyConn(tried)
	if cn == nil {
		if lastErr == nil {
			lastErr = ErrNoBroker
		}
		if errors.Is(lastErr, conn.ErrSASL) || errors.Is(lastErr, conn.ErrTLS) {
			// Reached, but it refused our credentials or we its
			// certificate: that is the error, not "unreachable".
			cb(nil, fmt.Errorf("every broker failed; last error: %w", lastErr))
			return
		}
		cb(nil, fmt.Errorf("%w: every broker failed; last error: %v", ErrNoBroker, lastErr))
		return
	}
	tried[b] = true
	metadataRequest(cn, topics, all, autoCreate, func(resp *kmsg.MetadataResponse, err error) {
		if err != nil {
			c.fetchMetadata(topics, all, withTree, autoCreate, tried, fmt.Errorf("%s:%d: %w", b.host, b.port, err), cb)
			return
		}
		m := newMetadata(resp, withTree)
		c.updateBrokers(resp)
		if c.log.Enabled(obs.LevelDebug, obs.Metadata) {
			c.logMetadataChange(b, c.meta.Load(), m, len(resp.Brokers))
		}
		c.meta.Store(m.withoutTree())
		cb(m, nil)
	})
}

// withoutTree is m as the client keeps it: m itself, or a copy without
// its result tree.
func (m *metadata) withoutTree() *metadata {
	if m.tree.Kind == tree.Null {
		return m
	}
	kept := *m
	kept.tree = tree.Value{}
	return &kept
}

// logMetadataChange traces a refresh and the leaders it moved.
func (c *Client) logMetadataChange(from *broker, old, m *metadata, brokers int) {
	c.log.Debugf(obs.Metadata, "metadata from %s:%d: %d brokers, %d topics", from.host, from.port, brokers, len(m.topics))
	if old == nil {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(m.topics)) {
		before := old.topics[name]
		if before == nil {
			c.log.Debugf(obs.Metadata, "topic %s: %d partitions", name, len(m.topics[name].partitions))
			continue
		}
		for i, p := range m.topics[name].partitions {
			if i < len(before.partitions) && before.partitions[i].leader != p.leader {
				c.log.Debugf(obs.Metadata, "%s[%d]: leader moved from broker %d to %d (epoch %d)",
					name, i, before.partitions[i].leader, p.leader, p.epoch)
			}
		}
	}
}

// updateBrokers adopts the broker list of a metadata response, closing
// connections to brokers that left or moved.
func (c *Client) updateBrokers(resp *kmsg.MetadataResponse) {
	c.mu.Lock()
	var stale []*conn.Conn
	seen := map[int32]bool{}
	for _, rb := range resp.Brokers {
		seen[rb.NodeID] = true
		old := c.brokers[rb.NodeID]
		if old != nil && old.host == rb.Host && old.port == int(rb.Port) {
			continue
		}
		if old != nil {
			stale = append(stale, old.open()...)
		}
		c.brokers[rb.NodeID] = &broker{id: rb.NodeID, host: rb.Host, port: int(rb.Port)}
	}
	for id, b := range c.brokers {
		if !seen[id] {
			stale = append(stale, b.open()...)
			delete(c.brokers, id)
		}
	}
	// Bootstrap connections are no longer needed once brokers are known;
	// one still carrying requests is left for Close.
	for _, b := range c.bootstrap {
		if cn := b.conns[general]; cn != nil && cn.Pending() == 0 {
			stale = append(stale, cn)
			b.conns[general] = nil
		}
	}
	c.mu.Unlock()
	for _, cn := range stale {
		cn.Close()
	}
}

// startRefreshLoop refreshes metadata every MetadataRefresh, so leader
// changes are picked up without a request failing first.
func (c *Client) startRefreshLoop() {
	if c.cfg.MetadataRefresh <= 0 {
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.every(c.cfg.MetadataRefresh, func() { c.refreshMetadata(nil, nil) })
}

// every runs fn on its own goroutine at each interval until the client
// closes.
func (c *Client) every(interval time.Duration, fn func()) {
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-c.closing:
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

// refreshSoon requests a refresh because a response showed the metadata
// stale (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, a dead
// broker); calls within minRefreshInterval of the last one share it.
func (c *Client) refreshSoon() {
	if m := c.meta.Load(); m != nil && time.Since(m.at) < minRefreshInterval {
		c.metaMu.Lock()
		scheduled := c.refreshScheduled
		c.refreshScheduled = true
		c.metaMu.Unlock()
		if !scheduled {
			time.AfterFunc(minRefreshInterval-time.Since(m.at), func() {
				c.metaMu.Lock()
				c.refreshScheduled = false
				c.metaMu.Unlock()
				c.refreshMetadata(nil, nil)
			})
		}
		return
	}
	c.refreshMetadata(nil, nil)
}

const minRefreshInterval = 100 * time.Millisecond

// staleMetadata reports whether a partition error means the client's view
// of leadership is out of date.
func staleMetadata(code int16) bool {
	switch code {
	case kerr.UnknownTopicOrPartition, kerr.LeaderNotAvailable, kerr.NotLeaderOrFollower, kerr.ReplicaNotAvailable,
		kerr.FencedLeaderEpoch, kerr.UnknownLeaderEpoch:
		return true
	}
	return false
}
