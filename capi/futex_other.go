//go:build !linux

package main

import (
	"sync/atomic"
	"time"
)

// changeSignal lets a poll sleep until its queue changes (futex_linux.go
// says why there it is a futex). Other systems park the poll on a channel
// that every change fills, with a timer for its timeout, and at once: a
// poll never dozes.
type changeSignal struct {
	word   atomic.Uint32
	notify chan struct{}
}

const futexWindow = 0

func (s *changeSignal) init() { s.notify = make(chan struct{}, 1) }

// seen is the count of changes so far, to sleep on.
func (s *changeSignal) seen() uint32 { return s.word.Load() }

// changed counts a change and wakes the sleeper. It does not block.
func (s *changeSignal) changed() {
	s.word.Add(1)
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// doze is sleep here; with futexWindow 0 queue.wait never calls it.
func (s *changeSignal) doze(seen uint32, d time.Duration) { s.sleep(seen, d) }

// sleep blocks while no change came after seen, for at most d (d < 0:
// no limit). It may return early; callers look again.
func (s *changeSignal) sleep(seen uint32, d time.Duration) {
	if s.word.Load() != seen {
		return
	}
	if d < 0 {
		<-s.notify
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-s.notify:
	case <-timer.C:
	}
}
