package main

/*
#include <stdlib.h>
#include "kfk.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"sync"
	"unsafe"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/kerr"
)

// localError is a library-side condition with its KFK_ERR_* code.
type localError struct {
	code C.kfk_err_t
	name string
	text string
}

// localErrors lists every negative code of kfk.h.
var localErrors = []localError{
	{C.KFK_ERR_INVALID_ARG, "KFK_ERR_INVALID_ARG", "invalid argument"},
	{C.KFK_ERR_INVALID_HANDLE, "KFK_ERR_INVALID_HANDLE", "invalid, destroyed or wrong-type handle"},
	{C.KFK_ERR_FORKED, "KFK_ERR_FORKED", "libkfk cannot be used in a child of fork(); load it after forking"},
	{C.KFK_ERR_REENTRANT, "KFK_ERR_REENTRANT", "kfk_poll called from inside a callback"},
	{C.KFK_ERR_TIMED_OUT, "KFK_ERR_TIMED_OUT", "timed out"},
	{C.KFK_ERR_DISCONNECTED, "KFK_ERR_DISCONNECTED", "disconnected"},
	{C.KFK_ERR_NOT_CONNECTED, "KFK_ERR_NOT_CONNECTED", "not connected"},
	{C.KFK_ERR_CONNECT, "KFK_ERR_CONNECT", "connection failed"},
	{C.KFK_ERR_TLS, "KFK_ERR_TLS", "TLS handshake or certificate verification failed"},
	{C.KFK_ERR_SASL, "KFK_ERR_SASL", "SASL authentication failed"},
	{C.KFK_ERR_PROTOCOL, "KFK_ERR_PROTOCOL", "malformed or unexpected data from the broker"},
	{C.KFK_ERR_UNSUPPORTED, "KFK_ERR_UNSUPPORTED", "the broker does not support a required API version"},
	{C.KFK_ERR_CONFIG, "KFK_ERR_CONFIG", "unknown configuration key or invalid value"},
	{C.KFK_ERR_CLOSED, "KFK_ERR_CLOSED", "the object is closed"},
	{C.KFK_ERR_INTERNAL, "KFK_ERR_INTERNAL", "internal error in libkfk (a bug; please report it)"},
	{C.KFK_ERR_QUEUE_FULL, "KFK_ERR_QUEUE_FULL", "a buffer limit was reached"},
	{C.KFK_ERR_STATE, "KFK_ERR_STATE", "the call is not valid in the object's current state"},
	{C.KFK_ERR_NO_BUFFER_SPACE, "KFK_ERR_NO_BUFFER_SPACE", "the supplied buffer is too small"},
	{C.KFK_ERR_PURGED_QUEUE, "KFK_ERR_PURGED_QUEUE", "purged before it was sent"},
	{C.KFK_ERR_PURGED_INFLIGHT, "KFK_ERR_PURGED_INFLIGHT", "purged after it was sent: it may have been written"},
}

// codedError carries an explicit code for conditions capi detects itself.
type codedError struct {
	code C.kfk_err_t
	msg  string
}

func (e *codedError) Error() string { return e.msg }

func errorf(code C.kfk_err_t, format string, args ...any) error {
	return &codedError{code, fmt.Sprintf(format, args...)}
}

// sentinelCodes maps core's sentinel errors to codes.
var sentinelCodes = []struct {
	err  error
	code C.kfk_err_t
}{
	{conn.ErrTimeout, C.KFK_ERR_TIMED_OUT},
	{conn.ErrNotConnected, C.KFK_ERR_NOT_CONNECTED},
	{conn.ErrDisconnected, C.KFK_ERR_DISCONNECTED},
	{conn.ErrClosedByPeer, C.KFK_ERR_DISCONNECTED},
	{conn.ErrConnect, C.KFK_ERR_CONNECT},
	{conn.ErrTLS, C.KFK_ERR_TLS},
	{conn.ErrSASL, C.KFK_ERR_SASL},
	{conn.ErrProtocol, C.KFK_ERR_PROTOCOL},
	{conn.ErrUnsupported, C.KFK_ERR_UNSUPPORTED},
	{client.ErrQueueFull, C.KFK_ERR_QUEUE_FULL},
	{client.ErrClosed, C.KFK_ERR_CLOSED},
	{client.ErrNoBroker, C.KFK_ERR_NOT_CONNECTED},
	{client.ErrDeliveryTimeout, C.KFK_ERR_TIMED_OUT},
	{client.ErrFlushTimeout, C.KFK_ERR_TIMED_OUT},
	{client.ErrRecordTooLarge, C.kfk_err_t(kerr.MessageTooLarge)},
	{client.ErrInvalidTopic, C.kfk_err_t(kerr.InvalidTopicException)},
	{client.ErrInvalidPartition, C.kfk_err_t(kerr.UnknownTopicOrPartition)},
	{client.ErrNotTransactional, C.KFK_ERR_STATE},
	{client.ErrNoTransaction, C.KFK_ERR_STATE},
	{client.ErrTxnInProgress, C.KFK_ERR_STATE},
	{client.ErrNotSubscribed, C.KFK_ERR_STATE},
	{client.ErrNotAssigned, C.KFK_ERR_STATE},
	{client.ErrNotShareSubscribed, C.KFK_ERR_STATE},
	{client.ErrImplicitAckMode, C.KFK_ERR_STATE},
	{client.ErrNotDelivered, C.KFK_ERR_STATE},
	{client.ErrInvalidAckType, C.KFK_ERR_INVALID_ARG},
	{client.ErrNoSASLCredentials, C.KFK_ERR_STATE},
	{client.ErrPurged, C.KFK_ERR_PURGED_QUEUE},
	{client.ErrPurgedInFlight, C.KFK_ERR_PURGED_INFLIGHT},
}

// errCode is the kfk_err_t for err: a Kafka error keeps its code.
func errCode(err error) C.kfk_err_t {
	if err == nil {
		return C.KFK_OK
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return C.kfk_err_t(ke.Code)
	}
	for _, s := range sentinelCodes {
		if errors.Is(err, s.err) {
			return s.code
		}
	}
	return C.KFK_ERR_INTERNAL
}

// recoverTo, deferred in every export, turns a panic into onPanic (an
// error code), so a bug in kfk fails the call instead of killing the host.
func recoverTo[T any](result *T, onPanic T) {
	if r := recover(); r != nil {
		debugPanic(r)
		*result = onPanic
	}
}

// panicTrace is set by the KFK_DEBUG_PANIC environment variable.
var panicTrace = os.Getenv("KFK_DEBUG_PANIC") != ""

// debugPanic prints a recovered panic when KFK_DEBUG_PANIC is set; a bug
// report needs the stack, but a library must not print unasked.
func debugPanic(r any) {
	if panicTrace {
		fmt.Printf("kfk: recovered panic: %v\n%s", r, debug.Stack())
	}
}

// cStrings caches C copies of the static name/description strings, so
// kfk_err_name and kfk_err_string can return memory that is never freed.
var cStrings sync.Map // string -> *C.char

func staticCString(s string) *C.char {
	if p, ok := cStrings.Load(s); ok {
		return p.(*C.char)
	}
	p, _ := cStrings.LoadOrStore(s, C.CString(s))
	return p.(*C.char)
}

// localCodeLimit is where local codes start; Kafka's own codes are above.
const localCodeLimit = -100

// unknownName and unknownText describe every code neither kfk.h nor
// Kafka's table lists (EV::Kafka's _error_name says UNKNOWN too).
const (
	unknownName = "UNKNOWN"
	unknownText = "an error code libkfk does not know"
)

// describe is the name, description and retriability of code. Codes are
// 32 bits wide: one outside Kafka's 16-bit range is unknown, never the
// Kafka code its low bits happen to spell.
func describe(code C.kfk_err_t) (name, text string, retriable bool) {
	switch {
	case code == C.KFK_OK:
		return "NONE", "success", false
	case code <= localCodeLimit:
		for _, l := range localErrors {
			if l.code == code {
				return l.name, l.text, false
			}
		}
	case code >= math.MinInt16 && code <= math.MaxInt16:
		if e, ok := kerr.Known(int16(code)); ok {
			return e.Name, e.Description, e.Retriable
		}
	}
	return unknownName, unknownText, false
}

//export kfkgo_err_name
func kfkgo_err_name(code C.kfk_err_t) *C.char {
	name, _, _ := describe(code)
	return staticCString(name)
}

//export kfkgo_err_string
func kfkgo_err_string(code C.kfk_err_t) *C.char {
	_, text, _ := describe(code)
	return staticCString(text)
}

//export kfkgo_err_retriable
func kfkgo_err_retriable(code C.kfk_err_t) C.int {
	if _, _, retriable := describe(code); retriable {
		return 1
	}
	return 0
}

//export kfkgo_err_codes
func kfkgo_err_codes(codes *C.kfk_err_t, n C.size_t) C.size_t {
	all := make([]C.kfk_err_t, 0, len(localErrors)+160)
	all = append(all, C.KFK_OK)
	for _, l := range localErrors {
		all = append(all, l.code)
	}
	for _, e := range kerr.All() {
		all = append(all, C.kfk_err_t(e.Code))
	}
	if codes != nil {
		copy(unsafe.Slice(codes, n), all)
	}
	return C.size_t(len(all))
}
