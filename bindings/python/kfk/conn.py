"""Conn: one broker connection, the low-level API of EV::Kafka::Conn.

Every request returns a :class:`Request`. Pass ``callback=fn`` to have
``fn(result, error)`` run when the queue is polled, or call
``request.result(timeout)`` to wait for it (polling the queue meanwhile).
Results are the documented dicts; keys and values of records are bytes.
"""

from __future__ import annotations

import ctypes
import time
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from . import _ffi
from .errors import KafkaError, check
from .queue import EventQueue

Bytes = Union[bytes, bytearray, memoryview, str, None]
Callback = Callable[[Any, Optional[KafkaError]], None]

# Connection states (Conn.state).
DISCONNECTED, RESOLVING, CONNECTING, TLS, HANDSHAKE, AUTH, READY = (
    _ffi.CONN_DISCONNECTED, _ffi.CONN_RESOLVING, _ffi.CONN_CONNECTING, _ffi.CONN_TLS, _ffi.CONN_HANDSHAKE,
    _ffi.CONN_AUTH, _ffi.CONN_READY)


def _b(value: Bytes, what: str = "value") -> Optional[bytes]:
    """Bytes for the C side; str is encoded as UTF-8, None stays null."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes, str or None, not {type(value).__name__}")


def _s(value: Optional[str], what: str) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value.encode()


def _timestamp(ts: Optional[int]) -> int:
    """A record's timestamp for the C side: milliseconds since the epoch,
    0 included; None or a negative value means now (-1)."""
    if ts is None:
        return -1
    ts = int(ts)
    return ts if ts >= 0 else -1


def _str_array(items: Iterable[str], what: str) -> tuple[Any, int]:
    encoded = [_s(x, what) for x in items]
    return (ctypes.c_char_p * max(len(encoded), 1))(*encoded), len(encoded)


def _tp_array(entries: Sequence[Mapping[str, Any]]) -> tuple[Any, int]:
    arr = (_ffi.TopicPartition * max(len(entries), 1))()
    for i, e in enumerate(entries):
        arr[i].topic = _s(e["topic"], "topic")
        arr[i].partition = int(e.get("partition", 0))
        arr[i].leader_epoch = int(e.get("leader_epoch", -1))
        arr[i].offset = int(e.get("offset", 0))
        arr[i].metadata = _s(e.get("metadata"), "metadata")
    return arr, len(entries)


def _new_topic_array(topics: Sequence[Mapping[str, Any]]) -> tuple[Any, int, list]:
    """kfk_new_topic_t[] for [{name, num_partitions, replication_factor,
    config}]; the list returned keeps the config arrays alive."""
    arr = (_ffi.NewTopic * max(len(topics), 1))()
    keep = []
    for i, t in enumerate(topics):
        config = t.get("config") or {}
        kv = (ctypes.c_char_p * max(2 * len(config), 1))(*[_s(x, "config") for kv in config.items() for x in kv])
        keep.append(kv)
        arr[i].name = _s(t["name"], "name")
        arr[i].num_partitions = int(t.get("num_partitions", -1))
        arr[i].replication_factor = int(t.get("replication_factor", -1))
        arr[i].config, arr[i].config_n = kv, len(config)
    return arr, len(topics), keep


def _headers(headers: Any) -> tuple[Any, int, list]:
    if not headers:
        return None, 0, []
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    arr = (_ffi.HeaderIn * len(pairs))()
    keep = []
    for i, (k, v) in enumerate(pairs):
        kb, vb = _b(k, "header key") or b"", _b(v, "header value")
        fv = _ffi.fixed(vb)
        keep += [kb, fv]
        arr[i].key, arr[i].key_len = kb, len(kb)
        arr[i].value, arr[i].value_len = fv, len(vb or b"")
    return arr, len(pairs), keep


def send_request(queue: "EventQueue", fn: Callable[..., int], handle: int, *args: Any,
                 callback: Optional[Callable] = None) -> "Request":
    """Call fn(handle, *args, NULL callback, tag) and return the Request its
    RESULT event completes; a refused call raises KafkaError."""
    req = Request(queue, callback)
    tag = queue.register(req._complete)
    code = fn(handle, *args, None, tag)
    if code:
        queue.forget(tag)
        raise KafkaError(code)
    return req


class Request:
    """A request in flight. ``result()`` waits for it by polling the queue."""

    __slots__ = ("_queue", "done", "value", "error", "_callback")

    def __init__(self, queue: EventQueue, callback: Optional[Callback]) -> None:
        self._queue = queue
        self._callback = callback
        self.done = False
        self.value: Any = None
        self.error: Optional[KafkaError] = None

    def _complete(self, result: Any, error: Optional[KafkaError]) -> None:
        self.done, self.value, self.error = True, result, error
        if self._callback is not None:
            self._callback(result, error)

    def result(self, timeout: Optional[float] = 30.0) -> Any:
        """Wait for completion; return the result or raise its KafkaError."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise KafkaError(_ffi.ERR_TIMED_OUT, "the request did not complete in time")
            self._queue.poll(left if left is None or left < 0.1 else 0.1)
        if self.error is not None:
            raise self.error
        return self.value


class Conn:
    """A connection to one broker. Connection events call ``on_connect()``,
    ``on_error(error)`` and ``on_disconnect(error)`` when set."""

    def __init__(self, queue: Optional[EventQueue] = None, *, client_id: Optional[str] = None,
                 on_connect: Optional[Callable[[], None]] = None,
                 on_error: Optional[Callable[[KafkaError], None]] = None,
                 on_disconnect: Optional[Callable[[Optional[KafkaError]], None]] = None) -> None:
        self.queue = queue if queue is not None else EventQueue()
        self._lib = _ffi.lib()
        self.on_connect, self.on_error, self.on_disconnect = on_connect, on_error, on_disconnect
        self._connect_result: Optional[Request] = None
        handle = ctypes.c_void_p()
        check(self._lib.kfk_conn_new(self.queue.handle, ctypes.byref(handle)), "kfk_conn_new")
        self._handle: Optional[int] = handle.value
        self.queue.attached += 1
        self._events_tag = self.queue.register(self._on_event, persistent=True)
        check(self._lib.kfk_conn_set_event_handler(self._handle, None, self._events_tag))
        if client_id is not None:
            self.client_id(client_id)

    # -- lifecycle ----------------------------------------------------------

    @property
    def handle(self) -> int:
        self.queue._check()
        if self._handle is None:
            raise KafkaError(_ffi.ERR_CLOSED, "the connection is closed")
        return self._handle

    def _on_event(self, kind: int, result: Any, error: Optional[KafkaError]) -> None:
        pending, self._connect_result = self._connect_result, None
        if kind == _ffi.EVENT_CONNECT:
            if pending:
                pending._complete(True, None)
            if self.on_connect:
                self.on_connect()
        elif kind == _ffi.EVENT_ERROR:
            if pending:
                pending._complete(None, error)
            if self.on_error:
                self.on_error(error)  # type: ignore[arg-type]
        elif kind == _ffi.EVENT_DISCONNECT and self.on_disconnect:
            self.on_disconnect(error)

    def connect(self, host: str, port: int, timeout: float = 5.0) -> Request:
        """Start connecting; ``.result()`` waits until ready (or raises)."""
        if not isinstance(port, int) or isinstance(port, bool):
            raise TypeError("port must be an int")
        req = Request(self.queue, None)
        self._connect_result = req
        check(self._lib.kfk_conn_connect(self.handle, _s(host, "host"), port, int(timeout * 1000)), "connect")
        return req

    def disconnect(self) -> None:
        check(self._lib.kfk_conn_disconnect(self.handle), "disconnect")

    def close(self) -> None:
        """Disconnect and free the connection (pending requests fail)."""
        if self._handle is None:
            return
        if self.queue._pid == _ffi.current_pid():
            self._lib.kfk_conn_destroy(self._handle)
        self._handle = None
        self.queue.attached -= 1

    def __enter__(self) -> "Conn":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    @property
    def connected(self) -> bool:
        return self._lib.kfk_conn_connected(self.handle) == 1

    @property
    def state(self) -> int:
        return self._lib.kfk_conn_state(self.handle)

    @property
    def pending(self) -> int:
        return self._lib.kfk_conn_pending(self.handle)

    def api_versions(self) -> Optional[dict[int, int]]:
        """Broker's max version per API key, or None before the handshake."""
        arr = (ctypes.c_int16 * 128)()
        n = self._lib.kfk_conn_api_versions(self.handle, arr, 128)
        if n < 0:
            return None
        return {k: v for k, v in enumerate(arr) if v >= 0}

    # -- settings -----------------------------------------------------------

    def client_id(self, client_id: str) -> None:
        check(self._lib.kfk_conn_set_client_id(self.handle, _s(client_id, "client_id")), "client_id")

    def tls(self, enable: bool = True, ca_file: Optional[str] = None, skip_verify: bool = False,
            server_name: Optional[str] = None) -> None:
        check(self._lib.kfk_conn_set_tls(self.handle, int(bool(enable)), _s(ca_file, "ca_file"),
                                         int(bool(skip_verify)), _s(server_name, "server_name")), "tls")

    def sasl(self, mechanism: Optional[str], username: Optional[str] = None,
             password: Optional[str] = None) -> None:
        check(self._lib.kfk_conn_set_sasl(self.handle, _s(mechanism, "mechanism"), _s(username, "username"),
                                          _s(password, "password")), "sasl")

    def kerberos(self, service_name: Optional[str] = None, keytab: Optional[str] = None,
                 config: Optional[str] = None) -> None:
        """GSSAPI, after sasl("GSSAPI", principal, password): the brokers'
        service ("kafka"), a keytab to log in with, the krb5.conf (see
        kfk_conn_set_kerberos)."""
        check(self._lib.kfk_conn_set_kerberos(self.handle, _s(service_name, "service_name"), _s(keytab, "keytab"),
                                              _s(config, "config")), "kerberos")

    def auto_reconnect(self, enable: bool = True, delay_ms: int = 1000) -> None:
        check(self._lib.kfk_conn_set_auto_reconnect(self.handle, int(bool(enable)), int(delay_ms)),
              "auto_reconnect")

    # -- requests -----------------------------------------------------------

    def _request(self, fn: Callable[..., int], *args: Any, callback: Optional[Callback] = None) -> Request:
        return send_request(self.queue, fn, self.handle, *args, callback=callback)

    def metadata(self, topics: Optional[Sequence[str]] = None, callback: Optional[Callback] = None) -> Request:
        if topics is None:
            return self._request(self._lib.kfk_conn_metadata, None, -1, callback=callback)
        arr, n = _str_array(topics, "topic")
        return self._request(self._lib.kfk_conn_metadata, arr, n, callback=callback)

    def produce(self, topic: str, partition: int, key: Bytes, value: Bytes, *,
                headers: Any = None, timestamp: Optional[int] = None, acks: int = 1,
                compression: Optional[str] = None, callback: Optional[Callback] = None) -> Request:
        """Produce one record; timestamp in ms since the epoch (0 is a
        time), None or negative for now."""
        record = {"key": key, "value": value, "headers": headers, "timestamp": timestamp}
        return self.produce_batch(topic, partition, [record], acks=acks, compression=compression,
                                  callback=callback)

    def produce_batch(self, topic: str, partition: int, records: Sequence[Mapping[str, Any]], *,
                      acks: int = 1, compression: Optional[str] = None, producer_id: int = -1,
                      producer_epoch: int = -1, base_sequence: int = -1,
                      transactional_id: Optional[str] = None, timeout_ms: int = 30000,
                      callback: Optional[Callback] = None) -> Request:
        if not records:
            raise ValueError("produce_batch needs at least one record")
        arr = (_ffi.Record * len(records))()
        keep: list = []
        for i, r in enumerate(records):
            key, value = _b(r.get("key"), "key"), _b(r.get("value"), "value")
            hdrs, nh, hkeep = _headers(r.get("headers"))
            keep += [key, value, hdrs, hkeep]
            arr[i].key, arr[i].key_len = key, len(key or b"")
            arr[i].value, arr[i].value_len = value, len(value or b"")
            arr[i].headers, arr[i].header_count = hdrs, nh
            arr[i].timestamp = _timestamp(r.get("timestamp"))
        opts = _ffi.ProduceOpts()
        self._lib.kfk_produce_opts_init(ctypes.byref(opts))
        opts.acks, opts.timeout_ms = int(acks), int(timeout_ms)
        opts.compression = _s(compression, "compression")
        opts.producer_id, opts.producer_epoch, opts.base_sequence = producer_id, producer_epoch, base_sequence
        opts.transactional_id = _s(transactional_id, "transactional_id")
        return self._request(self._lib.kfk_conn_produce_batch, _s(topic, "topic"), int(partition), arr,
                             len(records), ctypes.byref(opts), callback=callback)

    def fetch(self, topic: str, partition: int, offset: int, *, callback: Optional[Callback] = None,
              **opts: int) -> Request:
        return self.fetch_multi({topic: [{"partition": partition, "offset": offset}]}, callback=callback, **opts)

    def fetch_multi(self, topics: Mapping[str, Sequence[Mapping[str, int]]], *,
                    max_bytes: int = 1048576, max_wait_ms: int = 500, min_bytes: int = 1,
                    isolation_level: int = 0, callback: Optional[Callback] = None) -> Request:
        entries = [{"topic": t, **p} for t, parts in topics.items() for p in parts]
        arr, n = _tp_array(entries)
        opts = _ffi.FetchOpts(max_bytes, max_wait_ms, min_bytes, isolation_level)
        return self._request(self._lib.kfk_conn_fetch, arr, n, ctypes.byref(opts), callback=callback)

    def list_offsets(self, topic: str, partition: int, timestamp: int,
                     callback: Optional[Callback] = None) -> Request:
        return self._request(self._lib.kfk_conn_list_offsets, _s(topic, "topic"), int(partition), int(timestamp),
                             callback=callback)

    def find_coordinator(self, key: str, key_type: int = 0, callback: Optional[Callback] = None) -> Request:
        return self._request(self._lib.kfk_conn_find_coordinator, _s(key, "key"), int(key_type), callback=callback)

    def join_group(self, group_id: str, member_id: str, topics: Sequence[str], *,
                   session_timeout_ms: int = 30000, rebalance_timeout_ms: int = 60000,
                   group_instance_id: Optional[str] = None, callback: Optional[Callback] = None) -> Request:
        arr, n = _str_array(topics, "topic")
        return self._request(self._lib.kfk_conn_join_group, _s(group_id, "group_id"), _s(member_id, "member_id"),
                             arr, n, session_timeout_ms, rebalance_timeout_ms,
                             _s(group_instance_id, "group_instance_id"), callback=callback)

    def sync_group(self, group_id: str, generation_id: int, member_id: str,
                   assignments: Mapping[str, Mapping[str, Sequence[int]]] = {}, *,
                   group_instance_id: Optional[str] = None, callback: Optional[Callback] = None) -> Request:
        arr = (_ffi.MemberAssignment * max(len(assignments), 1))()
        keep = []
        for i, (member, topics) in enumerate(assignments.items()):
            tps, n = _tp_array([{"topic": t, "partition": p} for t, ps in topics.items() for p in ps])
            keep.append(tps)
            arr[i].member_id, arr[i].partitions, arr[i].n = _s(member, "member_id"), tps, n
        return self._request(self._lib.kfk_conn_sync_group, _s(group_id, "group_id"), int(generation_id),
                             _s(member_id, "member_id"), arr, len(assignments),
                             _s(group_instance_id, "group_instance_id"), callback=callback)

    def heartbeat(self, group_id: str, generation_id: int, member_id: str, *,
                  group_instance_id: Optional[str] = None, callback: Optional[Callback] = None) -> Request:
        return self._request(self._lib.kfk_conn_heartbeat, _s(group_id, "group_id"), int(generation_id),
                             _s(member_id, "member_id"), _s(group_instance_id, "group_instance_id"),
                             callback=callback)

    def leave_group(self, group_id: str, member_id: str, *, group_instance_id: Optional[str] = None,
                    callback: Optional[Callback] = None) -> Request:
        return self._request(self._lib.kfk_conn_leave_group, _s(group_id, "group_id"), _s(member_id, "member_id"),
                             _s(group_instance_id, "group_instance_id"), callback=callback)

    def offset_commit(self, group_id: str, generation_id: int, member_id: str,
                      offsets: Sequence[Mapping[str, Any]], callback: Optional[Callback] = None) -> Request:
        arr, n = _tp_array(offsets)
        return self._request(self._lib.kfk_conn_offset_commit, _s(group_id, "group_id"), int(generation_id),
                             _s(member_id, "member_id"), arr, n, callback=callback)

    def offset_fetch(self, group_id: str, topics: Sequence[str] = (),
                     callback: Optional[Callback] = None) -> Request:
        arr, n = _str_array(topics, "topic")
        return self._request(self._lib.kfk_conn_offset_fetch, _s(group_id, "group_id"), arr, n, callback=callback)

    def create_topics(self, topics: Sequence[Mapping[str, Any]], timeout_ms: int = 30000,
                      callback: Optional[Callback] = None) -> Request:
        arr, n, _keep = _new_topic_array(topics)
        return self._request(self._lib.kfk_conn_create_topics, arr, n, int(timeout_ms), callback=callback)

    def delete_topics(self, names: Sequence[str], timeout_ms: int = 30000,
                      callback: Optional[Callback] = None) -> Request:
        arr, n = _str_array(names, "topic")
        return self._request(self._lib.kfk_conn_delete_topics, arr, n, int(timeout_ms), callback=callback)

    def init_producer_id(self, transactional_id: Optional[str] = None, txn_timeout_ms: int = 60000,
                         callback: Optional[Callback] = None) -> Request:
        return self._request(self._lib.kfk_conn_init_producer_id, _s(transactional_id, "transactional_id"),
                             int(txn_timeout_ms), callback=callback)

    def add_partitions_to_txn(self, transactional_id: str, producer_id: int, producer_epoch: int,
                              partitions: Sequence[Mapping[str, Any]],
                              callback: Optional[Callback] = None) -> Request:
        arr, n = _tp_array(partitions)
        return self._request(self._lib.kfk_conn_add_partitions_to_txn, _s(transactional_id, "transactional_id"),
                             int(producer_id), int(producer_epoch), arr, n, callback=callback)

    def add_offsets_to_txn(self, transactional_id: str, producer_id: int, producer_epoch: int, group_id: str,
                           callback: Optional[Callback] = None) -> Request:
        return self._request(self._lib.kfk_conn_add_offsets_to_txn, _s(transactional_id, "transactional_id"),
                             int(producer_id), int(producer_epoch), _s(group_id, "group_id"), callback=callback)

    def end_txn(self, transactional_id: str, producer_id: int, producer_epoch: int, committed: bool,
                callback: Optional[Callback] = None) -> Request:
        return self._request(self._lib.kfk_conn_end_txn, _s(transactional_id, "transactional_id"),
                             int(producer_id), int(producer_epoch), int(bool(committed)), callback=callback)

    def txn_offset_commit(self, transactional_id: str, group_id: str, producer_id: int, producer_epoch: int,
                          generation_id: int, member_id: Optional[str], offsets: Sequence[Mapping[str, Any]],
                          callback: Optional[Callback] = None) -> Request:
        arr, n = _tp_array(offsets)
        return self._request(self._lib.kfk_conn_txn_offset_commit, _s(transactional_id, "transactional_id"),
                             _s(group_id, "group_id"), int(producer_id), int(producer_epoch), int(generation_id),
                             _s(member_id, "member_id"), arr, n, callback=callback)

    def raw_request(self, api_key: int, api_version: int, body: bytes = b"",
                    callback: Optional[Callback] = None) -> Request:
        data = _b(body, "body") or b""
        return self._request(self._lib.kfk_conn_raw_request, int(api_key), int(api_version), data, len(data),
                             callback=callback)
