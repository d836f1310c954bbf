package client

import (
	"time"

	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fetchStableOffsets sends an OffsetFetch that asks for stable offsets
// (KIP-447) through do. Offsets a transaction committed are not final until
// the coordinator has written the transaction's markers, a moment after
// EndTxn answers; meanwhile the broker answers UNSTABLE_OFFSET_COMMIT for
// them (or, not asked for stable offsets, the previous ones: an offset a
// finished transaction moved on would be read as still behind). It asks
// again, with backoff, until no partition is unstable or
// request_timeout_ms has passed.
func (c *Client) fetchStableOffsets(req *kmsg.OffsetFetchRequest,
	do func(kmsg.Request) (kmsg.Response, error)) (*kmsg.OffsetFetchResponse, error) {
	req.RequireStable = true
	deadline := time.Now().Add(c.cfg.RequestTimeout)
	backoff := c.cfg.RetryBackoff
	for {
		resp, err := do(req)
		if err != nil {
			return nil, err
		}
		r := resp.(*kmsg.OffsetFetchResponse)
		if !unstableOffsets(r) || time.Now().Add(backoff).After(deadline) {
			return r, nil
		}
		c.log.Debugf(obs.Group, "group %s: offsets not stable yet (a transaction is finishing); asking again in %v",
			req.Group, backoff)
		time.Sleep(backoff)
		backoff = min(backoff*2, time.Second)
	}
}

// unstableOffsets reports whether an OffsetFetch answer names offsets a
// transaction has yet to finish.
func unstableOffsets(r *kmsg.OffsetFetchResponse) bool {
	if r.ErrorCode == kerr.UnstableOffsetCommit {
		return true
	}
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode == kerr.UnstableOffsetCommit {
				return true
			}
		}
	}
	return false
}
