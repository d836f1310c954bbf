package client

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Transaction errors.
var (
	ErrNotTransactional = errors.New("the client has no transactional_id")
	ErrNoTransaction    = errors.New("no transaction is open (call begin_transaction first)")
	ErrTxnInProgress    = errors.New("a transaction is already open")
	ErrTxnFailed        = errors.New("the transaction failed")
)

// txnState is the transactional producer's state (under producer.mu).
type txnState struct {
	open       bool
	ending     bool
	partitions map[tp]bool // registered with AddPartitionsToTxn
	adding     bool        // an AddPartitionsToTxn is in flight
	offsets    bool        // AddOffsetsToTxn done: the coordinator knows this transaction
	fatal      error       // fenced: nothing more can be done
	// abortable: the open transaction failed (its partitions could not be
	// registered): its records fail, and only an abort ends it; the
	// producer goes on with the next transaction.
	abortable error
}

// fatalTxn reports whether a code ends the producer for good: another
// producer with the same transactional_id took over (KIP-98 fencing).
func fatalTxn(code int16) bool {
	return code == kerr.ProducerFenced || code == kerr.InvalidProducerEpoch
}

// BeginTransaction opens a transaction; records produced until commit or
// abort belong to it.
func (c *Client) BeginTransaction() error {
	p := c.producer
	if c.cfg.TransactionalID == "" {
		return ErrNotTransactional
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.txn.fatal != nil:
		return p.txn.fatal
	case p.txn.open || p.txn.ending:
		return ErrTxnInProgress
	}
	p.txn.open = true
	p.txn.partitions = map[tp]bool{}
	c.log.Debugf(obs.Txn, "transaction %s: begun", c.cfg.TransactionalID)
	return nil
}

// CommitTransaction flushes the transaction's records and commits it.
func (c *Client) CommitTransaction(cb func(error)) { c.endTransaction(true, cb) }

// AbortTransaction flushes and aborts: read_committed consumers never see
// the transaction's records.
func (c *Client) AbortTransaction(cb func(error)) { c.endTransaction(false, cb) }

func (c *Client) endTransaction(commit bool, cb func(error)) {
	p := c.producer
	p.mu.Lock()
	switch {
	case c.cfg.TransactionalID == "":
		p.mu.Unlock()
		cb(ErrNotTransactional)
		return
	case p.txn.fatal != nil:
		p.mu.Unlock()
		cb(p.txn.fatal)
		return
	case !p.txn.open:
		p.mu.Unlock()
		cb(ErrNoTransaction)
		return
	case p.txn.ending:
		p.mu.Unlock()
		cb(fmt.Errorf("%w: it is being committed or aborted already", ErrTxnInProgress))
		return
	case commit && p.txn.abortable != nil:
		err := p.txn.abortable
		p.mu.Unlock()
		cb(err)
		return
	}
	p.txn.ending = true
	p.mu.Unlock()
	p.flush(c.cfg.TransactionTimeout, func(err error) {
		go func() {
			p.mu.Lock()
			touched := len(p.txn.partitions) > 0 || p.txn.offsets
			if err == nil {
				err = p.txn.fatal // fenced while flushing
			}
			p.mu.Unlock()
			if err == nil && touched { // an empty transaction has nothing to end
				err = c.endTxn(commit)
			}
			verb := map[bool]string{true: "commit", false: "abort"}[commit]
			if err != nil {
				c.log.Debugf(obs.Txn, "transaction %s: %s failed: %v", c.cfg.TransactionalID, verb, err)
			} else {
				c.log.Debugf(obs.Txn, "transaction %s: %s done", c.cfg.TransactionalID, verb)
			}
			p.mu.Lock()
			p.txn.ending = false
			if err == nil {
				p.txn.open = false
				p.txn.partitions = nil
				p.txn.offsets = false
				p.txn.abortable = nil
			}
			p.mu.Unlock()
			cb(err)
		}()
	})
}

// endTxn sends EndTxn, retrying while the coordinator is busy.
func (c *Client) endTxn(commit bool) error {
	p := c.producer
	return c.retryTxn("EndTxn", func() error {
		p.mu.Lock()
		pid, fatal := p.pid, p.txn.fatal
		p.mu.Unlock()
		if fatal != nil {
			return fatal
		}
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID = c.cfg.TransactionalID
		req.ProducerID, req.ProducerEpoch, req.Commit = pid.id, pid.epoch, commit
		resp, err := c.txnCoordinatorDo(req)
		if err != nil {
			return err
		}
		r := resp.(*kmsg.EndTxnResponse)
		if r.ErrorCode != 0 {
			return p.txnError(r.ErrorCode)
		}
		if r.GetVersion() >= 5 && r.ProducerEpoch >= 0 {
			p.pidAcquired(r.ProducerID, r.ProducerEpoch) // transactions v2 bump the epoch (KIP-890)
		}
		return nil
	})
}

// txnRetries bounds the attempts of one transaction call (with
// retry_backoff_ms between them) while its errors are retriable.
const txnRetries = 100

// retryTxn runs call until it succeeds, fails for good, or has been tried
// txnRetries times; what names the call in the debug log.
func (c *Client) retryTxn(what string, call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		if err == nil || !retriableTxn(err) || attempt >= txnRetries {
			return err
		}
		c.counts.add(&c.counts.retries, err)
		c.log.Debugf(obs.Txn, "transaction %s: %s retrying after: %v", c.cfg.TransactionalID, what, err)
		time.Sleep(c.cfg.RetryBackoff)
	}
}

// txnFailsLocked is why b must fail without being sent: the producer was
// fenced, or b belongs to a transaction that failed; nil otherwise.
func (p *producer) txnFailsLocked(b *batch) error {
	if p.txn.fatal != nil {
		return p.txn.fatal
	}
	if b.inTxn {
		return p.txn.abortable
	}
	return nil
}

// retriableTxn reports whether a transaction call may be retried as is.
func retriableTxn(err error) bool {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Retriable // CONCURRENT_TRANSACTIONS, COORDINATOR_*, NOT_COORDINATOR
	}
	return errors.Is(err, conn.ErrDisconnected) || errors.Is(err, conn.ErrNotConnected) ||
		errors.Is(err, conn.ErrTimeout) || errors.Is(err, ErrNoBroker) ||
		errors.Is(err, conn.ErrConnect) || errors.Is(err, conn.ErrClosedByPeer) // the coordinator's node died
}

// txnError turns a coordinator error code into an error, making fencing
// fatal with a clear message.
func (p *producer) txnError(code int16) error {
	err := error(kerr.ForCode(code))
	if fatalTxn(code) {
		err = fmt.Errorf("transactional producer %q fenced by a newer instance with the same transactional_id: %w",
			p.cfg.TransactionalID, err)
		p.mu.Lock()
		if p.txn.fatal == nil {
			p.txn.fatal = err
		}
		p.mu.Unlock()
	}
	return err
}

// SendOffsetsToTransaction commits consumer offsets as part of the open
// transaction (AddOffsetsToTxn, then TxnOffsetCommit to the group's
// coordinator). nil offsets mean the positions consumed so far of the
// client's own assignment; when the client is a member of groupID, its
// generation and member id go along (KIP-447).
func (c *Client) SendOffsetsToTransaction(groupID string, offsets []Assignment, cb func(error)) {
	go func() { cb(c.sendOffsets(groupID, offsets)) }()
}

func (c *Client) sendOffsets(groupID string, offsets []Assignment) error {
	if c.cfg.TransactionalID == "" {
		return ErrNotTransactional // (no producer id would ever come to wait for)
	}
	p := c.producer
	pid, err := p.waitPID()
	if err != nil {
		return err
	}
	if err := c.txnOpenForOffsets(); err != nil {
		return err
	}
	positions := c.offsetsToSend(offsets)
	if len(positions) == 0 {
		return nil
	}
	if err := c.addOffsetsToTxn(pid, groupID); err != nil {
		return err
	}
	generation, member := c.membership(groupID)
	req := connapi.TxnOffsetCommitRequest(c.cfg.TransactionalID, groupID, pid.id, pid.epoch, generation, member,
		commitOffsets(positions))
	return c.retryTxn("TxnOffsetCommit", func() error {
		resp, err := c.coordinatorDo(groupID, coordinatorGroup, req)
		if err != nil {
			return err
		}
		for _, t := range resp.(*kmsg.TxnOffsetCommitResponse).Topics {
			for _, part := range t.Partitions {
				if part.ErrorCode != 0 {
					return p.txnError(part.ErrorCode)
				}
			}
		}
		return nil
	})
}

// txnOpenForOffsets is why offsets cannot be sent now, or nil.
func (c *Client) txnOpenForOffsets() error {
	p := c.producer
	p.mu.Lock()
	open, fatal, abortable := p.txn.open, p.txn.fatal, p.txn.abortable
	p.mu.Unlock()
	switch {
	case c.cfg.TransactionalID == "":
		return ErrNotTransactional
	case fatal != nil:
		return fatal
	case !open:
		return ErrNoTransaction
	case abortable != nil:
		return abortable
	}
	return nil
}

// offsetsToSend is what SendOffsetsToTransaction commits: each offset
// given, or for one given as -1 (and for every assigned partition when
// offsets is nil) the position consumed so far.
func (c *Client) offsetsToSend(offsets []Assignment) map[tp]int64 {
	if offsets == nil {
		k := c.consumer
		k.mu.Lock()
		for which := range k.assigned {
			offsets = append(offsets, Assignment{Topic: which.topic, Partition: which.partition, Offset: -1})
		}
		k.mu.Unlock()
	}
	positions := c.consumer.consumedPositions(offsets, false)
	for _, a := range offsets {
		if a.Offset >= 0 {
			positions[tp{a.Topic, a.Partition}] = a.Offset
		}
	}
	return positions
}

// membership is this client's generation and member id in groupID (-1
// and "" when it is not a member: offsets committed outside the group).
func (c *Client) membership(groupID string) (int32, string) {
	c.mu.Lock()
	g := c.group
	c.mu.Unlock()
	if g == nil || g.opts.GroupID != groupID {
		return -1, ""
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.generation, g.memberID
}

// addOffsetsToTxn tells the transaction coordinator that the transaction
// commits offsets of groupID.
func (c *Client) addOffsetsToTxn(pid producerID, groupID string) error {
	p := c.producer
	return c.retryTxn("AddOffsetsToTxn", func() error {
		req := kmsg.NewPtrAddOffsetsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = c.cfg.TransactionalID, pid.id, pid.epoch, groupID
		resp, err := c.txnCoordinatorDo(req)
		if err != nil {
			return err
		}
		if code := resp.(*kmsg.AddOffsetsToTxnResponse).ErrorCode; code != 0 {
			return p.txnError(code)
		}
		p.mu.Lock()
		p.txn.offsets = true
		p.mu.Unlock()
		return nil
	})
}

// commitOffsets lists positions for a commit request, in topic and
// partition order.
func commitOffsets(positions map[tp]int64) []connapi.TopicPartition {
	out := make([]connapi.TopicPartition, 0, len(positions))
	for which, off := range positions {
		out = append(out, connapi.TopicPartition{Topic: which.topic, Partition: which.partition, Offset: off, LeaderEpoch: -1})
	}
	slices.SortFunc(out, func(a, b connapi.TopicPartition) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
	return out
}

// waitPID waits until the producer has its id (the sender requests it),
// up to the transaction timeout.
func (p *producer) waitPID() (producerID, error) {
	return p.waitPIDUntil(time.Now().Add(p.cfg.TransactionTimeout))
}

// waitPIDUntil waits for the producer id (asking for it if nobody has yet)
// until deadline; a fenced transactional producer fails at once.
func (p *producer) waitPIDUntil(deadline time.Time) (producerID, error) {
	for {
		p.mu.Lock()
		pid, fatal := p.pid, p.txn.fatal
		p.mu.Unlock()
		switch {
		case fatal != nil:
			return pid, fatal
		case pid.ready():
			return pid, nil
		case time.Now().After(deadline):
			return pid, fmt.Errorf("%w: no producer id from the cluster yet", ErrDeliveryTimeout)
		}
		p.signal()
		time.Sleep(10 * time.Millisecond)
	}
}

// txnCoordinatorDo sends req to the transaction coordinator.
func (c *Client) txnCoordinatorDo(req kmsg.Request) (kmsg.Response, error) {
	return c.coordinatorDo(c.cfg.TransactionalID, coordinatorTxn, req)
}

// coordinatorDo finds the coordinator of key (a group or transaction) and
// sends req to it, synchronously (callers run on their own goroutines).
// While the coordinator is loading, moving or not yet created (a fresh
// cluster creates its offsets and transaction logs on the first lookup),
// it looks again with backoff, for up to the request timeout.
func (c *Client) coordinatorDo(key string, keyType int8, req kmsg.Request) (kmsg.Response, error) {
	deadline := time.Now().Add(c.cfg.RequestTimeout)
	backoff := c.cfg.RetryBackoff
	for {
		if c.isClosed() { // no broker will answer: do not wait out the deadline
			return nil, ErrClosed
		}
		resp, err := c.coordinatorDoOnce(key, keyType, req)
		if err == nil {
			if code := coordinatorErrorOf(resp); code != 0 {
				err = kerr.ForCode(code)
			}
		}
		if err == nil || !coordinatorRetriable(err) || time.Now().Add(backoff).After(deadline) {
			return resp, err
		}
		time.Sleep(backoff)
		backoff = min(backoff*2, time.Second)
	}
}

func (c *Client) coordinatorDoOnce(key string, keyType int8, req kmsg.Request) (kmsg.Response, error) {
	node, err := c.findCoordinator(key, keyType)
	if err != nil {
		return nil, err
	}
	if !c.brokerKnown(node) {
		c.metadataNow()
	}
	return c.askBroker(node, "coordinator", req)
}

// The kinds of coordinator FindCoordinator looks up.
const (
	coordinatorGroup int8 = 0 // consumer and share groups
	coordinatorTxn   int8 = 1
)

// findCoordinator asks any broker which node coordinates key (a group or
// a transactional id, per keyType); synchronous.
func (c *Client) findCoordinator(key string, keyType int8) (int32, error) {
	find := kmsg.NewPtrFindCoordinatorRequest()
	find.CoordinatorKey, find.CoordinatorKeys, find.CoordinatorType = key, []string{key}, keyType
	_, cn := c.anyConn(nil)
	if cn == nil {
		return -1, ErrNoBroker
	}
	resp, err := wait(cn, find)
	if err != nil {
		return -1, err
	}
	r := resp.(*kmsg.FindCoordinatorResponse)
	code, node := r.ErrorCode, r.NodeID
	if len(r.Coordinators) > 0 {
		code, node = r.Coordinators[0].ErrorCode, r.Coordinators[0].NodeID
	}
	if code != 0 {
		return -1, kerr.ForCode(code)
	}
	return node, nil
}

// coordinatorErrorOf is the coordinator-level error code of a response sent
// through coordinatorDo, when it says to look for the coordinator again.
func coordinatorErrorOf(resp kmsg.Response) int16 {
	var code int16
	switch r := resp.(type) {
	case *kmsg.OffsetFetchResponse:
		code = r.ErrorCode
	case *kmsg.OffsetCommitResponse: // the coordinator's errors come per partition
		if len(r.Topics) > 0 && len(r.Topics[0].Partitions) > 0 {
			code = r.Topics[0].Partitions[0].ErrorCode
		}
	case *kmsg.DescribeGroupsResponse:
		if len(r.Groups) > 0 {
			code = r.Groups[0].ErrorCode
		}
	case *kmsg.InitProducerIDResponse:
		code = r.ErrorCode
	case *kmsg.EndTxnResponse:
		code = r.ErrorCode
	case *kmsg.AddOffsetsToTxnResponse:
		code = r.ErrorCode
	case *kmsg.ShareGroupHeartbeatResponse:
		code = r.ErrorCode
	case *kmsg.ShareGroupDescribeResponse:
		if len(r.Groups) > 0 {
			code = r.Groups[0].ErrorCode
		}
	case *kmsg.DescribeShareGroupOffsetsResponse:
		if len(r.Groups) > 0 {
			code = r.Groups[0].ErrorCode
		}
	case *kmsg.AlterShareGroupOffsetsResponse:
		code = r.ErrorCode
	case *kmsg.DeleteShareGroupOffsetsResponse:
		code = r.ErrorCode
	case *kmsg.DeleteGroupsResponse:
		if len(r.Groups) > 0 {
			code = r.Groups[0].ErrorCode
		}
	}
	switch code {
	case kerr.CoordinatorLoadInProgress, kerr.CoordinatorNotAvailable, kerr.NotCoordinator:
		return code
	}
	return 0
}

// coordinatorRetriable reports whether looking for the coordinator again
// may help: it was loading, missing or moved, or its connection failed.
func coordinatorRetriable(err error) bool {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code == kerr.CoordinatorLoadInProgress || ke.Code == kerr.CoordinatorNotAvailable || ke.Code == kerr.NotCoordinator
	}
	// Its node died or cannot be reached: another takes over.
	return errors.Is(err, conn.ErrDisconnected) || errors.Is(err, conn.ErrNotConnected) || errors.Is(err, ErrNoBroker) ||
		errors.Is(err, conn.ErrConnect) || errors.Is(err, conn.ErrClosedByPeer) || errors.Is(err, conn.ErrTimeout)
}

// addPartitions registers partitions with the open transaction, then lets
// the sender send their batches.
func (p *producer) addPartitions(parts []tp) {
	c := p.c
	err := c.retryTxn("AddPartitionsToTxn", func() error {
		p.mu.Lock()
		pid := p.pid
		p.mu.Unlock()
		req := kmsg.NewPtrAddPartitionsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch = c.cfg.TransactionalID, pid.id, pid.epoch
		byTopic := map[string][]int32{}
		for _, which := range parts {
			byTopic[which.topic] = append(byTopic[which.topic], which.partition)
		}
		for _, t := range slices.Sorted(maps.Keys(byTopic)) {
			rt := kmsg.NewAddPartitionsToTxnRequestTopic()
			rt.Topic, rt.Partitions = t, byTopic[t]
			req.Topics = append(req.Topics, rt)
		}
		resp, err := c.txnCoordinatorDo(req)
		if err != nil {
			return err
		}
		for _, t := range resp.(*kmsg.AddPartitionsToTxnResponse).Topics {
			for _, part := range t.Partitions {
				if part.ErrorCode != 0 {
					return p.txnError(part.ErrorCode)
				}
			}
		}
		return nil
	})
	p.mu.Lock()
	p.txn.adding = false
	if err == nil {
		for _, which := range parts {
			p.txn.partitions[which] = true
		}
	} else if p.txn.fatal == nil && p.txn.abortable == nil {
		// Fencing made it fatal already (txnError); anything else fails
		// only this transaction.
		p.txn.abortable = fmt.Errorf("%w: registering its partitions failed, abort it: %w", ErrTxnFailed, err)
	}
	p.mu.Unlock()
	if err != nil {
		c.reportError(err)
	}
	p.signal()
}
