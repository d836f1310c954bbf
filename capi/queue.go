package main

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
)

// event is a completion or notification waiting in a queue, still in Go
// form; it is copied into C memory only when a poll delivers it.
// It is kept small: a burst of events is copied into the queue as values.
type event struct {
	typ      C.int32_t
	source   handle
	cb       uintptr // C callback, 0 if none
	opaque   uintptr // the caller's opaque, passed back untouched
	err      error
	result   *tree.Value     // nil: none
	message  *client.Message // MESSAGE events: in the fetch's slice
	delivery deliveryReport  // DELIVERY events: copied, the client reuses its reports
}

// deliveryReport is what a DELIVERY event tells of a client.Delivery
// besides its error and tag.
type deliveryReport struct {
	topic         string
	offset        int64
	timestamp     int64
	partition     int32
	timestampType client.TimestampType
}

// resultOf is the result of a completion: none when it failed or has no
// value.
func resultOf(v tree.Value, err error) *tree.Value {
	if err != nil || v.Kind == tree.Null {
		return nil
	}
	return &v
}

// eventHandler is where an object's own events (connection notices,
// client errors) go: a C callback and its opaque, set by the application.
type eventHandler struct {
	mu sync.Mutex
	cb [2]uintptr
}

func (h *eventHandler) set(cb, opaque uintptr) {
	h.mu.Lock()
	h.cb = [2]uintptr{cb, opaque}
	h.mu.Unlock()
}

// event returns ev addressed to the current handler.
func (h *eventHandler) event(ev event) event {
	h.mu.Lock()
	ev.cb, ev.opaque = h.cb[0], h.cb[1]
	h.mu.Unlock()
	return ev
}

// queue is an event queue (kfk_queue_t). Library goroutines push; one
// thread at a time polls. A pipe signals "not empty" to event loops: a byte
// is written when the queue goes from empty to non-empty and drained when a
// poll empties it, so the descriptor's readability mirrors the queue.
type queue struct {
	mu       sync.Mutex
	pending  []event
	spare    []event // the array of the last events served, for pending to reuse
	watched  bool    // kfk_queue_fd was called: the descriptor must say when events wait
	signaled bool    // a byte waits in the descriptor
	closed   bool
	handler  [2]uintptr // callback and opaque for events without a callback

	rfd, wfd int
	notify   chan struct{} // wakes a poll blocked in Go
	woken    atomic.Bool   // kfk_wake was called
	users    atomic.Int32  // connections and clients attached

	pollMu sync.Mutex // one poll at a time; guards arena, lent, calls and the timer
	arena  arena
	lent   lentMessages
	calls  []C.kfk__call_t // the callbacks a poll runs, in malloc'd memory (see callsFor)
	// timer ends polls that wait with a timeout; it fires at timerAt (zero:
	// not armed). See wait.
	timer   *time.Timer
	timerAt time.Time
}

// lentMessages are the consumed messages a poll handed out in place: their
// keys and values point into the client's fetch buffers, pinned so that C
// may hold the pointers, until the next poll gives them back.
type lentMessages struct {
	pinner runtime.Pinner
	counts []lentCount // in the order handed out
}

type lentCount struct {
	buf *client.FetchBuffer
	n   int
}

// add lends msg's bytes, in buf, to C until giveBack.
func (l *lentMessages) add(buf *client.FetchBuffer) {
	if last := len(l.counts) - 1; last >= 0 && l.counts[last].buf == buf {
		l.counts[last].n++
		return
	}
	l.pinner.Pin(unsafe.SliceData(buf.Bytes()))
	l.counts = append(l.counts, lentCount{buf, 1})
}

// giveBack ends the loan of everything lent so far.
func (l *lentMessages) giveBack() {
	if len(l.counts) == 0 {
		return
	}
	l.pinner.Unpin()
	for _, c := range l.counts {
		c.buf.Release(c.n)
	}
	clear(l.counts)
	l.counts = l.counts[:0]
}

func newQueue() (*queue, error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	return &queue{rfd: fds[0], wfd: fds[1], notify: make(chan struct{}, 1)}, nil
}

// push adds ev; it never blocks beyond the queue's mutex.
func (q *queue) push(ev event) { q.pushN(1, func(dst []event) { dst[0] = ev }) }

// pushN adds n events that fill writes in place, under one lock: no
// staging copy for a large burst. fill must not touch the queue.
func (q *queue) pushN(n int, fill func([]event)) {
	if n == 0 {
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	at := len(q.pending)
	q.pending = slices.Grow(q.pending, n)[:at+n]
	fill(q.pending[at:])
	q.signalLocked()
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *queue) length() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// watch makes the descriptor readable while events wait, from now on. A
// queue nobody watches saves the write and read per burst of events.
func (q *queue) watch() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.watched = true
	if len(q.pending) > 0 {
		q.signalLocked()
	}
	return q.rfd
}

// signalLocked makes a watched descriptor readable.
func (q *queue) signalLocked() {
	if q.watched && !q.signaled {
		q.signaled = true
		syscall.Write(q.wfd, []byte{1})
	}
}

// wake makes a blocked poll return.
func (q *queue) wake() {
	q.woken.Store(true)
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// wait blocks until an event is queued, a wake, the queue closing, or the
// timeout (ms; <0 = forever). It reports whether events are ready.
// Polls with a timeout share one timer, left armed when a poll ends early:
// the next poll keeps it if it fires no later than that poll's deadline,
// and waits again when it fires too soon. Arming a timer wakes the Go
// runtime's network poller, which cost a thread switch per poll.
func (q *queue) wait(timeoutMs int) bool {
	var deadline time.Time
	for {
		q.mu.Lock()
		n, closed := len(q.pending), q.closed
		q.mu.Unlock()
		if n > 0 {
			return true
		}
		if closed || q.woken.Swap(false) || timeoutMs == 0 {
			return false
		}
		var timer <-chan time.Time
		if timeoutMs > 0 {
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(time.Duration(timeoutMs) * time.Millisecond)
			} else if !now.Before(deadline) {
				return false
			}
			timer = q.armTimer(now, deadline)
		}
		select {
		case <-q.notify:
		case <-timer:
			q.timerAt = time.Time{}
		}
	}
}

// armTimer makes the timer fire by deadline (and not long before it when
// it has to be set), and returns its channel.
func (q *queue) armTimer(now, deadline time.Time) <-chan time.Time {
	switch {
	case q.timer == nil:
		q.timer = time.NewTimer(deadline.Sub(now))
	case q.timerAt.IsZero() || q.timerAt.After(deadline):
		q.timer.Reset(deadline.Sub(now))
	default:
		return q.timer.C // armed for sooner: the poll waits again when it fires
	}
	q.timerAt = deadline
	return q.timer.C
}

// take removes up to max events (0 = all) and clears the descriptor's
// signal when the queue is left empty.
// Taking everything hands over the pending array itself and lets pushes
// continue in the spare one, so a steady stream of events reuses two
// arrays instead of growing a new one after every poll.
func (q *queue) take(max int) []event {
	q.mu.Lock()
	defer q.mu.Unlock()
	if max <= 0 || max >= len(q.pending) {
		evs := q.pending
		q.pending, q.spare = q.spare, nil
		q.drainSignal()
		return evs
	}
	evs := make([]event, max)
	copy(evs, q.pending)
	clear(q.pending[:max])
	q.pending = q.pending[max:]
	return evs
}

// recycle keeps evs, once served, as the next spare array.
func (q *queue) recycle(evs []event) {
	clear(evs) // drop the references to results and messages
	q.mu.Lock()
	if q.spare == nil && cap(evs) > 0 {
		q.spare = evs[:0]
	}
	q.mu.Unlock()
}

// drainSignal reads the one byte a signal wrote.
func (q *queue) drainSignal() {
	if !q.signaled {
		return
	}
	var buf [64]byte
	syscall.Read(q.rfd, buf[:])
	q.signaled = false
}

// serve is kfk_poll (out == nil) and kfk_poll_batch: events with a callback
// have it run; others go to out while room remains, else to the queue's
// handler. Memory of the previous serve is released first. It returns how
// many events were served (poll) or written to out (batch).
func (q *queue) serve(timeoutMs, max int, out []C.kfk_event_t) int {
	q.pollMu.Lock()
	defer q.pollMu.Unlock()
	q.arena.reset()
	q.lent.giveBack()
	if out != nil {
		if len(out) == 0 {
			return 0
		}
		max = len(out)
	}
	if !q.wait(timeoutMs) {
		return 0
	}
	q.mu.Lock()
	handler := q.handler
	q.mu.Unlock()
	evs := q.take(max)
	served := len(evs)
	if out != nil {
		written := q.dispatch(evs, out, handler)
		q.recycle(evs)
		return written
	}
	// kfk_poll's events need their memory only until their callback has
	// returned: a burst is served in chunks that refill the same arena,
	// which stays small and warm in the cache.
	for start := 0; start < len(evs); start += pollChunk {
		if start > 0 {
			q.arena.reset()
			q.lent.giveBack()
		}
		q.dispatch(evs[start:min(start+pollChunk, len(evs))], nil, handler)
	}
	q.recycle(evs)
	return served
}

// pollChunk is how many events kfk_poll writes before running their
// callbacks and reusing the memory.
const pollChunk = 512

// dispatch writes evs to C: those with a callback (or, outside a batch, the
// queue's handler) have it run, in order; the others go to out while it
// has room. It returns how many went to out.
func (q *queue) dispatch(evs []event, out []C.kfk_event_t, handler [2]uintptr) int {
	written := 0
	calls := q.callsFor(evs, out != nil, handler[0] != 0)
	queued := 0
	for i := range evs {
		ev := &evs[i]
		switch {
		case ev.cb != 0:
			q.call(&calls[queued], ev.cb, ev, ev.opaque)
			queued++
		case out != nil:
			q.fill(&out[written], ev, ev.opaque)
			written++
		case handler[0] != 0:
			q.call(&calls[queued], handler[0], ev, handler[1])
			queued++
		}
	}
	if queued > 0 {
		C.kfk__invoke_many(&calls[0], C.size_t(queued))
	}
	return written
}

// callsFor makes room for the callbacks evs will run: all of them, unless
// some go to a kfk_poll_batch array or nowhere. The array is reused from
// poll to poll; it is C memory because cgo checks every element of a Go
// array passed to C, which cost more than running the callbacks.
func (q *queue) callsFor(evs []event, batch, handler bool) []C.kfk__call_t {
	n := len(evs)
	if batch || !handler {
		n = 0
		for i := range evs {
			if evs[i].cb != 0 {
				n++
			}
		}
	}
	// (An array for more than 64k callbacks is not kept past a smaller poll.)
	if cap(q.calls) < n || (cap(q.calls) > 1<<16 && cap(q.calls) > 4*n) {
		q.freeCalls()
		size := max(n, 256)
		p := C.malloc(C.size_t(size) * C.sizeof_kfk__call_t)
		if p == nil {
			panic("kfk: out of memory")
		}
		q.calls = unsafe.Slice((*C.kfk__call_t)(p), size)
	}
	return q.calls[:n]
}

func (q *queue) freeCalls() {
	if q.calls != nil {
		C.free(unsafe.Pointer(&q.calls[0]))
		q.calls = nil
	}
}

// call copies ev into the arena as the event of callback cb. The callbacks
// run afterwards, in order, from one call into C.
func (q *queue) call(c *C.kfk__call_t, cb uintptr, ev *event, opaque uintptr) {
	cev := (*C.kfk_event_t)(q.arena.alloc(C.sizeof_kfk_event_t))
	q.fill(cev, ev, opaque)
	c.cb, c.ev = C.uintptr_t(cb), cev
}

// fill writes ev as a kfk_event_t, its strings and result in the arena.
func (q *queue) fill(out *C.kfk_event_t, ev *event, opaque uintptr) {
	out._type = ev.typ
	out.err = 0
	out.errstr = nil
	out.result = nil
	out.msg = nil
	if ev.err != nil {
		out.err = errCode(ev.err)
		out.errstr = q.arena.str(ev.err.Error())
	}
	// opaque and source are integers to Go (tags or C pointers it never
	// follows); they are stored through the fields' addresses.
	*(*uintptr)(unsafe.Pointer(&out.opaque)) = opaque
	*(*uint64)(unsafe.Pointer(&out.source)) = uint64(ev.source)
	if ev.result != nil {
		out.result = q.arena.val(*ev.result)
	}
	if ev.typ == C.KFK_EVENT_DELIVERY {
		d := &ev.delivery
		m := (*C.kfk_message_t)(q.arena.alloc(C.sizeof_kfk_message_t))
		m.topic = q.arena.name(d.topic)
		m.partition = C.int32_t(d.partition)
		m.err = out.err
		m.offset = C.int64_t(d.offset)
		m.timestamp = C.int64_t(d.timestamp)
		m.timestamp_type = C.int32_t(d.timestampType)
		*(*uintptr)(unsafe.Pointer(&m.opaque)) = ev.opaque
		out.msg = m
	}
	if msg := ev.message; msg != nil {
		out.msg = q.message(msg, ev.opaque)
	}
}

// message writes a consumed message into the arena: its key and value are
// lent in place when they lie in a fetch buffer, else copied.
func (q *queue) message(msg *client.Message, opaque uintptr) *C.kfk_message_t {
	m := (*C.kfk_message_t)(q.arena.alloc(C.sizeof_kfk_message_t))
	m.topic = q.arena.name(msg.Topic)
	m.partition = C.int32_t(msg.Partition)
	m.offset = C.int64_t(msg.Offset)
	m.timestamp = C.int64_t(msg.Timestamp)
	m.timestamp_type = C.int32_t(msg.TimestampType)
	m.reserved = C.int32_t(msg.DeliveryCount) // kfk_message_delivery_count reads it
	if buf := msg.Buffer(); buf != nil {
		q.lent.add(buf)
		m.key, m.key_len = q.lentBytes(msg.Key), C.size_t(len(msg.Key))
		m.value, m.value_len = q.lentBytes(msg.Value), C.size_t(len(msg.Value))
	} else {
		m.key, m.key_len = unsafe.Pointer(q.arena.bytes(msg.Key)), C.size_t(len(msg.Key))
		m.value, m.value_len = unsafe.Pointer(q.arena.bytes(msg.Value)), C.size_t(len(msg.Value))
	}
	if n := len(msg.Headers); n > 0 {
		hs := unsafe.Slice((*C.kfk_header_t)(q.arena.alloc(uintptr(n)*C.sizeof_kfk_header_t)), n)
		for i, h := range msg.Headers {
			hs[i].key, hs[i].key_len = q.arena.str(h.Key), C.size_t(len(h.Key))
			hs[i].value, hs[i].value_len = unsafe.Pointer(q.arena.bytes(h.Value)), C.size_t(len(h.Value))
		}
		m.headers, m.header_count = &hs[0], C.size_t(n)
	}
	*(*uintptr)(unsafe.Pointer(&m.opaque)) = opaque
	return m
}

// lentBytes is b's address for C, in place: NULL for nil, and for an
// empty slice a byte of the arena, never NULL (Kafka's null and empty
// differ).
func (q *queue) lentBytes(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return unsafe.Pointer(q.arena.bytes(b))
	}
	return unsafe.Pointer(unsafe.SliceData(b))
}

// close drops pending events and releases the descriptor and memory.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.pending, q.spare = nil, nil
	q.mu.Unlock()
	q.wake()
	q.pollMu.Lock()
	if q.timer != nil {
		q.timer.Stop()
	}
	q.arena.free()
	q.lent.giveBack()
	q.freeCalls()
	syscall.Close(q.rfd)
	syscall.Close(q.wfd)
	q.pollMu.Unlock()
}
