package main

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// A poll that finds its queue empty first sleeps in the kernel on a
// futex (queue.wait): waking it is one system call from whichever thread
// queues the event, straight to the sleeper.

// futexWindow is how long a poll waits for events on the futex before
// it parks on the notify channel instead.
//
// A thread sleeping in a system call keeps the Go processor it entered
// with, and while it does the runtime's monitor thread cannot rest: it
// checks every 20 µs at first. A parked poll gives the processor back at
// once, but waking it hands the processor to the polling thread through
// another thread. So the answers a busy client's poll waits for, a
// produce or fetch round trip (100-300 µs on loopback), are met on the
// futex, and only longer waits park: an idle consumer's polls cost about
// a tenth more CPU than parking at once (a 1 ms window cost half as much
// again), and round trips about 15 % less time (docs/BENCHMARKS.md). A
// poll after one that waited out its timeout parks at once (queue.quiet).
const futexWindow = 300 * time.Microsecond

const (
	futexWaitPrivate = 0 | 128 // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	futexWakePrivate = 1 | 128 // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
)

// sleepUntilChanged blocks while *word == seen, at most d. It may return
// early for no reason; callers re-check their condition.
func sleepUntilChanged(word *atomic.Uint32, seen uint32, d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWaitPrivate,
		uintptr(seen), uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// wakeSleepers wakes every thread sleeping on word. It does not block, so
// it skips the scheduler's system-call bookkeeping.
func wakeSleepers(word *atomic.Uint32) {
	syscall.RawSyscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWakePrivate,
		uintptr(^uint32(0)>>1), 0, 0, 0)
}
