package client

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// GroupOptions configure a subscription (the classic consumer group
// protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup).
type GroupOptions struct {
	GroupID            string
	Topics             []string
	SessionTimeout     time.Duration // default 30s
	RebalanceTimeout   time.Duration // default 60s
	HeartbeatInterval  time.Duration // default 3s
	AutoCommit         bool          // commit on an interval, on revoke and on unsubscribe
	AutoCommitInterval time.Duration // default 5s
	InstanceID         string        // KIP-345 static membership when set
	// Assignor names the assignors in preference order, comma separated:
	// sticky (default), range, roundrobin, cooperative-sticky. With
	// cooperative-sticky alone the member rebalances incrementally
	// (KIP-429): it gives up only what moves, keeping the rest.
	Assignor        string
	AutoOffsetReset OffsetReset // "" = the client's auto_offset_reset
	// ManualOffsetStore makes commits (Commit, auto-commit, on revoke and
	// on leaving) take the offsets given to StoreOffsets instead of the
	// positions of what was handed to the application (librdkafka's
	// enable.auto.offset.store=false).
	ManualOffsetStore bool
	// Protocol is ClassicProtocol (JoinGroup and SyncGroup, the default)
	// or ConsumerProtocol (KIP-848: the coordinator assigns, Kafka 4.0+);
	// RemoteAssignor names the coordinator's assignor for the latter
	// (uniform or range; "" = the broker's default).
	Protocol       string
	RemoteAssignor string
	// OnAssign and OnRevoke run on a client goroutine: the partitions
	// given (with their starting offsets) and taken away (with the
	// positions reached). OnLost gets partitions the member lost without
	// giving them up (its session expired, its generation is gone), whose
	// positions cannot be committed; without it, OnRevoke gets them.
	OnAssign func([]Assignment)
	OnRevoke func([]Assignment)
	OnLost   func([]Assignment)
	// RevokeWait makes a revocation wait for the application (as
	// librdkafka's rebalance callback does): OnRevoke gets the partitions
	// while the member still owns them, so Commit and CommitOffsets made
	// then commit them with the current generation, and the member gives
	// them up (committing first with auto-commit) once RevokeDone is
	// called and the commits begun before it are done, or after
	// RebalanceTimeout with a warning. Lost partitions are never waited
	// for, nor those given up on leaving the group.
	RevokeWait bool
	// AssignEmpty has an incremental member (cooperative-sticky, KIP-848)
	// report each rebalance that adds it nothing with an OnAssign of no
	// partitions, as librdkafka's rebalance callback does; otherwise only
	// additions are reported.
	AssignEmpty bool
}

// The group protocols (group_protocol).
const (
	ClassicProtocol  = "classic"
	ConsumerProtocol = "consumer"
)

// NewGroupOptions returns the options of a subscription before any is
// set: auto-commit on, every other field at its default.
func NewGroupOptions() GroupOptions { return GroupOptions{AutoCommit: true} }

// groupOption sets one subscribe option from its text.
type groupOption func(o *GroupOptions, v string) error

func millis(field func(*GroupOptions) *time.Duration) groupOption {
	return func(o *GroupOptions, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return errReason("must be a positive number of ms")
		}
		*field(o) = time.Duration(n) * time.Millisecond
		return nil
	}
}

func text(field func(*GroupOptions) *string) groupOption {
	return func(o *GroupOptions, v string) error { *field(o) = v; return nil }
}

// groupOptions are the subscribe options by kfk's names; groupAliases
// gives the Java/librdkafka spellings.
var groupOptions = map[string]groupOption{
	"group_id":          text(func(o *GroupOptions) *string { return &o.GroupID }),
	"group_instance_id": text(func(o *GroupOptions) *string { return &o.InstanceID }),
	"assignor":          text(func(o *GroupOptions) *string { return &o.Assignor }),
	"group_protocol": func(o *GroupOptions, v string) error {
		if v != ClassicProtocol && v != ConsumerProtocol {
			return errReason("must be classic or consumer")
		}
		o.Protocol = v
		return nil
	},
	"group_remote_assignor":   text(func(o *GroupOptions) *string { return &o.RemoteAssignor }),
	"session_timeout_ms":      millis(func(o *GroupOptions) *time.Duration { return &o.SessionTimeout }),
	"rebalance_timeout_ms":    millis(func(o *GroupOptions) *time.Duration { return &o.RebalanceTimeout }),
	"heartbeat_interval_ms":   millis(func(o *GroupOptions) *time.Duration { return &o.HeartbeatInterval }),
	"auto_commit_interval_ms": millis(func(o *GroupOptions) *time.Duration { return &o.AutoCommitInterval }),
	"auto_commit": func(o *GroupOptions, v string) (err error) {
		o.AutoCommit, err = parseBool(v)
		return err
	},
	"revoke_wait": func(o *GroupOptions, v string) (err error) {
		o.RevokeWait, err = parseBool(v)
		return err
	},
	"assign_empty": func(o *GroupOptions, v string) (err error) {
		o.AssignEmpty, err = parseBool(v)
		return err
	},
	"auto_offset_store": func(o *GroupOptions, v string) error {
		auto, err := parseBool(v)
		o.ManualOffsetStore = !auto
		return err
	},
	"auto_offset_reset": func(o *GroupOptions, v string) (err error) {
		o.AutoOffsetReset, err = parseOffsetReset(v)
		return err
	},
}

var groupAliases = map[string]string{
	"group.id": "group_id", "group.instance.id": "group_instance_id",
	"partition.assignment.strategy": "assignor", "partition_assignment_strategy": "assignor",
	"group.protocol": "group_protocol", "group.remote.assignor": "group_remote_assignor", "session.timeout.ms": "session_timeout_ms",
	"max.poll.interval.ms": "rebalance_timeout_ms", "heartbeat.interval.ms": "heartbeat_interval_ms",
	"auto.commit.interval.ms": "auto_commit_interval_ms", "enable.auto.commit": "auto_commit",
	"auto.offset.reset": "auto_offset_reset", "enable.auto.offset.store": "auto_offset_store",
}

// Set sets one subscribe option by kfk's name or the Java/librdkafka one;
// a *ConfigError names the key when it is unknown or the value bad.
func (o *GroupOptions) Set(key, value string) error {
	if alias, ok := groupAliases[key]; ok {
		key = alias
	}
	set, ok := groupOptions[key]
	if !ok {
		return &ConfigError{Key: key, Reason: "unknown subscribe option"}
	}
	if err := set(o, value); err != nil {
		return withKey(err, key, value)
	}
	return nil
}

// memberState is where a group member stands (the statistics report it).
type memberState string

const (
	memberJoining memberState = "joining" // looking for the coordinator, joining or syncing
	memberStable  memberState = "stable"  // it has its assignment
	memberLeft    memberState = "left"    // unsubscribed or closed
)

// ErrNotSubscribed is returned by group calls without a subscription.
var ErrNotSubscribed = errors.New("not subscribed to a consumer group")

// group is one membership, driven by its own goroutine.
type group struct {
	c    *Client
	opts GroupOptions
	// assignors are the protocols this member offers, in order;
	// cooperative: they are all cooperative, so it rebalances
	// incrementally (as Java decides: one eager assignor makes it eager).
	assignors   []string
	cooperative bool
	assignor    string // the one the group chose at the last join
	// pendingIDs: topics of the KIP-848 target assignment the metadata
	// does not name yet.
	pendingIDs []kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic

	mu         sync.Mutex
	memberID   string
	generation int32
	owned      []Assignment // current assignment
	lastOwned  []Assignment // the previous generation's, for the sticky assignor
	coord      int32        // coordinator node, -1 unknown
	// sizes are the partition counts this member's assignment was made
	// from (only the leader keeps them): when the metadata shows a topic
	// created or grown, the leader rejoins so the new partitions get owners.
	sizes map[string]int
	// For the statistics: where the membership stands, and the offsets
	// committed (read at assignment, then at each successful commit).
	state         memberState
	leader        bool
	rebalances    int64
	lastRebalance time.Time
	committed     map[tp]int64
	// reached is where the application got to in each partition when the
	// last assignment was given up: a partition this member keeps through
	// a rebalance goes on from there, not from an older committed offset.
	reached map[tp]int64
	// stable is closed while the member has an assignment (state stable);
	// a commit made while it rejoins waits for it.
	stable chan struct{}
	// answer is closed by RevokeDone while a revocation waits for the
	// application (RevokeWait); nil otherwise.
	answer   chan struct{}
	revoking []Assignment // what the revocation waiting gives up
	// commits are the application's commits under way (each closes its
	// channel when done): a revocation waiting for the application gives
	// the partitions up once those begun before the answer are done.
	commits map[chan struct{}]bool
	// heardTarget is a KIP-848 target assignment heard by a heartbeat
	// sent while a revocation waited, for the member's loop to reconcile
	// (both on the member's goroutine, so without mu).
	heardTarget map[tp]bool

	// sub is what was subscribed to; topics what it matched when
	// resolvedAt (patterns are matched again every patternRefresh).
	sub        subscription
	topics     []string
	resolvedAt time.Time

	stop    chan struct{}
	stopped chan struct{}
	// leaving makes the first leave do the work; later ones wait for left
	// and get its error (an unsubscribe racing a close, say).
	leaving  sync.Once
	left     chan struct{}
	leaveErr error
}

// Subscribe joins the group and consumes what it assigns. A previous
// subscription is left first.
func (c *Client) Subscribe(opts GroupOptions) error {
	if opts.GroupID == "" || len(opts.Topics) == 0 {
		return &ConfigError{Key: "group_id", Reason: "subscribe needs a group id and at least one topic"}
	}
	setDefault(&opts.SessionTimeout, 30*time.Second)
	setDefault(&opts.RebalanceTimeout, 60*time.Second)
	setDefault(&opts.HeartbeatInterval, 3*time.Second)
	setDefault(&opts.AutoCommitInterval, 5*time.Second)
	names, err := assignorList(opts.Assignor)
	if err != nil {
		return err
	}
	sub, err := parseSubscription(opts.Topics)
	if err != nil {
		return err
	}
	g := &group{c: c, opts: opts, sub: sub, coord: -1, stop: make(chan struct{}), stopped: make(chan struct{}), state: memberJoining,
		stable: make(chan struct{}), left: make(chan struct{}), assignors: names,
		cooperative: !slices.ContainsFunc(names, func(n string) bool { return n != cooperativeSticky })}
	// The new member takes the old one's place at once, so that a
	// concurrent Unsubscribe or Close finds one or the other, never both;
	// it starts once the old one has left.
	c.mu.Lock()
	old := c.group
	c.setGroupLocked(g)
	c.mu.Unlock()
	if old != nil {
		done := make(chan struct{})
		old.leave(true, func(error) { close(done) })
		<-done
	}
	if opts.Protocol == ConsumerProtocol {
		go g.runConsumerProtocol()
	} else {
		go g.run()
	}
	return nil
}

// assignorList reads the assignor option: names in preference order,
// comma separated (sticky when empty).
func assignorList(v string) ([]string, error) {
	var names []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if _, ok := assignors[n]; !ok {
			return nil, &ConfigError{Key: "assignor", Value: v, Reason: "each must be one of " + strings.Join(assignorOrder, ", ")}
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		names = []string{"sticky"}
	}
	return names, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Commit commits the positions of the records handed to the application
// in the assigned partitions. While the member rejoins it waits for the new
// assignment, and while the coordinator moves it finds it again, both for
// up to request_timeout_ms; then it fails: cb never hears of success for a
// commit that was not made.
func (c *Client) Commit(cb func(error)) {
	c.mu.Lock()
	g := c.group
	c.mu.Unlock()
	if g == nil {
		cb(ErrNotSubscribed)
		return
	}
	finished := g.trackCommit()
	go func() {
		err := g.commitWhenStable(c.cfg.RequestTimeout, func(left time.Duration) error { return g.commitRetrying(left, nil) })
		finished()
		cb(err)
	}()
}

// CommitOffsets commits offsets (each the next offset to read) for the
// group, as the member of its current generation: any offsets, of
// partitions assigned or not. It waits for an assignment and for the
// coordinator as Commit does.
func (c *Client) CommitOffsets(offsets []Assignment, cb func(error)) {
	c.mu.Lock()
	g := c.group
	c.mu.Unlock()
	if g == nil {
		cb(ErrNotSubscribed)
		return
	}
	positions := map[tp]int64{}
	for _, a := range offsets {
		positions[tp{a.Topic, a.Partition}] = a.Offset
	}
	finished := g.trackCommit()
	go func() {
		err := g.commitWhenStable(c.cfg.RequestTimeout, func(left time.Duration) error {
			return g.retryCommit(left, func() error { return g.sendCommit(positions, true) })
		})
		finished()
		cb(err)
	}()
}

// awaitCommits waits for the application's commits under way now (each
// ends within request_timeout_ms).
func (g *group) awaitCommits() {
	g.mu.Lock()
	commits := slices.Collect(maps.Keys(g.commits))
	g.mu.Unlock()
	for _, done := range commits {
		<-done
	}
}

// trackCommit notes an application's commit under way (an asynchronous
// commit made in the revoke callback, say), so that a revocation waiting
// for the application gives the partitions up only once it is done.
func (g *group) trackCommit() (finished func()) {
	done := make(chan struct{})
	g.mu.Lock()
	if g.commits == nil {
		g.commits = map[chan struct{}]bool{}
	}
	g.commits[done] = true
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		delete(g.commits, done)
		g.mu.Unlock()
		close(done)
	}
}

// RevokeDone tells a member whose revocation waits for the application
// (RevokeWait) that OnRevoke's work is done: it hands over no more
// messages of the partitions and gives them up. Without a revocation
// waiting (none, or one that already timed out) it does nothing.
func (c *Client) RevokeDone() {
	c.mu.Lock()
	g := c.group
	c.mu.Unlock()
	if g == nil {
		return
	}
	g.mu.Lock()
	answer, parts := g.answer, g.revoking
	g.answer, g.revoking = nil, nil
	g.mu.Unlock()
	if answer == nil {
		return
	}
	// Nothing more of them is handed over: what the application got by
	// its answer is what the member commits and the next owner goes on
	// from. (A partition no longer assigned needs no pause: the error
	// naming it says nothing new.)
	_ = c.Pause(parts)
	close(answer)
}

// Unsubscribe commits (with auto-commit), leaves the group and stops
// consuming its partitions.
func (c *Client) Unsubscribe(cb func(error)) {
	c.mu.Lock()
	g := c.group
	c.setGroupLocked(nil)
	c.mu.Unlock()
	if g == nil {
		cb(nil)
		return
	}
	g.leave(true, cb)
}

// GroupState reports the member id, generation and assignment.
func (c *Client) GroupState() (memberID string, generation int32, assigned []Assignment) {
	c.mu.Lock()
	g := c.group
	c.mu.Unlock()
	if g == nil {
		return "", -1, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.memberID, g.generation, append([]Assignment(nil), g.owned...)
}

// MemberID is the id the group coordinator gave this member ("" until
// it has one); false without a subscription.
func (c *Client) MemberID() (string, bool) {
	c.mu.Lock()
	g := c.group
	c.mu.Unlock()
	if g == nil {
		return "", false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.memberID, true
}

// do sends req to the coordinator and waits (the group goroutine may block).
func (g *group) do(req kmsg.Request) (kmsg.Response, error) {
	g.mu.Lock()
	coord := g.coord
	g.mu.Unlock()
	if coord < 0 {
		if err := g.findCoordinator(); err != nil {
			return nil, err
		}
		g.mu.Lock()
		coord = g.coord
		g.mu.Unlock()
	}
	g.c.mu.Lock()
	b := g.c.brokers[coord]
	g.c.mu.Unlock()
	if b == nil {
		g.forgetCoordinator()
		return nil, fmt.Errorf("coordinator %d: %w", coord, ErrNoBroker)
	}
	return wait(g.c.connFor(b, grouping), req)
}

// wait runs one request synchronously.
func wait(cn interface {
	Do(kmsg.Request, func(kmsg.Response, error))
}, req kmsg.Request) (kmsg.Response, error) {
	type result struct {
		resp kmsg.Response
		err  error
	}
	ch := make(chan result, 1)
	cn.Do(req, func(r kmsg.Response, err error) { ch <- result{r, err} })
	r := <-ch
	return r.resp, r.err
}

func (g *group) findCoordinator() error {
	node, err := g.c.findCoordinator(g.opts.GroupID, coordinatorGroup)
	if err != nil {
		return err
	}
	g.c.log.Debugf(obs.Group, "group %s: coordinator is broker %d", g.opts.GroupID, node)
	if m := g.c.meta.Load(); m == nil || g.c.brokerKnown(node) == false {
		g.c.refreshMetadata(nil, nil)
	}
	g.mu.Lock()
	g.coord = node
	g.mu.Unlock()
	return nil
}

func (g *group) forgetCoordinator() {
	g.mu.Lock()
	g.coord = -1
	g.mu.Unlock()
}

// run is the member's life: join, sync, then heartbeat until a rebalance
// or the end, and again.
func (g *group) run() {
	defer close(g.stopped)
	backoff := g.c.cfg.RetryBackoff
	for {
		select {
		case <-g.stop:
			return
		default:
		}
		err := g.joinAndSync()
		joined := err == nil
		if joined {
			backoff = g.c.cfg.RetryBackoff
			err = g.heartbeatUntilRebalance()
			if err == nil {
				return // stopped
			}
		}
		g.handleError(err)
		if joined && rebalanceAsked(err) {
			continue // the group is waiting for this member: no backoff (Java rejoins at once too)
		}
		select {
		case <-g.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// rebalanceAsked reports whether err is the coordinator asking the
// member to join again (a rebalance, or a generation it left behind).
func rebalanceAsked(err error) bool {
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		return false
	}
	switch ke.Code {
	case kerr.RebalanceInProgress, kerr.UnknownMemberID, kerr.IllegalGeneration:
		return true
	}
	return false
}

// handleError reacts to a group error before the next join.
func (g *group) handleError(err error) {
	g.mu.Lock()
	g.state = memberJoining
	select {
	case <-g.stable:
		g.stable = make(chan struct{})
	default:
	}
	g.mu.Unlock()
	if !errors.Is(err, errStopped) {
		g.c.log.Debugf(obs.Group, "group %s: rejoining after: %v", g.opts.GroupID, err)
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		switch ke.Code {
		case kerr.UnknownMemberID: // the session expired; join as new
			g.mu.Lock()
			g.memberID, g.generation = "", -1
			g.mu.Unlock()
			g.lose()
		case kerr.IllegalGeneration: // the group moved on without this member
			g.lose()
		case kerr.RebalanceInProgress: // rejoin
		case kerr.CoordinatorLoadInProgress, kerr.CoordinatorNotAvailable, kerr.NotCoordinator:
			g.forgetCoordinator()
		default:
			g.c.reportError(fmt.Errorf("consumer group %s: %w", g.opts.GroupID, err))
		}
		return
	}
	g.forgetCoordinator()
	if !errors.Is(err, errStopped) {
		g.c.reportError(fmt.Errorf("consumer group %s: %w", g.opts.GroupID, err))
	}
}

var errStopped = errors.New("stopped")

// metadataWatchInterval is how often the leader compares the metadata with
// what its assignment was made from (a look at memory, no request).
const metadataWatchInterval = time.Second

// joinAndSync runs one JoinGroup/SyncGroup round and adopts the assignment.
func (g *group) joinAndSync() error {
	if !g.cooperative {
		g.revoke(true) // eager protocol: give everything up before joining
		select {
		case <-g.stop: // left while the revocation waited for the application
			return errStopped
		default:
		}
	}
	g.resolveTopics()
	for attempt := 0; ; attempt++ {
		g.mu.Lock()
		member := g.memberID
		g.mu.Unlock()
		req := kmsg.NewPtrJoinGroupRequest()
		req.Group = g.opts.GroupID
		req.MemberID = member
		req.SessionTimeoutMillis = int32(g.opts.SessionTimeout / time.Millisecond)
		req.RebalanceTimeoutMillis = int32(g.opts.RebalanceTimeout / time.Millisecond)
		req.ProtocolType = "consumer"
		if g.opts.InstanceID != "" {
			req.InstanceID = kmsg.StringPtr(g.opts.InstanceID)
		}
		for _, name := range g.protocols() {
			p := kmsg.NewJoinGroupRequestProtocol()
			p.Name = name
			p.Metadata = g.subscription()
			req.Protocols = append(req.Protocols, p)
		}
		resp, err := g.do(req)
		if err != nil {
			return err
		}
		jr := resp.(*kmsg.JoinGroupResponse)
		if jr.ErrorCode == kerr.MemberIDRequired && attempt == 0 { // KIP-394: rejoin with the id given
			g.mu.Lock()
			g.memberID = jr.MemberID
			g.mu.Unlock()
			continue
		}
		if jr.ErrorCode != 0 {
			return kerr.ForCode(jr.ErrorCode)
		}
		g.mu.Lock()
		g.memberID, g.generation = jr.MemberID, jr.Generation
		g.leader = jr.LeaderID == jr.MemberID
		g.assignor = protocolName(jr.Protocol)
		g.mu.Unlock()
		g.c.log.Debugf(obs.Group, "group %s: joined generation %d as %s (leader %s, protocol %s, %d members)",
			g.opts.GroupID, jr.Generation, jr.MemberID, jr.LeaderID, protocolName(jr.Protocol), len(jr.Members))
		var plan []kmsg.SyncGroupRequestGroupAssignment
		var sizes map[string]int
		switch {
		case jr.LeaderID != jr.MemberID:
		case jr.SkipAssignment:
			// A static leader rejoining a stable group is told to skip the
			// assignment (KIP-814): the one in force stays.
			sizes = g.partitionCounts(g.currentTopics())
		default:
			if plan, sizes, err = g.assign(jr); err != nil {
				return err
			}
		}
		g.mu.Lock()
		g.sizes = sizes
		g.mu.Unlock()
		return g.sync(jr, plan)
	}
}

// protocols are the assignors offered: the member's own; an eager member
// adds the others, so it finds common ground with any group (it gives up
// everything on a rebalance whichever one the group picks).
func (g *group) protocols() []string {
	out := slices.Clone(g.assignors)
	if !g.cooperative {
		for _, a := range eagerAssignors {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// subscription is this member's ConsumerMemberMetadata: its topics and,
// for the sticky assignors, what it owns (cooperative: still consuming) or
// owned last generation (eager: given up before joining).
func (g *group) subscription() []byte {
	md := kmsg.NewConsumerMemberMetadata()
	md.Version = 1
	md.Topics = g.currentTopics()
	g.mu.Lock()
	owned := g.lastOwned
	switch {
	case g.cooperative:
		owned = g.owned
	case slices.Contains(g.assignors, cooperativeSticky):
		// An eager member has given everything up: to a cooperative
		// assignor the group may pick, it owns nothing (as Java says).
		owned = nil
	}
	byTopic := map[string][]int32{}
	for _, a := range owned {
		byTopic[a.Topic] = append(byTopic[a.Topic], a.Partition)
	}
	g.mu.Unlock()
	for _, t := range slices.Sorted(maps.Keys(byTopic)) {
		op := kmsg.NewConsumerMemberMetadataOwnedPartition()
		op.Topic = t
		op.Partitions = byTopic[t]
		md.OwnedPartitions = append(md.OwnedPartitions, op)
	}
	return md.AppendTo(nil)
}

// assign computes every member's partitions (this member leads), and
// returns the partition counts it used.
func (g *group) assign(jr *kmsg.JoinGroupResponse) ([]kmsg.SyncGroupRequestGroupAssignment, map[string]int, error) {
	members := make([]memberSub, 0, len(jr.Members))
	topics := map[string]bool{}
	for _, m := range jr.Members {
		var md kmsg.ConsumerMemberMetadata
		if err := md.ReadFrom(m.ProtocolMetadata); err != nil {
			return nil, nil, fmt.Errorf("member %s sent unreadable metadata: %w", m.MemberID, err)
		}
		ms := memberSub{id: m.MemberID, topics: md.Topics, owned: map[string][]int32{}}
		for _, op := range md.OwnedPartitions {
			ms.owned[op.Topic] = op.Partitions
		}
		members = append(members, ms)
		for _, t := range md.Topics {
			topics[t] = true
		}
	}
	counts := g.partitionCounts(slices.Sorted(maps.Keys(topics)))
	plan := assignPartitions(jr.Protocol, members, counts)
	var out []kmsg.SyncGroupRequestGroupAssignment
	for _, ms := range members {
		ma := kmsg.NewConsumerMemberAssignment()
		for _, t := range slices.Sorted(maps.Keys(plan[ms.id])) {
			at := kmsg.NewConsumerMemberAssignmentTopic()
			at.Topic = t
			at.Partitions = plan[ms.id][t]
			ma.Topics = append(ma.Topics, at)
		}
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID = ms.id
		ga.MemberAssignment = ma.AppendTo(nil)
		out = append(out, ga)
	}
	return out, counts, nil
}

// partitionCounts asks for fresh metadata and returns the partition count
// of each topic (0 for one that does not exist yet). The topics, every
// member's, are asked for this once: the client's own refreshes cover its
// subscription while it lasts.
func (g *group) partitionCounts(topics []string) map[string]int {
	m, _ := g.c.metadataWithNow(topics)
	if m == nil {
		m = g.c.meta.Load()
	}
	counts := make(map[string]int, len(topics))
	for _, t := range topics {
		n, _, _ := m.topic(t)
		counts[t] = n
	}
	return counts
}

// metadataChanged reports whether a subscribed topic now has more
// partitions than the assignment was made from. A topic still missing
// (or still being created) has its metadata refreshed at the heartbeat
// pace, so a consumer that subscribed first sees it appear.
func (g *group) metadataChanged() bool {
	g.mu.Lock()
	sizes := g.sizes
	g.mu.Unlock()
	m := g.c.meta.Load()
	if len(sizes) == 0 || m == nil {
		return false
	}
	waiting := false
	for t, n := range sizes {
		now, _, _ := m.topic(t)
		if now > n {
			g.c.log.Infof(obs.Group, "group %s: topic %s has %d partitions, the assignment was made for %d: rebalancing",
				g.opts.GroupID, t, now, n)
			return true
		}
		waiting = waiting || now == 0
	}
	if waiting && time.Since(m.at) >= g.opts.HeartbeatInterval {
		g.c.refreshMetadata(slices.Sorted(maps.Keys(sizes)), nil)
	}
	return false
}

// sync sends SyncGroup and adopts this member's assignment.
func (g *group) sync(jr *kmsg.JoinGroupResponse, plan []kmsg.SyncGroupRequestGroupAssignment) error {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group = g.opts.GroupID
	req.Generation = jr.Generation
	req.MemberID = jr.MemberID
	req.ProtocolType = kmsg.StringPtr("consumer")
	req.Protocol = jr.Protocol
	if g.opts.InstanceID != "" {
		req.InstanceID = kmsg.StringPtr(g.opts.InstanceID)
	}
	req.GroupAssignment = plan
	resp, err := g.do(req)
	if err != nil {
		return err
	}
	sr := resp.(*kmsg.SyncGroupResponse)
	if sr.ErrorCode != 0 {
		return kerr.ForCode(sr.ErrorCode)
	}
	var ma kmsg.ConsumerMemberAssignment
	var parts []Assignment
	if len(sr.MemberAssignment) > 0 {
		if err := ma.ReadFrom(sr.MemberAssignment); err != nil {
			return fmt.Errorf("unreadable assignment: %w", err)
		}
		for _, t := range ma.Topics {
			for _, p := range t.Partitions {
				parts = append(parts, Assignment{Topic: t.Topic, Partition: p, Offset: OffsetLatest})
			}
		}
	}
	return g.adopt(parts)
}

// adopt starts consuming the assignment from the committed offsets (or
// auto_offset_reset) and reports it.
func (g *group) adopt(parts []Assignment) error {
	if g.cooperative {
		return g.adoptIncrementally(parts)
	}
	return g.start(parts, false)
}

// start begins consuming parts from the committed offsets (or
// auto_offset_reset) and reports them: the whole assignment (more false),
// or the partitions a cooperative rebalance adds to those kept.
func (g *group) start(parts []Assignment, more bool) error {
	committed, err := g.committedOffsets(parts)
	if err != nil {
		return err
	}
	policy := g.opts.AutoOffsetReset
	if policy == "" {
		policy = g.c.cfg.AutoOffsetReset
	}
	reset := policy.offset()
	g.mu.Lock()
	reached := g.reached
	g.mu.Unlock()
	for i := range parts {
		which := tp{parts[i].Topic, parts[i].Partition}
		off, ok := committed[which]
		if !ok || off < 0 {
			off = reset
		}
		// Kept through the rebalance: go on from what the application got,
		// unless someone committed further meanwhile.
		if own, kept := reached[which]; kept && own > off {
			off = own
		}
		parts[i].Offset = off
	}
	g.resolveStarts(parts, reset)
	g.mu.Lock()
	if more {
		g.owned = append(slices.Clone(g.owned), parts...)
	} else {
		g.owned = parts
		g.committed = map[tp]int64{}
	}
	g.lastOwned = g.owned
	g.state = memberStable
	// Stable from here: the consumer may fetch as soon as it is assigned
	// below, and a commit of the first records handed out must not find
	// the member still waiting for its assignment.
	select {
	case <-g.stable:
	default:
		close(g.stable)
	}
	g.rebalances++
	g.lastRebalance = time.Now()
	if g.committed == nil {
		g.committed = map[tp]int64{}
	}
	for which, off := range committed {
		if off >= 0 {
			g.committed[which] = off
		}
	}
	generation := g.generation
	g.mu.Unlock()
	verb := "assigned"
	if more {
		verb = "added"
	}
	g.c.log.Infof(obs.Group, "group %s: generation %d %s %s", g.opts.GroupID, generation, verb, describeAssignment(parts))
	if more {
		g.c.assignMore(parts)
	} else {
		g.c.Assign(parts)
	}
	if g.opts.OnAssign != nil && (!more || len(parts) > 0 || g.opts.AssignEmpty) {
		g.opts.OnAssign(slices.Clone(parts))
	}
	return nil
}

// adoptIncrementally applies a cooperative assignment: partitions no
// longer assigned are given up (committed first with auto-commit, then
// on_revoke for them alone), new ones start, and the rest go on as they
// were. Having given some up, the member rejoins at once so the group can
// hand them to their new members (KIP-429).
func (g *group) adoptIncrementally(parts []Assignment) error {
	assigned := map[tp]bool{}
	for _, a := range parts {
		assigned[tp{a.Topic, a.Partition}] = true
	}
	revoked, added := g.towards(assigned)
	if len(revoked) > 0 {
		g.giveUp(revoked)
	}
	if err := g.start(added, true); err != nil {
		return err
	}
	if len(revoked) > 0 {
		return kerr.ForCode(kerr.RebalanceInProgress) // rejoin: the revoked partitions go to their new members
	}
	return nil
}

// towards compares what the member owns with target: the partitions to
// give up (with their positions' entries as owned) and those to start, in
// topic and partition order.
func (g *group) towards(target map[tp]bool) (revoked, added []Assignment) {
	g.mu.Lock()
	owned := g.owned
	g.mu.Unlock()
	held := map[tp]bool{}
	for _, a := range owned {
		held[tp{a.Topic, a.Partition}] = true
		if !target[tp{a.Topic, a.Partition}] {
			revoked = append(revoked, a)
		}
	}
	for _, which := range slices.SortedFunc(maps.Keys(target), compareTP) {
		if !held[which] {
			added = append(added, Assignment{Topic: which.topic, Partition: which.partition})
		}
	}
	return revoked, added
}

// giveUp stops consuming part of the assignment in a cooperative
// rebalance: its positions are committed (auto-commit), on_revoke gets
// them (first, with RevokeWait), and the other partitions go on.
func (g *group) giveUp(revoked []Assignment) {
	keepAlive := func() { g.heartbeat() } // the answer (the session is renewed) changes nothing here
	if g.opts.Protocol == ConsumerProtocol {
		keepAlive = g.consumerKeepAlive
	}
	waited := g.awaitApplication(revoked, keepAlive)
	reached, stored := g.c.detach(revoked)
	if g.opts.AutoCommit {
		if err := g.commitRetrying(g.c.cfg.RequestTimeout, g.toCommit(reached, stored)); err != nil {
			g.c.reportError(fmt.Errorf("consumer group %s: commit on revoke: %w", g.opts.GroupID, err))
		}
	}
	out := slices.Clone(revoked)
	gone := map[tp]bool{}
	for i := range out {
		which := tp{out[i].Topic, out[i].Partition}
		gone[which] = true
		if off, ok := reached[which]; ok {
			out[i].Offset = off
		}
	}
	g.mu.Lock()
	g.owned = slices.DeleteFunc(slices.Clone(g.owned), func(a Assignment) bool { return gone[tp{a.Topic, a.Partition}] })
	g.mu.Unlock()
	g.c.log.Infof(obs.Group, "group %s: gave up %s", g.opts.GroupID, describeAssignment(out))
	if g.opts.OnRevoke != nil && !waited {
		g.opts.OnRevoke(out)
	}
}

// awaitApplication is a revocation waiting for the application
// (RevokeWait): OnRevoke gets parts, with the positions reached, while the
// member still owns them, and the member waits for RevokeDone, for up to
// the rebalance timeout, keeping its session alive meanwhile. Commits
// made while it waits go ahead with the current generation. It reports
// whether OnRevoke ran.
func (g *group) awaitApplication(parts []Assignment, keepAlive func()) bool {
	if !g.opts.RevokeWait || g.opts.OnRevoke == nil || len(parts) == 0 {
		return false
	}
	reached := g.c.consumer.consumedPositions(parts, false)
	out := slices.Clone(parts)
	for i := range out {
		if off, ok := reached[tp{out[i].Topic, out[i].Partition}]; ok {
			out[i].Offset = off
		}
	}
	answer := make(chan struct{})
	g.mu.Lock()
	g.answer, g.revoking = answer, parts
	rejoining := false
	select {
	case <-g.stable:
	default:
		// Commits, those already waiting included, need not wait for the
		// next assignment: the partitions are still this member's.
		close(g.stable)
		rejoining = true
	}
	g.mu.Unlock()
	g.c.log.Infof(obs.Group, "group %s: revoking %s: waiting for the application", g.opts.GroupID, describeAssignment(out))
	g.opts.OnRevoke(out)
	limit := time.NewTimer(g.opts.RebalanceTimeout)
	defer limit.Stop()
	beat := time.NewTicker(g.opts.HeartbeatInterval)
	defer beat.Stop()
wait:
	for {
		select {
		case <-answer:
			break wait
		case <-g.stop:
			break wait
		case <-limit.C:
			g.c.log.Warnf(obs.Group, "group %s: the application did not answer the revocation of %s within the rebalance timeout (%v): giving them up",
				g.opts.GroupID, describeAssignment(out), g.opts.RebalanceTimeout)
			break wait
		case <-beat.C:
			keepAlive()
		}
	}
	g.mu.Lock()
	g.answer, g.revoking = nil, nil
	g.mu.Unlock()
	g.awaitCommits()
	if rejoining {
		g.mu.Lock()
		g.stable = make(chan struct{})
		g.mu.Unlock()
	}
	return true
}

// toCommit is what a revocation commits of what detach returned: the
// positions reached, or with ManualOffsetStore the offsets stored.
func (g *group) toCommit(reached, stored map[tp]int64) map[tp]int64 {
	if g.opts.ManualOffsetStore {
		return stored
	}
	return reached
}

// lose drops the whole assignment without committing: the member's
// generation is gone, so its commits would be refused and the partitions
// may already be someone else's. OnLost gets them (OnRevoke without it).
func (g *group) lose() {
	g.mu.Lock()
	owned := g.owned
	g.owned, g.reached = nil, nil
	g.mu.Unlock()
	if len(owned) == 0 {
		return
	}
	reached := g.c.consumer.consumedPositions(owned, false)
	lost := slices.Clone(owned)
	for i := range lost {
		if off, ok := reached[tp{lost[i].Topic, lost[i].Partition}]; ok {
			lost[i].Offset = off
		}
	}
	g.c.log.Infof(obs.Group, "group %s: lost %s", g.opts.GroupID, describeAssignment(lost))
	g.c.Assign(nil)
	switch {
	case g.opts.OnLost != nil:
		g.opts.OnLost(lost)
	case g.opts.OnRevoke != nil:
		g.opts.OnRevoke(lost)
	}
}

// resolveStarts replaces the reset policy's placeholder (reset) in parts
// with each partition's real offset, so on_assign tells where consumption
// starts. A leader that cannot answer yet is asked again for a while;
// after that the placeholder stays and the consumer resolves it itself.
func (g *group) resolveStarts(parts []Assignment, reset int64) {
	byTopic := map[string][]int32{}
	for _, a := range parts {
		if a.Offset == reset {
			byTopic[a.Topic] = append(byTopic[a.Topic], a.Partition)
		}
	}
	deadline := time.Now().Add(g.c.cfg.RequestTimeout)
	for _, topic := range slices.Sorted(maps.Keys(byTopic)) {
		for backoff := g.c.cfg.RetryBackoff; ; backoff = min(backoff*2, time.Second) {
			offs, err := g.c.listOffsetsNow(topic, byTopic[topic], reset)
			if err == nil {
				for i := range parts {
					if off, ok := offs[parts[i].Partition]; ok && parts[i].Topic == topic && parts[i].Offset == reset {
						parts[i].Offset = off
					}
				}
				break
			}
			if time.Now().Add(backoff).After(deadline) {
				g.c.log.Warnf(obs.Group, "group %s: the %s offsets of %s are unknown (%v); the consumer resolves them",
					g.opts.GroupID, offsetName(reset), topic, err)
				break
			}
			select {
			case <-g.stop:
				return
			case <-time.After(backoff):
			}
		}
	}
}

// describeAssignment lists partitions with their starting offsets for a log
// line: "t[0]@5 t[1]@earliest", or "nothing".
func describeAssignment(parts []Assignment) string {
	if len(parts) == 0 {
		return "nothing"
	}
	var b strings.Builder
	for i, a := range parts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s[%d]@%s", a.Topic, a.Partition, offsetName(a.Offset))
	}
	return b.String()
}

// committedOffsets fetches the group's committed offsets for parts.
func (g *group) committedOffsets(parts []Assignment) (map[tp]int64, error) {
	out := map[tp]int64{}
	if len(parts) == 0 {
		return out, nil
	}
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = g.opts.GroupID
	byTopic := map[string][]int32{}
	for _, a := range parts {
		byTopic[a.Topic] = append(byTopic[a.Topic], a.Partition)
	}
	for _, t := range slices.Sorted(maps.Keys(byTopic)) {
		rt := kmsg.NewOffsetFetchRequestTopic()
		rt.Topic = t
		rt.Partitions = byTopic[t]
		req.Topics = append(req.Topics, rt)
	}
	r, err := g.c.fetchStableOffsets(req, g.do)
	if err != nil {
		return nil, err
	}
	if r.ErrorCode != 0 {
		return nil, kerr.ForCode(r.ErrorCode)
	}
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return nil, kerr.ForCode(p.ErrorCode)
			}
			out[tp{t.Topic, p.Partition}] = p.Offset
		}
	}
	return out, nil
}

// heartbeatUntilRebalance heartbeats (and auto-commits) until the group
// rebalances (an error to rejoin on) or the member stops (nil). A
// coordinator that moves or whose node fails is looked for again, with
// backoff: that alone is no rebalance, and the member keeps its partitions
// and positions (if the session expires meanwhile, the coordinator says so
// with UNKNOWN_MEMBER_ID once it answers again).
func (g *group) heartbeatUntilRebalance() error {
	hb := time.NewTimer(g.opts.HeartbeatInterval)
	defer hb.Stop()
	backoff := g.c.cfg.RetryBackoff
	watch := time.NewTicker(metadataWatchInterval)
	defer watch.Stop()
	var commit <-chan time.Time
	if g.opts.AutoCommit {
		t := time.NewTicker(g.opts.AutoCommitInterval)
		defer t.Stop()
		commit = t.C
	}
	for {
		select {
		case <-g.stop:
			return nil
		case <-watch.C:
			if g.metadataChanged() || g.subscriptionChanged() {
				return kerr.ForCode(kerr.RebalanceInProgress)
			}
		case <-commit:
			// A coordinator on the move is found again by the heartbeats;
			// the positions are committed at the next tick.
			if err := g.commit(); err != nil && !coordinatorRetriable(err) {
				g.c.reportError(fmt.Errorf("consumer group %s: auto-commit: %w", g.opts.GroupID, err))
			}
		case <-hb.C:
			err := g.heartbeat()
			switch {
			case err == nil:
				backoff = g.c.cfg.RetryBackoff
				hb.Reset(g.opts.HeartbeatInterval)
			case coordinatorRetriable(err):
				g.c.log.Debugf(obs.Group, "group %s: heartbeat: %v; looking for the coordinator again in %v",
					g.opts.GroupID, err, backoff)
				g.forgetCoordinator()
				hb.Reset(min(backoff, g.opts.HeartbeatInterval))
				backoff = min(backoff*2, time.Second)
			default:
				return err
			}
		}
	}
}

// heartbeat sends one Heartbeat for the current generation.
func (g *group) heartbeat() error {
	g.mu.Lock()
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.Generation, req.MemberID = g.opts.GroupID, g.generation, g.memberID
	g.mu.Unlock()
	if g.opts.InstanceID != "" {
		req.InstanceID = kmsg.StringPtr(g.opts.InstanceID)
	}
	resp, err := g.do(req)
	if err != nil {
		return err
	}
	if code := resp.(*kmsg.HeartbeatResponse).ErrorCode; code != 0 {
		return kerr.ForCode(code)
	}
	return nil
}

// commitWhenStable is the application's commit: it waits (up to limit)
// for an assignment if the member is rejoining, then runs commit with the
// time left (commitRetrying waits for a moving coordinator).
func (g *group) commitWhenStable(limit time.Duration, commit func(left time.Duration) error) error {
	deadline := time.Now().Add(limit)
	g.mu.Lock()
	stable := g.stable
	g.mu.Unlock()
	wait := time.NewTimer(limit)
	defer wait.Stop()
	select {
	case <-stable: // ready goes first: a commit made in on_revoke as the member leaves still counts
		return commit(time.Until(deadline))
	default:
	}
	select {
	case <-stable:
	case <-g.stop:
		return fmt.Errorf("%w: the member is leaving the group", ErrNotSubscribed)
	case <-wait.C:
		return fmt.Errorf("cannot commit: no assignment after %v: %w", limit, kerr.ForCode(kerr.RebalanceInProgress))
	}
	return commit(time.Until(deadline))
}

// commit commits the consumed positions of the current assignment. A
// position below what this member committed in this generation is left
// out: a commit never moves a partition back within a generation.
func (g *group) commit() error {
	g.mu.Lock()
	owned := g.owned
	g.mu.Unlock()
	return g.commitPositions(g.c.consumer.consumedPositions(owned, g.opts.ManualOffsetStore))
}

// commitPositions commits positions (those not committed yet) for the
// member's generation.
func (g *group) commitPositions(positions map[tp]int64) error {
	return g.sendCommit(positions, false)
}

// sendCommit commits positions for the member's generation: all of them
// when exact, else those above what it committed (it may drop them from
// positions).
func (g *group) sendCommit(positions map[tp]int64, exact bool) error {
	g.mu.Lock()
	gen, member := g.generation, g.memberID
	for which, off := range positions {
		if done, ok := g.committed[which]; ok && off <= done && !exact {
			delete(positions, which)
		}
	}
	g.mu.Unlock()
	if len(positions) == 0 {
		return nil
	}
	req := connapi.OffsetCommitRequest(g.opts.GroupID, gen, member, commitOffsets(positions))
	if g.opts.InstanceID != "" {
		req.InstanceID = kmsg.StringPtr(g.opts.InstanceID)
	}
	resp, err := g.do(req)
	if err != nil {
		return err
	}
	for _, t := range resp.(*kmsg.OffsetCommitResponse).Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return fmt.Errorf("%s[%d]: %w", t.Topic, p.Partition, kerr.ForCode(p.ErrorCode))
			}
		}
	}
	g.mu.Lock()
	if g.committed == nil {
		g.committed = map[tp]int64{}
	}
	for which, off := range positions {
		g.committed[which] = off
	}
	g.mu.Unlock()
	g.c.log.Debugf(obs.Group, "group %s: committed %d offsets", g.opts.GroupID, len(positions))
	return nil
}

// commitRetrying commits positions (nil: those reached now), looking for
// the coordinator again while it is loading, moving or unreachable, for
// up to limit: the positions of a revoke's last commit are lost if it
// fails, and re-read by whoever gets the partitions next.
func (g *group) commitRetrying(limit time.Duration, positions map[tp]int64) error {
	return g.retryCommit(limit, func() error {
		if positions == nil {
			return g.commit()
		}
		return g.commitPositions(positions)
	})
}

// retryCommit runs commit until it succeeds, fails for good or limit
// passes, looking for the coordinator again in between.
func (g *group) retryCommit(limit time.Duration, commit func() error) error {
	deadline := time.Now().Add(limit)
	backoff := g.c.cfg.RetryBackoff
	for {
		err := commit()
		if err == nil || !coordinatorRetriable(err) || time.Now().Add(backoff).After(deadline) {
			return err
		}
		g.forgetCoordinator()
		time.Sleep(backoff)
		backoff = min(backoff*2, time.Second)
	}
}

// revoke gives up the assignment (committing first when asked and
// auto-commit is on) and reports it.
func (g *group) revoke(commitFirst bool) {
	g.mu.Lock()
	owned := g.owned
	if len(owned) == 0 {
		g.reached = nil
	}
	g.mu.Unlock()
	if len(owned) == 0 {
		return
	}
	// on_revoke reports the positions reached: the next offset of each
	// partition after what was handed to the application, which stops
	// before the commit so that the commit covers all of it.
	waited := commitFirst && g.awaitApplication(owned, func() { g.heartbeat() })
	reached, stored := g.c.detach(owned)
	if commitFirst && g.opts.AutoCommit {
		if err := g.commitRetrying(g.c.cfg.RequestTimeout, g.toCommit(reached, stored)); err != nil {
			g.c.reportError(fmt.Errorf("consumer group %s: commit on revoke: %w", g.opts.GroupID, err))
		}
	}
	g.mu.Lock()
	g.reached = reached
	g.mu.Unlock()
	revoked := append([]Assignment(nil), owned...)
	for i := range revoked {
		if off, ok := reached[tp{revoked[i].Topic, revoked[i].Partition}]; ok {
			revoked[i].Offset = off
		}
	}
	g.mu.Lock()
	g.owned = nil
	g.mu.Unlock()
	g.c.Assign(nil)
	if g.opts.OnRevoke != nil && !waited {
		g.opts.OnRevoke(revoked)
	}
}

// leave stops the member: commit (auto), LeaveGroup, revoke. A static
// member (KIP-345) closing (forever false) does not leave: restarting with
// the same instance id within the session timeout causes no rebalance. An
// unsubscribe (forever true) leaves at once, static or not.
func (g *group) leave(forever bool, cb func(error)) {
	go func() {
		g.leaving.Do(func() {
			defer close(g.left)
			g.leaveErr = g.leaveNow(forever)
		})
		<-g.left
		cb(g.leaveErr)
	}()
}

// leaveNow is leave's work, done once.
func (g *group) leaveNow(forever bool) error {
	close(g.stop)
	<-g.stopped
	// A commit the application made just before leaving (an asynchronous
	// one in on_revoke, say) goes out with this generation, before the
	// member is gone; as librdkafka's close waits for its commits.
	g.awaitCommits()
	var err error
	if g.opts.AutoCommit {
		err = g.commit()
	}
	g.mu.Lock()
	member := g.memberID
	g.mu.Unlock()
	switch {
	case g.opts.Protocol == ConsumerProtocol:
		if lerr := g.leaveConsumerGroup(forever); lerr != nil && err == nil {
			err = lerr
		}
	case member != "" && (forever || g.opts.InstanceID == ""):
		req := kmsg.NewPtrLeaveGroupRequest()
		req.Group, req.MemberID = g.opts.GroupID, member
		m := kmsg.NewLeaveGroupRequestMember()
		m.MemberID = member
		if g.opts.InstanceID != "" {
			m.InstanceID = kmsg.StringPtr(g.opts.InstanceID)
		}
		req.Members = []kmsg.LeaveGroupRequestMember{m}
		if _, lerr := g.do(req); lerr != nil && err == nil {
			err = lerr
		}
	}
	g.revoke(false)
	g.mu.Lock()
	g.state = memberLeft
	g.mu.Unlock()
	g.c.log.Infof(obs.Group, "group %s: left", g.opts.GroupID)
	return err
}

func protocolName(p *string) string {
	if p == nil {
		return "none"
	}
	return *p
}
