package client

import (
	"sync/atomic"
	"time"
)

// retryKick runs a consumer's kick once the retry backoff has passed after
// a failed request, with at most one such kick pending. When each failure
// started a timer of its own, the retries multiplied: every other kick (a
// poll's, a metadata refresh's) that failed began a chain that never
// ended, and a consumer of a topic that does not exist spent more CPU the
// longer it ran.
type retryKick struct {
	pending atomic.Bool
}

// after schedules kick to run after d unless a retry is pending already.
func (r *retryKick) after(d time.Duration, kick func()) {
	if r.pending.Swap(true) {
		return
	}
	time.AfterFunc(d, func() {
		r.pending.Store(false)
		kick()
	})
}
