package main

/*
#include "kfk.h"
*/
import "C"

import (
	"crypto/tls"
	"time"
	"unsafe"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
)

// connObj is a kfk_conn_t: a core connection bound to its event queue.
type connObj struct {
	c    *conn.Conn
	q    *queue
	self handle

	handler eventHandler // connection-level events
}

func lookupConn(h C.uint64_t) (*connObj, C.kfk_err_t) {
	obj, ok := handles.get(handle(h), kindConn)
	if !ok {
		return nil, C.KFK_ERR_INVALID_HANDLE
	}
	return obj.(*connObj), C.KFK_OK
}

// notify queues a connection-level event for the current handler.
func (co *connObj) notify(typ C.int32_t, err error) {
	co.q.push(co.handler.event(event{typ: typ, err: err, source: co.self}))
}

// resultCB returns a connapi callback that queues a RESULT event.
func (co *connObj) resultCB(cb, opaque C.uintptr_t) connapi.Callback {
	return func(v tree.Value, err error) {
		co.q.push(event{typ: C.KFK_EVENT_RESULT, err: err, source: co.self,
			cb: uintptr(cb), opaque: uintptr(opaque), result: resultOf(v, err)})
	}
}

//export kfkgo_conn_new
func kfkgo_conn_new(qh C.uint64_t, out *C.uint64_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	q, rc := lookupQueue(qh)
	if rc != C.KFK_OK {
		return rc
	}
	if out == nil {
		return C.KFK_ERR_INVALID_ARG
	}
	co := &connObj{q: q}
	co.c = conn.New(conn.Options{}, conn.Handler{
		OnConnect:    func() { co.notify(C.KFK_EVENT_CONNECT, nil) },
		OnError:      func(err error) { co.notify(C.KFK_EVENT_ERROR, err) },
		OnDisconnect: func(err error) { co.notify(C.KFK_EVENT_DISCONNECT, err) },
	})
	co.self = handles.add(kindConn, co)
	q.users.Add(1)
	*out = C.uint64_t(co.self)
	return C.KFK_OK
}

//export kfkgo_conn_destroy
func kfkgo_conn_destroy(h C.uint64_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	obj, ok := handles.remove(handle(h), kindConn)
	if !ok {
		return C.KFK_ERR_INVALID_HANDLE
	}
	co := obj.(*connObj)
	co.c.Close()
	co.c.UpdateOptions(func(o *conn.Options) bool {
		endKerberos(o.SASL)
		return false
	})
	co.q.users.Add(-1)
	return C.KFK_OK
}

// endKerberos ends the Kerberos login of a connection's GSSAPI settings
// that are being replaced or destroyed (a connection has its own).
func endKerberos(s *conn.SASL) {
	if s != nil && s.Kerberos != nil {
		s.Kerberos.Close()
	}
}

//export kfkgo_conn_set_event_handler
func kfkgo_conn_set_event_handler(h C.uint64_t, cb, opaque C.uintptr_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupConn(h)
	if rc != C.KFK_OK {
		return rc
	}
	co.handler.set(uintptr(cb), uintptr(opaque))
	return C.KFK_OK
}

// updateOptions applies change to the connection's options.
func updateOptions(h C.uint64_t, change func(*conn.Options) C.kfk_err_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupConn(h)
	if rc != C.KFK_OK {
		return rc
	}
	co.c.UpdateOptions(func(o *conn.Options) bool {
		rc = change(o)
		return rc == C.KFK_OK
	})
	return rc
}

//export kfkgo_conn_set_client_id
func kfkgo_conn_set_client_id(h C.uint64_t, id *C.char) C.kfk_err_t {
	return updateOptions(h, func(o *conn.Options) C.kfk_err_t {
		if id == nil {
			return C.KFK_ERR_INVALID_ARG
		}
		o.ClientID = C.GoString(id)
		return C.KFK_OK
	})
}

//export kfkgo_conn_set_tls
func kfkgo_conn_set_tls(h C.uint64_t, enable C.int, caFile *C.char, skipVerify C.int, serverName *C.char) C.kfk_err_t {
	var cfg *tls.Config // read before the options are locked: it may load a CA file
	if enable != 0 {
		var err error
		if cfg, err = conn.TLSConfig(goStringOrEmpty(caFile), skipVerify != 0, goStringOrEmpty(serverName)); err != nil {
			return C.KFK_ERR_TLS
		}
	}
	return updateOptions(h, func(o *conn.Options) C.kfk_err_t {
		o.TLS = cfg
		return C.KFK_OK
	})
}

//export kfkgo_conn_set_sasl
func kfkgo_conn_set_sasl(h C.uint64_t, mech, user, pass *C.char) C.kfk_err_t {
	return updateOptions(h, func(o *conn.Options) C.kfk_err_t {
		old := o.SASL
		if mech == nil {
			o.SASL = nil
			endKerberos(old)
			return C.KFK_OK
		}
		m := C.GoString(mech)
		switch m {
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
			o.SASL = &conn.SASL{Mechanism: m, Username: goStringOrEmpty(user), Password: goStringOrEmpty(pass)}
		case conn.MechanismGSSAPI:
			// The username is the principal; the login is the
			// connection's own, kept across its reconnects, with the
			// settings of kfk_conn_set_kerberos.
			var k *conn.Kerberos
			if old != nil {
				k = old.Kerberos
			}
			k = k.Settings()
			k.Principal = goStringOrEmpty(user)
			o.SASL = &conn.SASL{Mechanism: m, Username: k.Principal, Password: goStringOrEmpty(pass), Kerberos: k}
		case conn.MechanismOAuthBearer:
			// A connection has no token source of its own: the
			// password is the bearer token, presented as it is.
			token := conn.OAuthToken{Value: goStringOrEmpty(pass)}
			if token.Value == "" {
				return C.KFK_ERR_INVALID_ARG
			}
			o.SASL = &conn.SASL{Mechanism: m, Token: func() (conn.OAuthToken, error) { return token, nil }}
		default:
			return C.KFK_ERR_INVALID_ARG
		}
		endKerberos(old)
		return C.KFK_OK
	})
}

//export kfkgo_conn_set_kerberos
func kfkgo_conn_set_kerberos(h C.uint64_t, service, keytab, config *C.char) C.kfk_err_t {
	return updateOptions(h, func(o *conn.Options) C.kfk_err_t {
		old := o.SASL
		if old == nil || old.Mechanism != conn.MechanismGSSAPI {
			return C.KFK_ERR_STATE
		}
		k := old.Kerberos.Settings()
		k.ServiceName, k.Keytab, k.ConfigFile = goStringOrEmpty(service), goStringOrEmpty(keytab), goStringOrEmpty(config)
		sasl := *old
		sasl.Kerberos = k
		o.SASL = &sasl
		endKerberos(old)
		return C.KFK_OK
	})
}

//export kfkgo_conn_set_auto_reconnect
func kfkgo_conn_set_auto_reconnect(h C.uint64_t, enable, delayMs C.int) C.kfk_err_t {
	return updateOptions(h, func(o *conn.Options) C.kfk_err_t {
		if delayMs < 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		o.AutoReconnect = enable != 0
		o.ReconnectDelay = time.Duration(delayMs) * time.Millisecond
		return C.KFK_OK
	})
}

//export kfkgo_conn_set_request_timeout
func kfkgo_conn_set_request_timeout(h C.uint64_t, timeoutMs C.int) C.kfk_err_t {
	return updateOptions(h, func(o *conn.Options) C.kfk_err_t {
		if timeoutMs <= 0 {
			return C.KFK_ERR_INVALID_ARG
		}
		o.RequestTimeout = time.Duration(timeoutMs) * time.Millisecond
		return C.KFK_OK
	})
}

//export kfkgo_conn_connect
func kfkgo_conn_connect(h C.uint64_t, host *C.char, port, timeoutMs C.int) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupConn(h)
	if rc != C.KFK_OK {
		return rc
	}
	if host == nil || *host == 0 || port <= 0 || port > 65535 || timeoutMs < 0 {
		return C.KFK_ERR_INVALID_ARG
	}
	if err := co.c.Connect(C.GoString(host), int(port), time.Duration(timeoutMs)*time.Millisecond); err != nil {
		return errCode(err)
	}
	return C.KFK_OK
}

//export kfkgo_conn_disconnect
func kfkgo_conn_disconnect(h C.uint64_t) (rc C.kfk_err_t) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, rc := lookupConn(h)
	if rc != C.KFK_OK {
		return rc
	}
	co.c.Disconnect()
	return C.KFK_OK
}

//export kfkgo_conn_state
func kfkgo_conn_state(h C.uint64_t) (st C.int) {
	defer recoverTo(&st, C.KFK_ERR_INTERNAL)
	co, rc := lookupConn(h)
	if rc != C.KFK_OK {
		return C.int(rc)
	}
	return C.int(co.c.State())
}

//export kfkgo_conn_pending
func kfkgo_conn_pending(h C.uint64_t) (n C.int64_t) {
	defer recoverTo(&n, C.KFK_ERR_INTERNAL)
	co, rc := lookupConn(h)
	if rc != C.KFK_OK {
		return C.int64_t(rc)
	}
	return C.int64_t(co.c.Pending())
}

//export kfkgo_conn_api_versions
func kfkgo_conn_api_versions(h C.uint64_t, out *C.int16_t, n C.size_t) (rc C.int) {
	defer recoverTo(&rc, C.KFK_ERR_INTERNAL)
	co, code := lookupConn(h)
	if code != C.KFK_OK {
		return C.int(code)
	}
	vers := co.c.APIVersions()
	if vers == nil {
		return C.KFK_ERR_NOT_CONNECTED
	}
	if n > maxCount {
		return C.KFK_ERR_INVALID_ARG
	}
	if out != nil {
		dst := unsafe.Slice(out, n)
		for i := range dst {
			dst[i] = -1
			if v, ok := vers[int16(i)]; ok {
				dst[i] = C.int16_t(v)
			}
		}
	}
	return C.int(len(vers))
}

func goStringOrEmpty(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

func goStringPtr(s *C.char) *string {
	if s == nil {
		return nil
	}
	v := C.GoString(s)
	return &v
}

// goStrings copies n C strings; it fails on a NULL entry.
func goStrings(p **C.char, n C.size_t) ([]string, bool) {
	if n == 0 {
		return []string{}, true
	}
	if p == nil || n > maxCount {
		return nil, false
	}
	out := make([]string, n)
	for i, s := range unsafe.Slice(p, n) {
		if s == nil {
			return nil, false
		}
		out[i] = C.GoString(s)
	}
	return out, true
}

// goStringPairs copies n key/value pairs of C strings (2n entries).
func goStringPairs(p **C.char, n C.size_t) ([]string, bool) {
	if n > maxCount/2 {
		return nil, false
	}
	return goStrings(p, 2*n)
}

// goTopicPartitions copies n kfk_topic_partition_t; topics must be set.
func goTopicPartitions(p *C.kfk_topic_partition_t, n C.size_t) ([]connapi.TopicPartition, bool) {
	if n == 0 {
		return nil, true
	}
	if p == nil || n > maxCount {
		return nil, false
	}
	out := make([]connapi.TopicPartition, n)
	for i, tp := range unsafe.Slice(p, n) {
		if tp.topic == nil {
			return nil, false
		}
		out[i] = connapi.TopicPartition{Topic: C.GoString(tp.topic), Partition: int32(tp.partition),
			Offset: int64(tp.offset), LeaderEpoch: int32(tp.leader_epoch), Metadata: goStringPtr(tp.metadata)}
	}
	return out, true
}
