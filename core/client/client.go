// Package client is the cluster client of EV::Kafka::Client: it bootstraps
// from a list of brokers (trying the next when one fails), keeps cluster
// metadata fresh (periodically and whenever a request shows it stale),
// holds one connection per broker, and routes each partition's traffic to
// its leader. The producer (producer.go and the files after it) and later
// the consumer are built on it.
//
// Like package conn, nothing here blocks the caller: calls return at once
// and report through callbacks, which run on the client's goroutines.
package client

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrClosed is returned for calls on a closed client.
var ErrClosed = errors.New("client closed")

// ErrNoBroker is returned when no bootstrap broker could be reached.
var ErrNoBroker = errors.New("no broker reachable")

// Handler receives client-level events; fields may be nil.
type Handler struct {
	// OnError reports problems that belong to no single request: every
	// bootstrap broker failing, a broker connection dropping, a fatal
	// producer state. The client keeps working where it can.
	OnError func(error)
	// OnLog receives log entries at Config.LogLevel or more severe, and
	// the debug tracing of the contexts in Config.Debug.
	OnLog func(obs.Entry)
	// OnStats receives a statistics JSON document every
	// Config.StatisticsInterval (docs/STATISTICS.md describes it).
	OnStats func([]byte)
	// OnOAuthTokenRefresh asks the application for an OAUTHBEARER token
	// (sasl_oauthbearer_method=application): answer with SetOAuthToken or
	// FailOAuthToken. It must not block.
	OnOAuthTokenRefresh func()
	// OnDeliveries receives the reports of records produced without a
	// DeliveryFunc, those of one produce response (or one failure) in a
	// single call, one Reports per batch; routed is how many of their
	// records are the handler's (Reports.Routed: the others had a
	// DeliveryFunc, or delivery_reports left them out). The slice is the
	// handler's: it may keep it, and gives it back with
	// Client.ReleaseDeliveries once done with it, so that later batches
	// reuse its memory.
	OnDeliveries func(rs []Reports, routed int)
}

// Client is a connection to a Kafka cluster.
type Client struct {
	cfg     Config
	handler Handler
	opts    conn.Options // for every broker connection
	// credentials are SASL PLAIN's or SCRAM's username and password, which
	// SetSASLCredentials replaces; nil for other authentication.
	credentials *saslCredentials

	mu        sync.Mutex
	brokers   map[int32]*broker // by node id, from metadata
	bootstrap []*broker         // one per configured address, until metadata is known
	closed    bool

	meta             atomic.Pointer[metadata]
	metaMu           sync.Mutex
	metaWaiters      []func(*metadata, error)
	metaRunning      bool
	allTopicsOnce    bool // the next refresh asks for every topic
	treeOnce         bool // the next refresh's callbacks read its result tree
	refreshScheduled bool
	wantTopics       map[string]bool // topics whose metadata the client needs
	lookupTopics     map[string]bool // admin calls' topics for the next refresh only
	subscribed       []string        // the group subscription's topics, while it lasts
	shareTopics      []string        // the share subscription's topics, while it lasts
	assignedTopics   []string        // the consumer's assigned partitions' topics
	onceTopics       map[string]bool // a group leader's topics for the next refresh only
	noAutoCreate     bool            // the next refresh must not have brokers create topics
	closing          chan struct{}   // closed by Close: ends the periodic work (see every)

	producer *producer
	consumer *consumer
	group    *group       // the subscription, nil without one
	share    *shareMember // the share group subscription, nil without one

	log     *obs.Logger // nil when nothing is logged
	counts  counters
	started time.Time

	appToken *appTokenSource // OAUTHBEARER tokens from the application, or nil
	kerberos *conn.Kerberos  // GSSAPI's login, or nil
}

// brokerKnown reports whether metadata listed node.
func (c *Client) brokerKnown(node int32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.brokers[node] != nil
}

// broker is one cluster member and its (lazily opened) connections.
type broker struct {
	id          int32 // -1 for a bootstrap address
	host        string
	port        int
	conns       [purposes]*conn.Conn
	lastConnect [purposes]time.Time
	meter       obs.Meter // shared by its connections
}

// purpose picks one of a broker's connections. A broker answers the
// requests of one connection in order, so a fetch long poll or a JoinGroup
// (which waits for the whole rebalance) would hold up every request queued
// behind it: produce, fetch and group traffic each get a connection of
// their own, opened on first use.
type purpose int

const (
	general purpose = iota // metadata, offsets, transactions, admin
	producing
	fetching
	grouping // JoinGroup, SyncGroup, Heartbeat, commits: the group coordinator
	purposes
)

// open returns b's connections that exist.
func (b *broker) open() []*conn.Conn {
	var out []*conn.Conn
	for _, cn := range b.conns {
		if cn != nil {
			out = append(out, cn)
		}
	}
	return out
}

// reconnectBackoff spaces connection attempts to a broker that is down;
// requests meanwhile fail fast with "not connected" and are retried by
// their callers.
const reconnectBackoff = 250 * time.Millisecond

// New validates cfg and returns an unconnected client.
func New(cfg Config, h Handler) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, &ConfigError{Key: "tls_ca_file", Value: cfg.TLSCAFile, Reason: err.Error()}
	}
	appToken, err := cfg.useOAuthOptions(h)
	if err != nil {
		return nil, err
	}
	creds := cfg.useSASLCredentials()
	c := &Client{
		appToken:     appToken,
		credentials:  creds,
		kerberos:     cfg.useKerberos(),
		cfg:          cfg,
		handler:      h,
		brokers:      map[int32]*broker{},
		wantTopics:   map[string]bool{},
		lookupTopics: map[string]bool{},
		onceTopics:   map[string]bool{},
		opts: conn.Options{ClientID: cfg.ClientID, TLS: tlsCfg, SASL: cfg.SASL,
			RequestTimeout: cfg.RequestTimeout, Needs: brokerCalls},
		closing: make(chan struct{}),
		log:     obs.NewLogger(cfg.LogLevel, cfg.Debug, h.OnLog),
		started: time.Now(),
	}
	c.opts.Log = c.log
	for _, addr := range cfg.Brokers {
		host, port, err := splitHostPort(addr)
		if err != nil {
			return nil, &ConfigError{Key: "brokers", Value: addr, Reason: err.Error()}
		}
		c.bootstrap = append(c.bootstrap, &broker{id: -1, host: host, port: port})
	}
	c.producer = newProducer(c)
	c.consumer = newConsumer(c)
	c.consumer.reset = cfg.AutoOffsetReset
	c.startStatistics()
	return c, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// Connect fetches cluster metadata from the first bootstrap broker that
// answers (trying each in turn) and calls cb with the metadata result tree
// (the shape of connapi.Metadata). It also starts the periodic refresh and,
// for an idempotent or transactional client, gets the producer id first.
func (c *Client) Connect(cb func(tree.Value, error)) {
	c.metaMu.Lock()
	c.allTopicsOnce = true // the first metadata lists every topic, as connect documents
	c.treeOnce = true
	c.startRefreshLocked(c.wantTopics, nil, func(m *metadata, err error) { // with the flags (RefreshMetadata)
		if err != nil {
			c.reportError(err)
			cb(tree.Value{}, err)
			return
		}
		c.startRefreshLoop()
		if !c.cfg.Idempotent {
			cb(m.tree, nil)
			return
		}
		// An idempotent or transactional client gets its producer id on
		// connect, as EV::Kafka does: programs read it once connected.
		go func() {
			if _, err := c.producer.waitPIDUntil(time.Now().Add(c.cfg.RequestTimeout)); err != nil {
				c.log.Warnf(obs.Producer, "connect: %v; it is asked for again before the first send", err)
			}
			cb(m.tree, nil)
		}()
	})
}

// RefreshMetadata fetches metadata now, including topics (which brokers
// auto-create when allowed), and calls cb with the result tree.
func (c *Client) RefreshMetadata(topics []string, cb func(tree.Value, error)) {
	// The flag is set with cb's registration, under one hold of metaMu: a
	// run starting in between would take the flag and leave cb to the run
	// after it, without its tree.
	c.metaMu.Lock()
	c.treeOnce = true
	c.startRefreshLocked(c.wantTopics, topics, func(m *metadata, err error) {
		if err != nil {
			cb(tree.Value{}, err)
			return
		}
		cb(m.tree, nil)
	})
}

// PartitionCount is the number of partitions of topic per the latest
// metadata, or -1 when the topic is unknown.
func (c *Client) PartitionCount(topic string) int {
	if m := c.meta.Load(); m != nil {
		if n, _, known := m.topic(topic); known && n > 0 {
			return n
		}
	}
	return -1
}

func (c *Client) reportError(err error) {
	c.counts.add(&c.counts.errors, err)
	c.log.Errorf(0, "%v", err)
	if c.handler.OnError != nil {
		c.handler.OnError(err)
	}
}

// connFor returns b's connection for purpose, (re)opening it when it is
// down and the last attempt is older than reconnectBackoff.
func (c *Client) connFor(b *broker, use purpose) *conn.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	cn := b.conns[use]
	if cn == nil {
		opts := c.opts
		opts.Meter = &b.meter
		cn = conn.New(opts, conn.Handler{OnDisconnect: func(err error) {
			c.reportError(fmt.Errorf("broker %s:%d: %w", b.host, b.port, err))
			c.refreshSoon()
		}})
		b.conns[use] = cn
	}
	if cn.State() == conn.Disconnected && time.Since(b.lastConnect[use]) >= reconnectBackoff && !c.closed {
		b.lastConnect[use] = time.Now()
		cn.Connect(b.host, b.port, c.cfg.RequestTimeout)
	}
	return cn
}

// brokerCalls are the calls the client makes of brokers that every broker
// kfk supports (Kafka 0.11 and newer) answers. A connection whose
// ApiVersions answer lacks one is refused and made again (see
// conn.Options.Needs): kept, it would fail each such call until it drops.
var brokerCalls = []kmsg.Key{kmsg.Produce, kmsg.Fetch, kmsg.ListOffsets, kmsg.Metadata, kmsg.OffsetCommit,
	kmsg.OffsetFetch, kmsg.FindCoordinator, kmsg.JoinGroup, kmsg.Heartbeat, kmsg.LeaveGroup, kmsg.SyncGroup,
	kmsg.InitProducerID}

// leaderConn returns the producing connection to the leader of
// topic/partition.
func (c *Client) leaderConn(topic string, partition int32) (*conn.Conn, int32, bool) {
	m := c.meta.Load()
	if m == nil {
		return nil, -1, false
	}
	leader, ok := m.leader(topic, partition)
	if !ok {
		return nil, -1, false
	}
	c.mu.Lock()
	b := c.brokers[leader]
	c.mu.Unlock()
	if b == nil {
		return nil, -1, false
	}
	return c.connFor(b, producing), leader, true
}

// askBroker sends req to broker node (named as role in the error when the
// client does not know it) on its general connection and waits for the
// answer.
func (c *Client) askBroker(node int32, role string, req kmsg.Request) (kmsg.Response, error) {
	c.mu.Lock()
	b := c.brokers[node]
	c.mu.Unlock()
	if b == nil {
		return nil, fmt.Errorf("%s %d: %w", role, node, ErrNoBroker)
	}
	return wait(c.connFor(b, general), req)
}

// anyConn returns a connection for cluster-wide requests: a connected
// broker if there is one, else the next broker to try.
func (c *Client) anyConn(skip map[*broker]bool) (*broker, *conn.Conn) {
	c.mu.Lock()
	var candidates []*broker
	for _, b := range c.brokers {
		candidates = append(candidates, b)
	}
	if len(candidates) == 0 {
		candidates = c.bootstrap
	}
	c.mu.Unlock()
	var fallback *broker
	for _, b := range candidates {
		if skip[b] {
			continue
		}
		if cn := b.conns[general]; cn != nil && cn.Connected() {
			return b, cn
		}
		if fallback == nil {
			fallback = b
		}
	}
	if fallback == nil {
		return nil, nil
	}
	return fallback, c.connFor(fallback, general)
}

// Close flushes the producer (up to timeout; 0 = no limit; negative = do
// not flush), then closes every connection; records still buffered fail
// with ErrClosed. cb (may be nil) runs when done.
func (c *Client) Close(timeout time.Duration, cb func(error)) {
	c.mu.Lock()
	g, s := c.group, c.share
	c.setGroupLocked(nil)
	c.setShareLocked(nil)
	c.mu.Unlock()
	if g != nil {
		left := make(chan struct{})
		g.leave(false, func(error) { close(left) })
		select {
		case <-left:
		case <-time.After(max(timeout, time.Second)):
		}
	}
	if s != nil {
		left := make(chan struct{})
		s.leave(func(error) { close(left) })
		select {
		case <-left:
		case <-time.After(max(timeout, time.Second)):
		}
	}
	flush := c.producer.flush
	if timeout < 0 {
		flush = func(_ time.Duration, done func(error)) { done(nil) }
	}
	flush(timeout, func(flushErr error) {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			if cb != nil {
				cb(flushErr)
			}
			return
		}
		c.closed = true
		conns := []*conn.Conn{}
		for _, b := range c.brokers {
			conns = append(conns, b.open()...)
		}
		for _, b := range c.bootstrap {
			conns = append(conns, b.open()...)
		}
		c.mu.Unlock()
		close(c.closing)
		c.producer.close()
		if c.appToken != nil {
			c.appToken.stop()
		}
		if c.kerberos != nil {
			c.kerberos.Close()
		}
		for _, cn := range conns {
			cn.Close()
		}
		if cb != nil {
			cb(flushErr)
		}
	})
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// metadataRequest sends a Metadata request on cn for topics, or for every
// topic when all is set; autoCreate lets brokers that allow it create
// missing topics.
func metadataRequest(cn *conn.Conn, topics []string, all, autoCreate bool, cb func(*kmsg.MetadataResponse, error)) {
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = autoCreate && !all
	if !all { // Topics stays nil for every topic: topics are among them
		req.Topics = []kmsg.MetadataRequestTopic{}
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
	}
	cn.Do(req, func(resp kmsg.Response, err error) {
		if err != nil {
			cb(nil, err)
			return
		}
		cb(resp.(*kmsg.MetadataResponse), nil)
	})
}

// metadataTree shapes metadata for callbacks (connect's $metadata).
var metadataTree = connapi.MetadataTree
