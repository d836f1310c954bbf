package client

import (
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/wire"
)

// Compressing ahead. With a codec, a batch sealed because it is full is
// compressed while it waits for room in flight, by a compressor goroutine,
// rather than by the sender once it may go. A backlog's batches are then
// compressed on several cores at once, and a response's room is filled by
// a batch ready to go instead of one the broker waits for while it is
// compressed. (librdkafka compresses on each broker's one thread.) A batch
// sealed when its linger ends is compressed by the sender as before: it
// goes at once.

// maxCompressors is how many compressors may run at once: one per core.
var maxCompressors = runtime.NumCPU()

// slowCompression is how long compressing a MiB of the producer's batches
// must take for compressing ahead to pay: about 1 GB/s. Faster, the sender
// keeps up with the broker by itself, and spreading the work over threads
// only costs CPU (payloads of one repeated byte, at 1-2 GB/s: 30 % more
// CPU per record with compressors, no faster). Text-like payloads
// compress at 150-450 MB/s (docs/BENCHMARKS.md, Session 32). The fastest
// of the last few batches decides: a thread preempted while it compresses
// makes a batch look slow, never fast.
var slowCompression = time.Millisecond // a variable for tests

// aheadCompressors is the queue of full batches to compress and the
// goroutines that compress them. It has a lock of its own: compressors
// would otherwise contend with produce calls for the producer's.
type aheadCompressors struct {
	mu      sync.Mutex
	queue   []*batch
	running int
	// spare are the encoders of compressors that stopped, the last one's
	// on top: it is the warmest.
	spare []*compress.Encoder
	// perMiB is how long the last batches took to finish per MiB (their
	// compression, mostly), the latest at timings % len(perMiB).
	perMiB  [4]time.Duration
	timings int
	// compressed counts the batches compressors finished.
	compressed int
}

// compressAheadLocked queues b for a compressor, starting one if fewer
// than maxCompressors run, when compressing is slow.
func (p *producer) compressAheadLocked(b *batch) {
	if p.cfg.Compression == compress.None {
		return
	}
	a := &p.ahead
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.slowLocked() {
		return
	}
	a.queue = append(a.queue, b)
	if a.running == maxCompressors {
		return
	}
	a.running++
	enc := &compress.Encoder{Level: p.cfg.CompressionLevel}
	if n := len(a.spare); n > 0 {
		enc = a.spare[n-1]
		a.spare = a.spare[:n-1]
	}
	go p.compressQueued(enc)
}

// drop forgets the queued batches: the producer closed and failed them.
func (a *aheadCompressors) drop() {
	a.mu.Lock()
	a.queue = nil
	a.mu.Unlock()
}

// compressQueued compresses queued batches until none is left.
func (p *producer) compressQueued(enc *compress.Encoder) {
	a := &p.ahead
	a.mu.Lock()
	for len(a.queue) > 0 {
		b := a.queue[0]
		a.queue = slices.Delete(a.queue, 0, 1)
		a.mu.Unlock()
		p.compressAhead(b, enc)
		a.mu.Lock()
	}
	a.running--
	a.spare = append(a.spare, enc)
	a.mu.Unlock()
}

// compressAhead compresses b unless the sender has taken it, or is taking
// it, for its first send. Its producer id and sequence are stamped when it
// goes (encode), as a retry's are.
func (p *producer) compressAhead(b *batch, enc *compress.Encoder) {
	if !b.finishing.TryLock() {
		return
	}
	defer b.finishing.Unlock()
	if !b.taken && b.ahead == nil {
		b.ahead, b.aheadErr = p.finishTimed(&b.builder, enc)
		p.ahead.mu.Lock()
		p.ahead.compressed++
		p.ahead.mu.Unlock()
	}
}

// finishTimed finishes a batch with enc, noting how long that took when it
// is compressed.
func (p *producer) finishTimed(builder *wire.Builder, enc *compress.Encoder) ([]byte, error) {
	if p.cfg.Compression == compress.None {
		return builder.Finish(nil)
	}
	size := builder.Size()
	start := time.Now()
	raw, err := builder.Finish(enc)
	took := time.Since(start)
	a := &p.ahead
	a.mu.Lock()
	was := a.slowLocked()
	a.perMiB[a.timings%len(a.perMiB)] = took * (1 << 20) / time.Duration(max(size, 1))
	a.timings++
	found := !was && a.slowLocked()
	a.mu.Unlock()
	if found {
		p.compressWaiting()
	}
	return raw, err
}

// compressWaiting queues the batches sealed before compressing was found
// slow: a burst of records seals many before the first are timed.
func (p *producer) compressWaiting() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ps := range p.rotation {
		for _, b := range ps.ready {
			if b.raw == nil {
				p.compressAheadLocked(b)
			}
		}
	}
}

// slowLocked says whether compressing is slow enough to be done ahead: so
// for each of the last batches timed, once there are enough of them (the
// first batch also pays for building its encoder).
func (a *aheadCompressors) slowLocked() bool {
	if a.timings < len(a.perMiB) {
		return false
	}
	return slices.Min(a.perMiB[:]) >= slowCompression
}
