"""Client: a Kafka cluster — metadata, routing and the producer.

    with kfk.Client(brokers="127.0.0.1:9092", linger_ms=5) as client:
        client.connect()
        client.produce("topic", b"value", key=b"key").result()
        client.flush()

Options are kfk's names (``brokers``, ``acks``, ``linger_ms``,
``compression``...; the librdkafka/Java spellings work too), given as
keyword arguments or a dict (for dotted names). A bad option raises
KafkaError naming it.

Logs go to the ``logging`` logger ``kfk`` (or ``logger=``): the library's
``log_level`` (default warn) and ``debug`` options choose what it sends.
With ``statistics_interval_ms`` set, ``on_stats`` gets each statistics
document as a dict (fields: docs/STATISTICS.md).
"""

from __future__ import annotations

import ctypes
import json
import logging
import threading
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from . import _ffi
from .conn import (Bytes, Request, _b, _headers, _new_topic_array, _s, _str_array, _timestamp, _tp_array,
                   send_request)
from .errors import KafkaError, check
from .queue import EventQueue

DeliveryCallback = Callable[[Optional[dict], Optional[KafkaError]], None]

# kfk's log levels (syslog numbers) as logging's.
_LOG_LEVELS = {_ffi.LOG_ERROR: logging.ERROR, _ffi.LOG_WARN: logging.WARNING, _ffi.LOG_INFO: logging.INFO,
               _ffi.LOG_DEBUG: logging.DEBUG}


class Client:
    """A cluster client. Delivery reports and results arrive through the
    queue: ``Request.result()`` polls it, or call ``poll()`` /
    watch ``queue.fileno()`` in an event loop."""

    def __init__(self, config: Optional[Mapping[str, Any]] = None, *, queue: Optional[EventQueue] = None,
                 on_error: Optional[Callable[[KafkaError], None]] = None,
                 partitioner: Optional[Callable[[str, Optional[bytes], int], int]] = None,
                 logger: Optional[logging.Logger] = None, on_stats: Optional[Callable[[dict], None]] = None,
                 **options: Any) -> None:
        """partitioner(topic, key, partition_count) -> partition, when given,
        chooses the partition of records produced without one; it runs in
        the producing thread."""
        self.queue = queue if queue is not None else EventQueue()
        self._lib = _ffi.lib()
        self.on_error = on_error
        self.logger = logger or logging.getLogger("kfk")
        self.on_stats = on_stats
        self._partitioner = partitioner
        self._scratch = threading.local()
        conf = ctypes.c_void_p()
        check(self._lib.kfk_conf_new(ctypes.byref(conf)), "kfk_conf_new")
        err = ctypes.create_string_buffer(512)
        try:
            for key, value in {**(config or {}), **options}.items():
                if isinstance(value, bool):
                    value = int(value)
                code = self._lib.kfk_conf_set(conf, _s(str(key), "key"), _s(str(value), "value"), err, 512)
                if code:
                    raise KafkaError(code, err.value.decode())
            handle = ctypes.c_void_p()
            code = self._lib.kfk_client_new(self.queue.handle, conf, ctypes.byref(handle), err, 512)
            if code:
                raise KafkaError(code, err.value.decode())
        finally:
            self._lib.kfk_conf_destroy(conf)
        self._handle: Optional[int] = handle.value
        self.queue.attached += 1
        self._events_tag = self.queue.register(self._on_event, persistent=True)
        self._lib.kfk_client_set_event_handler(self._handle, None, self._events_tag)

    @property
    def handle(self) -> int:
        self.queue._check()
        if self._handle is None:
            raise KafkaError(_ffi.ERR_CLOSED, "the client is closed")
        return self._handle

    def _on_event(self, kind: int, result: Any, error: Optional[KafkaError]) -> None:
        if kind == _ffi.EVENT_ERROR and self.on_error and error is not None:
            self.on_error(error)
        elif kind == _ffi.EVENT_LOG:
            level = _LOG_LEVELS.get(result["level"], logging.INFO)
            if self.logger.isEnabledFor(level):
                self.logger.log(level, "%s: %s", result["context"], result["message"],
                                extra={"kfk_context": result["context"]})
        elif kind == _ffi.EVENT_STATS and self.on_stats:
            self.on_stats(json.loads(result))

    def _request(self, fn: Callable[..., int], *args: Any, callback: Optional[Callable] = None) -> Request:
        return send_request(self.queue, fn, self.handle, *args, callback=callback)

    def connect(self, callback: Optional[Callable] = None) -> Any:
        """Fetch cluster metadata; returns it (or, with a callback, a Request)."""
        req = self._request(self._lib.kfk_client_connect, callback=callback)
        return req if callback else req.result()

    def metadata(self, topics: Sequence[str] = (), callback: Optional[Callable] = None) -> Request:
        arr, n = _str_array(topics, "topic")
        return self._request(self._lib.kfk_client_metadata, arr, n, callback=callback)

    def partition_count(self, topic: str) -> int:
        """Partitions of topic per the client's metadata, -1 when unknown."""
        return self._lib.kfk_client_partition_count(self.handle, _s(topic, "topic"))

    def _partition_for(self, topic: str, key: Optional[bytes]) -> int:
        """The custom partitioner's choice, fetching the topic's metadata
        first when its partition count is not known yet."""
        n = self.partition_count(topic)
        if n < 0:
            self.metadata([topic]).result()
            n = self.partition_count(topic)
        if n < 0:
            raise KafkaError(_ffi.UNKNOWN_TOPIC_OR_PARTITION, f"no partition count for topic {topic!r}")
        return int(self._partitioner(topic, key, n))

    def _fill(self, msg: "_ffi.MessageIn", topic: str, value: Bytes, key: Bytes, partition: int, headers: Any,
              timestamp: Optional[int]) -> Any:
        """Fills msg's fields in place (filling costs half of building a
        new struct); returns the header buffers msg points to, which the
        caller keeps alive until the library has copied them."""
        k, v = _b(key, "key"), _b(value, "value")
        if partition == -1 and self._partitioner is not None:
            partition = self._partition_for(topic, k)
        hdrs, nh, hkeep = _headers(headers)
        msg.topic = _s(topic, "topic")
        msg.partition = int(partition)
        msg.timestamp = _timestamp(timestamp)
        msg.key, msg.key_len = k, len(k) if k is not None else 0
        msg.value, msg.value_len = v, len(v) if v is not None else 0
        msg.headers, msg.header_count = hdrs, nh
        return hkeep

    def produce(self, topic: str, value: Bytes, key: Bytes = None, *, partition: int = -1, headers: Any = None,
                timestamp: Optional[int] = None, callback: Optional[DeliveryCallback] = None) -> Request:
        """Queue one record. timestamp is in ms since the epoch (0 is a
        time); None or negative means now. The Request's result is the
        delivery report {topic, partition, offset, timestamp,
        timestamp_type}; KafkaError if it failed."""
        handle = self.handle
        # One kfk_message_t per thread, refilled: the library copies it
        # during the call.
        msg = getattr(self._scratch, "msg", None)
        if msg is None:
            msg = self._scratch.msg = _ffi.MessageIn()
        headers_alive = self._fill(msg, topic, value, key, partition, headers, timestamp)  # until the call returns
        req = Request(self.queue, callback)
        msg.opaque = tag = self.queue.register(req._complete)
        code = self._lib.kfk_produce(handle, ctypes.byref(msg), None)
        if code:
            self.queue.forget(tag)
            raise KafkaError(code)
        return req

    def produce_many(self, records: Iterable[Mapping[str, Any]],
                     callback: Optional[Callable[[Optional[list]], None]] = None) -> list[Request]:
        """Queue many records in one call to the library. Each record is a
        dict with topic, value and optionally key, partition, headers,
        timestamp. callback(errors or None) runs once all are reported."""
        records = list(records)
        reqs = [Request(self.queue, None) for _ in records]
        errors: list = []
        left = [len(records)]

        def each(req: Request) -> Callable:
            def done(kind: int, result: Any, error: Optional[KafkaError]) -> None:
                req._complete(kind, result, error)
                if error is not None:
                    errors.append(error)
                left[0] -= 1
                if left[0] == 0 and callback is not None:
                    callback(errors or None)
            return done

        arr = (_ffi.MessageIn * max(len(records), 1))()
        keep = [self._fill(arr[i], r["topic"], r.get("value"), r.get("key"), r.get("partition", -1),
                           r.get("headers"), r.get("timestamp")) for i, r in enumerate(records)]
        tags = [self.queue.register(each(req)) for req in reqs]
        for i, tag in enumerate(tags):
            arr[i].opaque = tag
        accepted = ctypes.c_size_t()
        code = self._lib.kfk_produce_batch(self.handle, arr, len(records), None, ctypes.byref(accepted))
        if code:
            for tag in tags[accepted.value:]:
                self.queue.forget(tag)
            raise KafkaError(code, f"{accepted.value} of {len(records)} records were queued")
        return reqs

    # -- consuming -------------------------------------------------------

    def assign(self, partitions: Sequence[Mapping[str, Any]]) -> None:
        """Consume these partitions: [{topic, partition, offset}], offset
        OFFSET_EARLIEST (-2), OFFSET_LATEST (-1, the default) or an offset."""
        arr, n = _tp_array([{**p, "offset": p.get("offset", _ffi.OFFSET_LATEST)} for p in partitions])
        check(self._lib.kfk_assign(self.handle, arr, n), "assign")

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Move a partition's position (OFFSET_EARLIEST, OFFSET_LATEST or an offset) and wait."""
        self._request(self._lib.kfk_seek, _s(topic, "topic"), int(partition), int(offset)).result()

    def consume(self, timeout: float = 1.0) -> list:
        """Fetched messages (a list of Message), waiting up to about the
        broker's fetch wait when none are ready yet."""
        messages: list = []
        done = Request(self.queue, None)

        def on_event(kind: int, result: Any, error: Optional[KafkaError]) -> None:
            if kind == _ffi.EVENT_MESSAGE:
                messages.append(result)
            else:
                self.queue.forget(tag)
                done._complete(kind, result, error)

        tag = self.queue.register(on_event, persistent=True)
        code = self._lib.kfk_consume(self.handle, None, tag)
        if code:
            self.queue.forget(tag)
            raise KafkaError(code)
        done.result(max(timeout, 0) + 30)
        return messages

    def offsets_for(self, topic: str) -> dict:
        """{partition: {"earliest": n, "latest": m}} for every partition."""
        res = self._request(self._lib.kfk_offsets_for, _s(topic, "topic")).result()
        return {int(p): v for p, v in res.items()}

    def lag(self) -> dict:
        """{"topic:partition": {"current", "latest", "lag"}} for the assignment."""
        return self._request(self._lib.kfk_lag).result()

    # -- admin -----------------------------------------------------------
    # Each returns its result, or with a callback a Request. Calls about
    # several resources report an error_code per resource in the result;
    # alter_topic_configs and create_partitions raise the broker's refusal.

    def _admin(self, fn: Callable[..., int], *args: Any, callback: Optional[Callable] = None) -> Any:
        req = self._request(fn, *args, callback=callback)
        return req if callback else req.result()

    def create_topics(self, topics: Sequence[Mapping[str, Any]], timeout_ms: int = 30000,
                      callback: Optional[Callable] = None) -> Any:
        """[{name, num_partitions, replication_factor, config: {k: v}}] ->
        {"topics": [{name, error_code, error_message}]}."""
        arr, n, _keep = _new_topic_array(topics)
        return self._admin(self._lib.kfk_admin_create_topics, arr, n, int(timeout_ms), callback=callback)

    def delete_topics(self, names: Sequence[str], timeout_ms: int = 30000, callback: Optional[Callable] = None) -> Any:
        """{"topics": [{name, error_code, error_message}]}."""
        arr, n = _str_array(names, "topic")
        return self._admin(self._lib.kfk_admin_delete_topics, arr, n, int(timeout_ms), callback=callback)

    def describe_cluster(self, callback: Optional[Callable] = None) -> Any:
        """{cluster_id, controller_id, brokers: [{node_id, host, port, rack}]}."""
        return self._admin(self._lib.kfk_admin_describe_cluster, callback=callback)

    def list_groups(self, callback: Optional[Callable] = None) -> Any:
        """{"groups": [{group_id, protocol_type, state, type}]}."""
        return self._admin(self._lib.kfk_admin_list_groups, callback=callback)

    def describe_groups(self, group_ids: Sequence[str], callback: Optional[Callable] = None) -> Any:
        """{"groups": [{group_id, error_code, state, protocol_type, protocol,
        members: [{member_id, group_instance_id, client_id, client_host,
        assignment: {topic: [partitions]}}]}]}."""
        arr, n = _str_array(group_ids, "group_id")
        return self._admin(self._lib.kfk_admin_describe_groups, arr, n, callback=callback)

    def describe_topic_configs(self, topics: Sequence[str], callback: Optional[Callable] = None) -> Any:
        """{"topics": [{name, error_code, error_message, configs: {key:
        {value, source, read_only, sensitive}}}]}."""
        arr, n = _str_array(topics, "topic")
        return self._admin(self._lib.kfk_admin_describe_topic_configs, arr, n, callback=callback)

    def alter_topic_configs(self, topic: str, configs: Mapping[str, Optional[str]],
                            callback: Optional[Callable] = None) -> Any:
        """Set some configs of topic (a None value resets that key to its
        default); the others stay."""
        flat = [_s(None if x is None else str(x), "config") for kv in configs.items() for x in kv]
        arr = (ctypes.c_char_p * max(len(flat), 1))(*flat)
        return self._admin(self._lib.kfk_admin_alter_topic_configs, _s(topic, "topic"), arr, len(configs),
                           callback=callback)

    def create_partitions(self, topic: str, total: int, timeout_ms: int = 30000,
                          callback: Optional[Callable] = None) -> Any:
        """Grow topic to total partitions."""
        return self._admin(self._lib.kfk_admin_create_partitions, _s(topic, "topic"), int(total), int(timeout_ms),
                           callback=callback)

    def delete_records(self, before: Sequence[Mapping[str, Any]], timeout_ms: int = 30000,
                       callback: Optional[Callable] = None) -> Any:
        """Delete records before [{topic, partition, offset}] (OFFSET_LATEST: all
        so far) -> {"partitions": [{topic, partition, low_watermark, error_code}]}."""
        arr, n = _tp_array(before)
        return self._admin(self._lib.kfk_admin_delete_records, arr, n, int(timeout_ms), callback=callback)

    def group_lag(self, group_id: str, callback: Optional[Callable] = None) -> Any:
        """{"topic:partition": {committed, latest, lag}} for what group_id committed."""
        return self._admin(self._lib.kfk_admin_group_lag, _s(group_id, "group_id"), callback=callback)

    def subscribe(self, topics: Sequence[str], group_id: str, *,
                  on_assign: Optional[Callable[[list], None]] = None,
                  on_revoke: Optional[Callable[[list], None]] = None,
                  on_lost: Optional[Callable[[list], None]] = None, **options: Any) -> None:
        """Join group_id and consume what it assigns; options: session_timeout_ms,
        rebalance_timeout_ms, heartbeat_interval_ms, auto_commit,
        auto_commit_interval_ms, group_instance_id, auto_offset_reset,
        assignor (or partition_assignment_strategy: "cooperative-sticky" for
        incremental rebalancing, or a comma list). on_lost gets partitions
        lost without being given up (nothing committed); without it,
        on_revoke does."""
        def on_event(kind: int, result: Any, error: Optional[KafkaError]) -> None:
            if kind == _ffi.EVENT_ASSIGN and on_assign:
                on_assign(result)
            elif kind == _ffi.EVENT_REVOKE and on_revoke:
                on_revoke(result)
            elif kind == _ffi.EVENT_LOST and (on_lost or on_revoke):
                (on_lost or on_revoke)(result)

        if getattr(self, "_group_tag", None):
            self.queue.forget(self._group_tag)
        self._group_tag = self.queue.register(on_event, persistent=True)
        kv = ["group_id", group_id]
        for k, v in options.items():
            kv += [k, str(int(v)) if isinstance(v, bool) else str(v)]
        tarr, nt = _str_array(topics, "topic")
        oarr, _ = _str_array(kv, "option")
        code = self._lib.kfk_subscribe(self.handle, tarr, nt, oarr, len(kv) // 2, None, self._group_tag)
        if code:
            raise KafkaError(code, "subscribe: bad topics or options")

    def commit(self) -> None:
        """Commit the positions of the messages consumed so far."""
        self._request(self._lib.kfk_commit).result()

    def unsubscribe(self) -> None:
        """Commit (with auto_commit) and leave the group."""
        self._request(self._lib.kfk_unsubscribe).result()

    # -- transactions (transactional_id) ------------------------------------

    def begin_transaction(self) -> None:
        """Open a transaction; records produced until commit/abort belong to it."""
        check(self._lib.kfk_txn_begin(self.handle), "begin_transaction")

    def send_offsets_to_transaction(self, group_id: str,
                                    offsets: Optional[Sequence[Mapping[str, Any]]] = None) -> None:
        """Commit consumer offsets inside the transaction: offsets is
        [{topic, partition, offset}], or None for the positions consumed so
        far of this client's partitions."""
        arr, n = _tp_array(offsets or [])
        self._request(self._lib.kfk_txn_send_offsets, _s(group_id, "group_id"), arr, n).result(120)

    def commit_transaction(self) -> None:
        """Flush, then commit the transaction."""
        self._request(self._lib.kfk_txn_commit).result(120)

    def abort_transaction(self) -> None:
        """Flush, then abort: read_committed consumers never see its records."""
        self._request(self._lib.kfk_txn_abort).result(120)

    def flush(self, timeout: float = 30.0) -> None:
        """Send everything buffered and wait for every delivery report."""
        self._request(self._lib.kfk_flush, int(timeout * 1000)).result(timeout + 5)

    def poll(self, timeout: Optional[float] = 0) -> int:
        """Dispatch waiting events (delivery callbacks)."""
        return self.queue.poll(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Flush (up to timeout), close connections and free the client."""
        if self._handle is None:
            return
        if self.queue._pid == _ffi.current_pid():
            try:
                self._request(self._lib.kfk_client_close, int(timeout * 1000)).result(timeout + 5)
            finally:
                self._lib.kfk_client_destroy(self._handle)
                self.queue.forget(self._events_tag)
        self._handle = None
        self.queue.attached -= 1

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
