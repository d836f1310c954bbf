package client

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Fetch responses are read into buffers the consumer lends, when
// Config.LendFetchBuffers asks for it: a steady stream of responses then
// reuses a few buffers instead of allocating (and clearing, and faulting
// in) a new one per response, which was most of the cost of consuming
// large messages. The messages a response decodes into point into its
// buffer, so the buffer goes back to the pool only once every one of
// them has been given back (ReleaseMessages) or dropped by the consumer.

// FetchBuffer is the buffer one fetch response was read into, shared by
// the messages that point into it.
type FetchBuffer struct {
	buf  []byte
	refs atomic.Int64 // messages pointing in, plus one while it is decoded
	pool *bufferPool
}

// Bytes is the whole buffer (what a binding pins to hand out pointers
// into it).
func (b *FetchBuffer) Bytes() []byte { return b.buf }

// Release gives back n of the messages that point into b (see
// ReleaseMessages); the last one returns the buffer to its pool.
func (b *FetchBuffer) Release(n int) {
	if left := b.refs.Add(-int64(n)); left == 0 {
		b.pool.put(b.buf)
	} else if left < 0 {
		panic("kfk: a fetch buffer released more often than it was referenced")
	}
}

// ReleaseMessages gives back msgs, which Poll handed over: the buffers
// their keys, values and headers point into may be read into again. Only
// for a client with Config.LendFetchBuffers; each message once.
func ReleaseMessages(msgs []Message) {
	var run *FetchBuffer // consecutive messages mostly share a buffer
	n := 0
	for i := range msgs {
		if b := msgs[i].buffer; b != run {
			if run != nil {
				run.Release(n)
			}
			run, n = b, 0
		}
		n++
	}
	if run != nil {
		run.Release(n)
	}
}

// Buffer is the fetch buffer m points into, or nil when m owns its bytes
// (Config.LendFetchBuffers unset, or a compressed batch, whose records
// are copied out of the decompressed data).
func (m *Message) Buffer() *FetchBuffer { return m.buffer }

// bufferRounding is what new buffers' sizes are rounded up to.
const bufferRounding = 16 << 10

// bufferPool keeps the buffers of released responses, up to limit bytes,
// for the next responses.
type bufferPool struct {
	mu    sync.Mutex
	free  [][]byte
	bytes int
	limit int
}

// lend returns a buffer for a response of size bytes: the one given back
// last that holds it (its memory is the likeliest still in the cache), or
// a new one.
func (p *bufferPool) lend(size int) *FetchBuffer {
	p.mu.Lock()
	best := -1
	for i := len(p.free) - 1; i >= 0; i-- {
		if cap(p.free[i]) >= size {
			best = i
			break
		}
	}
	var buf []byte
	if best >= 0 {
		buf = p.free[best]
		p.free = slices.Delete(p.free, best, best+1)
		p.bytes -= cap(buf)
	}
	p.mu.Unlock()
	if buf == nil {
		// Responses differ by a few bytes: a little room lets the next,
		// slightly larger one reuse this buffer.
		buf = make([]byte, 0, (size+bufferRounding-1)/bufferRounding*bufferRounding)
	}
	fb := &FetchBuffer{buf: buf[:0], pool: p}
	fb.refs.Store(1)
	return fb
}

// put keeps buf for a later response while the pool has room.
func (p *bufferPool) put(buf []byte) {
	p.mu.Lock()
	if p.bytes+cap(buf) <= p.limit {
		p.free = append(p.free, buf[:0])
		p.bytes += cap(buf)
	}
	p.mu.Unlock()
}

// releaseBatches gives back messages the consumer drops unread.
func releaseBatches(batches [][]Message) {
	for _, b := range batches {
		ReleaseMessages(b)
	}
}
