package client

import (
	"errors"
	"fmt"
	"slices"
)

// PurgeFlags says what Purge takes back.
type PurgeFlags int

const (
	// PurgeQueue fails the records not yet sent: waiting for metadata,
	// in an open batch, or in a sealed batch never put in a request.
	PurgeQueue PurgeFlags = 1 << iota
	// PurgeInFlight fails the records of batches that were sent and wait
	// to be sent again after a failed attempt (not idempotent producers:
	// their sequences are fixed once sent). A request on the wire cannot
	// be recalled: its records get the broker's answer.
	PurgeInFlight
)

var (
	// ErrPurged is the delivery error of a record Purge removed before
	// it was ever sent.
	ErrPurged = errors.New("record purged from the queue before it was sent")
	// ErrPurgedInFlight is the delivery error of a record Purge removed
	// after it was sent at least once: the broker may have written it.
	ErrPurgedInFlight = errors.New("record purged after it was sent: the broker may have written it")
)

// Purge fails records the producer holds, as flags says, reporting each
// with ErrPurged or ErrPurgedInFlight through its usual delivery report;
// it returns how many it failed. Records already assigned sequence
// numbers (an idempotent producer's sent batches) are never purged: a gap
// would fail every later batch of the partition. Purging records of an
// open transaction makes it abortable only: commit fails, abort ends it.
func (c *Client) Purge(flags PurgeFlags) int { return c.producer.purge(flags) }

func (p *producer) purge(flags PurgeFlags) int {
	var out []Reports
	inTxn := false
	p.mu.Lock()
	if flags&PurgeQueue != 0 {
		for topic, recs := range p.waiting {
			for _, pr := range recs {
				inTxn = inTxn || pr.inTxn
				out = append(out, p.failPendingLocked(pr, ErrPurged)...)
			}
			delete(p.waiting, topic)
		}
	}
	for _, ps := range p.rotation {
		if b := ps.open; b != nil && flags&PurgeQueue != 0 {
			ps.open = nil
			inTxn = inTxn || b.inTxn
			out = p.finishBatchLocked(out, b, -1, ErrPurged)
		}
		ps.ready = slices.DeleteFunc(ps.ready, func(b *batch) bool {
			var err error
			switch {
			case b.seq >= 0: // sequenced: see Purge
			case b.attempts == 0 && flags&PurgeQueue != 0:
				err = ErrPurged
			case b.attempts > 0 && flags&PurgeInFlight != 0:
				err = ErrPurgedInFlight
			}
			if err == nil {
				return false
			}
			inTxn = inTxn || b.inTxn
			out = p.finishBatchLocked(out, b, -1, err)
			return true
		})
	}
	if inTxn && p.txn.open && p.txn.abortable == nil && p.txn.fatal == nil {
		p.txn.abortable = fmt.Errorf("%w: records of the transaction were purged, abort it", ErrTxnFailed)
	}
	p.mu.Unlock()
	purged := 0
	for i := range out {
		purged += out[i].Len()
	}
	p.report(out)
	p.signal()
	return purged
}
