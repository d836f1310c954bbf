package main

/*
#include "shim.h"
*/
import "C"

import (
	"unsafe"

	"github.com/kfk-dev/kfk/core/client"
)

// column is one of kfk_produce_values' byte columns: n strings back to
// back in data, lens[i] the length of string i or KFK_NULL_LENGTH (a null).
type column struct {
	data []byte
	lens []C.int32_t
}

// newColumn views a C column for the length of the call; a NULL lens with
// a NULL data is a column of nulls. It is refused (false) for a negative
// length other than KFK_NULL_LENGTH, or bytes with no buffer.
func newColumn(data unsafe.Pointer, lens *C.int32_t, n int) (column, bool) {
	if lens == nil {
		return column{}, data == nil
	}
	ls := unsafe.Slice(lens, n)
	total := 0
	for _, l := range ls {
		if l < C.KFK_NULL_LENGTH {
			return column{}, false
		}
		total += max(int(l), 0)
		if total > maxBytes {
			return column{}, false
		}
	}
	if data == nil {
		return column{lens: ls}, total == 0
	}
	return column{data: unsafe.Slice((*byte)(data), total), lens: ls}, true
}

// next cuts the next string off the column: nil for a null one (and for
// every string of a column of nulls), a view of its bytes otherwise.
func (c *column) next(i int) []byte {
	if c.lens == nil || c.lens[i] == C.KFK_NULL_LENGTH {
		return nil
	}
	l := int(c.lens[i])
	s := c.data[:l:l]
	c.data = c.data[l:]
	if s == nil {
		s = []byte{} // empty, not null
	}
	return s
}

// kfk_produce_values: n records to one topic, their keys and values as
// columns, completed like kfk_produce_many (one RESULT; a record the
// library refuses is listed there and does not stop the others).
//
//export kfkgo_produce_values
func kfkgo_produce_values(h C.uint64_t, topic *C.char, partition C.int32_t,
	values unsafe.Pointer, valueLens *C.int32_t, keys unsafe.Pointer, keyLens *C.int32_t, n C.size_t,
	headers *C.kfk_header_t, headerCount C.size_t, cb, opaque C.uintptr_t, accepted *C.size_t) C.kfk_err_t {
	return producing(h, accepted, func(co *clientObj, count *int) C.kfk_err_t {
		if topic == nil || partition < -1 || n > maxCount || (valueLens == nil && n > 0) {
			return C.KFK_ERR_INVALID_ARG
		}
		vals, valsOK := newColumn(values, valueLens, int(n))
		ks, keysOK := newColumn(keys, keyLens, int(n))
		hs, headersOK := goHeaders(headers, headerCount)
		if !valsOK || !keysOK || !headersOK {
			return C.KFK_ERR_INVALID_ARG
		}
		name := co.topic(topic)
		all := newManyCompletion(co, cb, opaque)
		defer all.delivered(-1, nil)
		// The records go over in chunks, each queued under one hold of
		// the producer's lock; they view the caller's columns until then.
		chunk := make([]client.Record, min(int(n), valuesChunk))
		defer clear(chunk)
		for start := 0; start < int(n); start += len(chunk) {
			rs := chunk[:min(len(chunk), int(n)-start)]
			var done client.DeliveryFunc
			for k := range rs {
				i := start + k
				var tag client.Tag
				done, tag = all.offered(i)
				rs[k] = client.Record{Topic: name, Partition: int32(partition), Key: ks.next(i), Value: vals.next(i),
					Headers: hs, Timestamp: client.TimestampNow, Tag: tag}
			}
			*count += len(rs)
			co.c.ProduceMany(rs, done, func(r *client.Record, err error) {
				all.refused(int(r.Tag[0]), err)
				*count--
			})
		}
		return C.KFK_OK
	})
}

// valuesChunk is how many records kfk_produce_values hands the producer
// at a time.
const valuesChunk = 1024
