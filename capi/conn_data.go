package main

/*
#include "kfk.h"
*/
import "C"

import (
	"time"
	"unsafe"

	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/wire"
)

// goRecords views n kfk_record_t for the length of the call: connapi.Produce
// encodes them into a batch before it returns, so the caller may free its
// buffers as soon as the call does.
func goRecords(p *C.kfk_record_t, n C.size_t) ([]connapi.Record, bool) {
	if p == nil || n > maxCount {
		return nil, false
	}
	out := make([]connapi.Record, n)
	for i, r := range unsafe.Slice(p, n) {
		hs, ok := goHeaders(r.headers, r.header_count)
		key, keyOK := cView(r.key, r.key_len)
		value, valueOK := cView(r.value, r.value_len)
		if !ok || !keyOK || !valueOK {
			return nil, false
		}
		out[i] = connapi.Record{Key: key, Value: value, Timestamp: int64(r.timestamp), Headers: hs}
		if r.timestamp < 0 {
			out[i].Timestamp = time.Now().UnixMilli()
		}
	}
	return out, true
}

// goHeaders views n kfk_header_t (keys are copied into strings).
func goHeaders(p *C.kfk_header_t, n C.size_t) ([]wire.Header, bool) {
	if n == 0 {
		return nil, true
	}
	if p == nil || n > maxCount {
		return nil, false
	}
	out := make([]wire.Header, n)
	for i, h := range unsafe.Slice(p, n) {
		key, keyOK := cView(unsafe.Pointer(h.key), h.key_len)
		value, valueOK := cView(h.value, h.value_len)
		if (h.key == nil && h.key_len > 0) || !keyOK || !valueOK {
			return nil, false
		}
		out[i] = wire.Header{Key: string(key), Value: value}
	}
	return out, true
}

// cView is a C buffer as a slice, valid only while the C call that passed
// it runs; NULL stays nil (Kafka's null), a non-NULL pointer with length 0
// becomes empty. A length above maxBytes is refused.
func cView(p unsafe.Pointer, n C.size_t) ([]byte, bool) {
	if p == nil {
		return nil, true
	}
	if n > maxBytes {
		return nil, false
	}
	return unsafe.Slice((*byte)(p), n), true
}

//export kfkgo_conn_produce_batch
func kfkgo_conn_produce_batch(h C.uint64_t, topic *C.char, partition C.int32_t, records *C.kfk_record_t, n C.size_t,
	opts *C.kfk_produce_opts_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		if topic == nil || partition < 0 || n == 0 || opts == nil || n > 1<<24 {
			return C.KFK_ERR_INVALID_ARG
		}
		recs, ok := goRecords(records, n)
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		po := connapi.ProduceOptions{Acks: int16(opts.acks), TimeoutMs: int32(opts.timeout_ms),
			ProducerID: int64(opts.producer_id), ProducerEpoch: int16(opts.producer_epoch),
			BaseSequence: int32(opts.base_sequence), TransactionalID: goStringPtr(opts.transactional_id)}
		if opts.acks < -1 || opts.acks > 1 {
			return C.KFK_ERR_INVALID_ARG
		}
		codec, err := connapi.ParseCompression(goStringOrEmpty(opts.compression))
		if err != nil {
			return C.KFK_ERR_INVALID_ARG
		}
		po.Compression = codec
		connapi.Produce(co.c, C.GoString(topic), int32(partition), recs, po, done)
		return C.KFK_OK
	})
}

//export kfkgo_conn_fetch
func kfkgo_conn_fetch(h C.uint64_t, tps *C.kfk_topic_partition_t, n C.size_t, opts *C.kfk_fetch_opts_t, cb, opaque C.uintptr_t) C.kfk_err_t {
	return connRequest(h, cb, opaque, func(co *connObj, done connapi.Callback) C.kfk_err_t {
		parts, ok := goTopicPartitions(tps, n)
		if !ok || n == 0 || opts == nil || opts.max_bytes <= 0 || opts.max_wait_ms < 0 || opts.min_bytes < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		connapi.Fetch(co.c, parts, connapi.FetchOptions{MaxBytes: int32(opts.max_bytes),
			MaxWaitMs: int32(opts.max_wait_ms), MinBytes: int32(opts.min_bytes),
			IsolationLevel: int8(opts.isolation_level)}, done)
		return C.KFK_OK
	})
}
