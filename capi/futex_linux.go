package main

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// changeSignal lets a poll sleep until its queue changes: every push,
// kfk_wake and the close bump a counter, and a poll with nothing to serve
// sleeps in the kernel on it (a futex) until it moves or the poll's
// timeout ends. Waking the poll is one system call from whichever thread
// queues the event, straight to the sleeping thread.
type changeSignal struct {
	word     atomic.Uint32
	sleepers atomic.Int32
}

// futexWindow is how long a poll dozes (keeps its Go processor) before it
// sleeps (hands it back); queue.wait.
//
// A thread that wakes with its processor still held resumes at once; one
// that handed it back takes an idle one, under the scheduler's lock, and
// wakes the runtime's monitor thread if it rested. But while a thread
// dozes the monitor cannot rest: it checks every 20 µs at first. So the
// answers a busy client's poll waits for, a produce or fetch round trip
// (100-300 µs on loopback), are met dozing (round trip p50 about 5 %
// lower than sleeping at once), and longer waits sleep. While a poll's
// recent waits were longer than the window (queue.typicalWait: records
// trickling in every few milliseconds, round trips on a slow host, polls
// that time out), it sleeps at once: a doze before each sleep would only
// keep the monitor busy (a consumer fed every 3 ms: 28 % less CPU).
//
// Sleeping replaced parking the poll on a channel with a Go timer, where
// a timeout cost six thread wake-ups (the network poller, twice for its
// millisecond rounding; an idle thread started to look for work; the
// polling thread, by hand-off; the monitor, twice). Now it costs three:
// the polling thread, and the monitor twice, which it finds resting. An
// idle consumer's CPU fell by a third (docs/BENCHMARKS.md, Session 25).
const futexWindow = 300 * time.Microsecond

const (
	futexWaitPrivate = 0 | 128 // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	futexWakePrivate = 1 | 128 // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
)

func (s *changeSignal) init() {}

// seen is the count of changes so far, to sleep on.
func (s *changeSignal) seen() uint32 { return s.word.Load() }

// changed counts a change and wakes the sleepers. It does not block, so
// it skips the scheduler's system-call bookkeeping.
func (s *changeSignal) changed() {
	s.word.Add(1)
	if s.sleepers.Load() > 0 {
		syscall.RawSyscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(&s.word)), futexWakePrivate,
			uintptr(^uint32(0)>>1), 0, 0, 0)
	}
}

// doze blocks while no change came after seen, for at most d, keeping
// the thread's Go processor. It may return early; callers look again.
func (s *changeSignal) doze(seen uint32, d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	s.sleepers.Add(1)
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(&s.word)), futexWaitPrivate, uintptr(seen),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
	s.sleepers.Add(-1)
}

// sleep is doze with the processor handed back for the sleep, and d < 0
// for no limit.
func (s *changeSignal) sleep(seen uint32, d time.Duration) {
	var limit *syscall.Timespec
	if d >= 0 {
		ts := syscall.NsecToTimespec(int64(d))
		limit = &ts
	}
	s.sleepers.Add(1)
	futexSleep(&s.word, seen, limit)
	s.sleepers.Add(-1)
}

// futexSleep is FUTEX_WAIT on word between the runtime's own pair for a
// system call known to block: the first hands the processor to another
// thread (or the idle list) at once, the second takes one again. Nothing
// between them may grow the stack, hence nosplit and a raw system call.
//
//go:nosplit
//go:norace
func futexSleep(word *atomic.Uint32, seen uint32, limit *syscall.Timespec) {
	entersyscallblock()
	syscall.RawSyscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWaitPrivate, uintptr(seen),
		uintptr(unsafe.Pointer(limit)), 0, 0)
	exitsyscall()
}

// The runtime keeps these two reachable by name from outside it, with
// their signatures fixed (go.dev/issue/67401).
//
//go:linkname entersyscallblock runtime.entersyscallblock
func entersyscallblock()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()
