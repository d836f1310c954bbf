"""confluent-kafka's ShareConsumer (a share group member, KIP-932) over
kfk.Client's share_subscribe / share_consume / share_acknowledge /
share_commit / share_unsubscribe.

kfk sends acknowledgements with the member's next request to their
partition's leader, or at once on share_commit; only share_commit reports
the broker's answer.
So that the acknowledgement commit callback hears about every
acknowledgement, poll() commits what is pending before fetching while a
callback is registered.
"""

from __future__ import annotations

import enum
import time
from typing import Any, Callable, Iterator, Optional, Union

from ..errors import KafkaError as _KfkError
from ._base import Base, deadline_of, left
from ._config import SHARE, Settings
from ._errors import KafkaError, KafkaException, from_kfk
from ._model import Message, TopicPartition

_TP = tuple  # (topic, partition)


class AcknowledgeType(enum.IntEnum):
    """How a share consumer settles a record it was handed."""

    ACCEPT = 1  # processed: never delivered again
    RELEASE = 2  # not processed: deliver it again, to any member
    REJECT = 3  # cannot be processed: never delivered again


_ACK_NAMES = {AcknowledgeType.ACCEPT: "accept", AcknowledgeType.RELEASE: "release",
              AcknowledgeType.REJECT: "reject"}


class IllegalStateException(RuntimeError):
    """A share consumer call made in a state that does not allow it."""


class ConcurrentModificationException(RuntimeError):
    """A share consumer used from two threads at once."""


class Messages:
    """The batch ShareConsumer.poll() returns: a read-only sequence of
    Message (iteration, len(), indexing, slicing) with count(),
    is_empty() and records()."""

    __slots__ = ("_items",)

    def __init__(self, messages: Any = ()) -> None:
        self._items = tuple(messages)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Message]:
        return iter(self._items)

    def __getitem__(self, index: Union[int, slice]) -> Union[Message, "Messages"]:
        if isinstance(index, slice):
            return Messages(self._items[index])
        return self._items[index]

    def count(self) -> int:
        return len(self._items)

    def is_empty(self) -> bool:
        return not self._items

    def records(self) -> list:
        """A list of the messages (a copy)."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"Messages({len(self._items)} messages)"


class ShareConsumer(Base):
    """A member of the share group group.id: poll() returns the records the
    group hands it, acknowledged implicitly by the next poll() or commit
    (share.acknowledgement.mode=implicit, the default) or one by one with
    acknowledge() (explicit)."""

    _kind = "share consumer"

    def __init__(self, conf: Optional[dict] = None, **kwargs: Any) -> None:
        settings = Settings(conf, SHARE, **kwargs)
        if not settings.group.get("group_id"):
            raise ValueError("Failed to create consumer: group.id must be set")
        super().__init__(settings)
        self._group_id = settings.group["group_id"]
        self._mode = settings.group.get("share_acknowledgement_mode", "implicit")
        self._subscription: list = []
        # Records the last poll() returned that are not settled yet
        # (explicit mode: not acknowledged; implicit: all of them).
        self._held: set = set()
        # Acknowledged offsets not yet committed, per partition, kept for
        # the commit callback while one is registered.
        self._acked: dict[_TP, set] = {}
        self._commit_cb: Optional[Callable] = None
        self._in_commit_cb = False
        self._client.connect(callback=lambda result, err: None)  # failures go to error_cb

    def _check_open(self) -> None:
        if self._closed:
            raise IllegalStateException("Share consumer closed")

    # -- subscription --------------------------------------------------------

    def subscribe(self, topics: list) -> None:
        """Join the share group for topics, replacing the subscription; an
        empty list unsubscribes."""
        self._check_open()
        if not isinstance(topics, list):
            raise TypeError("expected list of topic unicode strings")
        if not all(isinstance(t, str) for t in topics):
            raise TypeError("expected list of topic unicode strings")
        if any(not t for t in topics):
            raise ValueError("topic names must not be empty")
        if len(set(topics)) != len(topics):
            raise ValueError("duplicate topic names in subscription")
        if not topics:
            self.unsubscribe()
            return
        try:
            self._client.share_subscribe(topics, self._group_id, acknowledgement_mode=self._mode)
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Failed to subscribe")) from None
        self._subscription = list(topics)
        self._held.clear()
        self._acked.clear()

    def subscription(self) -> list:
        self._check_open()
        return list(self._subscription)

    def unsubscribe(self) -> None:
        """Settle what is held (implicit mode: accept the last batch; records
        not acknowledged are released) and leave the share group."""
        self._check_open()
        if not self._subscription:
            return
        try:
            self._client.share_unsubscribe()
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Failed to unsubscribe")) from None
        finally:
            self._subscription = []
            self._held.clear()
            self._acked.clear()

    # -- consuming -----------------------------------------------------------

    def poll(self, timeout: float = -1) -> Messages:
        """The next batch of records the group hands this member, waiting
        up to timeout seconds (-1: until there are some); an empty Messages
        when none came."""
        self._check_open()
        if not self._subscription:
            raise IllegalStateException("Consumer is not subscribed to any topics")
        if self._mode == "explicit" and self._held:
            raise IllegalStateException(f"{len(self._held)} records from the previous poll() are not acknowledged "
                                        "(share.acknowledgement.mode=explicit)")
        if self._mode == "implicit":
            self._settle_held()
        if self._commit_cb is not None and self._acked:
            self._commit(None)
        deadline = deadline_of(timeout)
        while True:
            self._serve(0)
            try:
                got = self._client.share_consume(0 if deadline is None else left(deadline))
            except _KfkError as exc:
                raise KafkaException(from_kfk(exc, "Failed to poll")) from None
            if got or (deadline is not None and time.monotonic() >= deadline):
                break
        self._held = {(m.topic, m.partition, m.offset) for m in got}
        return Messages(Message(m.topic, m.partition, m.offset, m.key, m.value, m._headers or None, None,
                                (m.timestamp_type, m.timestamp), delivery_count=m.delivery_count) for m in got)

    def _settle_held(self) -> None:
        """Implicit mode: what the last poll() returned is accepted by the
        next request kfk makes."""
        for topic, partition, offset in self._held:
            self._note_acked(topic, partition, offset)
        self._held.clear()

    def _note_acked(self, topic: str, partition: int, offset: int) -> None:
        if self._commit_cb is not None:
            self._acked.setdefault((topic, partition), set()).add(offset)

    # -- acknowledging -------------------------------------------------------

    def acknowledge(self, message: Message, ack_type: int = AcknowledgeType.ACCEPT) -> None:
        """Settle a record poll() returned (explicit mode); it reaches the
        broker with the next poll(), commit_sync() or commit_async()."""
        if not isinstance(message, Message):
            raise TypeError(f"expected a Message, not {type(message).__name__}")
        if message.topic() is None:
            raise ValueError("message has no topic")
        self._acknowledge(message.topic(), message.partition(), message.offset(), ack_type)

    def acknowledge_offset(self, topic: str, partition: int, offset: int,
                           ack_type: int = AcknowledgeType.ACCEPT) -> None:
        """acknowledge() by the record's topic, partition and offset."""
        if not isinstance(topic, str):
            raise TypeError("topic must be a str")
        for name, v in (("partition", partition), ("offset", offset)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int")
        self._acknowledge(topic, partition, offset, ack_type)

    def _acknowledge(self, topic: str, partition: Any, offset: Any, ack_type: Any) -> None:
        if isinstance(ack_type, bool) or not isinstance(ack_type, int):
            raise TypeError("ack_type must be an AcknowledgeType")
        if ack_type not in _ACK_NAMES.keys():
            raise ValueError(f"invalid ack_type {ack_type}: expected ACCEPT, RELEASE or REJECT")
        if partition is None or offset is None or partition < 0 or offset < 0:
            raise ValueError("partition and offset must not be negative")
        self._check_open()
        if self._mode != "explicit":
            raise IllegalStateException("Failed to acknowledge: share.acknowledgement.mode is not explicit")
        if (topic, partition, offset) not in self._held:
            raise IllegalStateException(f"Failed to acknowledge: {topic} [{partition}] offset {offset} is not "
                                        "in flight (not returned by the last poll(), or acknowledged already)")
        try:
            self._client.share_acknowledge(topic, partition, offset, ack=_ACK_NAMES[AcknowledgeType(ack_type)])
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Failed to acknowledge")) from None
        self._held.discard((topic, partition, offset))
        self._note_acked(topic, partition, offset)

    # -- committing ----------------------------------------------------------

    def set_acknowledgement_commit_callback(self, callback: Optional[Callable]) -> None:
        """callback(offsets, exception) once the broker has answered a
        commit of acknowledgements: offsets {TopicPartition: set of
        offsets}, exception a KafkaException or None. Served from poll(),
        commit_sync(), commit_async() and close(); None removes it."""
        if callback is not None and not callable(callback):
            raise TypeError("callback must be callable or None")
        if self._in_commit_cb:
            raise IllegalStateException("set_acknowledgement_commit_callback called from the callback")
        self._check_open()
        self._commit_cb = callback
        if callback is None:
            self._acked.clear()

    def commit_sync(self, timeout: Optional[float] = 60) -> dict:
        """Send the pending acknowledgements and wait for the broker:
        {TopicPartition: None or KafkaException}, {} when none was pending."""
        self._check_open()
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise TypeError("timeout must be a float")
        return self._commit(None if timeout is None or timeout < 0 else float(timeout))

    def commit_async(self) -> None:
        """Send the pending acknowledgements; the commit callback hears the
        broker's answer from a later poll(), commit_sync() or close()."""
        self._check_open()
        if not self._subscription:
            return
        if self._mode == "implicit":
            self._settle_held()
        sent, self._acked = self._acked, {}
        try:
            self._client.share_commit(callback=lambda result, err: self._committed(sent, result, err))
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Failed to commit")) from None

    def _commit(self, timeout: Optional[float]) -> dict:
        if not self._subscription:
            return {}
        if self._mode == "implicit":
            self._settle_held()
        sent, self._acked = self._acked, {}
        req = self._client.share_commit(callback=lambda result, err: None)
        try:
            result = req.result(timeout)
        except _KfkError as exc:
            self._committed(sent, None, exc)
            raise KafkaException(from_kfk(exc, "Failed to commit acknowledgements")) from None
        return self._committed(sent, result, None)

    def _committed(self, sent: dict, result: Any, err: Optional[_KfkError]) -> dict:
        """A commit's answer: per partition it committed, None or a
        KafkaException. The commit callback is told of those and of the
        partitions whose acknowledgements a fetch took before it."""
        outcome: dict = {}
        committed: dict = {}
        if err is None:
            for entry in result or []:
                code = entry["error_code"]
                tp = TopicPartition(entry["topic"], entry["partition"])
                outcome[tp] = None if code == 0 else KafkaException(KafkaError(code))
                if not entry.get("by_fetch"):
                    committed[tp] = outcome[tp]
        if self._commit_cb is not None and (sent or outcome):
            if err is not None:
                self._call_commit_cb({TopicPartition(t, p): set(o) for (t, p), o in sent.items()},
                                     KafkaException(from_kfk(err, "Failed to commit acknowledgements")))
            else:
                for tp, exc in outcome.items():
                    self._call_commit_cb({tp: set(sent.get((tp.topic, tp.partition), ()))}, exc)
        return committed

    def _call_commit_cb(self, offsets: dict, exc: Optional[KafkaException]) -> None:
        self._in_commit_cb = True
        try:
            self._commit_cb(offsets, exc)  # type: ignore[misc]
        finally:
            self._in_commit_cb = False

    # -- the rest ------------------------------------------------------------

    def close(self) -> None:
        """Commit the pending acknowledgements, leave the share group and
        release the client; later calls raise IllegalStateException."""
        if self._closed:
            return
        try:
            if self._subscription:
                if self._commit_cb is not None and (self._acked or (self._mode == "implicit" and self._held)):
                    self._commit(None)
                self.unsubscribe()
        finally:
            self._close_client(30.0)

    def __enter__(self) -> "ShareConsumer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
