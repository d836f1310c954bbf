package client

import (
	"unsafe"

	"github.com/kfk-dev/kfk/core/wire"
)

// messageBuffer holds fetched messages not yet handed to the application,
// one batch per partition and response, in arrival order, with a running
// estimate of their size for the prefetch bound.
type messageBuffer struct {
	batches [][]Message
	bytes   int
}

func (b *messageBuffer) add(batch []Message) {
	b.batches = append(b.batches, batch)
	b.bytes += batchBytes(batch)
}

// take removes up to max messages (0: all) from the front, in order; the
// rest of a batch that does not fit stays first.
func (b *messageBuffer) take(max int) [][]Message {
	if max <= 0 {
		batches := b.batches
		b.reset()
		return batches
	}
	var out [][]Message
	for len(b.batches) > 0 && max > 0 {
		first := b.batches[0]
		if len(first) > max {
			out = append(out, first[:max:max])
			b.batches[0] = first[max:]
			b.bytes -= batchBytes(first[:max])
			break
		}
		out = append(out, first)
		b.batches = b.batches[1:]
		b.bytes -= batchBytes(first)
		max -= len(first)
	}
	if len(b.batches) == 0 {
		b.reset() // drop the emptied array
	}
	return out
}

// takeExcept is take leaving the batches of held partitions (paused ones)
// where they are, in order, for later.
func (b *messageBuffer) takeExcept(max int, held map[tp]bool) [][]Message {
	var out [][]Message
	kept := b.batches[:0] // written behind the reads
	full := false
	for _, batch := range b.batches {
		if full || len(batch) == 0 || held[tp{batch[0].Topic, batch[0].Partition}] {
			kept = append(kept, batch)
			continue
		}
		if max > 0 && len(batch) >= max {
			out = append(out, batch[:max:max])
			b.bytes -= batchBytes(batch[:max])
			if len(batch) > max {
				kept = append(kept, batch[max:])
			}
			full = true
			continue
		}
		out = append(out, batch)
		b.bytes -= batchBytes(batch)
		max -= len(batch)
	}
	clear(b.batches[len(kept):])
	b.batches = kept
	if len(b.batches) == 0 {
		b.reset()
	}
	return out
}

// bytesOf is the size of the batches of the partitions in which.
func (b *messageBuffer) bytesOf(which map[tp]bool) int {
	n := 0
	for _, batch := range b.batches {
		if len(batch) > 0 && which[tp{batch[0].Topic, batch[0].Partition}] {
			n += batchBytes(batch)
		}
	}
	return n
}

// drop removes which's messages.
func (b *messageBuffer) drop(which tp) {
	kept := b.batches[:0]
	b.bytes = 0
	for _, batch := range b.batches {
		if len(batch) > 0 && batch[0].Topic == which.topic && batch[0].Partition == which.partition {
			ReleaseMessages(batch)
			continue
		}
		kept = append(kept, batch)
		b.bytes += batchBytes(batch)
	}
	b.batches = kept
}

// dropAll removes every message.
func (b *messageBuffer) dropAll() {
	releaseBatches(b.batches)
	b.reset()
}

func (b *messageBuffer) reset() { b.batches, b.bytes = nil, 0 }

// batchBytes is the memory msgs hold: their keys and values (in their
// fetch buffer or their own), the Message values themselves and their
// header arrays. At small records the Message values weigh more than the
// records, so counting less let prefetch hold twice its bound.
func batchBytes(msgs []Message) int {
	n := len(msgs) * messageSize
	for i := range msgs {
		n += len(msgs[i].Key) + len(msgs[i].Value) + len(msgs[i].Headers)*headerSize
	}
	return n
}

const (
	messageSize = int(unsafe.Sizeof(Message{}))
	headerSize  = int(unsafe.Sizeof(wire.Header{}))
)
