package main

/*
#include <stdlib.h>
#include "stage.h"
*/
import "C"

import (
	"sync"
	"time"
	"unsafe"

	"github.com/kfk-dev/kfk/core/client"
)

// stage is a client's produce stage (stage.h: kfk_produce copies admitted
// records there, in C) and the goroutine that moves them into the
// producer. A client without one (linger 0, where a record leaves on the
// producing thread; a transactional producer, whose records belong to the
// transaction open when they were produced; a C partitioner, which runs on
// the producing thread) has every record go straight to Go.
type stage struct {
	co *clientObj
	s  *C.kfk__stage_t

	mu      sync.Mutex // held while records move, so they enter in the order staged
	topic   string     // the admitted topic: every staged record's
	running bool       // the mover started (at the first admit)
	closed  bool
	gather  time.Duration // how long the mover lets records gather (stage.c)
	done    chan struct{} // closed when the mover ends

	back    unsafe.Pointer // the buffer the last take handed over, and its size
	backCap C.size_t
	records []client.Record // reused from move to move
}

func newStage(co *clientObj, cfg *client.Config) *stage {
	if cfg.Linger <= 0 || cfg.TransactionalID != "" || co.partitioner != nil {
		return nil
	}
	s := C.kfk__stage_open(C.uint64_t(co.self))
	if s == nil {
		return nil
	}
	// A record waits up to linger in its batch anyway: an eighth of it
	// more, at most a millisecond, for a thread wake-up per gathering
	// rather than per record.
	return &stage{co: co, s: s, gather: min(cfg.Linger/8, time.Millisecond), done: make(chan struct{})}
}

// produced is told that topic's record went to the producer directly: the
// stage may take the records that follow it, within the producer's room now.
func (st *stage) produced(topic string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.admitLocked(topic) && !st.running && !st.closed {
		st.running = true
		go st.run()
	}
}

// admitLocked gives the stage topic and the producer's room; the topic
// changes only while nothing is staged (the stage says whether it did).
// Every staged record is of the topic admitted when it was staged: moves
// and admits take turns under mu.
func (st *stage) admitLocked(topic string) bool {
	records, bytes, largest := st.co.c.Room()
	if C.kfk__stage_admit(st.s, (*C.char)(unsafe.Pointer(unsafe.StringData(topic))), C.size_t(len(topic)),
		C.int64_t(largest), C.int64_t(records), C.int64_t(bytes)) == 0 {
		return false
	}
	st.topic = topic
	return true
}

// run moves staged records into the producer as they come, until the
// stage is closed and empty.
func (st *stage) run() {
	defer close(st.done)
	for C.kfk__stage_wait(st.s, C.int64_t(st.gather)) != 0 {
		st.move()
	}
}

// move hands what is staged now to the producer, first of anything a
// caller does next with the client (produce directly, flush, purge, close).
// It takes mu before it looks: an empty stage may be a move under way,
// whose records are taken but not in the producer yet, and what the
// caller does next must wait for them.
func (st *stage) move() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if C.kfk__stage_count(st.s) == 0 {
		return
	}
	records, bytes, largest := st.co.c.Room()
	var buf unsafe.Pointer
	var capacity, n, count C.size_t
	C.kfk__stage_take(st.s, st.back, st.backCap, C.int64_t(largest), C.int64_t(records), C.int64_t(bytes),
		&buf, &capacity, &n, &count)
	st.back, st.backCap = buf, capacity // given back at the next take
	if buf == nil {
		return
	}
	data := unsafe.Slice((*byte)(buf), n)
	rs := st.records[:0]
	for off := 0; off < len(data); {
		r := (*C.kfk__staged_t)(unsafe.Pointer(&data[off]))
		off += int(unsafe.Sizeof(*r))
		rec := client.Record{Topic: st.topic, Partition: int32(r.partition), Timestamp: int64(r.timestamp),
			Tag: client.Tag{uintptr(r.cb), uintptr(r.opaque)}}
		used := 0
		rec.Key, used = stagedBytes(data[off:], r.key_len, used)
		rec.Value, used = stagedBytes(data[off:], r.value_len, used)
		off += (used + 7) &^ 7
		rs = append(rs, rec)
	}
	// The room was reserved, so only a race with close is refused here;
	// its record is reported as a queued record's failure would be.
	st.co.c.ProduceMany(rs, nil, st.co.c.ReportRefused)
	clear(rs) // no views of the C buffer kept
	st.records = rs
}

// stagedBytes is the key or value of length n (-1: null) at data[used:],
// and where the next one starts.
func stagedBytes(data []byte, n C.int32_t, used int) ([]byte, int) {
	if n < 0 {
		return nil, used
	}
	return data[used : used+int(n) : used+int(n)], used + int(n)
}

// close makes the stage take nothing more and moves what it holds; once
// it returns, no record of the client is staged and the mover has ended.
func (st *stage) close() {
	C.kfk__stage_close(st.s)
	st.move()
	st.mu.Lock()
	st.closed = true
	running := st.running
	st.mu.Unlock()
	if running {
		<-st.done
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	C.free(st.back) // the buffer the last take handed over
	st.back, st.backCap = nil, 0
}
