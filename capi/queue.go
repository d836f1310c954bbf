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
	typ     C.int32_t
	source  handle
	cb      uintptr // C callback, 0 if none
	opaque  uintptr // the caller's opaque, passed back untouched
	err     error
	result  *tree.Value     // nil: none
	message *client.Message // MESSAGE events: in the fetch's slice
	run     *deliveryRun    // DELIVERY events: a produce response's reports
}

// deliveryRun is the delivery reports of one produce response, queued as
// the client handed them over, one DELIVERY event per record routed to
// the queue (their callback and opaque are the records' tags): nothing is
// copied per report, and a burst of tens of thousands of small records'
// reports is one entry of the queue. A poll that takes only part of it
// splits it; the part that ends it gives the reports back to the client
// once served.
type deliveryRun struct {
	co         *clientObj
	rs         []client.Reports
	batch, rec int  // the next record to look at: rs[batch]'s record rec
	left       int  // routed records in this part
	last       bool // this part ends the run
}

// next moves past the run's next routed record and returns it.
func (r *deliveryRun) next() (*client.Reports, int) {
	for {
		b := &r.rs[r.batch]
		if r.rec == b.Len() {
			r.batch, r.rec = r.batch+1, 0
			continue
		}
		i := r.rec
		r.rec++
		if b.Routed(i) {
			r.left--
			return b, i
		}
	}
}

// count is how many events ev stands for.
func (ev *event) count() int {
	if ev.run != nil {
		return ev.run.left
	}
	return 1
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
	count    int     // the events pending stands for (a delivery run is many)
	spare    []event // the array of the last events served, for pending to reuse
	watched  bool    // kfk_queue_fd was called: the descriptor must say when events wait
	signaled bool    // a byte waits in the descriptor
	closed   bool
	handler  [2]uintptr // callback and opaque for events without a callback

	rfd, wfd int
	changes  changeSignal // what a poll with nothing to serve sleeps on (see wait)
	woken    atomic.Bool  // kfk_wake was called
	users    atomic.Int32 // connections and clients attached

	pollMu sync.Mutex // one poll at a time; guards arena, lent, calls and typicalWait
	arena  arena
	lent   lentMessages
	calls  []C.kfk__call_t // the callbacks a poll runs at once, in malloc'd memory (see dispatcher)
	// typicalWait is an average of the last several waits' lengths, each
	// counted as at most twice futexWindow: a poll dozes only while it is
	// within the window (see wait).
	typicalWait time.Duration
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
	q := &queue{rfd: fds[0], wfd: fds[1]}
	q.changes.init()
	return q, nil
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
	q.count += n
	q.signalLocked()
	q.mu.Unlock()
	q.notifyPoll()
}

// pushRun adds the DELIVERY events of rs, a produce response's reports
// of which routed (never 0: the client keeps those with none) are the
// queue's, kept until a poll has served them.
func (q *queue) pushRun(co *clientObj, rs []client.Reports, routed int) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.pending = append(q.pending, event{typ: C.KFK_EVENT_DELIVERY, source: co.self,
		run: &deliveryRun{co: co, rs: rs, left: routed, last: true}})
	q.count += routed
	q.signalLocked()
	q.mu.Unlock()
	q.notifyPoll()
}

// notifyPoll wakes a poll waiting for events.
func (q *queue) notifyPoll() { q.changes.changed() }

func (q *queue) length() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count
}

// watch makes the descriptor readable while events wait, from now on. A
// queue nobody watches saves the write and read per burst of events.
func (q *queue) watch() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.watched = true
	if q.count > 0 {
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
	q.notifyPoll()
}

// wait blocks until an event is queued, a wake, the queue closing, or the
// timeout (ms; <0 = forever). It reports whether events are ready. It
// dozes first, then sleeps (futex_linux.go says why).
func (q *queue) wait(timeoutMs int) bool {
	start := time.Now()
	var deadline time.Time
	if timeoutMs > 0 {
		deadline = start.Add(time.Duration(timeoutMs) * time.Millisecond)
	}
	for waited := false; ; waited = true {
		seen := q.changes.seen() // before looking: a change after it ends the sleep
		q.mu.Lock()
		n, closed := q.count, q.closed
		q.mu.Unlock()
		if n > 0 {
			if waited {
				q.waited(time.Since(start))
			}
			return true
		}
		if closed || q.woken.Swap(false) || timeoutMs == 0 {
			return false
		}
		now := time.Now()
		left := time.Duration(-1) // no limit
		if timeoutMs > 0 {
			if left = deadline.Sub(now); left <= 0 {
				q.waited(now.Sub(start))
				return false
			}
		}
		if nap := futexWindow - now.Sub(start); nap > 0 && q.typicalWait < futexWindow {
			if left >= 0 {
				nap = min(nap, left)
			}
			q.changes.doze(seen, nap)
			continue
		}
		q.changes.sleep(seen, left)
	}
}

// waited counts a wait of length d into typicalWait, an eighth at a time:
// one long wait among short ones does not end their dozes, and a run of
// long ones (records every few milliseconds, round trips slower than the
// window) ends them until waits are short again.
func (q *queue) waited(d time.Duration) {
	q.typicalWait += (min(d, 2*futexWindow) - q.typicalWait) / 8
}

// take removes up to max events (0 = all) and clears the descriptor's
// signal when the queue is left empty; a delivery run that does not fit
// is split.
// Taking everything hands over the pending array itself and lets pushes
// continue in the spare one, so a steady stream of events reuses two
// arrays instead of growing a new one after every poll.
func (q *queue) take(max int) []event {
	q.mu.Lock()
	defer q.mu.Unlock()
	if max <= 0 || max >= q.count {
		evs := q.pending
		q.pending, q.spare = q.spare, nil
		q.count = 0
		q.drainSignal()
		return evs
	}
	taken, whole := 0, 0
	for taken+q.pending[whole].count() <= max {
		taken += q.pending[whole].count()
		whole++
	}
	evs := make([]event, whole, whole+1)
	copy(evs, q.pending)
	clear(q.pending[:whole])
	q.pending = q.pending[whole:]
	if taken < max { // the next is a run: take its first reports
		r := q.pending[0].run
		part := *r
		part.left, part.last = max-taken, false
		for range part.left { // the rest starts after them
			r.next()
		}
		head := q.pending[0]
		head.run = &part
		evs = append(evs, head)
		taken = max
	}
	q.count -= taken
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
	d := dispatcher{q: q, out: out, handler: handler, calls: q.callArray()}
	for i := range evs {
		d.event(&evs[i])
	}
	d.flush()
	q.recycle(evs)
	if out != nil {
		return d.written
	}
	return d.served
}

// pollChunk is how many callbacks a poll runs from one call into C; in
// kfk_poll their memory is then reused for the next ones.
const pollChunk = 512

// callArray is the queue's array of pollChunk callbacks to run, made on
// the first poll. It is C memory because cgo checks every element of a
// Go array passed to C, which cost more than running the callbacks.
func (q *queue) callArray() []C.kfk__call_t {
	if q.calls == nil {
		p := C.malloc(pollChunk * C.sizeof_kfk__call_t)
		if p == nil {
			panic("kfk: out of memory")
		}
		q.calls = unsafe.Slice((*C.kfk__call_t)(p), pollChunk)
	}
	return q.calls
}

func (q *queue) freeCalls() {
	if q.calls != nil {
		C.free(unsafe.Pointer(&q.calls[0]))
		q.calls = nil
	}
}

// dispatcher writes one poll's events to C, in order: those with a
// callback (or, in kfk_poll, the queue's handler) have it run, the others
// go to out (kfk_poll_batch) while it has room, else they are dropped.
// Callbacks run pollChunk at a time from one call into C; in kfk_poll the
// arena is then reused for the next chunk, so it stays small and warm in
// the cache (kfk_poll_batch's events must live until the next poll).
type dispatcher struct {
	q       *queue
	out     []C.kfk_event_t
	handler [2]uintptr
	calls   []C.kfk__call_t
	queued  int // callbacks in calls, not run yet
	written int // events written to out
	served  int // events taken, dropped ones too
}

func (d *dispatcher) event(ev *event) {
	if r := ev.run; r != nil {
		for r.left > 0 {
			b, i := r.next()
			tag := b.Tag(i)
			if to, opaque := d.place(tag[0], tag[1]); to != nil {
				rep := b.At(i)
				d.q.fillReport(to, &rep, ev.source, opaque)
			}
		}
		if r.last { // copied out: the client may reuse it
			r.co.c.ReleaseDeliveries(r.rs)
		}
		return
	}
	if to, opaque := d.place(ev.cb, ev.opaque); to != nil {
		d.q.fill(to, ev, opaque)
	}
}

// place counts an event with callback cb and returns the kfk_event_t to
// write it to and the opaque it carries there; nil when it is dropped.
func (d *dispatcher) place(cb, opaque uintptr) (*C.kfk_event_t, uintptr) {
	d.served++
	switch {
	case cb != 0:
	case d.out != nil:
		to := &d.out[d.written]
		d.written++
		return to, opaque
	case d.handler[0] != 0:
		cb, opaque = d.handler[0], d.handler[1]
	default:
		return nil, 0
	}
	if d.queued == len(d.calls) {
		d.flush()
	}
	c := &d.calls[d.queued]
	d.queued++
	ev := (*C.kfk_event_t)(d.q.arena.alloc(C.sizeof_kfk_event_t))
	c.cb, c.ev = C.uintptr_t(cb), ev
	return ev, opaque
}

// flush runs the callbacks queued so far.
func (d *dispatcher) flush() {
	if d.queued == 0 {
		return
	}
	C.kfk__invoke_many(&d.calls[0], C.size_t(d.queued))
	d.queued = 0
	if d.out == nil {
		d.q.arena.reset()
		d.q.lent.giveBack()
	}
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
	if msg := ev.message; msg != nil {
		out.msg = q.message(msg, ev.opaque)
	}
}

// fillReport writes the delivery report d as a DELIVERY kfk_event_t from
// source carrying opaque (the record's, or the queue handler's); its
// message, in the arena, carries the record's own opaque.
func (q *queue) fillReport(out *C.kfk_event_t, d *client.Delivery, source handle, opaque uintptr) {
	out._type = C.KFK_EVENT_DELIVERY
	out.err = 0
	out.errstr = nil
	out.result = nil
	if d.Err != nil {
		out.err = errCode(d.Err)
		out.errstr = q.arena.str(d.Err.Error())
	}
	*(*uintptr)(unsafe.Pointer(&out.opaque)) = opaque
	*(*uint64)(unsafe.Pointer(&out.source)) = uint64(source)
	m := (*C.kfk_message_t)(q.arena.alloc(C.sizeof_kfk_message_t))
	m.topic = q.arena.name(d.Topic)
	m.partition = C.int32_t(d.Partition)
	m.err = out.err
	m.offset = C.int64_t(d.Offset)
	m.timestamp = C.int64_t(d.Timestamp)
	m.timestamp_type = C.int32_t(d.TimestampType)
	*(*uintptr)(unsafe.Pointer(&m.opaque)) = d.Tag[1]
	out.msg = m
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
	q.pending, q.spare, q.count = nil, nil, 0
	q.mu.Unlock()
	q.wake()
	q.pollMu.Lock()
	q.arena.free()
	q.lent.giveBack()
	q.freeCalls()
	syscall.Close(q.rfd)
	syscall.Close(q.wfd)
	q.pollMu.Unlock()
}
