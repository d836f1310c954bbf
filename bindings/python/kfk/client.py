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

SASL/OAUTHBEARER tokens come from the options (a token endpoint with
``sasl_oauthbearer_method="oidc"``, a given ``sasl_oauthbearer_token``)
or from ``oauth_cb``, called in the polling thread whenever the client
needs a token, as confluent-kafka calls it: ``oauth_cb(oauthbearer_config)
-> (token, expiry)`` or ``(token, expiry, principal, extensions)``, the
expiry in seconds since the epoch; an exception it raises fails the
connections waiting for the token with its message.
"""

from __future__ import annotations

import ctypes
import json
import logging
import struct
import threading
from array import array
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from . import _ffi
from .conn import (Bytes, Request, _b, _headers, _new_topic_array, _s, _str_array, _timestamp, _tp_array,
                   send_request)
from .errors import KafkaError, check, error_string
from .queue import EventQueue

DeliveryCallback = Callable[[Optional[dict], Optional[KafkaError]], None]

# kfk's log levels (syslog numbers) as logging's.
_LOG_LEVELS = {_ffi.LOG_ERROR: logging.ERROR, _ffi.LOG_WARN: logging.WARNING, _ffi.LOG_INFO: logging.INFO,
               _ffi.LOG_DEBUG: logging.DEBUG}


def _column(items: Sequence[Bytes], what: str) -> tuple[bytes, array]:
    """items back to back and their lengths (NULL_LENGTH for None), as
    kfk_produce_values takes a column."""
    try:
        data = b"".join(items)
        sizes = list(map(len, items))
        if sum(sizes) == len(data):  # else a memoryview of wider items: see below
            # struct packs ints about twice as fast as array() converts them
            lens = array("i")
            lens.frombytes(struct.pack(f"{len(sizes)}i", *sizes))
            return data, lens
    except (TypeError, OverflowError, struct.error):  # a None, a str, another type, a value of 2 GiB
        pass
    parts, lens = [], array("i")
    for i, x in enumerate(items):
        if x is None:
            lens.append(_ffi.NULL_LENGTH)
            continue
        b = _b(x, f"{what}[{i}]")
        if len(b) > 0x7FFFFFFF:
            raise ValueError(f"{what}[{i}] is longer than 2 GiB")
        parts.append(b)
        lens.append(len(b))
    return b"".join(parts), lens


def _partition(partition: Any) -> int:
    if isinstance(partition, bool) or not isinstance(partition, int):
        raise TypeError(f"partition must be an int, not {type(partition).__name__}")
    return partition


def _offset(offset: Any) -> int:
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise TypeError(f"offset must be an int, not {type(offset).__name__}")
    return offset


# share_subscribe's modes (share.acknowledgement.mode, share.acquire.mode)
_ACK_MODES = ("implicit", "explicit")
_ACQUIRE_MODES = ("batch_optimized", "record_limit")

# share_acknowledge's ack by name
_ACK_TYPES = {"accept": _ffi.ACK_ACCEPT, "release": _ffi.ACK_RELEASE, "reject": _ffi.ACK_REJECT}


def _ack_type(ack: Any) -> int:
    """ack as KFK_ACK_*: a name or one of the constants."""
    if isinstance(ack, str):
        kind = _ACK_TYPES.get(ack.lower())
    elif isinstance(ack, int) and not isinstance(ack, bool) and ack in _ACK_TYPES.values():
        kind = ack
    else:
        kind = None
    if kind is None:
        raise ValueError(f"ack must be 'accept', 'release', 'reject' or kfk.ACK_ACCEPT, kfk.ACK_RELEASE, "
                         f"kfk.ACK_REJECT, not {ack!r}")
    return kind


# Keys and values up to these sizes are copied into a thread's scratch
# memory for produce(), which the message then points to: a copy through a
# memoryview is cheaper than pointing a struct field at a bytes object
# (CPython keeps the object alive in a dict, PyPy copies it to memory that
# does not move, 10x slower). The library copies them again during the
# call, as it does anything larger, which still goes by pointer.
_SCRATCH_KEY, _SCRATCH_VALUE = 256, 4096


class _Scratch:
    """A thread's kfk_message_t for produce(), and what it holds."""

    __slots__ = ("msg", "at", "addresses", "topic", "key", "headers", "timestamp", "key_view", "key_at",
                 "key_staged", "key_held", "value_view", "value_at", "value_staged", "value_held")

    def __init__(self) -> None:
        self.msg = _ffi.MessageIn()
        self.msg.timestamp = -1
        self.at = ctypes.addressof(self.msg)
        # The same struct with pointer fields that take an address (msg's
        # c_char_p fields take bytes, and on PyPy nothing else).
        self.addresses = _ffi.Message.from_address(self.at)
        self.topic: Optional[str] = None  # the name whose bytes msg.topic points to
        self.key = False  # msg.key is set
        self.headers = False  # msg.headers is set
        self.timestamp = False  # msg.timestamp is not -1 (now)
        key, value = ctypes.create_string_buffer(_SCRATCH_KEY), ctypes.create_string_buffer(_SCRATCH_VALUE)
        self.key_view, self.key_at = memoryview(key).cast("B"), ctypes.addressof(key)
        self.value_view, self.value_at = memoryview(value).cast("B"), ctypes.addressof(value)
        self.key_staged = self.value_staged = False  # msg.key / msg.value point into key_view / value_view
        # What msg.key / msg.value point to otherwise: a c_char_p field
        # keeps a bytes object alive on CPython, but not PyPy's array.
        self.key_held: Any = None
        self.value_held: Any = None


class Client:
    """A cluster client. Delivery reports and results arrive through the
    queue: ``Request.result()`` polls it, or call ``poll()`` /
    watch ``queue.fileno()`` in an event loop."""

    def __init__(self, config: Optional[Mapping[str, Any]] = None, *, queue: Optional[EventQueue] = None,
                 on_error: Optional[Callable[[KafkaError], None]] = None,
                 partitioner: Optional[Callable[[str, Optional[bytes], int], int]] = None,
                 logger: Optional[logging.Logger] = None, on_stats: Optional[Callable[[dict], None]] = None,
                 oauth_cb: Optional[Callable[[str], tuple]] = None, **options: Any) -> None:
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
        self._topics: dict[str, bytes] = {}
        self._share_mode: Optional[str] = None  # the acknowledgement_mode of the share subscription in force
        settings = {**(config or {}), **options}
        self._oauth_cb = oauth_cb
        self._oauth_config = str(settings.get("sasl_oauthbearer_config", settings.get("sasl.oauthbearer.config", "")))
        if oauth_cb is not None:
            settings["sasl_oauthbearer_method"] = "application"
        conf = ctypes.c_void_p()
        check(self._lib.kfk_conf_new(ctypes.byref(conf)), "kfk_conf_new")
        err = ctypes.create_string_buffer(512)
        try:
            for key, value in settings.items():
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
        elif kind == _ffi.EVENT_OAUTHBEARER_TOKEN_REFRESH and self._oauth_cb is not None:
            self._refresh_oauth_token()

    def _refresh_oauth_token(self) -> None:
        """Ask oauth_cb for a token and hand it (or why there is none) to
        the library."""
        try:
            got = tuple(self._oauth_cb(self._oauth_config))
            if len(got) not in (2, 4):
                raise ValueError("oauth_cb must return (token, expiry) or (token, expiry, principal, extensions)")
            token, expiry = got[0], got[1]
            principal, extensions = (got[2], got[3]) if len(got) == 4 else (None, None)
            pairs = [_s(str(x), "extension") for kv in (extensions or {}).items() for x in kv]
            arr = (ctypes.c_char_p * max(len(pairs), 1))(*pairs)
            err = ctypes.create_string_buffer(512)
            code = self._lib.kfk_oauthbearer_set_token(
                self.handle, _s(str(token), "token"), int(float(expiry) * 1000),
                _s(str(principal), "principal") if principal is not None else None, arr, len(pairs) // 2, err, 512)
            if code:
                raise KafkaError(code, err.value.decode())
        except Exception as exc:  # the waiting connections report it
            self.logger.error("oauth_cb: %s", exc)
            self._lib.kfk_oauthbearer_set_token_failure(self.handle, _s(f"oauth_cb: {exc}", "reason"))

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
        new struct); returns the buffers msg points to, which the caller
        keeps alive until the library has copied them."""
        k, v = _b(key, "key"), _b(value, "value")
        if partition == -1 and self._partitioner is not None:
            partition = self._partition_for(topic, k)
        hdrs, nh, hkeep = _headers(headers)
        msg.topic = _s(topic, "topic")
        msg.partition = int(partition)
        msg.timestamp = _timestamp(timestamp)
        kf, vf = _ffi.fixed(k), _ffi.fixed(v)
        msg.key, msg.key_len = kf, len(k) if k is not None else 0
        msg.value, msg.value_len = vf, len(v) if v is not None else 0
        msg.headers, msg.header_count = hdrs, nh
        hkeep += (kf, vf)
        return hkeep

    def _topic(self, topic: str) -> bytes:
        """topic encoded for the C side, remembered (a name is encoded once)."""
        name = self._topics.get(topic)
        if name is None:
            name = _s(topic, "topic")
            if len(self._topics) >= 1000:
                self._topics.clear()
            self._topics[topic] = name
        return name

    def produce(self, topic: str, value: Bytes, key: Bytes = None, *, partition: int = -1, headers: Any = None,
                timestamp: Optional[int] = None, callback: Optional[DeliveryCallback] = None,
                _state: Any = None) -> Optional[Request]:
        """Queue one record. timestamp is in ms since the epoch (0 is a
        time); None or negative means now. Without a callback, returns a
        Request whose result is the delivery report {topic, partition,
        offset, timestamp, timestamp_type} (KafkaError if it failed); with
        one, returns None and callback(report, error) runs when the queue
        is polled. (_state is for kfk.confluent: the queue's serve_state
        serves the report, see EventQueue.register.)"""
        # No closed or forked check before the call: the library refuses a
        # destroyed handle, and every call in a forked child; the error
        # path below says which it was. One kfk_message_t per thread,
        # refilled: the library copies it during the call. Fields that
        # keep their value are not set again.
        try:
            m = self._scratch.m
        except AttributeError:
            m = self._scratch.m = _Scratch()
        msg = m.msg
        v = value if type(value) is bytes else _b(value, "value")
        k = key if type(key) is bytes or key is None else _b(key, "key")
        if type(partition) is not int:
            partition = int(partition)
        if partition == -1 and self._partitioner is not None:
            partition = self._partition_for(topic, k)
        if topic is not m.topic:
            msg.topic, m.topic = self._topic(topic), topic
        msg.partition = partition
        if timestamp is not None or m.timestamp:
            msg.timestamp = -1 if timestamp is None else _timestamp(timestamp)
            m.timestamp = timestamp is not None
        if k is not None:
            n = len(k)
            if n <= _SCRATCH_KEY:
                m.key_view[:n] = k
                if not m.key_staged:
                    m.addresses.key, m.key_staged, m.key_held = m.key_at, True, None
            else:
                m.key_held = _ffi.fixed(k)
                msg.key, m.key_staged = m.key_held, False
            msg.key_len, m.key = n, True
        elif m.key:
            msg.key, msg.key_len, m.key, m.key_staged, m.key_held = None, 0, False, False, None
        if v is not None and len(v) <= _SCRATCH_VALUE:
            n = len(v)
            m.value_view[:n] = v
            if not m.value_staged:
                m.addresses.value, m.value_staged, m.value_held = m.value_at, True, None
            msg.value_len = n
        else:
            m.value_held = _ffi.fixed(v)
            msg.value, msg.value_len, m.value_staged = m.value_held, len(v) if v is not None else 0, False
        if headers or m.headers:
            msg.headers, msg.header_count, headers_alive = _headers(headers)  # alive until the call returns
            m.headers = bool(headers)
        req = None
        if callback is None:
            req = Request(self.queue, None)
            callback = req._complete
        queue = self.queue
        try:
            tag = queue._free.pop()  # queue.register(callback, state=_state), inlined
            queue._slots[tag] = callback
            if _state is not None:  # (a free tag's state is None)
                queue._states[tag] = _state
        except IndexError:
            tag = queue.register(callback, state=_state)
        msg.opaque = tag
        code = _ffi.produce(self._handle or 0, m.at, 0)  # ints only: see _ffi._PER_RECORD
        if code:
            queue.forget(tag)
            self.handle  # raises when the client is closed or belongs to the parent process
            raise KafkaError(code)
        return req

    def produce_values(self, topic: str, values: Sequence[Bytes], keys: Optional[Sequence[Bytes]] = None, *,
                       partition: int = -1, headers: Any = None,
                       callback: Optional[Callable[[Optional[list]], None]] = None) -> Request:
        """Queue len(values) records of one topic in one call to the library:
        record i has value values[i] and key keys[i] (keys None: all null;
        a None item is Kafka's null, b"" an empty one), the same partition
        (-1: the partitioner) and the same headers, and now as timestamp.
        Returns one Request for them all; its result() is None once every
        record was delivered, else it raises the first failure (a
        KafkaError with .index, the record's position, and .failures, every
        failed record's KafkaError). callback(failures or None) runs then.
        No delivery report per record; a record the library refuses at once
        is reported the same way and does not stop the others."""
        if not isinstance(values, (list, tuple)):
            if isinstance(values, (bytes, bytearray, memoryview, str)) or values is None:
                raise TypeError(f"values must be a sequence of bytes, not {type(values).__name__}")
            values = list(values)
        n = len(values)
        data, lens = _column(values, "values")
        kdata, klens = None, None
        if keys is not None:
            if not isinstance(keys, (list, tuple)):
                if isinstance(keys, (bytes, bytearray, memoryview, str)):
                    raise TypeError(f"keys must be a sequence of bytes or None, not {type(keys).__name__}")
                keys = list(keys)
            if len(keys) != n:
                raise ValueError(f"keys has {len(keys)} items, values {n}")
            kdata, klens = _column(keys, "keys")
        partition = _partition(partition)
        if partition == -1 and self._partitioner is not None:
            # Each record's partition is the custom partitioner's: records
            # go one by one, still in one call with one completion.
            return self._produce_many_records(
                [{"topic": topic, "value": v, "key": None if keys is None else keys[i], "headers": headers}
                 for i, v in enumerate(values)], callback)
        if n == 0:  # no columns at all (an empty array may have no buffer)
            data = kdata = lens = klens = None
        hdrs, nh, _alive = _headers(headers)
        req, tag = self._bulk(callback)
        accepted = ctypes.c_size_t()
        code = self._lib.kfk_produce_values(
            self.handle, self._topic(topic), partition, _ffi.fixed(data), None if lens is None else lens.buffer_info()[0],
            _ffi.fixed(kdata), None if klens is None else klens.buffer_info()[0], n, hdrs, nh, None, tag,
            ctypes.byref(accepted))
        if code:
            self.queue.forget(tag)
            raise KafkaError(code, f"produce_values: {error_string(code)}")
        return req

    def _bulk(self, callback: Optional[Callable[[Optional[list]], None]]) -> tuple[Request, int]:
        """The Request of a call completed by one RESULT listing failed
        records ({index, error_code, error}), and its tag."""
        req = Request(self.queue, None)

        def done(result: Any, error: Optional[KafkaError]) -> None:
            failures = None
            if result:
                failures = []
                for f in result:
                    e = KafkaError(f["error_code"], f.get("error") or None)
                    e.index = f["index"]
                    failures.append(e)
                error = failures[0]
                error.failures = failures
            req._complete(None, error)
            if callback is not None:
                callback(failures if failures else ([error] if error is not None else None))

        return req, self.queue.register(done)

    def produce_many(self, records: Iterable[Mapping[str, Any]],
                     callback: Optional[Callable[[Optional[list]], None]] = None) -> Request:
        """Queue many records in one call to the library. Each record is a
        dict with topic, value and optionally key, partition, headers,
        timestamp. Returns one Request for them all, completed as
        produce_values' (failures name the record by .index);
        callback(failures or None) runs once all are reported. Records of
        one topic and partition without headers or timestamps go as
        columns (produce_values)."""
        records = records if isinstance(records, (list, tuple)) else list(records)
        if not records:
            return self._produce_many_records(records, callback)
        first = records[0]
        topic, partition = first["topic"], first.get("partition", -1)
        values, keys = [], []
        for r in records:
            if (r["topic"] != topic or r.get("partition", -1) != partition or r.get("headers")
                    or r.get("timestamp") is not None):
                return self._produce_many_records(records, callback)
            values.append(r.get("value"))
            keys.append(r.get("key"))
        if not isinstance(topic, str):
            raise TypeError(f"topic must be a str, not {type(topic).__name__}")
        return self.produce_values(topic, values, None if keys.count(None) == len(keys) else keys,
                                   partition=partition, callback=callback)

    def _produce_many_records(self, records: Sequence[Mapping[str, Any]],
                              callback: Optional[Callable[[Optional[list]], None]]) -> Request:
        """produce_many through an array of kfk_message_t (kfk_produce_many)."""
        arr = (_ffi.MessageIn * max(len(records), 1))()
        keep = [self._fill(arr[i], r["topic"], r.get("value"), r.get("key"), r.get("partition", -1),
                           r.get("headers"), r.get("timestamp")) for i, r in enumerate(records)]
        req, tag = self._bulk(callback)
        accepted = ctypes.c_size_t()
        code = self._lib.kfk_produce_many(self.handle, arr, len(records), None, tag, ctypes.byref(accepted))
        del keep
        if code:
            self.queue.forget(tag)
            raise KafkaError(code, f"produce_many: {error_string(code)}")
        return req

    # -- consuming -------------------------------------------------------

    def assign(self, partitions: Sequence[Mapping[str, Any]]) -> None:
        """Consume these partitions: [{topic, partition, offset}], offset
        OFFSET_EARLIEST (-2), OFFSET_LATEST (-1, the default) or an offset."""
        arr, n = _tp_array([{**p, "offset": p.get("offset", _ffi.OFFSET_LATEST)} for p in partitions])
        check(self._lib.kfk_assign(self.handle, arr, n), "assign")

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Move a partition's position (OFFSET_EARLIEST, OFFSET_LATEST or an offset) and wait."""
        self._request(self._lib.kfk_seek, _s(topic, "topic"), int(partition), int(offset)).result()

    def _partitions_call(self, fn: Callable[..., int], what: str, partitions: Sequence[Mapping[str, Any]],
                         refused: str, offsets: bool = False) -> None:
        """fn with [{topic, partition(, offset)}]; KFK_ERR_STATE (a partition
        fn refuses) raises naming the partitions and refused."""
        entries = [{"topic": p["topic"], "partition": p["partition"], "offset": p["offset"] if offsets else 0}
                   for p in partitions]
        arr, n = _tp_array(entries)
        code = fn(self.handle, arr, n)
        if code == _ffi.ERR_STATE:
            names = ", ".join(f"{e['topic']}[{e['partition']}]" for e in entries)
            raise KafkaError(code, f"{what} {names}: {refused}")
        check(code, what)

    def incremental_assign(self, partitions: Sequence[Mapping[str, Any]]) -> None:
        """Add partitions ([{topic, partition, offset}], offset as assign's)
        to those consumed, leaving the others as they are; KafkaError
        (ERR_STATE), changing nothing, if one is assigned already."""
        self._partitions_call(self._lib.kfk_incremental_assign, "incremental_assign",
                              [{**p, "offset": p.get("offset", _ffi.OFFSET_LATEST)} for p in partitions],
                              "one is assigned already", offsets=True)

    def incremental_unassign(self, partitions: Sequence[Mapping[str, Any]]) -> None:
        """Stop consuming partitions ([{topic, partition}]), leaving the
        others; KafkaError (ERR_STATE), changing nothing, if one is not
        assigned."""
        self._partitions_call(self._lib.kfk_incremental_unassign, "incremental_unassign", partitions,
                              "one is not assigned")

    def pause(self, partitions: Sequence[Mapping[str, Any]]) -> None:
        """Stop fetching and handing over these assigned partitions
        ([{topic, partition}]) until resume(); what was fetched is kept and
        positions stay. A new assignment of a partition ends its pause.
        KafkaError (ERR_STATE) if one is not assigned (the others are
        paused)."""
        self._partitions_call(self._lib.kfk_pause, "pause", partitions, "not all assigned")

    def resume(self, partitions: Sequence[Mapping[str, Any]]) -> None:
        """Undo pause(): their messages go on where they stopped."""
        self._partitions_call(self._lib.kfk_resume, "resume", partitions, "not all assigned")

    def store_offsets(self, offsets: Sequence[Mapping[str, Any]]) -> None:
        """Store [{topic, partition, offset}] (the next offset to read) for
        assigned partitions; with subscribe(auto_offset_store=False),
        commits take these instead of the positions consumed. KafkaError
        (ERR_STATE) if one is not assigned (the others are stored)."""
        self._partitions_call(self._lib.kfk_store_offsets, "store_offsets", offsets, "not all assigned",
                              offsets=True)

    def consume(self, timeout: float = 1.0) -> list:
        """Fetched messages (a list of Message), waiting up to about the
        broker's fetch wait when none are ready yet."""
        return self._take_messages(self._lib.kfk_consume, "consume", timeout)

    def _take_messages(self, fn: Callable[..., int], what: str, timeout: float) -> list:
        """The MESSAGE events of one kfk_consume or kfk_share_consume call,
        collected until its RESULT."""
        messages: list = []
        done = Request(self.queue, None)

        def on_event(kind: int, result: Any, error: Optional[KafkaError]) -> None:
            if kind == _ffi.EVENT_MESSAGE:
                messages.append(result)
            else:
                self.queue.forget(tag)
                done._complete(result, error)

        tag = self.queue.register(on_event, persistent=True)
        code = fn(self.handle, None, tag)
        if code:
            self.queue.forget(tag)
            raise KafkaError(code, f"{what}: {error_string(code)}")
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

    def delete_groups(self, group_ids: Sequence[str], callback: Optional[Callable] = None) -> Any:
        """Delete groups with no members (of any kind) -> {"groups": [{group_id,
        error_code, error_message}]}."""
        arr, n = _str_array(group_ids, "group_id")
        return self._admin(self._lib.kfk_admin_delete_groups, arr, n, callback=callback)

    def list_share_groups(self, states: Sequence[str] = (), callback: Optional[Callable] = None) -> Any:
        """{"groups": [{group_id, state}]}, only those in states ("empty",
        "stable", "dead") when given."""
        arr, n = _str_array(states, "state")
        return self._admin(self._lib.kfk_admin_list_share_groups, arr, n, callback=callback)

    def describe_share_groups(self, group_ids: Sequence[str], callback: Optional[Callable] = None) -> Any:
        """{"groups": [{group_id, error_code, error_message, state, epoch,
        assignment_epoch, assignor, members: [{member_id, rack_id, member_epoch,
        client_id, client_host, subscribed_topics, assignment: {topic:
        [partitions]}}]}]}."""
        arr, n = _str_array(group_ids, "group_id")
        return self._admin(self._lib.kfk_admin_describe_share_groups, arr, n, callback=callback)

    def share_group_offsets(self, group_id: str, callback: Optional[Callable] = None) -> Any:
        """{"topic:partition": {start_offset, latest, lag}} for every partition
        the share group has a start offset on."""
        return self._admin(self._lib.kfk_admin_share_group_offsets, _s(group_id, "group_id"), callback=callback)

    def alter_share_group_offsets(self, group_id: str, offsets: Sequence[Mapping[str, Any]],
                                  callback: Optional[Callable] = None) -> Any:
        """Move a share group with no members to [{topic, partition, offset}]
        (OFFSET_EARLIEST / OFFSET_LATEST looked up) -> {"partitions": [{topic,
        partition, error_code, error_message}]}."""
        arr, n = _tp_array(offsets)
        return self._admin(self._lib.kfk_admin_alter_share_group_offsets, _s(group_id, "group_id"), arr, n,
                           callback=callback)

    def delete_share_group_offsets(self, group_id: str, topics: Sequence[str],
                                   callback: Optional[Callable] = None) -> Any:
        """Make a share group with no members forget topics -> {"topics":
        [{topic, error_code, error_message}]}."""
        arr, n = _str_array(topics, "topic")
        return self._admin(self._lib.kfk_admin_delete_share_group_offsets, _s(group_id, "group_id"), arr, n,
                           callback=callback)

    def validate_create_topics(self, topics: Sequence[Mapping[str, Any]], timeout_ms: int = 30000,
                               callback: Optional[Callable] = None) -> Any:
        """create_topics with the broker only checking: nothing is created;
        the same result, error_code 0 where the topic would be."""
        arr, n, _keep = _new_topic_array(topics)
        return self._admin(self._lib.kfk_admin_validate_create_topics, arr, n, int(timeout_ms), callback=callback)

    def create_topics_placed(self, topics: Sequence[Mapping[str, Any]], validate_only: bool = False,
                             timeout_ms: int = 30000, callback: Optional[Callable] = None) -> Any:
        """create_topics with each topic's partitions placed: [{name,
        replicas: [[node, ...] per partition, leader first], config}]
        (validate_only: checked, none created) -> {"topics": [...]}."""
        specs, ids = [], []
        for t in topics:
            replicas = [list(map(int, nodes)) for nodes in t["replicas"]]
            if not replicas or not replicas[0] or any(len(nodes) != len(replicas[0]) for nodes in replicas):
                raise ValueError(f"replicas of {t['name']!r}: one list per partition, all of the same length")
            specs.append({**t, "num_partitions": len(replicas), "replication_factor": len(replicas[0])})
            ids += [node for nodes in replicas for node in nodes]
        arr, n, _keep = _new_topic_array(specs)
        return self._admin(self._lib.kfk_admin_create_topics_placed, arr, n, (ctypes.c_int32 * len(ids))(*ids),
                           len(ids), int(bool(validate_only)), int(timeout_ms), callback=callback)

    def create_partitions_placed(self, topic: str, total: int, replicas: Sequence[Sequence[int]],
                                 validate_only: bool = False, timeout_ms: int = 30000,
                                 callback: Optional[Callable] = None) -> Any:
        """create_partitions with the new partitions placed: replicas holds
        one list of nodes (leader first) per new partition."""
        placed = [list(map(int, nodes)) for nodes in replicas]
        if not placed or not placed[0] or any(len(nodes) != len(placed[0]) for nodes in placed):
            raise ValueError("replicas: one list per new partition, all of the same length")
        ids = [node for nodes in placed for node in nodes]
        return self._admin(self._lib.kfk_admin_create_partitions_placed, _s(topic, "topic"), int(total),
                           (ctypes.c_int32 * len(ids))(*ids), len(ids), len(placed[0]), int(bool(validate_only)),
                           int(timeout_ms), callback=callback)

    def validate_create_partitions(self, topic: str, total: int, timeout_ms: int = 30000,
                                   callback: Optional[Callable] = None) -> Any:
        """create_partitions with the broker only checking: raises the
        refusal a real call would get, grows nothing."""
        return self._admin(self._lib.kfk_admin_validate_create_partitions, _s(topic, "topic"), int(total),
                           int(timeout_ms), callback=callback)

    def describe_cluster_operations(self, callback: Optional[Callable] = None) -> Any:
        """describe_cluster with authorized_operations: what the client may
        do on the cluster ("alter", "describe_configs"...)."""
        return self._admin(self._lib.kfk_admin_describe_cluster_operations, callback=callback)

    def describe_groups_operations(self, group_ids: Sequence[str], callback: Optional[Callable] = None) -> Any:
        """describe_groups with each group's authorized_operations ("read",
        "describe", "delete")."""
        arr, n = _str_array(group_ids, "group_id")
        return self._admin(self._lib.kfk_admin_describe_groups_operations, arr, n, callback=callback)

    def alter_group_offsets(self, group_id: str, offsets: Sequence[Mapping[str, Any]],
                            callback: Optional[Callable] = None) -> Any:
        """Set group_id's committed offsets, [{topic, partition, offset,
        leader_epoch, metadata}], from outside the group (refused while it
        has members) -> {"partitions": [{topic, partition, error_code}]}."""
        arr, n = _tp_array(offsets)
        return self._admin(self._lib.kfk_admin_alter_group_offsets, _s(group_id, "group_id"), arr, n,
                           callback=callback)

    def list_offsets(self, specs: Sequence[Mapping[str, Any]], isolation_level: int = 0,
                     callback: Optional[Callable] = None) -> Any:
        """[{topic, partition, offset}], offset OFFSET_LATEST, OFFSET_EARLIEST,
        -3 (the largest timestamp) or a timestamp in ms -> {"partitions":
        [{topic, partition, error_code, offset, timestamp, leader_epoch}]}."""
        arr, n = _tp_array(specs)
        return self._admin(self._lib.kfk_admin_list_offsets, arr, n, int(isolation_level), callback=callback)

    def describe_topics(self, topics: Sequence[str], include_authorized_operations: bool = False,
                        callback: Optional[Callable] = None) -> Any:
        """{brokers: [...], topics: [{name, topic_id, error_code, is_internal,
        partitions: [{partition, leader, replicas, isr}], authorized_operations}]}."""
        arr, n = _str_array(topics, "topic")
        return self._admin(self._lib.kfk_admin_describe_topics, arr, n, int(bool(include_authorized_operations)),
                           callback=callback)

    def elect_leaders(self, election_type: int = 0, partitions: Optional[Sequence[Mapping[str, Any]]] = None,
                      timeout_ms: int = 30000, callback: Optional[Callable] = None) -> Any:
        """Elect the preferred (0) or any (1, unclean) replica as leader of
        [{topic, partition}] (None: every partition) -> {"partitions":
        [{topic, partition, error_code, error_message}]}."""
        arr, n = _tp_array(partitions or [])
        return self._admin(self._lib.kfk_admin_elect_leaders, int(election_type), arr if n else None, n,
                           int(timeout_ms), callback=callback)

    # An ACL as kfk.h has it: 7 strings. A missing key in a filter is None (any).
    _ACL_KEYS = ("resource_type", "resource_name", "pattern_type", "principal", "host", "operation",
                 "permission_type")

    @classmethod
    def _acl_array(cls, acls: Sequence[Mapping[str, Any]]) -> tuple[Any, int]:
        flat = [_s(a.get(k), k) for a in acls for k in cls._ACL_KEYS]
        return (ctypes.c_char_p * max(len(flat), 1))(*flat), len(acls)

    def create_acls(self, acls: Sequence[Mapping[str, str]], callback: Optional[Callable] = None) -> Any:
        """[{resource_type, resource_name, pattern_type, principal, host,
        operation, permission_type}] -> {"results": [{error_code,
        error_message}]}."""
        arr, n = self._acl_array(acls)
        return self._admin(self._lib.kfk_admin_create_acls, arr, n, callback=callback)

    def describe_acls(self, acl_filter: Mapping[str, Optional[str]], callback: Optional[Callable] = None) -> Any:
        """The ACLs matching a filter (keys as create_acls; "any", "match",
        None for any) -> {"acls": [...]}."""
        arr, _ = self._acl_array([acl_filter])
        return self._admin(self._lib.kfk_admin_describe_acls, arr, callback=callback)

    def delete_acls(self, filters: Sequence[Mapping[str, Optional[str]]], callback: Optional[Callable] = None) -> Any:
        """{"results": [{error_code, error_message, acls: [...]}]}, one per filter."""
        arr, n = self._acl_array(filters)
        return self._admin(self._lib.kfk_admin_delete_acls, arr, n, callback=callback)

    def describe_user_scram_credentials(self, users: Optional[Sequence[str]] = None,
                                        callback: Optional[Callable] = None) -> Any:
        """{"users": [{user, error_code, error_message, credentials:
        [{mechanism, iterations}]}]} (users None: every user)."""
        arr, n = _str_array(users or [], "user")
        return self._admin(self._lib.kfk_admin_describe_user_scram_credentials, arr, n, callback=callback)

    _SCRAM_MECHANISMS = {"SCRAM-SHA-256": 1, "SCRAM-SHA-512": 2}

    def alter_user_scram_credentials(self, changes: Sequence[Mapping[str, Any]],
                                     callback: Optional[Callable] = None) -> Any:
        """[{user, mechanism ("SCRAM-SHA-256"/"SCRAM-SHA-512"), iterations,
        password, salt}]: with a password (bytes or str) set the credential
        (salt None: random), without one delete it -> {"users": [{user,
        error_code, error_message}]}. The password is salted and hashed
        here; only the result is sent."""
        arr = (_ffi.ScramCredential * max(len(changes), 1))()
        keep = []
        for i, ch in enumerate(changes):
            mechanism = self._SCRAM_MECHANISMS.get(str(ch.get("mechanism", "")).upper())
            if mechanism is None:
                raise ValueError(f"scram mechanism {ch.get('mechanism')!r} unknown (SCRAM-SHA-256 or SCRAM-SHA-512)")
            arr[i].user = _s(ch["user"], "user")
            arr[i].mechanism = mechanism
            arr[i].iterations = int(ch.get("iterations") or 0)
            for field in ("password", "salt"):
                data = _b(ch.get(field), field)
                if data is not None:  # an empty password is one, not a deletion
                    buf = ctypes.create_string_buffer(data, max(len(data), 1))
                    keep.append(buf)
                    setattr(arr[i], field, ctypes.cast(buf, ctypes.c_void_p))
                    setattr(arr[i], field + "_len", len(data))
        req = self._admin(self._lib.kfk_admin_alter_user_scram_credentials, arr, len(changes), callback=callback)
        del keep  # the library copied them
        return req

    def describe_configs(self, resources: Sequence[tuple], callback: Optional[Callable] = None) -> Any:
        """[(type, name)], type "topic", "broker" (name: node id, "" the
        cluster default), "broker_logger", "client_metrics" or "group" ->
        {"resources": [{type, name, error_code, error_message, configs:
        {key: {value, source, read_only, sensitive}}}]}."""
        flat = [_s(str(x), "resource") for r in resources for x in r]
        arr = (ctypes.c_char_p * max(len(flat), 1))(*flat)
        return self._admin(self._lib.kfk_admin_describe_configs, arr, len(resources), callback=callback)

    def incremental_alter_configs(self, changes: Sequence[Mapping[str, Any]], validate_only: bool = False,
                                  callback: Optional[Callable] = None) -> Any:
        """[{resource_type, resource_name, op ("set", "delete", "append",
        "subtract"), name, value}] -> {"resources": [{type, name,
        error_code, error_message}]}."""
        flat = [_s(None if ch.get(k) is None else str(ch[k]), k) for ch in changes
                for k in ("resource_type", "resource_name", "op", "name", "value")]
        arr = (ctypes.c_char_p * max(len(flat), 1))(*flat)
        return self._admin(self._lib.kfk_admin_incremental_alter_configs, arr, len(changes),
                           int(bool(validate_only)), callback=callback)

    def subscribe(self, topics: Sequence[str], group_id: str, *,
                  on_assign: Optional[Callable[[list], None]] = None,
                  on_revoke: Optional[Callable[[list], None]] = None,
                  on_lost: Optional[Callable[[list], None]] = None, answer_revoke: bool = True,
                  **options: Any) -> None:
        """Join group_id and consume what it assigns; options: session_timeout_ms,
        rebalance_timeout_ms, heartbeat_interval_ms, auto_commit,
        auto_commit_interval_ms, auto_offset_store (False: commits take
        what store_offsets() stored), group_instance_id, auto_offset_reset,
        assignor (or partition_assignment_strategy: "cooperative-sticky" for
        incremental rebalancing, or a comma list), revoke_wait (True:
        on_revoke runs while the member still owns the partitions, so a
        commit() in it commits them; the member gives them up once
        on_revoke returns, or with answer_revoke=False once revoke_done()
        is called, or after rebalance_timeout_ms), assign_empty (True: an
        incremental member's on_assign also runs, with [], after a
        rebalance that adds it nothing). on_lost gets partitions
        lost without being given up (nothing committed); without it,
        on_revoke does."""
        answer = answer_revoke and str(options.get("revoke_wait", "0")).lower() in ("1", "true")

        def on_event(kind: int, result: Any, error: Optional[KafkaError]) -> None:
            if kind == _ffi.EVENT_ASSIGN and on_assign:
                on_assign(result)
            elif kind == _ffi.EVENT_REVOKE:
                try:
                    if on_revoke:
                        on_revoke(result)
                finally:
                    if answer:
                        self.revoke_done()
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

    def commit(self, offsets: Optional[Sequence[Mapping[str, Any]]] = None) -> None:
        """Commit the positions of the messages consumed so far (or, with
        auto_offset_store=False, the offsets stored); with offsets
        ([{topic, partition, offset}], offset the next to read), exactly
        those, as the group member."""
        if offsets is None:
            self._request(self._lib.kfk_commit).result()
            return
        arr, n = _tp_array([{"topic": o["topic"], "partition": o["partition"], "offset": o["offset"]}
                            for o in offsets])
        self._request(self._lib.kfk_commit_offsets, arr, n).result()

    def revoke_done(self) -> None:
        """Let a member waiting for its revocation to be served (revoke_wait)
        give the partitions up; does nothing when none waits."""
        check(self._lib.kfk_revoke_done(self.handle), "revoke_done")

    def member_id(self) -> Optional[str]:
        """The member id the group coordinator gave this member ("" until it
        has one); None without a subscription."""
        buf = ctypes.create_string_buffer(256)
        code = self._lib.kfk_group_member_id(self.handle, buf, len(buf))
        if code == _ffi.ERR_STATE:
            return None
        check(code, "member_id")
        return buf.value.decode()

    def unsubscribe(self) -> None:
        """Commit (with auto_commit) and leave the group."""
        self._request(self._lib.kfk_unsubscribe).result()

    # -- share groups (KIP-932) -------------------------------------------
    # A share subscription is separate from subscribe/assign: its records
    # come only through share_consume and never move consume's positions.

    def share_subscribe(self, topics: Sequence[str], group_id: str, *, acknowledgement_mode: str = "implicit",
                        acquire_mode: str = "batch_optimized") -> None:
        """Join the share group group_id and fetch the topics' records,
        which the group shares out among its members. acknowledgement_mode
        "implicit": what one share_consume handed over is accepted by the
        next share_consume, share_commit or share_unsubscribe; "explicit":
        settle every record with share_acknowledge. acquire_mode
        "batch_optimized" (whole record batches) or "record_limit" (at most
        max_poll_records records per fetch). A new group starts at the
        latest record unless its share.auto.offset.reset config says
        otherwise. A share subscription in force is left first."""
        if isinstance(topics, (str, bytes)):
            raise TypeError(f"topics must be a sequence of topic names, not {type(topics).__name__}")
        if not topics:
            raise ValueError("share_subscribe: no topics")
        if not group_id:
            raise ValueError("share_subscribe: group_id is empty")
        if acknowledgement_mode not in _ACK_MODES:
            raise ValueError(f"acknowledgement_mode must be 'implicit' or 'explicit', not {acknowledgement_mode!r}")
        if acquire_mode not in _ACQUIRE_MODES:
            raise ValueError(f"acquire_mode must be 'batch_optimized' or 'record_limit', not {acquire_mode!r}")
        kv = ["group_id", group_id, "share_acknowledgement_mode", acknowledgement_mode,
              "share_acquire_mode", acquire_mode]
        tarr, nt = _str_array(topics, "topic")
        oarr, _ = _str_array(kv, "option")
        code = self._lib.kfk_share_subscribe(self.handle, tarr, nt, oarr, len(kv) // 2)
        if code:
            raise KafkaError(code, f"share_subscribe: bad topics or group_id {group_id!r}")
        self._share_mode = acknowledgement_mode

    def share_consume(self, timeout: float = 1.0) -> list:
        """Records the share group handed this member (a list of Message,
        each with its delivery_count), waiting for the next fetches when
        none are ready yet. In implicit mode it first accepts what the
        previous call handed over. Raises KafkaError without a share
        subscription."""
        return self._take_messages(self._lib.kfk_share_consume, "share_consume", timeout)

    def share_acknowledge(self, message_or_topic: Any, *args: Any, ack: Any = None) -> None:
        """Settle one record share_consume handed over (explicit mode):
        share_acknowledge(message, ack="accept") or
        share_acknowledge(topic, partition, offset, ack="accept"); ack is
        "accept" (processed), "release" (deliver it again, to any member)
        or "reject" (never deliver it again), or kfk.ACK_ACCEPT,
        kfk.ACK_RELEASE, kfk.ACK_REJECT; it may also come last among the
        positional arguments. The acknowledgement goes to the partition's
        leader with the member's next request there (a fetch, or an
        acknowledgement of its own once none is in flight); share_commit
        reports the broker's answer."""
        if isinstance(message_or_topic, str):
            if len(args) not in (2, 3):
                raise TypeError("share_acknowledge(topic, partition, offset, ack) takes a partition and an offset")
            topic, partition, offset = message_or_topic, args[0], args[1]
            rest = args[2:]
        else:
            if len(args) > 1 or not all(hasattr(message_or_topic, a) for a in ("topic", "partition", "offset")):
                raise TypeError("share_acknowledge takes a Message (and an ack) or a topic, partition and offset")
            topic, partition, offset = message_or_topic.topic, message_or_topic.partition, message_or_topic.offset
            rest = args
        if rest:
            if ack is not None:
                raise TypeError("share_acknowledge: ack given twice")
            ack = rest[0]
        kind = _ack_type("accept" if ack is None else ack)
        code = self._lib.kfk_share_acknowledge(self.handle, _s(topic, "topic"), _partition(partition),
                                               _offset(offset), kind)
        if code == _ffi.ERR_STATE:
            mode = self._share_mode
            if mode is None:
                why = "no share subscription (call share_subscribe first)"
            elif mode == "implicit":
                why = "the share subscription acknowledges implicitly (subscribe with acknowledgement_mode='explicit')"
            else:
                why = f"record {topic}[{partition}]@{offset} was not handed over by share_consume or is settled already"
            raise KafkaError(code, f"share_acknowledge: {why}")
        check(code, "share_acknowledge")

    def share_commit(self, callback: Optional[Callable] = None) -> Any:
        """Send the acknowledgements made so far (implicit mode: accept what
        the last share_consume handed over) without waiting for the next
        fetch. Returns, once the broker has answered, one entry per
        partition: [{topic, partition, error_code, by_fetch}] (0, or e.g.
        INVALID_RECORD_STATE, 121, when a record's lock had run out and it
        went to another member; by_fetch True for a partition whose
        acknowledgements a fetch took since the last commit, reported
        here once); [] when nothing was to be sent. Raises KafkaError
        without a share subscription."""
        req = self._request(self._lib.kfk_share_commit, callback=callback)
        return req if callback else req.result()

    def share_unsubscribe(self, callback: Optional[Callable] = None) -> Any:
        """Settle what the member holds (implicit mode: accept what the last
        share_consume handed over; other records are released to the other
        members) and leave the share group. close() does the same."""
        req = self._request(self._lib.kfk_share_unsubscribe, callback=callback)
        self._share_mode = None
        return req if callback else req.result()

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

    def set_sasl_credentials(self, username: str, password: str) -> None:
        """Replace the SASL PLAIN or SCRAM username and password: the
        connections made and the sessions re-authenticated from now on use
        them; connections already authenticated stay. KafkaError
        (ERR_STATE) for a client without SASL PLAIN or SCRAM."""
        for name, value in (("username", username), ("password", password)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, not {type(value).__name__}")
        code = self._lib.kfk_client_set_sasl_credentials(self.handle, username.encode(), password.encode())
        if code == _ffi.ERR_STATE:
            raise KafkaError(code, "set_sasl_credentials: the client does not authenticate with SASL PLAIN or SCRAM")
        check(code, "set_sasl_credentials")

    def purge(self, in_queue: bool = True, in_flight: bool = True) -> int:
        """Fail buffered records instead of sending them; returns how many.
        in_queue: the records not yet in a produce request (delivery error
        ERR_PURGED_QUEUE). in_flight: the records sent before that wait to
        be sent again (ERR_PURGED_INFLIGHT: the broker may have written
        them; never for an idempotent producer). A request on the wire is
        not recalled. The delivery reports come as usual, from poll() or
        flush(); purging records of an open transaction means it must be
        aborted."""
        flags = (_ffi.PURGE_QUEUE if in_queue else 0) | (_ffi.PURGE_INFLIGHT if in_flight else 0)
        purged = ctypes.c_size_t()
        check(self._lib.kfk_purge(self.handle, flags, ctypes.byref(purged)), "purge")
        return purged.value

    def poll(self, timeout: Optional[float] = 0) -> int:
        """Dispatch waiting events (delivery callbacks)."""
        return self.queue.poll(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Flush (up to timeout), close connections and free the client."""
        if self._handle is None:
            return
        if self.queue._pid == _ffi.pid:
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
