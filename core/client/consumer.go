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

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Special offsets for Assign and Seek.
const (
	OffsetLatest   int64 = -1
	OffsetEarliest int64 = -2
)

// Message is one consumed record. Key, Value and header values share one
// buffer per fetch response (no allocation per record).
type Message struct {
	Topic         string
	Partition     int32
	Offset        int64
	Timestamp     int64
	TimestampType TimestampType
	// DeliveryCount is how many times a share group has handed this record
	// out, this time included (1 the first time); 0 outside share groups.
	DeliveryCount int16
	Key           []byte // nil = null
	Value         []byte // nil = null
	Headers       []wire.Header

	buffer *FetchBuffer // what Key, Value and Headers point into, when lent
}

// Assignment is a partition to consume and where to start.
type Assignment struct {
	Topic     string
	Partition int32
	Offset    int64 // >= 0, OffsetLatest or OffsetEarliest
}

type tp struct {
	topic     string
	partition int32
}

// position is where consumption of one assigned partition stands.
type position struct {
	offset    int64 // next offset to fetch; < 0 while it must be resolved
	epoch     int32
	resolving bool  // a ListOffsets for it is in flight
	fetching  bool  // in a fetch request now
	hwm       int64 // high watermark from the last fetch, -1 unknown
	consumed  int64 // offset after the last message handed to the application, -1 none
	stored    int64 // offset given to StoreOffsets, -1 none
	gen       int   // consumer.nextGenLocked's, new at each assign, seek and reset
	// dropped: no longer assigned. A fetch holds its partitions'
	// positions, and drops what it brings for a dropped one.
	dropped bool
}

// assignedPartition is an entry of consumer.order.
type assignedPartition struct {
	which tp
	p     *position
}

// newPosition is an assigned partition's position before fetching, from
// offset (>= 0, OffsetLatest or OffsetEarliest).
func newPosition(offset int64) *position {
	p := &position{offset: offset, hwm: -1, epoch: -1, consumed: -1, stored: -1}
	if offset >= 0 {
		p.consumed = offset
	}
	return p
}

// consumer fetches assigned partitions from their leaders. A fetch to each
// leader is kept in flight while the application works through what the
// previous one returned, bounded by Config.PrefetchBytes; Poll hands buffered
// messages over.
type consumer struct {
	c *Client

	mu       sync.Mutex
	assigned map[tp]*position
	// order is k.assigned sorted by topic and partition (assignedLocked):
	// kick walks it, so the fetches it plans come sorted, with no sort
	// and no map walk per fetch.
	order    []assignedPartition
	buffer   messageBuffer
	buffers  *bufferPool    // fetch responses are read into its buffers; nil: each into its own
	inflight map[int32]bool // fetch in flight per broker
	// decoding is the size of the fetched records being decoded, counted
	// toward prefetch_bytes with the buffer's.
	decoding int
	// delivering is held by handleFetch from before it sends the next
	// fetch until it has handed its messages over: responses go to the
	// buffer and to polls in the order they arrived.
	delivering sync.Mutex
	sessions   map[int32]*fetchSession
	waiters    []*pollWaiter // polls waiting for the next fetch
	// lastGen numbers positions: a fetch answers for the positions it was
	// sent for, and its answer is dropped for a partition whose position
	// has a newer number since (assigned again, sought, reset). It only
	// grows: a partition unassigned and assigned again must not take the
	// number of a fetch still waiting at the broker.
	lastGen int
	reset   OffsetReset // auto_offset_reset
	retry   retryKick   // the kick after a failed fetch or offset lookup
	// paused partitions are not fetched and their buffered messages wait;
	// only assigned partitions are in it, and it forgets a partition
	// when its assignment ends.
	paused map[tp]bool
}

type pollWaiter struct {
	limit   int // records it takes at most (0: MaxPollRecords)
	deliver func([]Message)
	done    func(int, error)
	// expiry completes the poll empty if nothing comes. It is stopped when
	// the poll is completed otherwise: a consumer polling for every few
	// records would leave a timer per poll to wake the runtime seconds
	// later, for nothing.
	expiry *time.Timer
}

// finish completes the poll: n messages were delivered to it.
func (w *pollWaiter) finish(n int, err error) {
	if w.expiry != nil {
		w.expiry.Stop()
	}
	w.done(n, err)
}

// nextGenLocked is a position number never used before.
func (k *consumer) nextGenLocked() int {
	k.lastGen++
	return k.lastGen
}

// expire completes w with no messages if it is still waiting.
func (k *consumer) expire(w *pollWaiter) {
	k.mu.Lock()
	for i, x := range k.waiters {
		if x == w {
			k.waiters = append(k.waiters[:i], k.waiters[i+1:]...)
			k.mu.Unlock()
			w.finish(0, nil)
			return
		}
	}
	k.mu.Unlock()
}

func newConsumer(c *Client) *consumer {
	k := &consumer{c: c, assigned: map[tp]*position{}, inflight: map[int32]bool{},
		sessions: map[int32]*fetchSession{}, reset: ResetLatest}
	if c.cfg.LendFetchBuffers {
		// What prefetching holds, and one response more being read.
		k.buffers = &bufferPool{limit: c.cfg.PrefetchBytes + int(c.cfg.FetchMaxBytes)}
	}
	return k
}

// Assign replaces the set of partitions consumed, each from its offset.
func (c *Client) Assign(parts []Assignment) {
	k := c.consumer
	k.mu.Lock()
	for _, p := range k.assigned {
		p.dropped = true
	}
	k.assigned = map[tp]*position{}
	k.paused = nil
	k.buffer.dropAll()
	for _, a := range parts {
		p := newPosition(a.Offset)
		p.gen = k.nextGenLocked()
		k.assigned[tp{a.Topic, a.Partition}] = p
	}
	k.assignedLocked()
	k.mu.Unlock()
	c.refreshMetadata(nil, func(*metadata, error) { k.kick() })
}

// assignedLocked follows a change to k.assigned: it sorts the assigned
// partitions into k.order, and makes the client's metadata refreshes
// cover their topics, and only while they are assigned: a consumer that
// gave a topic up neither keeps asking for it nor, where brokers create
// the topics asked for, brings it back once deleted.
func (k *consumer) assignedLocked() {
	k.order = k.order[:0]
	set := map[string]bool{}
	for which, p := range k.assigned {
		k.order = append(k.order, assignedPartition{which, p})
		set[which.topic] = true
	}
	slices.SortFunc(k.order, func(a, b assignedPartition) int { return compareTP(a.which, b.which) })
	topics := slices.Collect(maps.Keys(set))
	k.c.metaMu.Lock()
	k.c.assignedTopics = topics
	k.c.metaMu.Unlock()
}

// assignMore adds parts (each from its offset) to the partitions consumed,
// leaving the others, their positions and what was fetched for them as
// they are: a cooperative rebalance's new partitions.
func (c *Client) assignMore(parts []Assignment) {
	k := c.consumer
	k.mu.Lock()
	for _, a := range parts {
		which := tp{a.Topic, a.Partition}
		if old := k.assigned[which]; old != nil {
			old.dropped = true // a fetch still out for it must not move the new one
		}
		p := newPosition(a.Offset)
		p.gen = k.nextGenLocked()
		k.assigned[which] = p
	}
	k.assignedLocked()
	k.mu.Unlock()
	c.refreshMetadata(nil, func(*metadata, error) { k.kick() })
}

// detach stops consuming parts and returns the positions the application
// reached in them and the offsets stored for them, in one step: no record
// of theirs is handed over after the positions are taken, so committing
// them leaves nothing read twice by the partitions' next owner.
func (c *Client) detach(parts []Assignment) (reached, stored map[tp]int64) {
	k := c.consumer
	k.mu.Lock()
	defer k.mu.Unlock()
	reached, stored = map[tp]int64{}, map[tp]int64{}
	for _, a := range parts {
		which := tp{a.Topic, a.Partition}
		if p := k.assigned[which]; p != nil {
			if p.consumed >= 0 {
				reached[which] = p.consumed
			}
			if p.stored >= 0 {
				stored[which] = p.stored
			}
			p.dropped = true
		}
		delete(k.assigned, which)
		delete(k.paused, which)
		k.buffer.drop(which)
	}
	k.assignedLocked()
	return reached, stored
}

// ErrNotAssigned names partitions a call needs assigned that are not.
var ErrNotAssigned = errors.New("not assigned")

// notAssignedLocked is the error for the partitions of which that are
// not assigned, nil when all are.
func (k *consumer) notAssignedLocked(which []Assignment) error {
	var missing []string
	for _, a := range which {
		if k.assigned[tp{a.Topic, a.Partition}] == nil {
			missing = append(missing, fmt.Sprintf("%s[%d]", a.Topic, a.Partition))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", strings.Join(missing, " "), ErrNotAssigned)
}

// IncrementalAssign adds parts, each from its offset, to the partitions
// consumed by a client that assigns them itself (Assign), leaving the
// others as they are. A partition already assigned fails the call (an
// error naming it) and nothing changes.
func (c *Client) IncrementalAssign(parts []Assignment) error {
	k := c.consumer
	k.mu.Lock()
	var dup []string
	for _, a := range parts {
		if k.assigned[tp{a.Topic, a.Partition}] != nil {
			dup = append(dup, fmt.Sprintf("%s[%d]", a.Topic, a.Partition))
		}
	}
	k.mu.Unlock()
	if len(dup) > 0 {
		return fmt.Errorf("%s: already assigned", strings.Join(dup, " "))
	}
	c.assignMore(parts)
	return nil
}

// IncrementalUnassign stops consuming parts (their offsets are not used),
// leaving the other partitions as they are. A partition not assigned
// fails the call (an error naming it, wrapping ErrNotAssigned) and
// nothing changes.
func (c *Client) IncrementalUnassign(parts []Assignment) error {
	k := c.consumer
	k.mu.Lock()
	err := k.notAssignedLocked(parts)
	k.mu.Unlock()
	if err != nil {
		return err
	}
	c.detach(parts)
	return nil
}

// Pause stops fetching the assigned partitions of parts (their offsets
// are not used) and handing over their messages: what was fetched for
// them already is kept, and positions stay where they are, until Resume.
// A partition whose assignment ends is no longer paused if assigned
// again. Partitions not assigned are left out, and named by the error
// (wrapping ErrNotAssigned).
func (c *Client) Pause(parts []Assignment) error {
	k := c.consumer
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, a := range parts {
		which := tp{a.Topic, a.Partition}
		if k.assigned[which] != nil {
			if k.paused == nil {
				k.paused = map[tp]bool{}
			}
			k.paused[which] = true
		}
	}
	return k.notAssignedLocked(parts)
}

// Resume undoes Pause for parts: fetching goes on from where it stopped,
// and a waiting Poll gets the messages kept meanwhile. Partitions not
// assigned are named by the error, as with Pause.
func (c *Client) Resume(parts []Assignment) error {
	k := c.consumer
	k.mu.Lock()
	for _, a := range parts {
		delete(k.paused, tp{a.Topic, a.Partition})
	}
	err := k.notAssignedLocked(parts)
	var waiters []*pollWaiter
	var batches [][]Message
	if len(k.waiters) > 0 {
		if batches = k.takeLocked(k.waiters[0].limit); len(batches) > 0 {
			waiters, k.waiters = k.waiters, nil
		}
	}
	k.mu.Unlock()
	k.complete(waiters, batches)
	k.kick()
	return err
}

// StoreOffsets sets the offsets a group member with manual offset store
// (GroupOptions.ManualOffsetStore) commits for the assigned partitions of
// parts: each the offset of the next message to read. Partitions not
// assigned are left out and named by the error (wrapping ErrNotAssigned).
// A new assignment of a partition starts with nothing stored.
func (c *Client) StoreOffsets(parts []Assignment) error {
	k := c.consumer
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, a := range parts {
		if p := k.assigned[tp{a.Topic, a.Partition}]; p != nil {
			p.stored = a.Offset
		}
	}
	return k.notAssignedLocked(parts)
}

// takeLocked takes what the next poll gets from the buffer, at most limit
// records (0: MaxPollRecords), leaving the paused partitions' messages
// there.
func (k *consumer) takeLocked(limit int) [][]Message {
	if limit <= 0 || (k.c.cfg.MaxPollRecords > 0 && k.c.cfg.MaxPollRecords < limit) {
		limit = k.c.cfg.MaxPollRecords
	}
	if len(k.paused) > 0 {
		return k.buffer.takeExcept(limit, k.paused)
	}
	return k.buffer.take(limit)
}

// complete hands batches to the first of waiters and completes them all.
func (k *consumer) complete(waiters []*pollWaiter, batches [][]Message) {
	if len(waiters) > 0 {
		k.markConsumed(batches)
	}
	for i, w := range waiters {
		n := 0
		if i == 0 { // the first waiting poll takes the messages
			for _, b := range batches {
				w.deliver(b)
				n += len(b)
			}
		}
		w.finish(n, nil)
	}
}

// Seek moves a partition's position (OffsetLatest and OffsetEarliest are
// resolved with ListOffsets) and calls cb when it is set.
func (c *Client) Seek(topic string, partition int32, offset int64, cb func(error)) {
	k := c.consumer
	k.mu.Lock()
	p := k.assigned[tp{topic, partition}]
	if p == nil {
		p = newPosition(OffsetLatest)
		k.assigned[tp{topic, partition}] = p
		k.assignedLocked()
	}
	p.gen = k.nextGenLocked()
	p.offset = offset
	p.consumed = max(offset, -1)
	p.resolving = false
	k.buffer.drop(tp{topic, partition})
	k.mu.Unlock()
	if offset >= 0 {
		k.kick()
		cb(nil)
		return
	}
	c.listOffsets(topic, []int32{partition}, offset, func(offs map[int32]int64, err error) {
		if err == nil {
			k.mu.Lock()
			if cur := k.assigned[tp{topic, partition}]; cur == p && p.offset == offset {
				p.offset = offs[partition]
				p.consumed = p.offset
			}
			k.mu.Unlock()
			k.kick()
		}
		cb(err)
	})
}

// Poll hands over the buffered messages, at most limit of them (0: up to
// MaxPollRecords, itself 0 for no bound; a limit above MaxPollRecords is
// cut to it), deliver called once per fetch response's share, then calls
// done with the count. With nothing buffered it waits for the next fetch
// responses (at most about fetch_max_wait_ms when the partitions are
// idle).
func (c *Client) Poll(limit int, deliver func([]Message), done func(int, error)) {
	k := c.consumer
	k.mu.Lock()
	batches := k.takeLocked(limit)
	if len(batches) == 0 {
		w := &pollWaiter{limit: limit, deliver: deliver, done: done}
		k.waiters = append(k.waiters, w)
		// With nothing to fetch (yet: a group may be assigning), answer
		// empty after the fetch wait instead of spinning the caller; and
		// never leave a poll waiting on fetches that keep failing.
		wait := max(c.cfg.FetchMaxWait, 10*time.Millisecond)
		if len(k.assigned) > 0 {
			wait = 2*c.cfg.FetchMaxWait + time.Second
		}
		w.expiry = time.AfterFunc(wait, func() { k.expire(w) })
	}
	k.mu.Unlock()
	if len(batches) > 0 {
		k.markConsumed(batches)
		n := 0
		for _, b := range batches {
			deliver(b)
			n += len(b)
		}
		done(n, nil)
	}
	k.kick()
}

// markConsumed records what is being handed to the application: commits
// cover only delivered messages, never prefetched ones.
func (k *consumer) markConsumed(batches [][]Message) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, b := range batches {
		if len(b) == 0 {
			continue
		}
		k.c.counts.consumed(b)
		last := b[len(b)-1]
		if p := k.assigned[tp{last.Topic, last.Partition}]; p != nil && last.Offset+1 > p.consumed {
			p.consumed = last.Offset + 1
		}
	}
}

// consumedPositions returns the next offset to commit for each of parts
// that has one: the position after what was handed over, or with stored
// the offset given to StoreOffsets.
func (k *consumer) consumedPositions(parts []Assignment, stored bool) map[tp]int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[tp]int64{}
	for _, a := range parts {
		p := k.assigned[tp{a.Topic, a.Partition}]
		switch {
		case p == nil:
		case stored && p.stored >= 0:
			out[tp{a.Topic, a.Partition}] = p.stored
		case !stored && p.consumed >= 0:
			out[tp{a.Topic, a.Partition}] = p.consumed
		}
	}
	return out
}

// kick starts fetches and offset resolutions that can run now.
func (k *consumer) kick() {
	if k.c.isClosed() {
		return
	}
	m := k.c.meta.Load()
	k.mu.Lock()
	var resolve []tp
	byLeader := map[int32]*fetchPlan{}
	// What paused partitions keep does not hold the others back.
	held := 0
	if len(k.paused) > 0 {
		held = k.buffer.bytesOf(k.paused)
	}
	// k.order is sorted by topic: each topic's leaders are looked up once.
	var topic string
	var topicLeaders *topicMeta
	looked := false
	for _, a := range k.order {
		which, p := a.which, a.p
		switch {
		case p.fetching || p.resolving || k.paused[which]:
		case p.offset < 0:
			p.resolving = true
			resolve = append(resolve, which)
		case k.buffer.bytes+k.decoding-held < k.c.cfg.PrefetchBytes && m != nil:
			if !looked || which.topic != topic {
				topic, topicLeaders, looked = which.topic, m.topics[which.topic], true
			}
			if leader, ok := topicLeaders.leader(which.partition); ok && !k.inflight[leader] {
				plan := byLeader[leader]
				if plan == nil {
					plan = &fetchPlan{leader: leader}
					byLeader[leader] = plan
				}
				plan.add(which, p)
			}
		}
	}
	plans := make([]*fetchPlan, 0, len(byLeader))
	for leader, plan := range byLeader {
		k.inflight[leader] = true
		plans = append(plans, plan)
	}
	k.mu.Unlock()
	if len(resolve) > 0 {
		k.resolve(resolve)
	}
	// A partition's first fetch follows its ListOffsets: the leader's
	// fetching connection is made meanwhile rather than after it.
	leaders := map[int32]bool{}
	for _, which := range resolve {
		if m == nil {
			break
		}
		if leader, ok := m.leader(which.topic, which.partition); ok && !leaders[leader] {
			leaders[leader] = true
			k.c.mu.Lock()
			b := k.c.brokers[leader]
			k.c.mu.Unlock()
			if b != nil {
				k.c.connFor(b, fetching)
			}
		}
	}
	for _, plan := range plans {
		k.fetch(plan)
	}
}

// fetchPlan is one fetch from one leader: its partitions (sorted, as
// k.order is), their positions, and the offsets and position numbers
// they are fetched at. The positions it holds spare the lookups of
// every partition in k.assigned when the answer comes: at a thousand
// idle partitions those were most of what an idle consumer's fetch
// cost.
type fetchPlan struct {
	leader int32
	parts  []tp
	ps     []*position
	offs   []int64
	gens   []int
}

// add puts which, at p, in the fetch (under k.mu).
func (f *fetchPlan) add(which tp, p *position) {
	p.fetching = true
	f.parts = append(f.parts, which)
	f.ps = append(f.ps, p)
	f.offs = append(f.offs, p.offset)
	f.gens = append(f.gens, p.gen)
}

// resolve turns the negative positions of which into offsets with
// ListOffsets: one call per topic and kind of offset asked for (which
// sends one request per leader), so that assigning a thousand partitions
// at their start costs a request, not a thousand.
func (k *consumer) resolve(which []tp) {
	type ask struct {
		topic string
		want  int64 // OffsetEarliest or OffsetLatest
	}
	asks := map[ask][]int32{}
	positions := make(map[tp]*position, len(which)) // read-only once the calls are made
	k.mu.Lock()
	for _, w := range which {
		if p := k.assigned[w]; p != nil {
			positions[w] = p
			a := ask{w.topic, p.offset}
			asks[a] = append(asks[a], w.partition)
		}
	}
	k.mu.Unlock()
	for a, parts := range asks {
		k.c.listOffsets(a.topic, parts, a.want, func(offs map[int32]int64, err error) {
			k.mu.Lock()
			for _, part := range parts {
				w := tp{a.topic, part}
				p := positions[w]
				if k.assigned[w] != p {
					continue
				}
				p.resolving = false // an offset not found is asked for again by a later kick
				if off, ok := offs[part]; ok && p.offset == a.want {
					k.c.log.Debugf(obs.Consumer, "%s[%d]: %s offset is %d", a.topic, part, offsetName(a.want), off)
					p.offset = off
					if p.consumed < 0 {
						p.consumed = off
					}
				}
			}
			k.mu.Unlock()
			if err != nil {
				k.retry.after(k.c.cfg.RetryBackoff, k.kick)
				return
			}
			k.kick()
		})
	}
}

// fetch sends plan's Fetch to its leader, within the fetch session with
// that broker.
func (k *consumer) fetch(plan *fetchPlan) {
	leader := plan.leader
	k.c.mu.Lock()
	b := k.c.brokers[leader]
	k.c.mu.Unlock()
	if b == nil {
		k.fetchDone(plan)
		return
	}
	k.mu.Lock()
	s := k.sessions[leader]
	if s == nil {
		s = &fetchSession{held: map[tp]int64{}}
		k.sessions[leader] = s
	}
	sf := s.plan(plan.parts, plan.offs)
	req := kmsg.NewPtrFetchRequest()
	s.fill(req, sf) // the session's id and epoch are read under the lock
	k.mu.Unlock()

	cn := k.c.connFor(b, fetching)
	k.fillFetch(req, sf, plan.parts, plan.offs)
	// With lent buffers the response is read into one from the pool. Only
	// a response read in full gives its buffer back: after a failure the
	// connection's reader may still be writing into it.
	var lent *FetchBuffer
	into := func(size int) []byte {
		lent = k.buffers.lend(size)
		return lent.buf
	}
	if k.buffers == nil {
		into = nil
	}
	cn.DoInto(req, into, func(resp kmsg.Response, err error) {
		if err == nil && lent != nil { // (err first: a failure may come from another goroutine)
			defer lent.Release(1)
		}
		var code int16
		if err == nil {
			code = resp.(*kmsg.FetchResponse).ErrorCode
		}
		if err != nil || code != 0 {
			k.mu.Lock()
			s.reset()
			k.mu.Unlock()
			k.fetchDone(plan)
			if code == errFetchSessionIDNotFound || code == errInvalidFetchSessionEpoch {
				k.kick() // the broker lost our session: a full fetch starts another
				return
			}
			if err == nil {
				k.c.reportError(fmt.Errorf("fetch from broker %d: %w", leader, kerr.ForCode(code)))
			}
			k.c.refreshSoon()
			k.retry.after(k.c.cfg.RetryBackoff, k.kick)
			return
		}
		r := resp.(*kmsg.FetchResponse)
		k.mu.Lock()
		s.answered(sf, plan.parts, plan.offs, r.SessionID)
		k.mu.Unlock()
		k.handleFetch(plan, r, lent)
	})
}

// fillFetch completes a Fetch request with the client's limits and the
// partitions plan names (parts at offs, sorted by topic).
func (k *consumer) fillFetch(req *kmsg.FetchRequest, plan sessionFetch, parts []tp, offs []int64) {
	req.ReplicaID = -1
	req.MaxWaitMillis = int32(k.c.cfg.FetchMaxWait / time.Millisecond)
	req.MinBytes = k.c.cfg.FetchMinBytes
	req.MaxBytes = k.c.cfg.FetchMaxBytes
	req.IsolationLevel = k.c.cfg.isolation()
	for _, i := range plan.send {
		which := parts[i]
		if len(req.Topics) == 0 || req.Topics[len(req.Topics)-1].Topic != which.topic {
			t := kmsg.NewFetchRequestTopic()
			t.Topic = which.topic
			req.Topics = append(req.Topics, t)
		}
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition = which.partition
		fp.FetchOffset = offs[i]
		fp.PartitionMaxBytes = k.c.cfg.FetchPartitionMaxBytes
		fp.LogStartOffset = -1
		t := &req.Topics[len(req.Topics)-1]
		t.Partitions = append(t.Partitions, fp)
	}
}

func (k *consumer) fetchDone(plan *fetchPlan) {
	k.mu.Lock()
	delete(k.inflight, plan.leader)
	plan.settleLocked()
	k.mu.Unlock()
}

// settleLocked marks the fetch's partitions as not being fetched.
func (f *fetchPlan) settleLocked() {
	for _, p := range f.ps {
		if !p.dropped {
			p.fetching = false
		}
	}
}

// handleFetch decodes a fetch response into messages, advances positions,
// and hands the messages to waiting polls or the buffer.
// Messages that point into lent (nil: none) hold it.
//
// The next fetch to the leader goes out before the records are decoded,
// from the offsets the batch headers give (wire.NextOffsetAfter), so the
// broker reads while the client decodes. Responses are still decoded and
// handed over one at a time in the order they arrived (k.delivering, taken
// before that fetch is sent), and the bytes being decoded count toward
// prefetch_bytes. A batch that fails its checks after the next fetch left
// sets the position back to it under a new number, so what that fetch
// brings is dropped and the failing batch is fetched (and reported) again,
// as if nothing had been sent ahead.
func (k *consumer) handleFetch(plan *fetchPlan, resp *kmsg.FetchResponse, lent *FetchBuffer) {
	leader, parts, offs, gens := plan.leader, plan.parts, plan.offs, plan.gens
	k.delivering.Lock()
	var out fetchOutcome
	k.mu.Lock()
	// A partition of this fetch sought elsewhere meanwhile (an incremental
	// fetch session may not even answer for it), or assigned again: a
	// fetch from the new position follows.
	for i, p := range plan.ps {
		if p.dropped {
			p = k.assigned[parts[i]]
		}
		if p != nil && p.gen != gens[i] {
			out.moved = true
		}
	}
	var fetched []fetchedPartition
	decoding := 0
	for _, t := range resp.Topics {
		for i := range t.Partitions {
			fp := &t.Partitions[i]
			which := tp{t.Topic, fp.Partition}
			idx, ok := indexOfPart(parts, which)
			if !ok {
				continue
			}
			p := plan.ps[idx]
			if p.dropped || p.gen != gens[idx] || !k.answeredLocked(leader, which, p, fp, offs[idx], &out) {
				continue
			}
			f := fetchedPartition{which: which, p: p, gen: p.gen, fp: fp, from: offs[idx], ahead: -1}
			if next, ok := wire.NextOffsetAfter(fp.RecordBatches); ok {
				f.ahead = max(next, f.from)
				p.offset = max(p.offset, f.ahead)
			}
			decoding += len(fp.RecordBatches)
			fetched = append(fetched, f)
		}
	}
	delete(k.inflight, leader)
	plan.settleLocked()
	for _, f := range fetched {
		if f.ahead < 0 { // no fetch for it until its records say where they end
			f.p.fetching = true
		}
	}
	for _, which := range out.reset {
		if p := k.assigned[which]; p != nil {
			p.gen = k.nextGenLocked()
			p.offset = k.reset.offset()
		}
	}
	k.decoding += decoding
	k.mu.Unlock()
	if out.stale {
		k.c.refreshSoon()
	}
	k.kick()

	for i := range fetched {
		f := &fetched[i]
		f.msgs, f.next, f.err = decodePartition(f.which.topic, f.fp, f.from, lent, k.c.cfg.CheckCRCs)
	}

	k.mu.Lock()
	// The fetch above went out unless the prefetch bound held it (these
	// records counted as buffered) or a partition waited for decoding:
	// only then can another go out now, and a kick for nothing walks
	// every assigned partition.
	held := k.buffer.bytes + k.decoding
	k.decoding -= decoding
	again := false
	for _, f := range fetched {
		again = k.decodedLocked(f, &out) || again
	}
	waiters, batches := k.handOverLocked(&out)
	again = again || k.buffer.bytes+k.decoding < held
	k.mu.Unlock()
	k.complete(waiters, batches)
	k.delivering.Unlock()
	if again {
		k.kick()
	}
}

// indexOfPart finds which in parts, a fetch's partitions sorted by topic
// and partition (k.order is): a search rather than a map built for
// every response, which at many partitions cost more than the response.
func indexOfPart(parts []tp, which tp) (int, bool) {
	return slices.BinarySearchFunc(parts, which, compareTP)
}

// fetchOutcome is what one fetch response brought.
type fetchOutcome struct {
	batches [][]Message // one per partition with records
	reset   []tp        // out of range: start over per auto_offset_reset
	stale   bool        // a partition's leader must be looked up again
	moved   bool        // a partition was sought elsewhere meanwhile
}

// fetchedPartition is one partition's records from a fetch response, on
// their way from the response to the buffer.
type fetchedPartition struct {
	which tp
	p     *position
	gen   int // p.gen when the response came
	fp    *kmsg.FetchResponseTopicPartition
	from  int64 // the offset fetched from
	ahead int64 // where the next fetch starts, from the batch headers; -1: where decoding ends
	msgs  []Message
	next  int64 // the offset after the last batch decoded
	err   error
}

// answeredLocked applies one partition's answer (fetched from from) short
// of its records: its error, or its high watermark. It reports whether
// there are records to decode.
func (k *consumer) answeredLocked(leader int32, which tp, p *position, fp *kmsg.FetchResponseTopicPartition,
	from int64, out *fetchOutcome) bool {
	switch fp.ErrorCode {
	case 0:
		p.hwm = fp.HighWatermark
		return true
	case kerr.OffsetOutOfRange:
		k.c.log.Infof(obs.Consumer, "%s[%d]: offset %d is out of range; resetting to %s",
			which.topic, which.partition, from, k.reset)
		out.reset = append(out.reset, which)
	default:
		if ke := kerr.ForCode(fp.ErrorCode); ke.Retriable || staleMetadata(fp.ErrorCode) {
			k.c.counts.add(&k.c.counts.retries, ke)
			k.c.log.Debugf(obs.Consumer, "fetch %s[%d] from broker %d: %v; retrying", which.topic, which.partition, leader, ke)
			out.stale = true
			return false
		}
		k.c.reportError(fmt.Errorf("fetch %s[%d]: %w", which.topic, which.partition, kerr.ForCode(fp.ErrorCode)))
	}
	return false
}

// decodedLocked takes one partition's decoded records into out, unless
// the partition was sought, reset or unassigned while they were decoded,
// and settles its position. It reports whether the partition can be
// fetched now and was not when the next fetch went out.
func (k *consumer) decodedLocked(f fetchedPartition, out *fetchOutcome) bool {
	if f.err != nil {
		k.c.reportError(fmt.Errorf("fetch %s[%d]: %w", f.which.topic, f.which.partition, f.err))
	}
	p := f.p
	again := f.ahead < 0
	if again {
		p.fetching = false
	}
	if k.assigned[f.which] != p || p.gen != f.gen {
		ReleaseMessages(f.msgs)
		return again
	}
	switch {
	case f.ahead < 0:
		p.offset = max(p.offset, f.next)
	case f.next < f.ahead: // a batch failed its checks: fetch from it again
		p.offset = f.next
		p.gen = k.nextGenLocked()
		again = true
	}
	if len(f.msgs) > 0 {
		out.batches = append(out.batches, f.msgs)
	}
	return again
}

// handOverLocked buffers a response's batches and returns the polls to
// complete with what the first of them may take (max_poll_records; the
// rest stays buffered). Polls wait on when the response brought nothing
// only because positions changed under it (a seek, an offset reset, a
// leader to look up again): the first poll after a seek reads from the
// new position.
func (k *consumer) handOverLocked(out *fetchOutcome) ([]*pollWaiter, [][]Message) {
	for _, b := range out.batches {
		k.buffer.add(b)
	}
	if len(out.batches) == 0 && (out.moved || out.stale || len(out.reset) > 0) {
		return nil, nil
	}
	waiters := k.waiters
	k.waiters = nil
	if len(waiters) == 0 {
		return nil, nil
	}
	return waiters, k.takeLocked(waiters[0].limit)
}

// decodePartition turns one partition's fetched batches into messages,
// skipping control batches, aborted transactions (read_committed) and
// records before the requested offset; it returns the next offset.
// Messages left pointing into lent (nil: none) take a reference to it.
func decodePartition(topic string, fp *kmsg.FetchResponseTopicPartition, from int64, lent *FetchBuffer,
	checkCRC bool) ([]Message, int64, error) {
	return decodeBatches(topic, fp.Partition, fp.RecordBatches,
		wire.NewAbortedFilter(connapi.AbortedTxns(fp.AbortedTransactions)), from, lent, checkCRC)
}

// decodeBatches is decodePartition for any response's record batches
// (those of a Fetch or a ShareFetch).
// batches lie in lent, if not nil: messages that point into them hold it.
func decodeBatches(topic string, partition int32, batches []byte, aborted *wire.AbortedFilter, from int64,
	lent *FetchBuffer, checkCRC bool) (msgs []Message, next int64, err error) {
	held := 0
	inArray := false // msgs lies in lent's message array
	defer func() {
		if held > 0 {
			lent.refs.Add(int64(held))
		}
		if lent != nil {
			msgs = lent.keepMessages(msgs, inArray)
		}
	}()
	r := wire.Reader{SkipCRC: !checkCRC}
	r.Reset(batches)
	var b wire.Batch
	var it wire.RecordIter
	var rec wire.Record
	// Uncompressed records are referenced where they are, in the response
	// (a buffer of its own). Decompressed ones live in the reader's scratch
	// buffer until the next batch: their key, value and header bytes are
	// copied into one buffer sized for the response.
	var data []byte
	next = from
	for {
		ok, err := r.Next(&b)
		if err != nil || !ok {
			return msgs, next, err
		}
		if b.NextOffset() > next {
			next = b.NextOffset()
		}
		if b.IsControl() {
			aborted.Marker(&b)
			continue
		}
		if b.IsTransactional() && aborted.Skips(&b) {
			continue
		}
		copied := b.Magic < 2 || b.Codec() != compress.None
		switch {
		case msgs == nil:
			want := expectedMessages(&b, len(batches), r.Remaining())
			if lent != nil && !copied {
				msgs = lent.spareMessages(want)
				inArray = msgs != nil
			}
			if msgs == nil {
				msgs = make([]Message, 0, want)
			}
		case copied && inArray:
			// Copied records hold no buffer, so their messages cannot
			// live in its array: every message of the partition moves.
			msgs = append(make([]Message, 0, cap(msgs)), msgs...)
			inArray = false
		}
		if copied && data == nil {
			data = make([]byte, 0, len(batches))
		}
		ref := func(v []byte) []byte {
			if !copied {
				return v
			}
			var c []byte
			c, data = appendRef(data, v)
			return c
		}
		var in *FetchBuffer // what this batch's messages point into
		if !copied {
			in = lent
		}
		kind := batchTimestampType(&b)
		for b.Records(&it); it.Next(&rec); {
			if rec.Offset < from {
				continue
			}
			m := Message{Topic: topic, Partition: partition, Offset: rec.Offset, Timestamp: rec.Timestamp,
				TimestampType: kind, Key: ref(rec.Key), Value: ref(rec.Value), buffer: in}
			if in != nil {
				held++
			}
			if rec.NumHeaders > 0 {
				m.Headers = make([]wire.Header, 0, min(rec.NumHeaders, 64)) // (a count that lies only grows by appending)
				rec.Headers(func(k, v []byte) bool {
					m.Headers = append(m.Headers, wire.Header{Key: string(k), Value: ref(v)})
					return true
				})
			}
			msgs = append(msgs, m)
		}
		if err := it.Err(); err != nil {
			return msgs, next, err
		}
	}
}

// batchTimestampType is what the timestamps of b's records are: message
// format v0 has none.
func batchTimestampType(b *wire.Batch) TimestampType {
	switch {
	case b.Magic == 0:
		return TimestampNotAvailable
	case b.LogAppendTime():
		return TimestampLogAppendTime
	default:
		return TimestampCreateTime
	}
}

// expectedMessages sizes the message slice of a partition's fetch from its
// first batch: that batch's record count, scaled to the whole response.
// The count was checked against the batch's size; the scaled part is
// capped by the smallest possible record (7 bytes) so a lie costs little.
func expectedMessages(first *wire.Batch, total, remaining int) int {
	read := total - remaining
	n := int(first.NumRecords)
	if read <= 0 || n <= 0 {
		return 16
	}
	return n + min(n*remaining/read, remaining/7)
}

// appendRef copies b to the end of data and returns the copy; nil stays
// nil. Earlier copies stay valid when data grows (they keep the old array).
func appendRef(data, b []byte) ([]byte, []byte) {
	if b == nil {
		return nil, data
	}
	start := len(data)
	data = append(data, b...)
	return data[start:len(data):len(data)], data
}

// listOffsetsRequest asks for the offsets at timestamp of parts of topic.
func (c *Client) listOffsetsRequest(topic string, parts []int32, timestamp int64) *kmsg.ListOffsetsRequest {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	req.IsolationLevel = c.cfg.isolation()
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topic
	for _, p := range parts {
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Partition = p
		lp.Timestamp = timestamp
		t.Partitions = append(t.Partitions, lp)
	}
	req.Topics = []kmsg.ListOffsetsRequestTopic{t}
	return req
}

// listOffsets asks the leaders of topic's partitions for the offset at
// timestamp (OffsetLatest, OffsetEarliest, or ms).
func (c *Client) listOffsets(topic string, partitions []int32, timestamp int64, cb func(map[int32]int64, error)) {
	m := c.meta.Load()
	if m == nil {
		cb(nil, ErrNoBroker)
		return
	}
	byLeader := map[int32][]int32{}
	for _, p := range partitions {
		leader, ok := m.leader(topic, p)
		if !ok {
			c.refreshSoon()
			cb(nil, fmt.Errorf("%s[%d]: %w", topic, p, kerr.ForCode(kerr.LeaderNotAvailable)))
			return
		}
		byLeader[leader] = append(byLeader[leader], p)
	}
	var mu sync.Mutex
	out := map[int32]int64{}
	var firstErr error
	left := len(byLeader)
	if left == 0 {
		cb(out, nil)
		return
	}
	for leader, parts := range byLeader {
		c.mu.Lock()
		b := c.brokers[leader]
		c.mu.Unlock()
		req := c.listOffsetsRequest(topic, parts, timestamp)
		finish := func(err error) {
			mu.Lock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			left--
			last := left == 0
			mu.Unlock()
			if last {
				cb(out, firstErr)
			}
		}
		if b == nil {
			finish(ErrNoBroker)
			continue
		}
		c.connFor(b, general).Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				finish(err)
				return
			}
			for _, rt := range resp.(*kmsg.ListOffsetsResponse).Topics {
				for _, rp := range rt.Partitions {
					if rp.ErrorCode != 0 {
						err = fmt.Errorf("%s[%d]: %w", topic, rp.Partition, kerr.ForCode(rp.ErrorCode))
						continue
					}
					mu.Lock()
					out[rp.Partition] = rp.Offset
					mu.Unlock()
				}
			}
			finish(err)
		})
	}
}

// OffsetsFor returns earliest and latest offsets of every partition of
// topic. Result: {"0" => {earliest, latest}, ...}.
func (c *Client) OffsetsFor(topic string, cb func(tree.Value, error)) {
	c.lookupMetadata([]string{topic}, func(m *metadata, err error) {
		if err != nil {
			cb(tree.Value{}, err)
			return
		}
		n, code, known := m.topic(topic)
		if !known || n == 0 {
			if code == 0 {
				code = 3
			}
			cb(tree.Value{}, kerr.ForCode(code))
			return
		}
		parts := make([]int32, n)
		for i := range parts {
			parts[i] = int32(i)
		}
		c.listOffsets(topic, parts, OffsetEarliest, func(early map[int32]int64, err error) {
			if err != nil {
				cb(tree.Value{}, err)
				return
			}
			c.listOffsets(topic, parts, OffsetLatest, func(late map[int32]int64, err error) {
				if err != nil {
					cb(tree.Value{}, err)
					return
				}
				var kv []any
				for _, p := range parts {
					kv = append(kv, strconv.Itoa(int(p)), tree.M("earliest", tree.I(early[p]), "latest", tree.I(late[p])))
				}
				cb(tree.M(kv...), nil)
			})
		})
	})
}

// Lag reports, for every assigned partition, the current position, the
// latest offset and their difference. Result: {"topic:0" => {current,
// latest, lag}}.
func (c *Client) Lag(cb func(tree.Value, error)) {
	k := c.consumer
	k.mu.Lock()
	cur := map[tp]int64{}
	byTopic := map[string][]int32{}
	for which, p := range k.assigned {
		cur[which] = p.offset
		byTopic[which.topic] = append(byTopic[which.topic], which.partition)
	}
	k.mu.Unlock()
	var mu sync.Mutex
	var kv []any
	var firstErr error
	left := len(byTopic)
	if left == 0 {
		cb(tree.M(), nil)
		return
	}
	for topic, parts := range byTopic {
		c.listOffsets(topic, parts, OffsetLatest, func(late map[int32]int64, err error) {
			mu.Lock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			for _, p := range parts {
				latest, current := late[p], cur[tp{topic, p}]
				if current < 0 {
					current = latest // not started yet: nothing to catch up
				}
				kv = append(kv, fmt.Sprintf("%s:%d", topic, p),
					tree.M("current", tree.I(current), "latest", tree.I(latest), "lag", tree.I(max(latest-current, 0))))
			}
			left--
			last := left == 0
			mu.Unlock()
			if last {
				cb(tree.M(kv...), firstErr)
			}
		})
	}
}

// offsetName reads an offset for a log line: "earliest", "latest" or the
// number.
func offsetName(off int64) string {
	switch off {
	case OffsetEarliest:
		return "earliest"
	case OffsetLatest:
		return "latest"
	}
	return strconv.FormatInt(off, 10)
}
