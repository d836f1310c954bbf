package wire

// AbortedTxn is one aborted transaction a fetch response lists: the
// producer and the first offset of its transaction in the partition.
type AbortedTxn struct {
	ProducerID  int64
	FirstOffset int64
}

// AbortedFilter implements read_committed filtering (KIP-98): a batch of a
// producer is skipped from its aborted transaction's first offset until
// that producer's abort marker. Feed it batches in offset order.
type AbortedFilter struct {
	pending []AbortedTxn   // not yet reached
	active  map[int64]bool // producers inside an aborted transaction
}

// NewAbortedFilter starts a filter for one partition's fetched data.
func NewAbortedFilter(txns []AbortedTxn) *AbortedFilter {
	return &AbortedFilter{pending: txns, active: map[int64]bool{}}
}

// Skips reports whether a transactional batch belongs to an aborted
// transaction.
func (a *AbortedFilter) Skips(b *Batch) bool {
	kept := a.pending[:0]
	for _, t := range a.pending {
		if t.FirstOffset <= b.NextOffset()-1 {
			a.active[t.ProducerID] = true
		} else {
			kept = append(kept, t)
		}
	}
	a.pending = kept
	return a.active[b.ProducerID]
}

// Marker takes a control batch: an abort marker ends its producer's
// aborted transaction.
func (a *AbortedFilter) Marker(b *Batch) {
	if b.ControlType() == ControlAbort {
		delete(a.active, b.ProducerID)
	}
}
