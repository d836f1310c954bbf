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
// the messages that point into it. It also lends the array those
// messages are decoded into (msgs), which comes back with it: at
// small records the Message values weigh more than the records, and a
// fresh array per response was most of what consuming allocated.
type FetchBuffer struct {
	buf  []byte
	refs atomic.Int64 // messages pointing in, plus one while it is decoded
	pool *bufferPool

	msgs    []Message // the message array; [:used] holds this response's
	used    int
	decoded int // messages decoded from this response, in msgs or not
	// wanted is the most messages a response read into buf decoded:
	// the array is sized for that much.
	wanted int
}

// Bytes is the whole buffer (what a binding pins to hand out pointers
// into it).
func (b *FetchBuffer) Bytes() []byte { return b.buf }

// Release gives back n of the messages that point into b (see
// ReleaseMessages); the last one returns the buffer to its pool.
func (b *FetchBuffer) Release(n int) {
	if left := b.refs.Add(-int64(n)); left == 0 {
		b.pool.put(b)
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

// spareMessages returns an empty slice with room for at least n messages
// in b's message array, for one partition's messages (which must each
// hold b), or nil when the array has no such room left. The caller
// settles with keepMessages.
func (b *FetchBuffer) spareMessages(n int) []Message {
	if cap(b.msgs)-b.used < n {
		if b.used > 0 {
			return nil
		}
		b.msgs = make([]Message, 0, max(n, b.wanted))
	}
	return b.msgs[b.used:b.used]
}

// keepMessages records a partition's decoded messages, msgs: in the
// array spareMessages lent if they did not outgrow it, else elsewhere.
// It returns msgs with its capacity cut to its length, so that nothing
// appended to it reaches the next partition's messages.
func (b *FetchBuffer) keepMessages(msgs []Message, inArray bool) []Message {
	b.decoded += len(msgs)
	if inArray && cap(msgs) == cap(b.msgs)-b.used { // (append moves a slice it outgrows)
		b.used += len(msgs)
	}
	return msgs[:len(msgs):len(msgs)]
}

// footprint is the memory b holds: its buffer and its message array,
// which at small records is the larger of the two.
func (b *FetchBuffer) footprint() int { return cap(b.buf) + cap(b.msgs)*messageSize }

// bufferPool keeps the buffers of released responses, up to limit bytes
// of footprint, for the next responses.
type bufferPool struct {
	mu    sync.Mutex
	free  []*FetchBuffer
	bytes int
	limit int
}

// lend returns a buffer for a response of size bytes: the one given back
// last that holds it (its memory is the likeliest still in the cache), or
// a new one.
func (p *bufferPool) lend(size int) *FetchBuffer {
	p.mu.Lock()
	var fb *FetchBuffer
	for i := len(p.free) - 1; i >= 0; i-- {
		if cap(p.free[i].buf) >= size {
			fb = p.free[i]
			p.free = slices.Delete(p.free, i, i+1)
			p.bytes -= fb.footprint()
			break
		}
	}
	p.mu.Unlock()
	if fb == nil {
		// Responses differ by a few bytes: a little room lets the next,
		// slightly larger one reuse this buffer.
		fb = &FetchBuffer{buf: make([]byte, 0, (size+bufferRounding-1)/bufferRounding*bufferRounding), pool: p}
	}
	fb.buf = fb.buf[:0]
	fb.used, fb.wanted, fb.decoded = 0, max(fb.wanted, fb.decoded), 0
	if cap(fb.msgs) < fb.wanted {
		fb.msgs = nil // made again, larger, by the first spareMessages
	}
	fb.refs.Store(1)
	return fb
}

// put keeps fb, released by every message, for a later response while
// the pool has room. Its message array keeps what the last messages held
// until they are overwritten: nothing reads a message given back.
func (p *bufferPool) put(fb *FetchBuffer) {
	p.mu.Lock()
	if p.bytes+fb.footprint() <= p.limit {
		p.free = append(p.free, fb)
		p.bytes += fb.footprint()
	}
	p.mu.Unlock()
}

// releaseBatches gives back messages the consumer drops unread.
func releaseBatches(batches [][]Message) {
	for _, b := range batches {
		ReleaseMessages(b)
	}
}
