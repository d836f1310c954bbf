"""confluent-kafka's Producer over kfk.Client."""

from __future__ import annotations

import collections
import ctypes
import operator
import threading
import time
from typing import Any, Callable, Optional, Sequence

from .. import _ffi
from ..conn import Request, _s, _tp_array
from ..errors import KafkaError as _KfkError
from ._base import Base, deadline_of, left
from ._config import PRODUCER, Settings
from ._errors import KafkaError, KafkaException, code_of, error, from_kfk
from ._model import TIMESTAMP_NOT_AVAILABLE, GroupMetadataHandle, Message, TopicPartition

_FENCING = (90, 47)
# How kfk's message for a record that outlived delivery.timeout.ms starts;
# its code may be the last error seen instead of a timeout.
_EXPIRED = "record not acknowledged within delivery_timeout_ms"  # PRODUCER_FENCED, INVALID_PRODUCER_EPOCH

# Transaction states, named as librdkafka names them in its errors.
_INIT, _READY, _IN_TXN, _FATAL = "Init", "Ready", "InTransaction", "FatalError"


def _no_callback(err: Any, msg: Any) -> None:
    """The callback of a message produced without one: its report is
    still served, to count it delivered."""


_NO_CONF: Any = object()  # Producer(**properties): no dict given


class Producer(Base):
    """Asynchronous producer: produce() queues, poll() and flush() serve
    the delivery callbacks ``(err, msg)`` on the calling thread."""

    _kind = "producer"

    def __init__(self, conf: Any = _NO_CONF, **kwargs: Any) -> None:
        if conf is None:  # refused with keyword arguments too, as confluent-kafka does
            raise TypeError("expected configuration dict")
        settings = Settings(None if conf is _NO_CONF else conf, PRODUCER, **kwargs)
        # What poll() returns, counted as librdkafka counts its events: the
        # delivery reports of one batch (a run of one partition's) as one,
        # each error_cb and stats_cb call, none of kfk's internal requests.
        self._events = 0
        self._batch: Optional[tuple] = None  # (topic, partition) of the last report counted
        super().__init__(settings)
        self._on_delivery: Optional[Callable] = settings.py.get("on_delivery")
        self._only_errors = bool(settings.py.get("dr_only_error", False))
        self._max_messages = settings.max_messages
        self._null_key_hash = settings.partitioner == "murmur2"  # librdkafka hashes null keys there
        self._queue.serve_state = self._serve_report  # every produced record's report
        self._lock = threading.Lock()
        # One entry per message produced whose delivery callback was not
        # served yet: a deque's append and pop need no lock.
        self._unserved: collections.deque = collections.deque()
        self._synthetic: list = []  # reports librdkafka would give for what kfk refuses at once
        self._partitions: dict[str, int] = {}  # partition counts seen, per topic
        self._transactional = settings.transactional
        self._txn = _INIT
        self._fatal: Optional[KafkaError] = None
        self._ending: Optional[tuple] = None  # (commit?, Request) of a commit/abort still running
        if not self._transactional:
            self._client.connect(callback=lambda result, err: None)  # failures go to error_cb

    # -- produce -----------------------------------------------------------------

    def produce(self, topic: str, value: Any = None, key: Any = None, partition: int = -1,
                on_delivery: Optional[Callable] = None, timestamp: int = 0, headers: Any = None, *,
                callback: Optional[Callable] = None) -> None:
        """Queue a message; its delivery callback runs from poll() or flush()."""
        # The common case (bytes, an int partition, no headers) takes one
        # pass of plain checks, no lock and one call into kfk.Client.
        if self._closed:
            raise RuntimeError("Producer has been closed")
        if not isinstance(topic, str):
            raise TypeError(f"topic must be a str, not {type(topic).__name__}")
        v = value if type(value) is bytes else _bytes(value, "value")
        k = key if type(key) is bytes or key is None else _bytes(key, "key")
        cb = on_delivery or callback or self._on_delivery or _no_callback
        if not callable(cb):
            raise TypeError("on_delivery must be callable")
        if self._transactional and self._txn != _IN_TXN:
            if self._fatal is not None:
                raise KafkaException(self._fatal)
            raise error(KafkaError._STATE, "Unable to produce message: Local: Erroneous state")  # type: ignore
        if type(partition) is not int:
            partition = operator.index(partition)
        if type(timestamp) is not int:
            timestamp = operator.index(timestamp)
        if partition >= self._partitions.get(topic, 0):
            self._check_partition(topic, partition)
        if partition == -1 and k is None and self._null_key_hash:
            partition = self._murmur2_null(topic)
        unserved = self._unserved
        if len(unserved) >= self._max_messages:
            raise BufferError("Local: Queue full")
        unserved.append(None)
        # What the report needs of the record besides its callback: strings,
        # bytes and numbers only, so once CPython's collector has seen the
        # tuple it no longer scans it while the record waits. A partial per
        # record, holding the callback too, cost about 0.9 µs a record in
        # collections with 200,000 records in flight.
        state = (topic, k, v, partition, time.monotonic())
        try:  # kfk.Client's own fast path: one refilled message, one library call
            self._client.produce(topic, v, k, partition=partition, headers=None if headers is None else _headers(headers),
                                 timestamp=timestamp or None, callback=cb, _state=state)
        except _KfkError as exc:
            if exc.code != _ffi.INVALID_TOPIC_EXCEPTION:  # librdkafka reports a bad topic name in the delivery report
                unserved.pop()
                raise self._refused(exc) from None
            refusal = _KfkError(exc.code, f"invalid topic {topic!r}")
            with self._lock:
                self._synthetic.append(lambda: self._serve_report(cb, None, refusal, state))
        except BaseException:
            unserved.pop()
            raise

    def _serve_report(self, cb: Callable, result: Optional[dict], err: Optional[_KfkError], state: tuple) -> None:
        """Serve one produced message's delivery report to its callback cb
        (the queue's serve_state). state is what produce() kept: (topic,
        key, value, partition, sent). The confluent-kafka Message is built
        only when a callback takes it."""
        self._unserved.pop()
        topic, key, value, partition, sent = state
        batch = (topic, partition if result is None else result.get("partition", partition))
        if batch != self._batch:
            self._batch = batch
            self._events += 1
        if cb is _no_callback:
            return
        if err is None:
            if not self._only_errors:
                offset = result["offset"]  # type: ignore[index]
                cb(None, Message(topic, result["partition"], offset if offset >= 0 else None, key, value,  # type: ignore[index]
                                 None, None, (result["timestamp_type"], result["timestamp"]),  # type: ignore[index]
                                 time.monotonic() - sent))
            return
        code = code_of(err, delivery=True)
        if err.message.startswith(_EXPIRED):
            code = KafkaError._MSG_TIMED_OUT  # type: ignore[attr-defined]
        if code == _ffi.UNKNOWN_TOPIC_OR_PARTITION and partition >= 0:  # kfk's out-of-range partition
            code = KafkaError._UNKNOWN_PARTITION  # type: ignore[attr-defined]
        kerr = KafkaError(code, err.message)
        part = partition if partition >= 0 else (result or {}).get("partition", -1)
        cb(kerr, Message(topic, part if part is not None and part >= 0 else None, None, key, value, None, kerr,
                         (TIMESTAMP_NOT_AVAILABLE, -1), None))

    def _check_partition(self, topic: str, partition: int) -> None:
        """Refuse a partition the topic does not have, as librdkafka does,
        once the topic's partitions are known. A count only grows, so one
        that covers the partition is remembered."""
        n = self._client.partition_count(topic)
        if n > 0:
            self._partitions[topic] = n
        if partition >= 0 and 0 < n <= partition:
            raise error(KafkaError._UNKNOWN_PARTITION,  # type: ignore[attr-defined]
                        "Unable to produce message: Local: Unknown partition")

    def _refused(self, exc: _KfkError) -> BaseException:
        """The exception produce() raises for a message kfk refused."""
        code = exc.code
        if code == _ffi.ERR_INVALID_ARG:
            return KafkaException(from_kfk(exc, "Unable to produce message"))
        if code == _ffi.ERR_QUEUE_FULL:
            return BufferError("Local: Queue full")
        err = from_kfk(_KfkError(code), "Unable to produce message")
        if code in _FENCING:
            err = self._fail(err)
        return KafkaException(err)

    def _murmur2_null(self, topic: str) -> int:
        """librdkafka's murmur2 partitioner puts null keys where the empty
        key goes; kfk's round-robins them, so choose here."""
        n = self._client.partition_count(topic)
        if n < 0:
            try:
                self._client.metadata([topic]).result(30)
            except _KfkError:
                return -1
            n = self._client.partition_count(topic)
        return -1 if n <= 0 else (_ffi.lib().kfk_murmur2(b"", 0) % n)

    def produce_batch(self, topic: str, messages: list, partition: int = -1,
                      on_delivery: Optional[Callable] = None, *, callback: Optional[Callable] = None) -> int:
        """Queue each message dict (value, key, partition, timestamp,
        callback); returns how many were queued. A message that could not be
        queued gets an '_error' entry."""
        if not isinstance(messages, list):
            raise TypeError("messages must be a list")
        queued = 0
        for m in messages:
            if not isinstance(m, dict):
                raise TypeError("each message must be a dict")
            try:
                self.produce(topic, m.get("value"), m.get("key"), m.get("partition", partition),
                             m.get("callback") or on_delivery or callback, m.get("timestamp", 0), None)
                queued += 1
            except BufferError:
                m["_error"] = KafkaError(KafkaError._QUEUE_FULL)  # type: ignore[attr-defined]
            except KafkaException as exc:
                m["_error"] = exc.args[0]
        return queued

    # -- serving callbacks ---------------------------------------------------------

    def _serve_synthetic(self) -> None:
        with self._lock:
            pending, self._synthetic = self._synthetic, []
        for report in pending:
            report()

    def _on_error(self, err: _KfkError) -> None:
        self._events += 1
        super()._on_error(err)

    def _on_stats(self, stats: dict) -> None:
        self._events += 1
        super()._on_stats(stats)

    def poll(self, timeout: Optional[float] = -1) -> int:
        """Serve delivery callbacks (and error_cb, stats_cb) for up to
        timeout seconds (None or negative: until one is served); returns how
        many events were served, as librdkafka counts them."""
        self._check_closed()
        self._events, self._batch = 0, None
        self._serve_synthetic()
        deadline = deadline_of(timeout)
        while True:
            wait = left(deadline)
            self._queue.poll(0.1 if wait is None else min(wait, 0.1))
            if self._events or (deadline is not None and time.monotonic() >= deadline):
                return self._events

    def flush(self, timeout: Optional[float] = -1) -> int:
        """Send everything now and serve delivery callbacks until none is
        waiting or timeout seconds passed; returns how many still wait."""
        self._check_closed()
        deadline = deadline_of(timeout)
        self._kick_flush()
        self._serve_synthetic()
        while len(self) > 0:
            wait = left(deadline)
            if wait is not None and wait <= 0:
                self._queue.poll(0)
                break
            self._queue.poll(0.1 if wait is None else min(wait, 0.1))
        return len(self)

    def _kick_flush(self) -> None:
        try:
            self._client._request(self._client._lib.kfk_flush, 0, callback=lambda result, err: None)
        except _KfkError:
            pass

    def __len__(self) -> int:
        if self._closed:
            return 0
        return len(self._unserved)

    def _check_closed(self) -> None:
        if self._closed:
            raise RuntimeError("Producer has been closed")

    def close(self, timeout: Optional[float] = -1) -> bool:
        """Abort a transaction in progress, flush, then close."""
        if self._closed:
            return True
        if self._txn == _IN_TXN:
            try:
                self.abort_transaction(timeout)
            except KafkaException:
                pass
        self.flush(timeout)
        self._close_client(30.0 if timeout is None or timeout < 0 else timeout)
        return True

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def purge(self, in_queue: bool = True, in_flight: bool = True, blocking: bool = True) -> None:
        """Fail the messages not sent yet (_PURGE_QUEUE) and, with
        in_flight, those sent before that wait to be sent again
        (_PURGE_INFLIGHT); their delivery callbacks come from the next
        poll() or flush(). A request on the wire cannot be recalled: its
        messages get the broker's answer. kfk purges at once, so blocking
        changes nothing."""
        self._check_closed()
        try:
            self._client.purge(bool(in_queue), bool(in_flight))
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Failed to purge")) from None

    # -- transactions ------------------------------------------------------------

    def _txn_check(self, *allowed: str) -> None:
        self._check_closed()
        if not self._transactional:
            raise error(KafkaError._NOT_CONFIGURED,  # type: ignore[attr-defined]
                        "The Transactional API requires transactional.id to be configured")
        if self._fatal is not None:
            raise KafkaException(self._fatal)
        if self._txn not in allowed:
            raise error(KafkaError._STATE, f"Operation not valid in state {self._txn}")  # type: ignore

    def _fail(self, err: KafkaError) -> KafkaError:
        """A fenced producer is done for: every later call gets this."""
        fatal = KafkaError(KafkaError._FENCED, err.str(), fatal=True)  # type: ignore[attr-defined]
        self._fatal, self._txn = fatal, _FATAL
        return fatal

    def _txn_error(self, exc: _KfkError, what: str, abortable: bool) -> KafkaException:
        err = from_kfk(exc, what, txn_requires_abort=abortable and exc.code not in _FENCING)
        if exc.code in _FENCING:
            err = self._fail(err)
        elif exc.code == _ffi.ERR_TIMED_OUT:
            err = KafkaError(KafkaError._TIMED_OUT, err.str(), retriable=True)  # type: ignore[attr-defined]
        return KafkaException(err)

    def init_transactions(self, timeout: Optional[float] = -1) -> None:
        """Get the producer id, fencing earlier producers with this
        transactional.id; it waits at most timeout seconds."""
        self._txn_check(_INIT)
        wait = left(deadline_of(timeout))
        try:
            req = self._client._request(self._client._lib.kfk_client_connect)
            req.result(wait)
        except _KfkError as exc:
            raise self._txn_error(exc, "init_transactions", False) from None
        pid, epoch = ctypes.c_int64(), ctypes.c_int16()
        if self._client._lib.kfk_client_producer_id(self._client.handle, ctypes.byref(pid), ctypes.byref(epoch)):
            raise error(KafkaError._TIMED_OUT, "init_transactions: no producer id yet",  # type: ignore
                        retriable=True)
        self._txn = _READY

    def begin_transaction(self) -> None:
        self._txn_check(_READY)
        try:
            self._client.begin_transaction()
        except _KfkError as exc:
            raise self._txn_error(exc, "begin_transaction", False) from None
        self._txn = _IN_TXN

    def send_offsets_to_transaction(self, positions: Sequence[TopicPartition], group_metadata: Any,
                                    timeout: Optional[float] = -1) -> None:
        """Commit these consumer positions with the transaction."""
        if not isinstance(group_metadata, GroupMetadataHandle):
            raise TypeError("expected group_metadata from Consumer.consumer_group_metadata()")
        if not isinstance(positions, (list, tuple)) or not all(isinstance(p, TopicPartition) for p in positions):
            raise TypeError("expected a list of TopicPartition")
        self._txn_check(_IN_TXN)
        offsets = [{"topic": p.topic, "partition": p.partition, "offset": p.offset, "metadata": p.metadata}
                   for p in positions if p.offset >= 0]
        if not offsets:
            return
        arr, n = _tp_array(offsets)
        try:
            self._client._request(self._client._lib.kfk_txn_send_offsets,
                                  _s(group_metadata.group_id, "group_id"), arr, n).result(left(deadline_of(timeout)))
        except _KfkError as exc:
            raise self._txn_error(exc, "send_offsets_to_transaction", True) from None

    def _end(self, commit: bool, timeout: Optional[float]) -> None:
        deadline = deadline_of(timeout)
        if self._ending is None or self._ending[0] != commit:
            fn = self._client._lib.kfk_txn_commit if commit else self._client._lib.kfk_txn_abort
            try:
                self._ending = (commit, self._client._request(fn))
            except _KfkError as exc:
                raise self._txn_error(exc, "commit_transaction" if commit else "abort_transaction", commit) from None
        req: Request = self._ending[1]
        try:
            req.result(left(deadline))
        except _KfkError as exc:
            if exc.code == _ffi.ERR_TIMED_OUT and not req.done:
                raise error(KafkaError._TIMED_OUT, "the transaction did not end in time; call again",  # type: ignore
                            retriable=True) from None
            self._ending = None
            raise self._txn_error(exc, "commit_transaction" if commit else "abort_transaction", commit) from None
        self._ending = None
        self._txn = _READY
        # Serve the delivery reports of the transaction's messages.
        while len(self) > 0:
            wait = left(deadline)
            if wait is not None and wait <= 0:
                break
            self._queue.poll(0.1 if wait is None else min(wait, 0.1))

    def commit_transaction(self, timeout: Optional[float] = -1) -> None:
        """Flush, then commit the transaction."""
        self._txn_check(_IN_TXN)
        self._end(True, timeout)

    def abort_transaction(self, timeout: Optional[float] = -1) -> None:
        """Abort the transaction. kfk sends the queued messages first and
        marks them aborted: their delivery reports succeed, and
        read_committed consumers never see them."""
        self._txn_check(_IN_TXN)
        self._end(False, timeout)


def _bytes(value: Any, what: str) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes):
        return value
    try:
        return bytes(memoryview(value))
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(value).__name__}'") from None


def _headers(headers: Any) -> Optional[list]:
    """confluent-kafka's headers (a dict, or a list of (key, value)) as a
    list of (str, bytes or None)."""
    if headers is None:
        return None
    if isinstance(headers, dict):
        pairs = list(headers.items())
    elif isinstance(headers, (list, tuple)):
        pairs = list(headers)
    else:
        raise TypeError("headers must be a dict or a list of (key, value) tuples")
    out = []
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError("headers must be a dict or a list of (key, value) tuples")
        k, v = pair
        out.append((k if isinstance(k, str) else str(k), _bytes(v, "header value")))
    return out


__all__ = ["Producer"]
