package main

/*
#include <string.h>
#include "kfk.h"
*/
import "C"

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/kfk-dev/kfk/core/tree"
)

// confObj is a kfk_conf_t.
type confObj struct {
	mu                sync.Mutex
	cfg               *client.Config
	partitioner       C.kfk_partitioner_fn // kfk_conf_set_partitioner, or nil
	partitionerOpaque unsafe.Pointer
}

// clientObj is a kfk_client_t: a core client bound to its queue.
type clientObj struct {
	c    *client.Client
	q    *queue
	self handle

	handler     eventHandler  // client-level ERROR events
	partitioner *cPartitioner // from kfk_conf_set_partitioner, or nil
	lastTopic   atomic.Pointer[string]
	topicsMu    sync.Mutex
	topics      map[string]*string // the topics seen, up to topicsKept (see topic)
	stage       *stage             // where kfk_produce puts records, or nil (stage.go)
}

// staged moves the records kfk_produce staged into the producer: the first
// step of every call that must find them there.
func (co *clientObj) staged() {
	if co.stage != nil {
		co.stage.move()
	}
}

// topic is m's topic as a Go string, without an allocation and copy per
// message: producers mostly repeat one topic, kept in lastTopic and reused
// when the bytes match, and one rotating among topics finds each in
// topics.
func (co *clientObj) topic(p *C.char) string {
	b := unsafe.Slice((*byte)(unsafe.Pointer(p)), cStrlen(p))
	if last := co.lastTopic.Load(); last != nil && *last == string(b) {
		return *last
	}
	co.topicsMu.Lock()
	t := co.topics[string(b)]
	if t == nil {
		name := string(b)
		t = &name
		if co.topics == nil {
			co.topics = map[string]*string{}
		}
		if len(co.topics) < topicsKept {
			co.topics[name] = t
		}
	}
	co.topicsMu.Unlock()
	co.lastTopic.Store(t)
	return *t
}

// topicsKept bounds clientObj.topics: names are kept for the client's
// life, and a program passing endless distinct (likely invalid) names
// must not grow it without end.
const topicsKept = 4096

func lookupClient(h C.uint64_t) (*clientObj, C.kfk_err_t) {
	obj, ok := handles.get(handle(h), kindClient)
	if !ok {
		return nil, C.KFK_ERR_INVALID_HANDLE
	}
	return obj.(*clientObj), C.KFK_OK
}

// writeErr copies msg into a caller buffer, always NUL-terminated.
func writeErr(buf *C.char, n C.size_t, msg string) {
	if buf == nil || n == 0 {
		return
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), min(n, C.size_t(len(msg))+1))
	m := copy(dst[:len(dst)-1], msg)
	dst[m] = 0
}

//export kfkgo_conf_new
func kfkgo_conf_new(out *C.uint64_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	if out == nil {
		return C.KFK_ERR_INVALID_ARG
	}
	*out = C.uint64_t(handles.add(kindConf, &confObj{cfg: client.NewConfig()}))
	return C.KFK_OK
}

func lookupConf(h C.uint64_t) (*confObj, bool) {
	obj, ok := handles.get(handle(h), kindConf)
	if !ok {
		return nil, false
	}
	return obj.(*confObj), true
}

//export kfkgo_conf_set
func kfkgo_conf_set(h C.uint64_t, key, value *C.char, errbuf *C.char, errlen C.size_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, ok := lookupConf(h)
	if !ok {
		writeErr(errbuf, errlen, "invalid configuration handle")
		return C.KFK_ERR_INVALID_HANDLE
	}
	if key == nil || value == nil {
		writeErr(errbuf, errlen, "key and value must not be NULL")
		return C.KFK_ERR_INVALID_ARG
	}
	co.mu.Lock()
	defer co.mu.Unlock()
	if err := co.cfg.Set(C.GoString(key), C.GoString(value)); err != nil {
		writeErr(errbuf, errlen, err.Error())
		return C.KFK_ERR_CONFIG
	}
	return C.KFK_OK
}

//export kfkgo_conf_destroy
func kfkgo_conf_destroy(h C.uint64_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	if _, ok := handles.remove(handle(h), kindConf); !ok {
		return C.KFK_ERR_INVALID_HANDLE
	}
	return C.KFK_OK
}

//export kfkgo_client_new
func kfkgo_client_new(qh, confh C.uint64_t, out *C.uint64_t, errbuf *C.char, errlen C.size_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	q, rc := lookupQueue(qh)
	if rc != C.KFK_OK {
		writeErr(errbuf, errlen, "invalid queue handle")
		return rc
	}
	conf, ok := lookupConf(confh)
	if !ok {
		writeErr(errbuf, errlen, "invalid configuration handle")
		return C.KFK_ERR_INVALID_HANDLE
	}
	if out == nil {
		return C.KFK_ERR_INVALID_ARG
	}
	co := &clientObj{q: q}
	conf.mu.Lock()
	cfg := *conf.cfg
	if conf.partitioner != nil {
		co.partitioner = newCPartitioner(conf.partitioner, conf.partitionerOpaque)
		cfg.PartitionFunc = co.partitioner.partition
	}
	conf.mu.Unlock()
	// Events hand out pointers into the fetch responses; the queue gives
	// the messages back at the next poll (queue.lent).
	cfg.LendFetchBuffers = true
	c, err := client.New(cfg, client.Handler{
		OnError: func(err error) {
			q.push(co.handler.event(event{typ: C.KFK_EVENT_ERROR, err: err, source: co.self}))
		},
		OnLog: func(e obs.Entry) {
			entry := tree.M("level", tree.I(int64(e.Level)), "level_name", tree.S(e.Level.String()),
				"context", tree.S(e.Context.String()), "message", tree.S(e.Message), "ts_ms", tree.I(e.Time.UnixMilli()))
			q.push(co.handler.event(event{typ: C.KFK_EVENT_LOG, source: co.self, result: &entry}))
		},
		OnStats: func(doc []byte) {
			text := tree.S(string(doc))
			q.push(co.handler.event(event{typ: C.KFK_EVENT_STATS, source: co.self, result: &text}))
		},
		OnDeliveries: co.deliveries,
		OnOAuthTokenRefresh: func() {
			q.push(co.handler.event(event{typ: C.KFK_EVENT_OAUTHBEARER_TOKEN_REFRESH, source: co.self}))
		},
	})
	if err != nil {
		writeErr(errbuf, errlen, err.Error())
		var ce *client.ConfigError
		if errors.As(err, &ce) {
			return C.KFK_ERR_CONFIG
		}
		return errCode(err)
	}
	co.c = c
	co.self = handles.add(kindClient, co)
	co.stage = newStage(co, &cfg)
	q.users.Add(1)
	*out = C.uint64_t(co.self)
	return C.KFK_OK
}

//export kfkgo_client_set_event_handler
func kfkgo_client_set_event_handler(h C.uint64_t, cb, opaque C.uintptr_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupClient(h)
	if rc != C.KFK_OK {
		return rc
	}
	co.handler.set(uintptr(cb), uintptr(opaque))
	return C.KFK_OK
}

// resultCB queues a RESULT event from a tree-or-error completion.
func (co *clientObj) resultCB(cb, opaque C.uintptr_t) func(tree.Value, error) {
	return func(v tree.Value, err error) {
		co.q.push(event{typ: C.KFK_EVENT_RESULT, err: err, source: co.self, cb: uintptr(cb),
			opaque: uintptr(opaque), result: resultOf(v, err)})
	}
}

//export kfkgo_client_connect
func kfkgo_client_connect(h C.uint64_t, cb, opaque C.uintptr_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupClient(h)
	if rc != C.KFK_OK {
		return rc
	}
	co.c.Connect(co.resultCB(cb, opaque))
	return C.KFK_OK
}

//export kfkgo_client_metadata
func kfkgo_client_metadata(h C.uint64_t, topics **C.char, n C.size_t, cb, opaque C.uintptr_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupClient(h)
	if rc != C.KFK_OK {
		return rc
	}
	names, ok := goStrings(topics, n)
	if !ok {
		return C.KFK_ERR_INVALID_ARG
	}
	co.c.RefreshMetadata(names, co.resultCB(cb, opaque))
	return C.KFK_OK
}

//export kfkgo_client_producer_id
func kfkgo_client_producer_id(h C.uint64_t, id *C.int64_t, epoch *C.int16_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupClient(h)
	if rc != C.KFK_OK {
		return rc
	}
	pid, pepoch, ok := co.c.ProducerID()
	if !ok {
		return C.KFK_ERR_STATE
	}
	if id != nil {
		*id = C.int64_t(pid)
	}
	if epoch != nil {
		*epoch = C.int16_t(pepoch)
	}
	return C.KFK_OK
}

//export kfkgo_client_partition_count
func kfkgo_client_partition_count(h C.uint64_t, topic *C.char) (n C.int32_t) {
	defer recoverTo(&n, C.KFK_ERR_INTERNAL)
	co, rc := lookupClient(h)
	if rc != C.KFK_OK {
		return rc
	}
	if topic == nil {
		return C.KFK_ERR_INVALID_ARG
	}
	return C.int32_t(co.c.PartitionCount(C.GoString(topic)))
}

// deliveries queues the DELIVERY events of messages produced with
// kfk_produce and kfk_produce_batch: their records carry the C callback
// and the message's opaque as their Tag, and one produce response's
// reports arrive together, queued as they are (the queue gives rs back
// to the client once a poll has served them).
func (co *clientObj) deliveries(rs []client.Reports, routed int) {
	co.q.pushRun(co, rs, routed)
}

// goMessage views one kfk_message_t as a record for the length of the call
// (Produce copies what it keeps).
func (co *clientObj) goMessage(m *C.kfk_message_t) (client.Record, bool) {
	if m.topic == nil || m.partition < -1 {
		return client.Record{}, false
	}
	hs, ok := goHeaders(m.headers, m.header_count)
	key, keyOK := cView(m.key, m.key_len)
	value, valueOK := cView(m.value, m.value_len)
	if !ok || !keyOK || !valueOK {
		return client.Record{}, false
	}
	return client.Record{Topic: co.topic(m.topic), Partition: int32(m.partition), Headers: hs,
		Key: key, Value: value, Timestamp: int64(m.timestamp)}, true
}

// produceErrCode is why Produce refused a message; what core does not name
// is a bad argument.
func produceErrCode(err error) C.kfk_err_t {
	if code := errCode(err); code != C.KFK_ERR_INTERNAL {
		return code
	}
	return C.KFK_ERR_INVALID_ARG
}

// kfk_produce is kfk_produce_batch of one message, without the count
// (the call a producing loop makes per record: nothing on the heap).
//
//export kfkgo_produce
func kfkgo_produce(h C.uint64_t, m *C.kfk_message_t, cb C.uintptr_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	if m == nil {
		return C.KFK_ERR_INVALID_ARG
	}
	co, rc := lookupClient(h)
	if rc != C.KFK_OK {
		return rc
	}
	co.staged()
	if err := co.produceOne(m, nil, client.Tag{uintptr(cb), uintptr(m.opaque)}); err != nil {
		return produceErrCode(err)
	}
	if co.stage != nil && m.header_count == 0 { // the stage takes no headers
		co.stage.produced(co.topic(m.topic))
	}
	return C.KFK_OK
}

//export kfkgo_produce_batch
func kfkgo_produce_batch(h C.uint64_t, msgs *C.kfk_message_t, n C.size_t, cb C.uintptr_t, accepted *C.size_t) C.kfk_err_t {
	return produceEach(h, msgs, n, accepted, func(co *clientObj, _ int, m *C.kfk_message_t) (client.DeliveryFunc, client.Tag) {
		return nil, client.Tag{uintptr(cb), uintptr(m.opaque)} // reported through co.deliveries
	}, nil, nil)
}

// produceEach queues n messages; route says where each one's delivery
// report goes (a function, or the record's Tag). A message the library
// refuses stops the call with its code, unless refused (may be nil) is
// given: then it is told and the call goes on. *accepted gets how many
// were queued. done (may be nil) runs after the last one was offered.
func produceEach(h C.uint64_t, msgs *C.kfk_message_t, n C.size_t, accepted *C.size_t,
	route func(co *clientObj, i int, m *C.kfk_message_t) (client.DeliveryFunc, client.Tag),
	refused func(co *clientObj, i int, err error), done func(co *clientObj, queued int)) C.kfk_err_t {
	return producing(h, accepted, func(co *clientObj, count *int) C.kfk_err_t {
		if (msgs == nil && n > 0) || n > maxCount {
			return C.KFK_ERR_INVALID_ARG
		}
		if done != nil {
			defer func() { done(co, *count) }()
		}
		ms := unsafe.Slice(msgs, n)
		for i := range ms {
			m := &ms[i]
			done, tag := route(co, i, m)
			err := co.produceOne(m, done, tag)
			if err == nil {
				*count++
				continue
			}
			if refused == nil {
				return produceErrCode(err)
			}
			refused(co, i, err)
		}
		return C.KFK_OK
	})
}

// producing runs queue on the client of h, which counts in *count the
// records it queued; *accepted (may be NULL) gets that count whatever
// happens, a panic included.
func producing(h C.uint64_t, accepted *C.size_t, queue func(co *clientObj, count *int) C.kfk_err_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	count := 0
	if accepted != nil {
		defer func() { *accepted = C.size_t(count) }()
	}
	co, rc := lookupClient(h)
	if rc != C.KFK_OK {
		return rc
	}
	co.staged()
	return queue(co, &count)
}

// produceOne offers one message to the producer; its delivery report goes
// to done, or with the record's tag to the client's queue.
func (co *clientObj) produceOne(m *C.kfk_message_t, done client.DeliveryFunc, tag client.Tag) error {
	r, ok := co.goMessage(m)
	if !ok {
		return errorf(C.KFK_ERR_INVALID_ARG, "bad message: a NULL topic, a partition below -1, "+
			"or a NULL buffer with a non-zero length")
	}
	r.Tag = tag
	return co.c.Produce(r, done)
}

// kfk_produce_many: a message the library refuses (too large, a bad topic
// name, a full buffer) is listed in the one RESULT as failed; it does not
// stop the others, so none is lost silently.
//
//export kfkgo_produce_many
func kfkgo_produce_many(h C.uint64_t, msgs *C.kfk_message_t, n C.size_t, cb, opaque C.uintptr_t, accepted *C.size_t) C.kfk_err_t {
	var all *manyCompletion // made once the client is known
	completion := func(co *clientObj) *manyCompletion {
		if all == nil {
			all = newManyCompletion(co, cb, opaque)
		}
		return all
	}
	return produceEach(h, msgs, n, accepted, func(co *clientObj, i int, _ *C.kfk_message_t) (client.DeliveryFunc, client.Tag) {
		return completion(co).offered(i)
	}, func(co *clientObj, i int, err error) {
		completion(co).refused(i, err)
	}, func(co *clientObj, _ int) {
		completion(co).delivered(-1, nil)
	})
}

// manyCompletion counts the delivery reports of one kfk_produce_many or
// kfk_produce_values call and sends its RESULT after the last. left is 1
// for the call itself until every record was offered, plus one per record
// offered; every record shares one DeliveryFunc and is known by its index,
// carried as its tag, so offering a record allocates nothing.
type manyCompletion struct {
	co          *clientObj
	cb, opaque  C.uintptr_t
	left        atomic.Int64
	deliveredTo client.DeliveryFunc

	mu       sync.Mutex
	failed   []tree.Value
	firstErr error
}

func newManyCompletion(co *clientObj, cb, opaque C.uintptr_t) *manyCompletion {
	m := &manyCompletion{co: co, cb: cb, opaque: opaque}
	m.left.Store(1)
	m.deliveredTo = func(d client.Delivery) { m.delivered(int(d.Tag[0]), d.Err) }
	return m
}

// offered counts record i in and gives what to produce it with.
func (m *manyCompletion) offered(i int) (client.DeliveryFunc, client.Tag) {
	m.left.Add(1)
	return m.deliveredTo, client.Tag{uintptr(i)}
}

// refused records that the library refused record i after it was offered.
func (m *manyCompletion) refused(i int, err error) {
	m.delivered(i, errorf(produceErrCode(err), "%v", err))
}

// delivered records record i's outcome (i < 0: the call finished
// offering) and sends the RESULT after the last one.
func (m *manyCompletion) delivered(i int, err error) {
	if err != nil {
		m.mu.Lock()
		if m.firstErr == nil {
			m.firstErr = err
		}
		m.failed = append(m.failed, tree.M("index", tree.I(int64(i)), "error_code", tree.I(int64(errCode(err))),
			"error", tree.S(err.Error())))
		m.mu.Unlock()
	}
	if m.left.Add(-1) != 0 {
		return
	}
	m.mu.Lock() // every failure was recorded before its count went
	firstErr, failures := m.firstErr, m.failed
	m.mu.Unlock()
	var failed *tree.Value
	if len(failures) > 0 {
		list := tree.L(failures...)
		failed = &list
	}
	m.co.q.push(event{typ: C.KFK_EVENT_RESULT, err: firstErr, source: m.co.self, cb: uintptr(m.cb),
		opaque: uintptr(m.opaque), result: failed})
}

func timeoutArg(ms C.int) (time.Duration, bool) {
	if ms < 0 {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// timedCall runs a flush-like operation with its timeout and reports its
// completion as a RESULT event, a flush timeout as KFK_ERR_TIMED_OUT.
func timedCall(h C.uint64_t, timeoutMs C.int, cb, opaque C.uintptr_t, op func(co *clientObj, timeout time.Duration, done func(error))) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		timeout, ok := timeoutArg(timeoutMs)
		if !ok {
			return C.KFK_ERR_INVALID_ARG
		}
		result := co.resultCB(cb, opaque)
		op(co, timeout, func(err error) {
			if errors.Is(err, client.ErrFlushTimeout) {
				err = errorf(C.KFK_ERR_TIMED_OUT, "%v", err)
			}
			result(tree.Value{}, err)
		})
		return C.KFK_OK
	})
}

//export kfkgo_flush
func kfkgo_flush(h C.uint64_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return timedCall(h, timeoutMs, cb, opaque, func(co *clientObj, timeout time.Duration, done func(error)) {
		co.staged()
		co.c.Flush(timeout, done)
	})
}

//export kfkgo_purge
func kfkgo_purge(h C.uint64_t, flags C.int, purged *C.size_t) C.kfk_err_t {
	return clientCall(h, func(co *clientObj) C.kfk_err_t {
		if flags&^(C.KFK_PURGE_QUEUE|C.KFK_PURGE_INFLIGHT) != 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		var what client.PurgeFlags
		if flags&C.KFK_PURGE_QUEUE != 0 {
			what |= client.PurgeQueue
		}
		if flags&C.KFK_PURGE_INFLIGHT != 0 {
			what |= client.PurgeInFlight
		}
		co.staged()
		n := co.c.Purge(what)
		if purged != nil {
			*purged = C.size_t(n)
		}
		return C.KFK_OK
	})
}

//export kfkgo_client_close
func kfkgo_client_close(h C.uint64_t, timeoutMs C.int, cb, opaque C.uintptr_t) C.kfk_err_t {
	return timedCall(h, timeoutMs, cb, opaque, func(co *clientObj, timeout time.Duration, done func(error)) {
		if co.stage != nil {
			co.stage.close()
		}
		co.c.Close(timeout, done)
	})
}

//export kfkgo_client_destroy
func kfkgo_client_destroy(h C.uint64_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	if co, rc := lookupClient(h); rc == C.KFK_OK && co.stage != nil {
		co.stage.close() // before the handle's slot, and so its stage, can go to another client
	}
	obj, ok := handles.remove(handle(h), kindClient)
	if !ok {
		return C.KFK_ERR_INVALID_HANDLE
	}
	co := obj.(*clientObj)
	co.c.Close(-1, func(error) { // no flush: destroy does not wait
		if co.partitioner != nil {
			co.partitioner.release()
		}
	})
	co.q.users.Add(-1)
	return C.KFK_OK
}
