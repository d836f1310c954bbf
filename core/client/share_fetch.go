package client

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A share group member fetches from each partition's leader inside a share
// session (KIP-932): ShareFetch with epoch 0 opens it naming the
// partitions, later requests count the epoch up and name only partitions
// to add (or to acknowledge records of) and to forget; ShareAcknowledge
// settles records without fetching; epoch -1 closes the session. One
// request is in flight per session, so the epochs stay in order.

// Share session epochs with a meaning of their own.
const (
	shareEpochOpen  int32 = 0
	shareEpochClose int32 = -1
)

// shareAcquireRecordLimit is ShareFetch's ShareAcquireMode for
// ShareAcquireRecordLimit (0 is batch-optimized).
const shareAcquireRecordLimit int8 = 1

// defaultShareMaxRecords bounds the records one ShareFetch acquires when
// max_poll_records does not (Java's max.poll.records default).
const defaultShareMaxRecords = 500

// shareFetchState is the fetching half of a share member, under its mu.
type shareFetchState struct {
	sessions map[int32]*shareSession // by leader
	buffer   messageBuffer
	waiters  []*pollWaiter
	closing  bool            // the member is leaving: no new requests
	idle     []chan struct{} // closed when no request is in flight
	retry    retryKick       // the kick after a failed request
}

// shareSession is the member's share session with one broker.
type shareSession struct {
	epoch    int32       // the next request's
	held     map[tp]bool // partitions the broker's session fetches
	inflight bool        // a request is out
	retryAt  time.Time   // after a failure, no request before then
}

func (f *shareFetchState) init() { f.sessions = map[int32]*shareSession{} }

func (f *shareFetchState) session(leader int32) *shareSession {
	s := f.sessions[leader]
	if s == nil {
		s = &shareSession{held: map[tp]bool{}}
		f.sessions[leader] = s
	}
	return s
}

// whenIdleLocked returns a channel closed once no request is in flight.
func (f *shareFetchState) whenIdleLocked() <-chan struct{} {
	ch := make(chan struct{})
	for _, s := range f.sessions {
		if s.inflight {
			f.idle = append(f.idle, ch)
			return ch
		}
	}
	close(ch)
	return ch
}

// requestDoneLocked marks leader's session free and wakes those waiting for
// every session to be.
func (f *shareFetchState) requestDoneLocked(leader int32) {
	f.session(leader).inflight = false
	for _, s := range f.sessions {
		if s.inflight {
			return
		}
	}
	for _, ch := range f.idle {
		close(ch)
	}
	f.idle = nil
}

// nextShareEpoch follows epoch: up by one, wrapping past the largest to 1
// (0 would open a new session).
func nextShareEpoch(epoch int32) int32 {
	if epoch == math.MaxInt32 {
		return 1
	}
	return epoch + 1
}

// shareRequest is one ShareFetch or ShareAcknowledge to a leader.
type shareRequest struct {
	leader int32
	epoch  int32
	fetch  bool // ShareFetch; else ShareAcknowledge
	parts  []tp // partitions named: all of them when the session opens
	forget []tp
	acks   map[tp]offsetRuns // the acknowledgements it carries
	done   func(error)       // nil, or told the request's first error
}

// kick sends what can go now: to each leader without a request in flight,
// a ShareFetch when the member wants records (carrying the
// acknowledgements for that leader's partitions), else a ShareAcknowledge
// when acknowledgements wait.
func (s *shareMember) kick() {
	m := s.c.meta.Load()
	if m == nil || s.c.isClosed() {
		return
	}
	s.mu.Lock()
	reqs := s.planLocked(m)
	s.mu.Unlock()
	for _, r := range reqs {
		s.send(m, r)
	}
}

// planLocked picks the requests kick sends and marks their sessions busy.
func (s *shareMember) planLocked(m *metadata) []*shareRequest {
	f := &s.fetch
	if f.closing {
		return nil
	}
	stale := false
	byLeader := func(set map[tp]bool) map[int32][]tp {
		out := map[int32][]tp{}
		for which := range set {
			if leader, ok := m.leader(which.topic, which.partition); ok {
				out[leader] = append(out[leader], which)
			} else {
				stale = true
			}
		}
		return out
	}
	assigned := byLeader(s.assigned)
	acked := byLeader(s.acks.pendingPartitions())
	if stale {
		s.c.refreshSoon()
	}
	// Fetch only for a poll that waits, with nothing buffered. Buffered
	// records are locked away from the other members; and a ShareFetch
	// sent ahead, while the records handed over are still acquired, finds
	// the partition's acquisition limit reached and is held by the broker
	// for fetch_max_wait_ms, with the acknowledgements that would free
	// those records queued behind it (one request per session at a time).
	// Asked for by the next poll, it carries them (implicit mode) and is
	// answered at once, as Java's share consumer does.
	wantRecords := len(f.buffer.batches) == 0 && len(f.waiters) > 0
	urgent := len(s.acks.commits) > 0 // a commit waits: no long poll first
	now := time.Now()
	var out []*shareRequest
	for _, leader := range slices.Sorted(maps.Keys(mergeKeys(assigned, acked))) {
		sess := f.session(leader)
		if sess.inflight || now.Before(sess.retryAt) {
			continue
		}
		parts := sortTPs(assigned[leader])
		r := &shareRequest{leader: leader, epoch: sess.epoch}
		switch {
		case sess.epoch == shareEpochOpen:
			// Opening names the partitions and may not acknowledge; it
			// is also how acknowledgements waiting for a new session
			// (after a refused epoch) get one.
			if len(parts) == 0 || (!wantRecords && len(acked[leader]) == 0) {
				continue
			}
			r.fetch, r.parts = true, parts
		case len(parts) > 0 && wantRecords && !urgent:
			r.fetch = true
			r.acks = s.acks.takeLocked(acked[leader])
			named := map[tp]bool{}
			for _, which := range parts {
				if !sess.held[which] {
					named[which] = true
				}
			}
			for which := range r.acks {
				named[which] = true
			}
			r.parts = sortTPs(slices.Collect(maps.Keys(named)))
			for which := range sess.held {
				if !slices.Contains(parts, which) && r.acks[which] == nil {
					r.forget = append(r.forget, which)
				}
			}
		case len(acked[leader]) > 0:
			r.acks = s.acks.takeLocked(acked[leader])
		default:
			continue
		}
		sess.inflight = true
		out = append(out, r)
	}
	return out
}

func mergeKeys(a, b map[int32][]tp) map[int32]bool {
	out := map[int32]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func sortTPs(parts []tp) []tp {
	slices.SortFunc(parts, compareTP)
	return parts
}

// send sends r on the leader's fetching connection; its answer is handled
// on that connection's reader.
func (s *shareMember) send(m *metadata, r *shareRequest) {
	s.c.mu.Lock()
	b := s.c.brokers[r.leader]
	s.c.mu.Unlock()
	if b == nil {
		s.requestFailed(r, fmt.Errorf("broker %d: %w", r.leader, ErrNoBroker))
		return
	}
	var req kmsg.Request
	if r.fetch {
		req = s.fetchRequest(m, r)
	} else {
		req = s.acknowledgeRequest(m, r)
	}
	s.c.connFor(b, fetching).Do(req, func(resp kmsg.Response, err error) {
		if err != nil {
			s.requestFailed(r, err)
			return
		}
		switch resp := resp.(type) {
		case *kmsg.ShareFetchResponse:
			s.fetched(m, r, resp)
		case *kmsg.ShareAcknowledgeResponse:
			s.acknowledged(m, r, resp)
		}
	})
}

// fetchRequest builds r's ShareFetch.
func (s *shareMember) fetchRequest(m *metadata, r *shareRequest) *kmsg.ShareFetchRequest {
	req := kmsg.NewPtrShareFetchRequest()
	req.GroupID, req.MemberID = kmsg.StringPtr(s.opts.GroupID), kmsg.StringPtr(s.memberID)
	req.ShareSessionEpoch = r.epoch
	req.MaxWaitMillis = int32(s.c.cfg.FetchMaxWait / time.Millisecond)
	req.MinBytes, req.MaxBytes = s.c.cfg.FetchMinBytes, s.c.cfg.FetchMaxBytes
	req.MaxRecords = int32(defaultShareMaxRecords)
	if s.c.cfg.MaxPollRecords > 0 {
		req.MaxRecords = int32(min(s.c.cfg.MaxPollRecords, math.MaxInt32))
	}
	req.BatchSize = req.MaxRecords
	if s.opts.AcquireMode == ShareAcquireRecordLimit {
		req.ShareAcquireMode = shareAcquireRecordLimit
	}
	for _, which := range r.parts {
		id, ok := topicID(m, which.topic)
		if !ok {
			continue
		}
		if len(req.Topics) == 0 || req.Topics[len(req.Topics)-1].TopicID != id {
			req.Topics = append(req.Topics, kmsg.ShareFetchRequestTopic{TopicID: id})
		}
		p := kmsg.NewShareFetchRequestTopicPartition()
		p.Partition, p.PartitionMaxBytes = which.partition, s.c.cfg.FetchPartitionMaxBytes
		for _, a := range r.acks[which] {
			p.AcknowledgementBatches = append(p.AcknowledgementBatches, kmsg.ShareFetchRequestTopicPartitionAcknowledgementBatch{
				FirstOffset: a.first, LastOffset: a.last, AcknowledgeTypes: []int8{int8(a.kind)}})
		}
		t := &req.Topics[len(req.Topics)-1]
		t.Partitions = append(t.Partitions, p)
	}
	for _, which := range r.forget {
		id, ok := topicID(m, which.topic)
		if !ok {
			continue
		}
		if n := len(req.ForgottenTopicsData); n == 0 || req.ForgottenTopicsData[n-1].TopicID != id {
			req.ForgottenTopicsData = append(req.ForgottenTopicsData, kmsg.ShareFetchRequestForgottenTopicsData{TopicID: id})
		}
		t := &req.ForgottenTopicsData[len(req.ForgottenTopicsData)-1]
		t.Partitions = append(t.Partitions, which.partition)
	}
	return req
}

// topicID is topic's id per m; ShareFetch and ShareAcknowledge name topics
// only by id.
func topicID(m *metadata, topic string) ([16]byte, bool) {
	t := m.topics[topic]
	if t == nil || t.id == ([16]byte{}) {
		return [16]byte{}, false
	}
	return t.id, true
}

// fetched handles a ShareFetch response: the session moves on, the
// acknowledgements it carried are settled, acquired records are buffered
// or go to a waiting poll.
func (s *shareMember) fetched(m *metadata, r *shareRequest, resp *kmsg.ShareFetchResponse) {
	if resp.ErrorCode != 0 {
		s.requestFailed(r, describedError(resp.ErrorCode, resp.ErrorMessage))
		return
	}
	results := map[tp]error{}
	var batches [][]Message
	var gaps []acked
	var firstErr error
	stale := false
	for _, t := range resp.Topics {
		name, ok := m.byID[t.TopicID]
		if !ok {
			continue
		}
		for i := range t.Partitions {
			p := &t.Partitions[i]
			which := tp{name, p.Partition}
			if r.acks[which] != nil && p.AcknowledgeErrorCode != 0 {
				results[which] = describedError(p.AcknowledgeErrorCode, p.AcknowledgeErrorMessage)
			}
			if p.ErrorCode != 0 {
				err := describedError(p.ErrorCode, p.ErrorMessage)
				if kerr.ForCode(p.ErrorCode).Retriable || staleMetadata(p.ErrorCode) {
					s.c.log.Debugf(obs.Consumer, "share fetch %s[%d] from broker %d: %v; retrying", name, p.Partition, r.leader, err)
					stale = true
				} else {
					s.c.reportError(fmt.Errorf("share fetch %s[%d]: %w", name, p.Partition, err))
				}
				continue
			}
			msgs, unheld, err := acquiredMessages(name, p, s.c.cfg.CheckCRCs)
			if err != nil {
				s.c.reportError(fmt.Errorf("share fetch %s[%d]: %w", name, p.Partition, err))
			}
			if len(msgs) > 0 {
				batches = append(batches, msgs)
			}
			gaps = append(gaps, unheld...)
		}
	}
	for which := range r.acks {
		if err := results[which]; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	s.mu.Lock()
	sess := s.fetch.session(r.leader)
	if r.epoch == shareEpochOpen {
		clear(sess.held)
	}
	for _, which := range r.parts {
		sess.held[which] = true
	}
	for _, which := range r.forget {
		delete(sess.held, which)
	}
	sess.epoch = nextShareEpoch(r.epoch)
	s.acks.addLocked(gaps)
	finished := s.acks.settledLocked(r.acks, results)
	waiters, handed := s.handOverLocked(batches)
	s.fetch.requestDoneLocked(r.leader)
	s.mu.Unlock()
	if stale {
		s.c.refreshSoon()
	}
	finishCommits(finished)
	deliverToWaiters(waiters, handed)
	if r.done != nil {
		r.done(firstErr)
	}
	s.kick()
}

// acknowledged handles a ShareAcknowledge response.
func (s *shareMember) acknowledged(m *metadata, r *shareRequest, resp *kmsg.ShareAcknowledgeResponse) {
	if resp.ErrorCode != 0 {
		s.requestFailed(r, describedError(resp.ErrorCode, resp.ErrorMessage))
		return
	}
	results := map[tp]error{}
	var firstErr error
	for _, t := range resp.Topics {
		name, ok := m.byID[t.TopicID]
		if !ok {
			continue
		}
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				err := describedError(p.ErrorCode, p.ErrorMessage)
				results[tp{name, p.Partition}] = err
				if firstErr == nil {
					firstErr = err
				}
			}
		}
	}
	s.mu.Lock()
	s.fetch.session(r.leader).epoch = nextShareEpoch(r.epoch)
	finished := s.acks.settledLocked(r.acks, results)
	s.fetch.requestDoneLocked(r.leader)
	s.mu.Unlock()
	finishCommits(finished)
	if r.done != nil {
		r.done(firstErr)
	}
	s.kick()
}

// requestFailed handles a request that failed as a whole: the session
// starts over (the broker may have lost it, and a connection that failed
// took it along), its acknowledgements wait for the next one, and a
// failure other than the session's own waits a backoff first.
func (s *shareMember) requestFailed(r *shareRequest, err error) {
	sessionLost := kerr.Is(err, kerr.ShareSessionNotFound) || kerr.Is(err, kerr.InvalidShareSessionEpoch)
	s.mu.Lock()
	sess := s.fetch.session(r.leader)
	sess.epoch = shareEpochOpen
	clear(sess.held)
	if !sessionLost {
		sess.retryAt = time.Now().Add(s.c.cfg.RetryBackoff)
	}
	s.acks.requeueLocked(r.acks, err)
	s.fetch.requestDoneLocked(r.leader)
	s.mu.Unlock()
	if r.done != nil {
		r.done(err)
	}
	if sessionLost {
		s.c.log.Debugf(obs.Consumer, "share session with broker %d: %v; opening another", r.leader, err)
		s.kick()
		return
	}
	s.c.reportError(fmt.Errorf("share group %s, broker %d: %w", s.opts.GroupID, r.leader, err))
	s.c.refreshSoon()
	s.fetch.retry.after(s.c.cfg.RetryBackoff, s.kick)
}

// describedError is code's error with the broker's message, if any.
func describedError(code int16, msg *string) error {
	if msg != nil && *msg != "" {
		return fmt.Errorf("%w (%s)", kerr.ForCode(code), *msg)
	}
	return kerr.ForCode(code)
}

// acquiredMessages decodes one partition of a ShareFetch response: the
// records the member acquired, each with its delivery count. The batches
// may hold records around them, which are not the member's. Acquired
// offsets without a record (control records, compacted away) come back as
// gaps to acknowledge.
func acquiredMessages(topic string, p *kmsg.ShareFetchResponseTopicPartition, checkCRC bool) ([]Message, []acked, error) {
	if len(p.AcquiredRecords) == 0 {
		return nil, nil, nil
	}
	all, _, err := decodeBatches(topic, p.Partition, p.Records, wire.NewAbortedFilter(nil), p.AcquiredRecords[0].FirstOffset, nil,
		checkCRC)
	msgs := all[:0] // the acquired ones, kept in place: i never falls behind
	var gaps []acked
	which := tp{topic, p.Partition}
	i := 0
	for _, a := range p.AcquiredRecords {
		for off := a.FirstOffset; off <= a.LastOffset; off++ {
			for i < len(all) && all[i].Offset < off {
				i++
			}
			if i < len(all) && all[i].Offset == off {
				all[i].DeliveryCount = a.DeliveryCount
				msgs = append(msgs, all[i])
				i++
				continue
			}
			gaps = append(gaps, acked{which, off, ackGap})
		}
	}
	return msgs, gaps, err
}

// handOverLocked buffers a response's batches (released at once if the
// member is leaving) and returns the polls to complete with what the first
// of them may take.
func (s *shareMember) handOverLocked(batches [][]Message) ([]*pollWaiter, [][]Message) {
	f := &s.fetch
	if f.closing {
		for _, b := range batches {
			s.acks.releaseLocked(b)
		}
		return nil, nil
	}
	for _, b := range batches {
		f.buffer.add(b)
	}
	if len(batches) == 0 || len(f.waiters) == 0 {
		return nil, nil
	}
	waiters := f.waiters
	f.waiters = nil
	handed := f.buffer.take(s.c.cfg.MaxPollRecords)
	s.acks.deliveredLocked(handed, &s.c.counts)
	return waiters, handed
}

// deliverToWaiters gives handed to the first waiting poll and completes
// the others empty.
func deliverToWaiters(waiters []*pollWaiter, handed [][]Message) {
	for i, w := range waiters {
		n := 0
		if i == 0 {
			for _, b := range handed {
				w.deliver(b)
				n += len(b)
			}
		}
		w.finish(n, nil)
	}
}

// closeSessions settles what the member holds and closes its share
// sessions: implicit mode accepts what the last poll handed over, records
// not acknowledged or never handed over are released. It waits for the
// requests in flight first (up to request_timeout_ms); acknowledgements for
// a broker without an open session are left to the lock's expiry.
func (s *shareMember) closeSessions() error {
	s.mu.Lock()
	f := &s.fetch
	f.closing = true
	if s.opts.AckMode == ShareAckImplicit {
		s.acks.settleDeliveredLocked(AckAccept)
	} else {
		s.acks.settleDeliveredLocked(AckRelease)
	}
	for _, b := range f.buffer.take(0) {
		s.acks.releaseLocked(b)
	}
	waiters := f.waiters
	f.waiters = nil
	idle := f.whenIdleLocked()
	s.mu.Unlock()
	deliverToWaiters(waiters, nil)
	select {
	case <-idle:
	case <-time.After(s.c.cfg.RequestTimeout):
	}
	m := s.c.meta.Load()
	if m == nil {
		return nil
	}
	s.mu.Lock()
	var reqs []*shareRequest
	byLeader := map[int32][]tp{}
	for which := range s.acks.pendingPartitions() {
		if leader, ok := m.leader(which.topic, which.partition); ok {
			byLeader[leader] = append(byLeader[leader], which)
		}
	}
	for leader, sess := range f.sessions {
		if sess.epoch == shareEpochOpen || sess.inflight {
			continue
		}
		sess.inflight = true
		reqs = append(reqs, &shareRequest{leader: leader, epoch: shareEpochClose, acks: s.acks.takeLocked(byLeader[leader])})
	}
	s.mu.Unlock()
	errs := make(chan error, len(reqs))
	for _, r := range reqs {
		r.done = func(err error) { errs <- err }
		s.send(m, r)
	}
	var firstErr error
	for range reqs {
		if err := <-errs; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}
