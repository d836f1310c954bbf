package main

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// A poll that finds its queue empty first sleeps in the kernel on a
// futex (queue.wait, futexWindow). A goroutine parked on a channel by a
// C thread is locked to that thread, and readying it takes the scheduler
// through a hand-off of its processor to the thread (often through a
// third, woken thread first); a futex wake is one system call from
// whichever thread queues the event straight to the sleeper.

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
