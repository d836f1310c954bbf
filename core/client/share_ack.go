package client

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// What a share member hands to the application and how the application's
// verdicts reach the broker: SharePoll hands records over, Acknowledge
// (explicit mode) or the next poll (implicit mode) settles them, and the
// acknowledgements ride on the next ShareFetch to the partition's leader,
// or go at once in a ShareAcknowledge when a commit waits for them.

// AckType is what becomes of an acquired record (the protocol's numbers).
type AckType int8

const (
	ackGap     AckType = iota // an acquired offset that holds no record
	AckAccept                 // processed: never delivered again
	AckRelease                // deliver again (to any member)
	AckReject                 // unprocessable: never delivered again
)

// unsettled is the type of offsets handed over and not settled yet (the
// runs of shareAckState.delivered); it never goes to the broker.
const unsettled AckType = -1

// Errors of Acknowledge.
var (
	ErrInvalidAckType  = errors.New("acknowledgement type must be accept, release or reject")
	ErrImplicitAckMode = errors.New("acknowledge needs share_acknowledgement_mode=explicit")
	ErrNotDelivered    = errors.New("record not handed over by a share poll, or acknowledged already")
)

// AckResult is how the broker took a partition's acknowledgements.
type AckResult struct {
	Topic     string
	Partition int32
	Err       error // nil: every one was taken
	// ByFetch: a fetch carried them before this commit, which only
	// reports them (and sent none of the partition's itself).
	ByFetch bool
}

// acked is one acknowledgement.
type acked struct {
	which  tp
	offset int64
	kind   AckType
}

// ackCommit is a CommitAcknowledgements waiting until the broker has
// answered for its partitions' acknowledgements.
type ackCommit struct {
	waiting  map[tp]bool
	byFetch  map[tp]bool  // answered before the commit, nothing of its own
	failed   map[tp]error // the first error the broker gave
	retrying map[tp]error // why a request carrying them failed as a whole
	done     func([]AckResult, error)
	timer    *time.Timer
}

// shareAckState is the acknowledging half of a share member, under its mu.
type shareAckState struct {
	delivered map[tp]offsetRuns // handed over, not settled yet
	pending   map[tp]offsetRuns // settled, not sent yet
	sending   map[tp]int        // requests in flight carrying a partition's
	commits   []*ackCommit
	// answered holds partitions whose acknowledgements the broker answered
	// (riding on a ShareFetch) while no commit waited for them, with the
	// first error: the next commit reports them, so that every
	// acknowledgement's outcome reaches the application once.
	answered map[tp]error
}

func (a *shareAckState) init() {
	a.delivered, a.pending, a.sending = map[tp]offsetRuns{}, map[tp]offsetRuns{}, map[tp]int{}
	a.answered = map[tp]error{}
}

func (a *shareAckState) addLocked(acks []acked) {
	for _, x := range acks {
		a.addRangeLocked(x.which, x.offset, x.offset, x.kind)
	}
}

// addRangeLocked settles which's offsets first to last as kind (pending
// until a request carries them).
func (a *shareAckState) addRangeLocked(which tp, first, last int64, kind AckType) {
	runs := a.pending[which]
	runs.set(first, last, kind)
	a.pending[which] = runs
}

func (a *shareAckState) pendingPartitions() map[tp]bool {
	out := map[tp]bool{}
	for which := range a.pending {
		out[which] = true
	}
	return out
}

// takeLocked moves parts' pending acknowledgements into a request.
func (a *shareAckState) takeLocked(parts []tp) map[tp]offsetRuns {
	out := map[tp]offsetRuns{}
	for _, which := range parts {
		if offs := a.pending[which]; len(offs) > 0 {
			out[which] = offs
			a.sending[which]++
		}
		delete(a.pending, which)
	}
	return out
}

// settledLocked records the broker's answer for the acknowledgements a
// request carried and returns the commits that have all their answers.
func (a *shareAckState) settledLocked(sent map[tp]offsetRuns, results map[tp]error) []*ackCommit {
	a.doneSendingLocked(sent)
	for which := range sent {
		err := results[which]
		awaited := false
		for _, c := range a.commits {
			if c.waiting[which] {
				awaited = true
				if err != nil && c.failed[which] == nil {
					c.failed[which] = err
				}
			}
		}
		if first, seen := a.answered[which]; !awaited && (!seen || first == nil) {
			a.answered[which] = err
		}
	}
	return a.finishedLocked()
}

// requeueLocked puts back the acknowledgements of a request that failed as
// a whole, unless the application settled those records anew meanwhile.
func (a *shareAckState) requeueLocked(sent map[tp]offsetRuns, err error) {
	a.doneSendingLocked(sent)
	for which, runs := range sent {
		pending := a.pending[which]
		for _, x := range runs {
			pending.setMissing(x.first, x.last, x.kind)
		}
		a.pending[which] = pending
		for _, c := range a.commits {
			if c.waiting[which] {
				c.retrying[which] = err
			}
		}
	}
}

func (a *shareAckState) doneSendingLocked(sent map[tp]offsetRuns) {
	for which := range sent {
		if a.sending[which]--; a.sending[which] <= 0 {
			delete(a.sending, which)
		}
	}
}

// busyLocked reports whether which has acknowledgements not answered yet.
func (a *shareAckState) busyLocked(which tp) bool {
	return len(a.pending[which]) > 0 || a.sending[which] > 0
}

// finishedLocked removes and returns the commits none of whose partitions
// is busy any more.
func (a *shareAckState) finishedLocked() []*ackCommit {
	var finished []*ackCommit
	kept := a.commits[:0]
	for _, c := range a.commits {
		busy := false
		for which := range c.waiting {
			busy = busy || a.busyLocked(which)
		}
		if busy {
			kept = append(kept, c)
			continue
		}
		c.timer.Stop()
		finished = append(finished, c)
	}
	a.commits = kept
	return finished
}

// deliveredLocked records what a poll hands over: batches of one
// partition's records each, in offset order.
func (a *shareAckState) deliveredLocked(batches [][]Message, counts *counters) {
	for _, b := range batches {
		if len(b) == 0 {
			continue
		}
		counts.consumed(b)
		which := tp{b[0].Topic, b[0].Partition}
		runs := a.delivered[which]
		for _, m := range b {
			runs.set(m.Offset, m.Offset, unsettled)
		}
		a.delivered[which] = runs
	}
}

// settleDeliveredLocked settles every record handed over and not settled
// yet as kind.
func (a *shareAckState) settleDeliveredLocked(kind AckType) {
	for which, runs := range a.delivered {
		for _, x := range runs {
			a.addRangeLocked(which, x.first, x.last, kind)
		}
	}
	clear(a.delivered)
}

// isDeliveredLocked reports whether offset was handed over and is not
// settled yet.
func (a *shareAckState) isDeliveredLocked(which tp, offset int64) bool {
	_, ok := a.delivered[which].find(offset)
	return ok
}

// releaseLocked makes a batch of records never handed over pending as
// released, for another member to take.
func (a *shareAckState) releaseLocked(batch []Message) {
	for _, m := range batch {
		a.addRangeLocked(tp{m.Topic, m.Partition}, m.Offset, m.Offset, AckRelease)
	}
}

// finishCommits reports finished commits: one result per partition, and
// the first failure as the call's error.
func finishCommits(commits []*ackCommit) {
	for _, c := range commits {
		var results []AckResult
		var first error
		for _, which := range sortTPs(slices.Collect(maps.Keys(c.waiting))) {
			err := c.failed[which]
			if err != nil && first == nil {
				first = err
			}
			results = append(results, AckResult{which.topic, which.partition, err, c.byFetch[which]})
		}
		c.done(results, first)
	}
}

// acknowledgeRequest builds r's ShareAcknowledge.
func (s *shareMember) acknowledgeRequest(m *metadata, r *shareRequest) *kmsg.ShareAcknowledgeRequest {
	req := kmsg.NewPtrShareAcknowledgeRequest()
	req.GroupID, req.MemberID = kmsg.StringPtr(s.opts.GroupID), kmsg.StringPtr(s.memberID)
	req.ShareSessionEpoch = r.epoch
	for _, which := range sortTPs(slices.Collect(maps.Keys(r.acks))) {
		id, ok := topicID(m, which.topic)
		if !ok {
			continue
		}
		if len(req.Topics) == 0 || req.Topics[len(req.Topics)-1].TopicID != id {
			req.Topics = append(req.Topics, kmsg.ShareAcknowledgeRequestTopic{TopicID: id})
		}
		p := kmsg.ShareAcknowledgeRequestTopicPartition{Partition: which.partition}
		for _, a := range r.acks[which] {
			p.AcknowledgementBatches = append(p.AcknowledgementBatches, kmsg.ShareAcknowledgeRequestTopicPartitionAcknowledgementBatch{
				FirstOffset: a.first, LastOffset: a.last, AcknowledgeTypes: []int8{int8(a.kind)}})
		}
		t := &req.Topics[len(req.Topics)-1]
		t.Partitions = append(t.Partitions, p)
	}
	return req
}

// SharePoll hands over acquired records (deliver may be called several
// times) and then calls done with the count; each Message carries its
// DeliveryCount. In implicit mode it first accepts what the previous poll
// handed over. With nothing buffered it waits for the next ShareFetch
// responses (about fetch_max_wait_ms when nothing comes).
func (c *Client) SharePoll(deliver func([]Message), done func(int, error)) {
	s, err := c.shareMember()
	if err != nil {
		done(0, err)
		return
	}
	s.mu.Lock()
	if s.opts.AckMode == ShareAckImplicit {
		s.acks.settleDeliveredLocked(AckAccept)
	}
	batches := s.fetch.buffer.take(c.cfg.MaxPollRecords)
	s.acks.deliveredLocked(batches, &c.counts)
	if len(batches) == 0 {
		w := &pollWaiter{deliver: deliver, done: done}
		s.fetch.waiters = append(s.fetch.waiters, w)
		w.expiry = time.AfterFunc(2*c.cfg.FetchMaxWait+time.Second, func() { s.expire(w) })
	}
	s.mu.Unlock()
	if len(batches) > 0 {
		deliverToWaiters([]*pollWaiter{{deliver: deliver, done: done}}, batches)
	}
	s.kick()
}

// expire completes w with no records if it is still waiting.
func (s *shareMember) expire(w *pollWaiter) {
	s.mu.Lock()
	i := slices.Index(s.fetch.waiters, w)
	if i >= 0 {
		s.fetch.waiters = slices.Delete(s.fetch.waiters, i, i+1)
	}
	s.mu.Unlock()
	if i >= 0 {
		w.finish(0, nil)
	}
}

// Acknowledge settles one record handed over by SharePoll (explicit mode):
// it goes to the broker with the next ShareFetch to its leader, or with
// CommitAcknowledgements.
func (c *Client) Acknowledge(topic string, partition int32, offset int64, kind AckType) error {
	if kind != AckAccept && kind != AckRelease && kind != AckReject {
		return ErrInvalidAckType
	}
	s, err := c.shareMember()
	if err != nil {
		return err
	}
	which := tp{topic, partition}
	s.mu.Lock()
	switch {
	case s.opts.AckMode != ShareAckExplicit:
		err = ErrImplicitAckMode
	case !s.acks.isDeliveredLocked(which, offset):
		err = fmt.Errorf("%s[%d]@%d: %w", topic, partition, offset, ErrNotDelivered)
	default:
		runs := s.acks.delivered[which]
		runs.cut(offset, offset)
		s.acks.delivered[which] = runs
		s.acks.addRangeLocked(which, offset, offset, kind)
	}
	s.mu.Unlock()
	if err == nil {
		s.kick()
	}
	return err
}

// CommitAcknowledgements sends the acknowledgements made so far (implicit
// mode: accepting what the last poll handed over) without waiting for the
// next fetch, and calls cb once the broker has answered for each partition
// (results sorted; err is the first partition's failure). The results
// also name the partitions whose acknowledgements a fetch carried and the
// broker answered since the last commit. Partitions not answered within
// request_timeout_ms fail with a timeout.
func (c *Client) CommitAcknowledgements(cb func([]AckResult, error)) {
	s, err := c.shareMember()
	if err != nil {
		cb(nil, err)
		return
	}
	s.mu.Lock()
	if s.opts.AckMode == ShareAckImplicit {
		s.acks.settleDeliveredLocked(AckAccept)
	}
	commit := &ackCommit{waiting: map[tp]bool{}, byFetch: map[tp]bool{}, failed: map[tp]error{},
		retrying: map[tp]error{}, done: cb}
	for which := range s.acks.pending {
		commit.waiting[which] = true
	}
	for which := range s.acks.sending {
		commit.waiting[which] = true
	}
	for which, err := range s.acks.answered {
		commit.byFetch[which] = !commit.waiting[which]
		commit.waiting[which] = true
		if err != nil {
			commit.failed[which] = err
		}
	}
	clear(s.acks.answered)
	if len(commit.waiting) == 0 {
		s.mu.Unlock()
		cb(nil, nil)
		return
	}
	commit.timer = time.AfterFunc(c.cfg.RequestTimeout, func() { s.commitExpired(commit) })
	s.acks.commits = append(s.acks.commits, commit)
	finished := s.acks.finishedLocked() // only answered ones: nothing to send
	s.mu.Unlock()
	finishCommits(finished)
	s.kick()
}

// commitExpired fails what a commit still waits for.
func (s *shareMember) commitExpired(commit *ackCommit) {
	s.mu.Lock()
	i := slices.Index(s.acks.commits, commit)
	if i < 0 {
		s.mu.Unlock()
		return
	}
	s.acks.commits = slices.Delete(s.acks.commits, i, i+1)
	for which := range commit.waiting {
		if s.acks.busyLocked(which) && commit.failed[which] == nil {
			commit.failed[which] = fmt.Errorf("acknowledgements not answered within request_timeout_ms: %w",
				cmp.Or(commit.retrying[which], conn.ErrTimeout))
		}
	}
	s.mu.Unlock()
	finishCommits([]*ackCommit{commit})
	s.kick() // fetching waited for the commit
}
