package client

import (
	"testing"

	"github.com/kfk-dev/kfk/core/tree"
)

// FetchSessions reports the fetch session id held with each broker.
func (c *Client) FetchSessions() map[int32]int32 {
	k := c.consumer
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[int32]int32{}
	for broker, s := range k.sessions {
		out[broker] = s.id
	}
	return out
}

// SkewFetchSessions puts every session's epoch out of step with the broker,
// as a lost response would, so the next fetch is refused.
func (c *Client) SkewFetchSessions() {
	k := c.consumer
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, s := range k.sessions {
		if s.id != 0 {
			s.epoch += 7
		}
	}
}

// ShareAssigned is the number of partitions the share member fetches.
func (c *Client) ShareAssigned() int {
	s, err := c.shareMember()
	if err != nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.assigned)
}

// Crash ends c as a killed process would: the share member stops without
// acknowledging, closing its sessions or leaving, and the connections
// drop.
func (c *Client) Crash() {
	c.mu.Lock()
	s := c.share
	c.share = nil
	c.mu.Unlock()
	if s != nil {
		close(s.stop)
		<-s.stopped
		s.mu.Lock()
		s.fetch.closing = true
		s.mu.Unlock()
	}
	c.Close(-1, nil)
}

// KeepsMetadataTree reports whether the metadata the client keeps holds a
// result tree.
func (c *Client) KeepsMetadataTree() bool {
	m := c.meta.Load()
	return m != nil && m.tree.Kind != tree.Null
}

// Prefetched is what the consumer holds fetched ahead of Poll: messages,
// the bytes of their keys and values, and whether a fetch is in flight or
// being decoded still.
func (c *Client) Prefetched() (messages, bytes int, busy bool) {
	k := c.consumer
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, batch := range k.buffer.batches {
		messages += len(batch)
		for i := range batch {
			bytes += len(batch[i].Key) + len(batch[i].Value)
		}
	}
	busy = k.decoding > 0
	for _, inFlight := range k.inflight {
		busy = busy || inFlight
	}
	return messages, bytes, busy
}

// CompressAheadAlways makes producers compress every full batch ahead of
// its send, however fast their codec, with up to two compressors, until
// the test ends.
func CompressAheadAlways(t *testing.T) {
	slow, most := slowCompression, maxCompressors
	slowCompression, maxCompressors = 0, 2
	t.Cleanup(func() { slowCompression, maxCompressors = slow, most })
}

// CompressedAhead is how many batches the producer's compressors finished.
func (c *Client) CompressedAhead() int {
	a := &c.producer.ahead
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.compressed
}
