"""Event queues: where every completion of a kfk object arrives.

Events are pulled from libkfk in batches (one foreign call per up to 256
events) and dispatched to Python callables registered under integer tags;
no C callback ever re-enters the interpreter.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import struct
import sys
import threading
import time
from typing import Any, Callable, Optional

from . import _ffi
from ._values import to_python
from .errors import ForkedError, KafkaError

_BATCH = 256
# A poll dispatches at most this many events (it stops sooner once the
# queue is empty), so that a busy queue cannot keep it forever.
_BUDGET = 256 * _BATCH
_SLICE_MS = 100  # longest single wait, so Ctrl-C is noticed promptly
_GROW = 1024  # one-shot tags added at a time
_PERSISTENT = 1 << 48  # the first persistent tag; one-shot tags are below

# kfk_event_t, read a batch at a time: type, err, errstr, opaque, source,
# result, msg (addresses; 0 for NULL).
_EVENT = struct.Struct("iiPPPPP")
_MESSAGE = _ffi.EVENT_MESSAGE
# kfk_message_t in one unpack: topic, partition, err, offset, timestamp,
# key, key_len, value, value_len, headers, header_count, opaque,
# timestamp_type and reserved (a share group record's delivery count,
# which kfk_message_delivery_count reads); kfk_header_t likewise.
_MESSAGE_FIELDS = struct.Struct("PiiqqPNPNPNPii")
_HEADER_FIELDS = struct.Struct("PNPN")
# A delivery report's part of a kfk_message_t: topic, partition, offset,
# timestamp and timestamp_type (err, and key to opaque, skipped).
_REPORT_FIELDS = struct.Struct("Pi4xqq56xi")


if sys.implementation.name == "cpython":
    # The whole address space as one ctypes array: a slice copies the
    # bytes at an address and unpack_from reads a struct there, with no
    # foreign call (ctypes.string_at is one) and no object per field.
    _MEMORY: Any = (ctypes.c_char * sys.maxsize).from_address(0)
    _read_message = functools.partial(_MESSAGE_FIELDS.unpack_from, _MEMORY)
    _read_report = functools.partial(_REPORT_FIELDS.unpack_from, _MEMORY)
    _read_header = functools.partial(_HEADER_FIELDS.unpack_from, _MEMORY)
else:  # PyPy's ctypes cannot make an array that large
    class _Copies:
        """Memory read through ctypes.string_at: _MEMORY[address:address + n]
        is the n bytes at address."""

        def __getitem__(self, span: slice) -> bytes:
            return ctypes.string_at(span.start, span.stop - span.start)

    _MEMORY = _Copies()

    def _reader(fields: struct.Struct) -> Callable[[int], tuple]:
        """A struct's fields read at an address through an array type of
        its size, made once: 20 ns on PyPy against ctypes.string_at's 350."""
        at = (ctypes.c_char * fields.size).from_address
        return lambda address: fields.unpack(at(address).raw)

    _read_message = _reader(_MESSAGE_FIELDS)
    _read_report = _reader(_REPORT_FIELDS)
    _read_header = _reader(_HEADER_FIELDS)

Handler = Callable[[int, Optional[object], Optional[KafkaError]], None]


class EventQueue:
    """A kfk_queue_t. Objects attached to one queue deliver through it; an
    event loop watches ``fileno()`` and calls ``poll(0)`` when readable.

    Tags are the opaques events come back with. A one-shot tag is a slot
    of a list, released by its event: its handler gets (result, error),
    or, registered with a state, serve_state(handler, result, error,
    state) serves it. A persistent tag (from _PERSISTENT up) keeps its
    handler, which gets (event_type, result, error), until forget()."""

    def __init__(self) -> None:
        if _ffi.loaded_in_parent():
            raise ForkedError(_ffi.ERR_FORKED, "libkfk was loaded before fork(); create objects in the child only")
        self._lib = _ffi.lib()
        handle = ctypes.c_void_p()
        code = self._lib.kfk_queue_new(ctypes.byref(handle))
        if code:
            raise KafkaError(code, "kfk_queue_new")
        self._handle: Optional[int] = handle.value
        self._events = (_ffi.Event * _BATCH)()
        self._events_at = ctypes.addressof(self._events)
        self._slots: list = [None]  # one-shot handlers by tag; tag 0 is a NULL opaque
        # A one-shot handler's state by tag (None: none), and the queue
        # owner's function that serves such tags: per-record data kept
        # beside the caller's own callback, rather than bound with it into
        # a new callable per record for the collector to scan while the
        # record waits (kfk.confluent's produce).
        self._states: list = [None]
        self.serve_state: Optional[Callable[[Callable, Any, Optional[KafkaError], Any], None]] = None
        self._free: list = []  # released slots
        self._handlers: dict[int, Handler] = {}  # persistent tags
        self._tags = itertools.count(_PERSISTENT)
        self._lock = threading.Lock()
        self._pid = _ffi.pid
        self.attached = 0

    @property
    def handle(self) -> int:
        self._check()
        return self._handle  # type: ignore[return-value]

    def _check(self) -> None:
        if self._pid != _ffi.pid:
            raise ForkedError(_ffi.ERR_FORKED,
                              "this queue belongs to the parent process; create a new one after fork()")
        if self._handle is None:
            raise KafkaError(_ffi.ERR_CLOSED, "the queue is closed")

    def register(self, handler: Callable, persistent: bool = False, state: Any = None) -> int:
        """Reserve a tag for handler. A one-shot tag is released by its
        first event, which calls handler(result, error), or, when state is
        not None, serve_state(handler, result, error, state); a persistent
        one calls handler(event_type, result, error) for each of its
        events."""
        if persistent:
            with self._lock:
                tag = next(self._tags)
                self._handlers[tag] = handler
            return tag
        while True:
            try:
                tag = self._free.pop()  # atomic: no lock needed
                break
            except IndexError:
                self._grow()
        self._slots[tag] = handler
        self._states[tag] = state
        return tag

    def _grow(self) -> None:
        with self._lock:
            if not self._free:
                start = len(self._slots)
                self._slots.extend([None] * _GROW)
                self._states.extend([None] * _GROW)
                self._free.extend(range(start + _GROW - 1, start - 1, -1))

    def forget(self, tag: int) -> None:
        """Release a tag whose event will not come (or stop a persistent one)."""
        if tag >= _PERSISTENT:
            with self._lock:
                self._handlers.pop(tag, None)
        elif tag and self._slots[tag] is not None:
            self._slots[tag] = self._states[tag] = None
            self._free.append(tag)

    def fileno(self) -> int:
        """A descriptor that is readable while events are waiting."""
        self._check()
        return self._lib.kfk_queue_fd(self._handle)

    def __len__(self) -> int:
        self._check()
        return max(0, self._lib.kfk_queue_length(self._handle))

    def poll(self, timeout: Optional[float] = 0) -> int:
        """Wait up to timeout seconds (None = until an event) and dispatch
        every waiting event (up to _BUDGET). Returns the number dispatched.
        An exception raised by a handler is re-raised after the rest of its
        batch of _BATCH events is delivered."""
        self._check()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if deadline is None:
                wait_ms = _SLICE_MS
            else:
                wait_ms = max(0, min(_SLICE_MS, int((deadline - time.monotonic()) * 1000)))
            n = _ffi.poll_batch(self._handle, self._events_at, _BATCH, wait_ms)
            if n < 0:
                raise KafkaError(n, "kfk_poll_batch")
            if n > 0:
                total = 0
                while True:
                    total += self._dispatch(n)
                    # a full batch: more may wait (unless a handler closed the queue)
                    if n < _BATCH or total >= _BUDGET or self._handle is None:
                        return total
                    n = _ffi.poll_batch(self._handle, self._events_at, _BATCH, 0)
                    if n < 0:
                        raise KafkaError(n, "kfk_poll_batch")
                    if n == 0:
                        return total
            if deadline is not None and time.monotonic() >= deadline:
                return 0

    def _dispatch(self, n: int) -> int:
        failure: Optional[BaseException] = None
        slots, states, free, handlers = self._slots, self._states, self._free, self._handlers
        serve_state = self.serve_state
        read, read_report, memory, message_kind = _read_message, _read_report, _MEMORY, _MESSAGE
        topic_at, topic = 0, None  # the library copies a name once per poll: one address, one name
        raw = memory[self._events_at:self._events_at + n * _EVENT.size]  # a copy: a handler may poll again
        for kind, err, errstr, tag, _source, result, msg in _EVENT.iter_unpack(raw):
            if tag < _PERSISTENT:
                handler = slots[tag]
                if handler is None:
                    continue
                slots[tag] = None
                state = states[tag]
                if state is not None:
                    states[tag] = None
                free.append(tag)
                persistent = False
            else:
                handler = handlers.get(tag)
                if handler is None:
                    continue
                persistent = True
            error = None
            if err:
                error = KafkaError(err, ctypes.string_at(errstr).decode("utf-8", "replace") if errstr else None)
            value: Any
            if msg and kind == message_kind:
                (at, partition, _err, offset, timestamp, key, key_len, data, data_len, headers, header_count, _opaque,
                 timestamp_type, deliveries) = read(msg)
                if at != topic_at:
                    topic_at, topic = at, _text(at)
                value = Message(topic, partition, offset, timestamp, memory[key:key + key_len] if key else None,
                                memory[data:data + data_len] if data else None,
                                _headers(headers, header_count) if header_count else None, timestamp_type, deliveries)
            elif msg:  # a delivery report
                at, partition, offset, timestamp, timestamp_type = read_report(msg)
                if at != topic_at:
                    topic_at, topic = at, _text(at)
                value = {"topic": topic, "partition": partition, "offset": offset, "timestamp": timestamp,
                         "timestamp_type": timestamp_type}
            else:
                value = to_python(_ffi.Val.from_address(result)) if result else None
            try:
                if persistent:
                    handler(kind, value, error)
                elif state is None:
                    handler(value, error)
                else:
                    serve_state(handler, value, error, state)
            except BaseException as exc:  # deliver the rest of the batch first
                failure = failure or exc
        if failure is not None:
            raise failure
        return n

    def wake(self) -> None:
        """Make a blocked poll() in another thread return."""
        self._check()
        self._lib.kfk_wake(self._handle)

    def close(self) -> None:
        if self._handle is None or self._pid != _ffi.pid:
            return
        code = self._lib.kfk_queue_destroy(self._handle)
        if code:
            raise KafkaError(code, "close the objects using this queue first")
        self._handle = None

    def __del__(self) -> None:
        try:
            if self.attached == 0:
                self.close()
        except Exception:
            pass


class Message:
    """A consumed message. key, value and header values are bytes (None for
    Kafka's null); headers is a list of (str, bytes or None) pairs.
    timestamp is in ms since the epoch; timestamp_type says what it is:
    kfk.TIMESTAMP_CREATE_TIME (the producer's), kfk.TIMESTAMP_LOG_APPEND_TIME
    (the broker's, on a topic with message.timestamp.type=LogAppendTime) or
    kfk.TIMESTAMP_NOT_AVAILABLE. delivery_count is how many times a share
    group has handed the record out, this time included (1 the first
    time); 0 for a record not read through a share group."""

    # _headers is None for a message without headers until headers is
    # read: an empty list per message, made and collected by the hundred
    # thousand, cost a consumer about a fifth of its Python time in
    # allocation and in the cycle collector's passes.
    __slots__ = ("topic", "partition", "offset", "timestamp", "key", "value", "_headers", "timestamp_type",
                 "delivery_count")

    def __init__(self, topic: str, partition: int, offset: int, timestamp: int, key: Optional[bytes],
                 value: Optional[bytes], headers: Optional[list], timestamp_type: int, delivery_count: int = 0) -> None:
        self.topic, self.partition, self.offset, self.timestamp = topic, partition, offset, timestamp
        self.key, self.value, self._headers, self.timestamp_type = key, value, headers, timestamp_type
        self.delivery_count = delivery_count

    @property
    def headers(self) -> list:
        headers = self._headers
        if headers is None:
            headers = self._headers = []
        return headers

    @headers.setter
    def headers(self, headers: list) -> None:
        self._headers = headers

    def __repr__(self) -> str:
        return f"Message({self.topic!r}, {self.partition}, {self.offset}, key={self.key!r}, value={self.value!r})"


def _text(address: int) -> Optional[str]:
    """The NUL-terminated UTF-8 name at address; None for NULL."""
    return ctypes.string_at(address).decode() if address else None


def _headers(address: int, count: int) -> list:
    """count kfk_header_t at address as (str key, bytes or None value) pairs."""
    out = []
    for at in range(address, address + count * _HEADER_FIELDS.size, _HEADER_FIELDS.size):
        key, key_len, value, value_len = _read_header(at)
        out.append((_MEMORY[key:key + key_len].decode("utf-8", "replace"),
                    _MEMORY[value:value + value_len] if value else None))
    return out
