package client

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// producerID is the idempotent producer's identity (KIP-98).
type producerID struct {
	id         int64
	epoch      int16
	requesting bool
	needBump   bool // sequences broke: get a new epoch once nothing is in flight
}

func (pid producerID) ready() bool { return pid.id >= 0 && !pid.requesting && !pid.needBump }

// idempotentInFlight is how many batches of one partition may be in flight
// with an idempotent producer: Kafka deduplicates the last five.
const idempotentInFlight = 5

// run is the sender: it seals lingering batches, sends ready batches to
// their leaders, expires what waited too long, and sleeps until the next
// thing is due or a produce/response wakes it.
func (p *producer) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.passing.Lock()
		next, sent := p.pass()
		if sent {
			p.senderDue.Store(0)
		} else {
			p.senderDue.Store(next.UnixNano())
		}
		p.passing.Unlock()
		if sent {
			// More may be ready at once: go again without arming the
			// timer, which would wake the network poller's thread.
			select {
			case <-p.stop:
				return
			default:
				continue
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(max(time.Until(next), time.Millisecond))
		select {
		case <-p.wake:
		case <-timer.C:
		case <-p.stop:
			return
		}
	}
}

// outgoing is one produce request being assembled for a broker.
type outgoing struct {
	broker  int32
	conn    *conn.Conn
	batches []*batch
	bytes   int // the batches' size
}

// sendRound is what one pass of the sender gathers under the lock and
// acts on after it.
type sendRound struct {
	now      time.Time
	next     time.Time // when the sender is next needed
	sending  bool      // the producer id allows sending (or none is needed)
	failed   []Reports
	sends    []*outgoing
	byBroker map[int32]*outgoing
	toAdd    []tp // partitions to register with the transaction first
	// turnedAway is the rotation index of the first partition a full
	// request could not take, -1 while none.
	turnedAway int
}

// pass does one round of sender work and returns when it is next needed,
// and whether it sent anything.
func (p *producer) pass() (next time.Time, sent bool) {
	now := time.Now()
	p.clock.renewEvery(time.Second)
	r := &sendRound{now: now, next: now.Add(time.Second), byBroker: map[int32]*outgoing{}, turnedAway: -1}

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return r.next, false
	}
	r.failed = append(r.failed, p.expireWaitingLocked(now)...)
	if len(p.waiting) > 0 {
		r.next = minTime(r.next, p.refreshForWaitingLocked(now))
	}
	r.sending = p.pidReadyLocked()
	for i := range p.rotation {
		at := (p.turn + i) % len(p.rotation)
		if !p.planPartitionLocked(p.rotation[at], r) && r.turnedAway < 0 {
			r.turnedAway = at
		}
	}
	if r.turnedAway >= 0 {
		p.turn = r.turnedAway
	}
	more := len(r.sends) > 0 // other batches may be ready behind these
	if len(r.toAdd) > 0 && !p.txn.adding {
		p.txn.adding = true
		go p.addPartitions(r.toAdd)
	}
	p.mu.Unlock()

	p.report(r.failed)
	for _, out := range r.sends {
		if p.finish(out) {
			p.send(out)
		}
	}
	if more {
		return now, true
	}
	return r.next, false
}

// planPartitionLocked does one partition's share of a round: seal, expire
// or fail what must be, and put its next batch in its leader's request
// when it may go now. It returns false when that request was full.
func (p *producer) planPartitionLocked(ps *partitionState, r *sendRound) (fits bool) {
	transactional := p.cfg.TransactionalID != ""
	// A batch whose linger is over is sealed only once it can go out: while
	// its partition waits (in-flight limits, backoff, a leader to find) it
	// keeps growing up to batch_size, so a backlog becomes a few full
	// batches instead of many small ones each holding a buffer of its own.
	lingered := false
	if b := ps.open; b != nil {
		due := b.created.Add(p.cfg.Linger)
		switch {
		case !r.now.Before(b.deadline) || (transactional && p.txnFailsLocked(b) != nil):
			p.sealLocked(ps) // its records fail just below
		case p.flushing.Load() > 0 || !r.now.Before(due):
			lingered = true
			r.next = minTime(r.next, b.deadline)
		default:
			r.next = minTime(r.next, due)
		}
	}
	r.failed = p.expireReadyLocked(r.failed, ps, r.now)
	if transactional {
		ps.ready = slices.DeleteFunc(ps.ready, func(b *batch) bool {
			if err := p.txnFailsLocked(b); err != nil {
				r.failed = p.finishBatchLocked(r.failed, b, -1, err)
				return true
			}
			return false
		})
	}
	if (len(ps.ready) == 0 && !lingered) || !r.sending {
		return true
	}
	first := ps.open // the batch that goes next
	if len(ps.ready) > 0 {
		first = ps.ready[0]
	}
	if first.inTxn && !p.txn.partitions[tp{ps.topic, ps.partition}] {
		r.toAdd = append(r.toAdd, tp{ps.topic, ps.partition}) // AddPartitionsToTxn first
		return true
	}
	out := p.requestForLocked(ps, r, len(ps.ready) == 0)
	if out == nil {
		return true
	}
	// A request holds at most message_max_bytes of batches (and always
	// one), as Java's and librdkafka's do. A batch it cannot take stays
	// open and keeps growing: at many partitions, requests of a few large
	// batches cost the broker far less than requests of a small batch of
	// every partition, since it pays per partition appended.
	if len(out.batches) > 0 && out.bytes+first.encodedSize() > p.cfg.MaxMessageBytes {
		return false
	}
	if len(ps.ready) == 0 {
		p.sealLocked(ps)
	}
	b := ps.ready[0]
	ps.ready = ps.ready[1:]
	p.sequenceLocked(b)
	ps.inflight++
	ps.inflightTo = out.broker
	out.batches = append(out.batches, b)
	out.bytes += b.encodedSize()
	return true
}

// encodedSize is the batch's size on the wire once finished (before
// compression, until its first send).
func (b *batch) encodedSize() int {
	switch {
	case b.raw != nil:
		return len(b.raw)
	case b.sealedSize > 0:
		return b.sealedSize
	}
	return b.builder.Size()
}

// requestForLocked is the request of this round that ps's next batch may
// join, starting one to its leader if there is room; nil when the batch
// must wait (backoff, in-flight limits, an unknown leader, an old leader
// still to answer). A batch due only because its linger is over (partial)
// starts a request only while nothing is in flight to that broker: while
// the broker works, such batches keep growing and go together in the next
// request. The broker pays per partition appended, so at many partitions
// this is what keeps its pace (librdkafka's queue backpressure does the
// same); full batches and retries still fill the in-flight window.
func (p *producer) requestForLocked(ps *partitionState, r *sendRound, partial bool) *outgoing {
	if r.now.Before(ps.backoff) {
		r.next = minTime(r.next, ps.backoff)
		return nil
	}
	if ps.inflight >= p.partitionInFlightLimit() || (p.cfg.Idempotent && !ps.seqKnown && ps.inflight > 0) {
		return nil
	}
	cn, leader, ok := p.c.leaderConn(ps.topic, ps.partition)
	if !ok {
		p.c.refreshSoon()
		r.next = minTime(r.next, r.now.Add(minRefreshInterval))
		return nil
	}
	if ps.inflight > 0 && ps.inflightTo != leader {
		return nil // the old leader answers first; see inflightTo
	}
	out := r.byBroker[leader]
	if out == nil {
		if n := p.inflightBy[leader]; n >= p.cfg.MaxInFlight || (partial && n > 0) {
			return nil
		}
		out = &outgoing{broker: leader, conn: cn}
		r.byBroker[leader] = out
		r.sends = append(r.sends, out)
		p.inflightBy[leader]++
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (p *producer) partitionInFlightLimit() int {
	if p.cfg.Idempotent {
		return min(idempotentInFlight, p.cfg.MaxInFlight)
	}
	return p.cfg.MaxInFlight
}

// sequenceLocked gives an idempotent producer's batch its producer id,
// epoch and, on its first send, its base sequence. A retry keeps its
// sequence; a new epoch renumbered it.
func (p *producer) sequenceLocked(b *batch) {
	if !p.cfg.Idempotent {
		return
	}
	if b.seq < 0 {
		b.seq = b.ps.nextSeq
		b.ps.nextSeq += int32(len(b.recs))
	}
	b.producerID, b.epoch = p.pid.id, p.pid.epoch
}

// encode finishes b for its send: compression and CRC the first time
// (unless a compressor did them ahead), and for an idempotent producer the
// sequence sequenceLocked gave it.
func (p *producer) encode(b *batch) error {
	if b.raw == nil {
		b.finishing.Lock()
		defer b.finishing.Unlock()
		b.taken = true
		switch {
		case b.aheadErr != nil:
			return b.aheadErr
		case b.ahead != nil:
			b.raw, b.ahead = b.ahead, nil
		default:
			if p.cfg.Idempotent {
				b.builder.SetSequence(b.producerID, b.epoch, b.seq)
			}
			raw, err := p.finishTimed(&b.builder, &p.encoder)
			if err != nil {
				return err
			}
			b.raw = raw
			return nil
		}
	}
	if p.cfg.Idempotent { // compressed ahead, or a retry: its epoch or sequence may be new
		wire.SetBaseSequence(b.raw, b.producerID, b.epoch, b.seq)
	}
	return nil
}

// finish encodes out's batches that are not yet (compression, CRC) and
// stamps their sequences, outside the producer's lock: a produce call
// fills the next batch meanwhile. The batches are out's alone until its
// response. Batches that fail to encode are failed and left out; it
// reports whether any batch remains to send.
func (p *producer) finish(out *outgoing) bool {
	var failed []*batch
	var errs []error
	kept := out.batches[:0]
	for _, b := range out.batches {
		if err := p.encode(b); err != nil {
			failed, errs = append(failed, b), append(errs, err)
			continue
		}
		kept = append(kept, b)
	}
	out.batches = kept
	if len(failed) == 0 {
		return true
	}
	p.mu.Lock()
	var reports []Reports
	for i, b := range failed {
		b.ps.inflight--
		if b.seq >= 0 {
			p.pid.needBump = true // its sequence will never reach the broker
		}
		reports = p.finishBatchLocked(reports, b, -1, errs[i])
	}
	if len(kept) == 0 {
		p.inflightBy[out.broker]--
	}
	p.mu.Unlock()
	p.report(reports)
	return len(kept) > 0
}

// send issues one produce request.
func (p *producer) send(out *outgoing) {
	req := kmsg.NewPtrProduceRequest()
	req.Acks = p.cfg.Acks
	if p.cfg.TransactionalID != "" {
		req.TransactionID = &p.cfg.TransactionalID
	}
	req.TimeoutMillis = int32(p.cfg.RequestTimeout / time.Millisecond)
	index := map[string]int{}
	for _, b := range out.batches {
		i, ok := index[b.ps.topic]
		if !ok {
			i = len(req.Topics)
			index[b.ps.topic] = i
			t := kmsg.NewProduceRequestTopic()
			t.Topic = b.ps.topic
			req.Topics = append(req.Topics, t)
		}
		part := kmsg.NewProduceRequestTopicPartition()
		part.Partition = b.ps.partition
		part.Records = b.raw
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, part)
	}
	out.conn.Do(req, func(resp kmsg.Response, err error) {
		var pr *kmsg.ProduceResponse
		if resp != nil {
			pr = resp.(*kmsg.ProduceResponse)
		}
		p.handleResponse(out, pr, err)
	})
}

// handleResponse settles each batch of a produce request.
func (p *producer) handleResponse(out *outgoing, resp *kmsg.ProduceResponse, err error) {
	var results []partitionResult
	if err == nil && resp != nil {
		results = resultsFor(out.batches, resp)
	}
	now := time.Now()
	var reports []Reports
	stale := false
	p.mu.Lock()
	p.inflightBy[out.broker]--
	if err == nil {
		// One slice for the whole response, from the slices of reports
		// handed out before (see report).
		reports = p.reportSpares.get(len(out.batches))
	}
	for i, b := range out.batches {
		b.ps.inflight--
		switch {
		case err != nil: // the connection failed: the outcome is unknown, retry as is
			stale = stale || !errors.Is(err, ErrClosed)
			reports = p.retryLocked(reports, b, now, fmt.Errorf("produce to broker %d: %w", out.broker, err))
		case resp == nil: // acks=0: sent, nothing more to know
			reports = p.finishBatchLocked(reports, b, -1, nil)
		default:
			var refresh bool
			reports, refresh = p.settleLocked(reports, b, results[i], now)
			stale = stale || refresh
		}
	}
	// The sender has work only while records wait; waking it for none
	// costs a thread wake-up per response, in the way of the round trip.
	waiting := p.buffered > 0
	p.mu.Unlock()
	if stale {
		p.c.refreshSoon()
	}
	p.report(reports)
	if waiting {
		p.passAfterResponse()
	}
}

// passAfterResponse does the sender's passes on the goroutine that read a
// response, whose room in flight the next batches wait for, rather than
// handing them to the sender goroutine: a hand-off per response wakes an
// idle thread to look for work (with batch_size's default of 16 KiB, a
// quarter of the producer's thread switches). Compression stays with the
// sender goroutine, so that a codec's work does not hold up reading the
// next responses.
func (p *producer) passAfterResponse() {
	if p.cfg.Compression != compress.None {
		p.signal()
		return
	}
	p.passHere()
}

// passHere does the sender's passes on the calling goroutine until one
// sends nothing, and wakes the sender goroutine only for work due before
// it wakes by itself (a batch to time, a backoff to wait out). A pass
// never waits for the network (conn's writer.go). While another goroutine
// is passing, the sender goroutine is woken instead, so that none is lost.
func (p *producer) passHere() {
	if !p.passing.TryLock() {
		p.signal()
		return
	}
	next, sent := p.pass()
	for sent {
		next, sent = p.pass()
	}
	wake := next.UnixNano() < p.senderDue.Load()
	p.passing.Unlock()
	if wake {
		p.signal()
	}
}

type partitionResult struct {
	code       int16
	base       int64
	appendTime int64 // the broker's LogAppendTime for the batch, -1 with CreateTime
	msg        *string
	missing    bool
}

// resultsFor pairs each of a request's batches with its partition's result
// in resp, in the batches' order. Brokers answer in the order asked, which
// the walk follows without a lookup; any other order takes one map.
func resultsFor(batches []*batch, resp *kmsg.ProduceResponse) []partitionResult {
	results := make([]partitionResult, len(batches))
	matched := 0
	for _, t := range resp.Topics {
		for _, pt := range t.Partitions {
			if matched < len(batches) && batches[matched].ps.partition == pt.Partition && batches[matched].ps.topic == t.Topic {
				results[matched] = resultOf(&pt)
				matched++
			}
		}
	}
	if matched == len(batches) {
		return results
	}
	byTP := make(map[tp]partitionResult, len(batches))
	for _, t := range resp.Topics {
		for _, pt := range t.Partitions {
			byTP[tp{t.Topic, pt.Partition}] = resultOf(&pt)
		}
	}
	for i, b := range batches {
		r, ok := byTP[tp{b.ps.topic, b.ps.partition}]
		if !ok {
			r = partitionResult{missing: true}
		}
		results[i] = r
	}
	return results
}

func resultOf(pt *kmsg.ProduceResponseTopicPartition) partitionResult {
	return partitionResult{code: pt.ErrorCode, base: pt.BaseOffset, appendTime: pt.LogAppendTime, msg: pt.ErrorMessage}
}

// settleLocked applies one partition's result to its batch, appending
// the reports it makes to dst.
func (p *producer) settleLocked(dst []Reports, b *batch, r partitionResult, now time.Time) (reports []Reports, refresh bool) {
	if r.missing {
		return p.retryLocked(dst, b, now, fmt.Errorf("%w: partition missing from the produce response", conn.ErrProtocol)), false
	}
	switch r.code {
	case 0:
		b.ps.failures = 0
		b.ps.seqKnown = true
		return p.finishBatchAtLocked(dst, b, r.base, r.appendTime, nil), false
	case kerr.DuplicateSequenceNumber: // already written by an earlier attempt
		b.ps.failures = 0
		b.ps.seqKnown = true
		return p.finishBatchLocked(dst, b, -1, nil), false
	case kerr.OutOfOrderSequenceNumber, kerr.UnknownProducerID:
		if p.cfg.Idempotent {
			// An earlier batch of the partition failed (its retry comes
			// first, by sequence), or the broker lost our state: in the
			// latter case only a new epoch restarts the sequences.
			if r.code == kerr.UnknownProducerID || !p.earlierUnackedLocked(b) {
				p.pid.needBump = true
			}
			return p.retryLocked(dst, b, now, kerr.ForCode(r.code)), false
		}
	case kerr.InvalidTxnState:
		if !b.inTxn && p.cfg.TransactionalID != "" {
			// A record sent outside a transaction reached a partition
			// before the markers of the transaction just ended: the
			// coordinator writes them after EndTxn has returned.
			return p.retryLocked(dst, b, now, kerr.ForCode(r.code)), false
		}
	}
	if p.cfg.TransactionalID != "" && fatalTxn(r.code) {
		err := fmt.Errorf("transactional producer %q fenced by a newer instance with the same transactional_id: %w",
			p.cfg.TransactionalID, kerr.ForCode(r.code))
		if p.txn.fatal == nil {
			p.txn.fatal = err
		}
		return p.finishBatchLocked(dst, b, -1, err), false
	}
	ke := kerr.ForCode(r.code)
	var err error = ke
	if r.msg != nil && *r.msg != "" {
		err = fmt.Errorf("%w (%s)", ke, *r.msg)
	}
	if ke.Retriable {
		return p.retryLocked(dst, b, now, err), staleMetadata(r.code)
	}
	return p.finishBatchLocked(dst, b, -1, err), false
}

// earlierUnackedLocked reports whether a batch with a lower sequence than b
// is still waiting or in flight for b's partition.
func (p *producer) earlierUnackedLocked(b *batch) bool {
	for _, o := range b.ps.ready {
		if o.seq >= 0 && o.seq < b.seq {
			return true
		}
	}
	return b.ps.inflight > 0
}

// retryLocked puts b back in its partition's queue, in sequence order, with
// a growing backoff; past its deadline, or once the client is closed, the
// records fail, their reports appended to dst.
func (p *producer) retryLocked(dst []Reports, b *batch, now time.Time, cause error) []Reports {
	if p.closed { // no sender pass will ever run again: report it now
		return p.finishBatchLocked(dst, b, -1, fmt.Errorf("%w: last error: %v", ErrClosed, cause))
	}
	ps := b.ps
	if !now.Before(b.deadline) {
		if b.seq >= 0 {
			p.pid.needBump = true // a sequence gap only a new epoch closes
		}
		return p.finishBatchLocked(dst, b, -1, fmt.Errorf("%w: last error: %v", ErrDeliveryTimeout, cause))
	}
	b.attempts++
	ps.failures++
	p.c.counts.add(&p.c.counts.retries, cause)
	p.c.log.Debugf(obs.Producer, "retrying %d records to %s[%d] (attempt %d) after: %v",
		len(b.recs), ps.topic, ps.partition, b.attempts+1, cause)
	ps.backoff = now.Add(min(p.cfg.RetryBackoff<<min(ps.failures-1, 10), time.Second))
	at := 0
	if b.seq >= 0 {
		for at < len(ps.ready) && ps.ready[at].seq >= 0 && ps.ready[at].seq < b.seq {
			at++
		}
	}
	ps.ready = slices.Insert(ps.ready, at, b)
	return dst
}

// expireReadyLocked fails queued (not in flight) batches past their
// deadline, appending their reports to out.
func (p *producer) expireReadyLocked(out []Reports, ps *partitionState, now time.Time) []Reports {
	for len(ps.ready) > 0 && !now.Before(ps.ready[0].deadline) {
		b := ps.ready[0]
		ps.ready = ps.ready[1:]
		if b.seq >= 0 {
			p.pid.needBump = true
		}
		out = p.finishBatchLocked(out, b, -1, ErrDeliveryTimeout)
	}
	return out
}

// expireWaitingLocked fails records that never got metadata in time.
func (p *producer) expireWaitingLocked(now time.Time) []Reports {
	var out []Reports
	for topic, recs := range p.waiting {
		kept := recs[:0]
		for _, pr := range recs {
			if now.Sub(pr.queued.time()) < p.cfg.DeliveryTimeout {
				kept = append(kept, pr)
				continue
			}
			code := kerr.UnknownTopicOrPartition // unless metadata says otherwise
			if m := p.c.meta.Load(); m != nil {
				if _, c, known := m.topic(topic); known && c != 0 {
					code = c
				}
			}
			out = append(out, p.failPendingLocked(pr, fmt.Errorf("%w: %w", ErrDeliveryTimeout, kerr.ForCode(code)))...)
		}
		if len(kept) == 0 {
			delete(p.waiting, topic)
		} else {
			p.waiting[topic] = kept
		}
	}
	return out
}

// refreshForWaitingLocked asks again for the metadata of topics that
// records wait for, when it is time, and returns when it is next time. A
// topic being created has its leader within tens of milliseconds, so the
// first asks come soon after the one made as records began waiting
// (firstWaitRefresh), and the gap doubles up to minRefreshInterval for a
// topic that takes longer or does not exist.
func (p *producer) refreshForWaitingLocked(now time.Time) time.Time {
	if next := p.lastWaitRefresh.Add(p.waitRefreshGap); now.Before(next) {
		return next
	}
	p.lastWaitRefresh = now
	p.waitRefreshGap = min(2*p.waitRefreshGap, minRefreshInterval)
	topics := make([]string, 0, len(p.waiting))
	for t := range p.waiting {
		topics = append(topics, t)
	}
	go p.c.refreshMetadata(topics, func(*metadata, error) { p.placeWaiting() })
	return now.Add(p.waitRefreshGap)
}

// firstWaitRefresh is how soon metadata is asked for again after records
// began waiting for it.
const firstWaitRefresh = 10 * time.Millisecond

// pidReadyLocked reports whether batches may be sent, starting or renewing
// the idempotent producer id when needed.
func (p *producer) pidReadyLocked() bool {
	if !p.cfg.Idempotent {
		return true
	}
	if p.pid.ready() {
		return true
	}
	if p.pid.requesting || p.c.meta.Load() == nil {
		return false // (before the first metadata, no broker is known to ask)
	}
	for _, n := range p.inflightBy {
		if n > 0 {
			return false // bump only once every outcome is known
		}
	}
	p.pid.requesting = true
	go p.initProducerID()
	return false
}

// initProducerID gets a producer id, or a new epoch of the current one
// (KIP-360) after the sequences broke.
func (p *producer) initProducerID() {
	p.mu.Lock()
	cur := p.pid
	p.mu.Unlock()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionTimeoutMillis = int32(p.cfg.TransactionTimeout / time.Millisecond)
	req.ProducerID, req.ProducerEpoch = cur.id, cur.epoch
	if p.cfg.TransactionalID != "" {
		// A transactional id belongs to its transaction coordinator.
		req.TransactionalID = &p.cfg.TransactionalID
		resp, err := p.c.txnCoordinatorDo(req)
		if err == nil {
			r := resp.(*kmsg.InitProducerIDResponse)
			if r.ErrorCode == 0 {
				p.pidAcquired(r.ProducerID, r.ProducerEpoch)
				return
			}
			err = p.txnError(r.ErrorCode)
		}
		p.pidFailed(err)
		return
	}
	_, cn := p.c.anyConn(nil)
	if cn == nil {
		p.pidFailed(ErrNoBroker)
		return
	}
	cn.Do(req, func(resp kmsg.Response, err error) {
		if err == nil {
			r := resp.(*kmsg.InitProducerIDResponse)
			if r.ErrorCode != 0 {
				err = kerr.ForCode(r.ErrorCode)
			} else {
				p.pidAcquired(r.ProducerID, r.ProducerEpoch)
				return
			}
		}
		p.pidFailed(err)
	})
}

func (p *producer) pidAcquired(id int64, epoch int16) {
	p.mu.Lock()
	fresh := id != p.pid.id || epoch != p.pid.epoch
	if fresh {
		ctx := obs.Producer
		if p.cfg.TransactionalID != "" {
			ctx = obs.Txn
		}
		p.c.log.Debugf(ctx, "producer id %d, epoch %d (was %d, epoch %d)", id, epoch, p.pid.id, p.pid.epoch)
	}
	p.pid = producerID{id: id, epoch: epoch}
	if fresh {
		// Sequences restart with every epoch: renumber unacknowledged
		// batches in their order.
		for _, t := range p.topics {
			for _, ps := range t.parts {
				if ps == nil {
					continue
				}
				ps.nextSeq = 0
				ps.seqKnown = false
				for _, b := range ps.ready {
					if b.seq >= 0 {
						b.seq = ps.nextSeq
						ps.nextSeq += int32(len(b.recs))
					}
				}
			}
		}
	}
	p.mu.Unlock()
	p.signal()
}

// pidFailed retries InitProducerId after the backoff. A broker error that
// is retriable (the coordinator loading or moving, a transaction of the
// previous epoch still ending) is the normal course of a new cluster or a
// restart, so it is logged and counted, not reported to OnError, where an
// application may treat any report as fatal (EV::Kafka's default dies).
func (p *producer) pidFailed(err error) {
	var ke *kerr.Error
	if errors.As(err, &ke) && ke.Retriable {
		p.c.counts.add(&p.c.counts.retries, ke)
		p.c.log.Warnf(obs.Producer, "idempotent producer: InitProducerId: %v; retrying", err)
	} else {
		p.c.reportError(fmt.Errorf("idempotent producer: InitProducerId failed, retrying: %w", err))
	}
	time.AfterFunc(p.cfg.RetryBackoff, func() {
		p.mu.Lock()
		p.pid.requesting = false
		p.mu.Unlock()
		p.signal()
	})
}
