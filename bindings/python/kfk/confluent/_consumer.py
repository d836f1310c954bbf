"""confluent-kafka's Consumer over kfk.Client.

Commits. librdkafka commits the offsets stored for the messages returned
to the application (enable.auto.offset.store=true stores each as it is
returned), so this layer runs kfk with its manual offset store and stores
the positions of the messages poll() and consume() returned before it
returns, and before anything kfk commits on its own (its enable.auto.commit
timer); with enable.auto.offset.store=false kfk commits the offsets
given to store_offsets(). Either is committed only when above the
partition's committed offset, as in librdkafka. The automatic commits
on_commit must hear of (periodic, and as partitions are given up) are
made here. Each request asks kfk
for a bounded number of messages (kfk_consume_max: num_messages for
consume(), a few hundred for poll(), which returns the rest from here),
and messages kfk handed over that this layer has not returned yet are
given back with a seek before a partition is sought or paused, or a
revocation served. Explicit offsets are committed as they are, with the
member's generation. A consumer that
assigns partitions itself commits through a connection of its own to the
group coordinator.
"""

from __future__ import annotations

import collections
import ctypes
import re
import time
from typing import Any, Callable, Optional, Sequence

from .. import _ffi
from ..conn import Conn, _s, _tp_array
from ..errors import KafkaError as _KfkError
from ..queue import Message as _KfkMessage
from ._base import Base, deadline_of, left
from ._config import CONSUMER, Settings
from ._errors import KafkaError, KafkaException, error, from_kfk
from ._model import (OFFSET_BEGINNING, OFFSET_END, OFFSET_INVALID, OFFSET_STORED, TIMESTAMP_NOT_AVAILABLE,
                     GroupMetadataHandle, Message, TopicPartition, _tp)

_TP = tuple  # (topic, partition)
# How long a consume request already sent can take to answer: the broker's
# fetch wait twice over and a second (core's own bound), plus slack.
_SETTLE_S = 15.0
# Messages one request for poll() asks kfk for: poll() returns the rest
# from here, as librdkafka's returns what it fetched ahead.
_POLL_AHEAD = 500
# Retriable answers of a group coordinator.
_COORDINATOR_MOVED = (14, 15, 16)  # COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR
_NO_CONF: Any = object()  # Consumer(**properties): no dict given
# The errors of a subscribed topic that librdkafka reports from poll():
# UNKNOWN_TOPIC_OR_PART, TOPIC_AUTHORIZATION_FAILED (others are passing).
_UNAVAILABLE = (3, 29)


class _Eof:
    """enable.partition.eof: the application has everything up to offset."""

    __slots__ = ("topic", "partition", "offset")

    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self.topic, self.partition, self.offset = topic, partition, offset


class Consumer(Base):
    """A group consumer (subscribe) or one that assigns partitions itself
    (assign); poll() returns one Message or None, consume() a list."""

    _kind = "consumer"

    def __init__(self, conf: Any = _NO_CONF, **kwargs: Any) -> None:
        if conf is None:  # refused with keyword arguments too, as confluent-kafka does
            raise TypeError("expected configuration dict")
        settings = Settings(None if conf is _NO_CONF else conf, CONSUMER, **kwargs)
        if not settings.group.get("group_id"):
            raise ValueError("Failed to create consumer: group.id must be set")
        super().__init__(settings)
        self._group_id = settings.group["group_id"]
        self._group_options = {k: v for k, v in settings.group.items() if k != "group_id"}
        self._auto_commit = settings.group.get("auto_commit") == "1"
        self._auto_commit_s = int(settings.group.get("auto_commit_interval_ms", "5000")) / 1000.0
        self._reset = settings.group.get("auto_offset_reset", "latest")
        self._auto_store = settings.group.get("auto_offset_store", "1") == "1"
        # What commits take: the positions returned, or with
        # enable.auto.offset.store=false what store_offsets() stored (kfk
        # keeps it too, for its own commits). A seek leaves it, a new
        # assignment clears it, as in librdkafka.
        self._stored: dict[_TP, int] = {}
        # Otherwise this layer stores in kfk the positions of the messages
        # it returned, as librdkafka stores them, so that kfk's own commits
        # (enable.auto.commit, on revoke and on leaving) never take a
        # message kfk handed over and the application has not seen:
        # positions returned since the last store.
        self._group_options["auto_offset_store"] = "0"
        self._unstored: dict[_TP, int] = {}
        self._store_entries: dict[_TP, Any] = {}  # (kfk_topic_partition_t, its address) per partition, for stores
        # Rebalances that add and take partitions, not all of them at once
        # (librdkafka's COOPERATIVE protocol: cooperative-sticky, and every
        # member of group.protocol=consumer).
        self._incremental = (settings.group.get("assignor") == "cooperative-sticky"
                             or settings.group.get("group_protocol") == "consumer")
        self._on_commit: Optional[Callable] = settings.py.get("on_commit")
        self._subscription: Optional[list] = None
        # A subscription whose topics have not been looked for in the
        # cluster yet (poll() reports those it lacks, once).
        self._unchecked = False
        self._on_assign: Optional[Callable] = None
        self._on_revoke: Optional[Callable] = None
        self._on_lost: Optional[Callable] = None
        self._manual = False  # partitions assigned with assign()
        self._assignment: dict[_TP, int] = {}  # partition -> offset it was assigned at
        self._known_topics: set = set()  # topics of partitions assigned at some time
        # What assignment() lists while on_assign runs: librdkafka's
        # assignment before the callback assigns (None outside it).
        self._shown: Optional[dict] = None
        # An eager member's assignment is in place, maybe empty: librdkafka
        # revokes it (on_revoke([]) too) before the next one and on leaving
        # (incremental rebalances revoke only what they take).
        self._held = False
        self._positions: dict[_TP, int] = {}  # after the last message returned since an assignment or seek
        # The committed offset a commit compares a stored offset with (only
        # a greater one is committed, as librdkafka does): this consumer's
        # last commit, or what it read of the group's.
        self._committed: dict[_TP, int] = {}
        # A group member's partitions whose committed offset kfk read at
        # assignment is not known here: it is at most the offset kfk
        # started from, and read when a commit depends on it.
        self._unsure: dict[_TP, int] = {}
        # What kfk delivered, in its order: messages it handed over (not
        # returned yet) and rebalances ((kind, partitions) tuples).
        self._stream: collections.deque = collections.deque()
        self._consuming = False  # a kfk_consume is in flight (at most one is)
        self._later: list = []  # on_commit calls to serve at the next poll
        self._in_on_revoke = False
        self._last_auto_commit = time.monotonic()
        self._coordinator: Optional[Conn] = None
        # enable.partition.eof: kfk reports no end of partition, so when a
        # consume request comes back empty this layer asks for the ends of
        # the assigned partitions and compares them with the positions.
        self._eof = bool(settings.py.get("partition_eof", False))
        self._starts: dict[_TP, int] = {}  # where consumption of a partition started
        self._eof_at: dict[_TP, int] = {}  # the last end reported per partition
        self._idle = False  # a consume request came back empty
        self._asking_ends = False
        self._consume_tag = self._queue.register(self._consumed, persistent=True)
        self._client.connect(callback=lambda result, err: None)  # failures go to error_cb

    # -- consuming -----------------------------------------------------------

    def _issue(self, wanted: int) -> None:
        """Ask kfk for up to wanted messages (kfk commits only what this
        layer stored, so a message handed over and not returned yet is
        never committed)."""
        code = self._client._lib.kfk_consume_max(self._client.handle, max(1, wanted), None, self._consume_tag)
        if code:
            raise KafkaException(from_kfk(_KfkError(code), "consume"))
        self._consuming = True

    def _consumed(self, kind: int, result: Any, err: Optional[_KfkError]) -> None:
        """A consume request's events: its message, then its RESULT."""
        if kind == _ffi.EVENT_MESSAGE:
            self._stream.append(result)
        else:
            self._consuming = False
            if self._eof and err is None and isinstance(result, dict) and result.get("count") == 0:
                self._idle = True

    def _position(self, which: _TP) -> Optional[int]:
        """Where the application stands in a partition, if known."""
        return self._positions.get(which, self._starts.get(which))

    def _ask_ends(self) -> None:
        """enable.partition.eof: queue an end-of-partition event for each
        assigned partition kfk has fetched to its end (after a consume
        request came back empty, nothing fetched waits to be returned)."""
        self._idle, self._asking_ends = False, True

        def done(result: Any, err: Optional[_KfkError]) -> None:
            self._asking_ends = False
            if err is not None or not isinstance(result, dict):
                return
            waiting = {(x.topic, x.partition) for x in self._stream if isinstance(x, _KfkMessage)}
            for key, v in result.items():
                topic, _, part = key.rpartition(":")
                which, end = (topic, int(part)), v["latest"]
                if (which in self._assignment and which not in waiting and v["current"] == end
                        and self._position(which) is not None and self._eof_at.get(which) != end):
                    self._eof_at[which] = end
                    self._stream.append(_Eof(topic, int(part), end))

        try:
            self._client._request(self._client._lib.kfk_lag, callback=done)
        except _KfkError:
            self._asking_ends = False

    def _take(self) -> Optional[Message]:
        """The next message kfk delivered, as returned to the application
        (its position moves past it), serving the rebalances delivered
        before it. A message of a partition whose assignment is still
        ahead in the stream has that assignment served first."""
        while self._stream:
            item = self._stream.popleft()
            if isinstance(item, tuple):
                self._serve_rebalance(*item)
                continue
            if isinstance(item, Message):  # an event made here (a subscribed topic missing)
                return item
            if isinstance(item, _Eof):
                which = (item.topic, item.partition)
                if which in self._assignment and self._eof_at.get(which) == item.offset:
                    # As librdkafka's event: the error's text is its value too.
                    text = (f"Fetch from {item.topic} [{item.partition}] reached end of partition at offset "
                            f"{item.offset}")
                    return Message(item.topic, item.partition, item.offset, None, text.encode(), None,
                                   KafkaError(KafkaError._PARTITION_EOF, text),  # type: ignore[attr-defined]
                                   (TIMESTAMP_NOT_AVAILABLE, -1))
                continue
            m: _KfkMessage = item
            which = (m.topic, m.partition)
            if which not in self._assignment:
                ahead = next((x for x in self._stream if isinstance(x, tuple) and x[0] == _ffi.EVENT_ASSIGN
                              and any((p["topic"], p["partition"]) == which for p in x[1])), None)
                if ahead is None:
                    continue  # unassigned meanwhile: kfk dropped its position too
                self._stream.remove(ahead)
                self._serve_rebalance(*ahead)
            self._positions[which] = m.offset + 1
            if self._auto_store:
                self._stored[which] = self._unstored[which] = m.offset + 1
            self._eof_at.pop(which, None)  # the end is further on
            return Message(m.topic, m.partition, m.offset, m.key, m.value, m._headers or None, None,
                           (m.timestamp_type, m.timestamp))
        return None

    def _step(self, deadline: Optional[float], wanted: int) -> bool:
        """Serve callbacks and events for a while, asking kfk for up to
        wanted messages if no request is in flight; False once the deadline
        passed."""
        if self._unchecked:
            self._unchecked = False
            self._report_unavailable()
        self._auto_commit_when_due()
        self._serve_later()
        if self._stream:
            return True
        if self._idle and not self._asking_ends:
            self._ask_ends()
        if not self._consuming:
            self._issue(wanted)
        wait = left(deadline)
        self._queue.poll(0.1 if wait is None else min(wait, 0.1))
        return not (deadline is not None and time.monotonic() >= deadline)

    def poll(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next message, or None once timeout seconds passed (None or
        negative: no limit). Rebalance callbacks run from here."""
        self._check_open()
        deadline = deadline_of(timeout)
        while True:
            msg = self._take()
            if msg is None and not self._step(deadline, _POLL_AHEAD):
                msg = self._take()
                if msg is None:
                    return None
            if msg is not None:
                self._store_returned()
                self._auto_commit_when_due()
                return msg

    def consume(self, num_messages: int = 1, timeout: Optional[float] = -1) -> list:
        """Up to num_messages messages, waiting up to timeout seconds for
        them (None or negative: until there are num_messages)."""
        self._check_open()
        if isinstance(num_messages, bool) or not isinstance(num_messages, int):
            raise TypeError("num_messages must be an int")
        if num_messages < 0 or num_messages > 1000000:
            raise ValueError("num_messages must be between 0 and 1000000 (1M)")
        deadline = deadline_of(timeout)
        out: list = []
        while len(out) < num_messages:
            msg = self._take()
            if msg is not None:
                out.append(msg)
                continue
            if not self._step(deadline, num_messages - len(out)):
                while len(out) < num_messages:
                    msg = self._take()
                    if msg is None:
                        break
                    out.append(msg)
                break
        if out:
            self._store_returned()
            self._auto_commit_when_due()
        return out

    def _store_returned(self) -> None:
        """Store in kfk the positions returned since the last store (a
        group member's; partitions given up meanwhile are left out). Runs
        after every poll() that returns a message: each partition's
        kfk_topic_partition_t is made once and only its offset set."""
        if not self._unstored:
            return
        unstored, self._unstored = self._unstored, {}
        if self._subscription is None:
            return
        store, handle = _ffi.store_offsets, self._client._handle  # poll() checked it is open
        for which, offset in unstored.items():
            entry = self._store_entries.get(which)
            if entry is None:
                tp = _ffi.TopicPartition()
                tp.topic, tp.partition, tp.leader_epoch = _s(which[0], "topic"), which[1], -1
                entry = self._store_entries[which] = (tp, ctypes.addressof(tp))
            entry[0].offset = offset
            code = store(handle, entry[1], 1)
            if code and code != _ffi.ERR_STATE:  # not assigned any more: nothing of it is committed
                raise KafkaException(from_kfk(_KfkError(code), "StoreOffsets failed"))

    def _settle(self) -> None:
        """Make kfk's handed-over positions equal to what this consumer
        returned: wait for the consume request in flight, then give back
        with a seek what kfk handed over and this layer has not returned.
        Messages delivered before a rebalance still to be served stay: kfk
        has already committed or dropped their partitions' positions, and
        they are returned in order."""
        deadline = time.monotonic() + _SETTLE_S
        while self._consuming and time.monotonic() < deadline:
            self._queue.poll(0.1)
        last = max((i for i, x in enumerate(self._stream) if isinstance(x, tuple)), default=-1)
        firsts: dict[_TP, int] = {}
        kept = collections.deque()
        for i, x in enumerate(self._stream):
            if i <= last or isinstance(x, (_Eof, Message)):
                kept.append(x)
            else:
                firsts.setdefault((x.topic, x.partition), x.offset)
        self._stream = kept
        for (topic, partition), offset in firsts.items():
            self._seek(topic, partition, offset)

    def _seek(self, topic: str, partition: int, offset: int) -> None:
        try:
            self._client.seek(topic, partition, offset)
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, f"Failed to seek to offset {offset}")) from None

    # -- rebalances ----------------------------------------------------------

    def _on_group_event(self, kind: int, partitions: list) -> None:
        self._stream.append((kind, partitions))

    def _serve_later(self) -> None:
        later, self._later = self._later, []
        for fn in later:
            fn()

    def _serve_rebalance(self, kind: int, parts: list) -> None:
        if kind == _ffi.EVENT_ASSIGN:
            self._serve_assign(parts)
            return
        if kind == _ffi.EVENT_REVOKE:
            self._serve_revoke(parts)
            return
        # Lost partitions (the member's session or generation is gone):
        # on_lost, or on_revoke without one, as librdkafka calls them;
        # nothing of them can be committed.
        self._forget(parts)
        self._held = False
        callback = self._on_lost if self._on_lost is not None else self._on_revoke
        if callback is not None:
            self._in_on_revoke = True
            try:
                callback(self, [TopicPartition(p["topic"], p["partition"]) for p in parts])
            finally:
                self._in_on_revoke = False

    def _serve_assign(self, parts: list) -> None:
        """on_assign for partitions kfk's group assigned (librdkafka tells
        it no offsets). An empty assignment is reported too, as librdkafka
        reports it (an eager member's, and an incremental rebalance that
        adds nothing), unless the subscription matches no topic
        (librdkafka then joins no group)."""
        if not self._incremental:
            if self._held:
                self._serve_revoke([])  # kfk reports no revocation of an empty assignment
            if not parts and self._subscribes_to_nothing():
                return
            self._held = True
        elif not parts and self._subscribes_to_nothing():
            return
        added = set()
        for p in parts:
            which = (p["topic"], p["partition"])
            added.add(which)
            self._assignment[which] = OFFSET_STORED
            self._known_topics.add(p["topic"])
            # kfk tells where it starts, not the committed offset it read:
            # that one or further on (auto.offset.reset's, or where this
            # member got to); negative when none was committed.
            self._committed.pop(which, None)
            self._unsure.pop(which, None)
            if p.get("offset", -1) >= 0:
                self._starts[which] = self._unsure[which] = p["offset"]
        if self._on_assign is None:
            return
        self._shown = {w: o for w, o in self._assignment.items() if w not in added}
        try:
            self._on_assign(self, [TopicPartition(p["topic"], p["partition"]) for p in parts])
        finally:
            shown, self._shown = self._shown, None
            # Offsets given to assign() in on_assign are what assignment() lists.
            self._assignment.update({w: o for w, o in shown.items() if w in added})

    def _subscribes_to_nothing(self) -> bool:
        """Whether no topic of the cluster is subscribed to: none of the
        names exists and no pattern matches (internal topics only by name)."""
        unmatched = self._unmatched(self._subscription or [])
        return unmatched is not None and len(unmatched) == len(self._subscription or [])

    def _unmatched(self, subscription: list) -> Optional[dict]:
        """{entry: error code} for the entries of subscription that name or
        match no topic of the cluster (UNKNOWN_TOPIC_OR_PART, or the error
        the cluster gives for a name); None when that cannot be told (no
        broker answers, or a pattern Python's re cannot read: kfk's are
        RE2's)."""
        unknown = KafkaError.UNKNOWN_TOPIC_OR_PART  # type: ignore[attr-defined]
        names = [t for t in subscription if not t.startswith("^")]
        try:
            patterns = {t: re.compile(t) for t in subscription if t.startswith("^")}
        except re.error:
            return None
        out: dict = {}
        try:
            if names:
                # The client's own request: it creates no topic unless
                # allow.auto.create.topics (as librdkafka's consumer). With a
                # pattern subscribed it asks for every topic, so a name it
                # does not list is not in the cluster.
                topics = self._client.metadata(names).result(10.0).get("topics") or []
                codes = {t["name"]: t.get("error_code", 0) for t in topics}
                for name in names:
                    if codes.get(name, unknown) in _UNAVAILABLE:
                        out[name] = codes.get(name, unknown)
            if patterns:
                conn = self._bootstrap_conn(10.0)
                try:
                    topics = conn.metadata(None).result(10.0).get("topics") or []
                finally:
                    conn.close()
                found = [t["name"] for t in topics if t.get("error_code") != unknown and not t.get("is_internal")]
                out.update({p: unknown for p, x in patterns.items() if not any(x.search(name) for name in found)})
        except _KfkError:
            return None
        return out

    def _report_unavailable(self) -> None:
        """An error event, once, for each entry of a new subscription that
        names or matches no topic of the cluster, as librdkafka reports
        them: UNKNOWN_TOPIC_OR_PART for the entry (topic() is the name or
        the pattern), its text also the value."""
        for entry, code in sorted((self._unmatched(self._subscription or []) or {}).items()):
            text = f"{entry}: subscribed to, but not in the cluster ({KafkaError(code).str()})"
            self._stream.append(Message(entry, 0, None, None, text.encode(), None, KafkaError(code, text),
                                        (TIMESTAMP_NOT_AVAILABLE, -1)))

    def _serve_revoke(self, parts: list) -> None:
        """A revocation kfk waits for (revoke_wait), as librdkafka waits for
        its rebalance callback: on_revoke runs while the partitions are
        still this member's, so assignment() lists them and a commit
        commits them; with enable.auto.commit their stored offsets are
        committed next; then kfk gives them up. An eager member's empty
        assignment is revoked with on_revoke([])."""
        if not parts and not self._held:
            return
        self._held = False
        try:
            # What kfk commits as it gives the partitions up (and a commit in
            # on_revoke) is what was returned.
            self._settle()
            self._store_returned()
            if self._on_revoke is not None:
                self._in_on_revoke = True
                try:
                    self._on_revoke(self, [TopicPartition(p["topic"], p["partition"]) for p in parts])
                finally:
                    self._in_on_revoke = False
            # Committed here rather than by kfk as it gives them up, so that
            # on_commit hears of it (kfk then finds nothing new to commit),
            # right after on_revoke as in librdkafka.
            self._commit_removed([(p["topic"], p["partition"]) for p in parts])
            self._serve_later()
        finally:
            self._forget(parts)
            try:
                if parts:  # (kfk waits for no revocation of nothing)
                    self._client.revoke_done()
            except _KfkError:
                pass  # the client is closing: nothing waits any more

    def _forget(self, parts: list) -> None:
        """Drop what this layer keeps of partitions no longer assigned."""
        for p in parts:
            which = (p["topic"], p["partition"])
            for kept in (self._assignment, self._starts, self._positions, self._stored, self._unstored, self._committed,
                         self._unsure, self._eof_at):
                kept.pop(which, None)

    def subscribe(self, topics: Sequence[str], on_assign: Optional[Callable] = None,
                  on_revoke: Optional[Callable] = None, on_lost: Optional[Callable] = None) -> None:
        """Join the group (group.id) for these topics; a topic beginning
        with ^ is a regular expression matched against the cluster's
        topics. on_assign, on_revoke and on_lost get (consumer,
        [TopicPartition]); partitions lost without being given up (an
        expired session) go to on_lost, or to on_revoke without one."""
        self._check_open()
        if not isinstance(topics, (list, tuple)) or not all(isinstance(t, str) for t in topics):
            raise TypeError("expected list of topic unicode strings")
        for name, fn in (("on_assign", on_assign), ("on_revoke", on_revoke), ("on_lost", on_lost)):
            if fn is not None and not callable(fn):
                raise TypeError(f"expected {name} callable")
        if self._manual:
            self._commit_removed(list(self._assignment))
            self._client._lib.kfk_assign(self._client.handle, None, 0)
            self._manual = False
            self._forget([{"topic": t, "partition": p} for t, p in self._assignment])
        self._on_assign, self._on_revoke, self._on_lost = on_assign, on_revoke, on_lost
        if self._subscription is not None:
            # Subscribing again revokes the old subscription's partitions
            # first (on_revoke is the one given now, as in librdkafka, which
            # calls it from the next poll): kfk's member leaves as the new
            # one starts, and a rebalance it delivers meanwhile is moot.
            self._settle()
            self._revoke_before_leaving()
            self._stream = collections.deque(x for x in self._stream if not isinstance(x, tuple))
        try:
            self._client.subscribe(list(topics), self._group_id,
                                   on_assign=lambda parts: self._on_group_event(_ffi.EVENT_ASSIGN, parts),
                                   on_revoke=lambda parts: self._on_group_event(_ffi.EVENT_REVOKE, parts),
                                   on_lost=lambda parts: self._on_group_event(_ffi.EVENT_LOST, parts),
                                   revoke_wait=True, answer_revoke=False,
                                   # librdkafka calls on_assign after every incremental
                                   # rebalance, with [] when it added nothing.
                                   assign_empty=self._incremental, **self._group_options)
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "subscribe")) from None
        self._subscription = list(topics)
        self._unchecked = True

    def unsubscribe(self) -> None:
        """Leave the group (committing first with enable.auto.commit)."""
        self._check_open()
        if self._subscription is None:
            return
        self._settle()
        early = self._revoke_before_leaving()
        try:
            self._client.unsubscribe()
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "unsubscribe")) from None
        self._told_already(early)
        self._subscription = None

    def _revoke_before_leaving(self) -> set:
        """on_revoke for the assignment before the member leaves, as
        librdkafka calls it: kfk gives the partitions up as it leaves, so a
        commit in on_revoke is made while they are still this member's.
        Returns the partitions on_revoke was told of. Rebalances kfk
        delivered and this layer has not served come first, in order (the
        messages among them are not returned: the member leaves)."""
        while any(isinstance(x, tuple) for x in self._stream):
            x = self._stream.popleft()
            if isinstance(x, tuple):
                self._serve_rebalance(*x)
        early = set(self._assignment)
        self._serve_revoke([{"topic": t, "partition": p} for (t, p) in sorted(early)])  # in order, as librdkafka
        return early

    def _told_already(self, early: set) -> None:
        """Drop from kfk's REVOKE of leaving, now in the stream, the
        partitions on_revoke was told of before leaving."""
        kept: collections.deque = collections.deque()
        for x in self._stream:
            if isinstance(x, tuple) and x[0] == _ffi.EVENT_REVOKE:
                x = (x[0], [p for p in x[1] if (p["topic"], p["partition"]) not in early])
                if not x[1]:
                    continue
            kept.append(x)
        self._stream = kept

    def assignment(self) -> list:
        """The partitions assigned now, with the offsets they were assigned
        at (OFFSET_STORED for the committed one); in on_assign, those
        assigned before it and by it."""
        self._check_open()
        shown = self._assignment if self._shown is None else self._shown
        return [TopicPartition(t, p, off) for (t, p), off in shown.items()]

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Consume these partitions, each from its offset (OFFSET_STORED or
        OFFSET_INVALID: the committed offset, else auto.offset.reset).
        While subscribed, only from on_assign: its offsets become seeks."""
        self._check_open()
        tps = _tp_list(partitions)
        if self._subscription is not None:
            if self._incremental:
                raise error(KafkaError._STATE, "assign() of a cooperative member's partitions: "  # type: ignore
                            "use incremental_assign() in on_assign")
            if self._shown is None:
                raise NotImplementedError("Consumer.assign while subscribed, outside on_assign: kfk's group "
                                          "assigns the partitions")
            for tp in tps:
                if tp.offset not in (OFFSET_STORED, OFFSET_INVALID):
                    self.seek(tp)
            self._shown = {(tp.topic, tp.partition): _assigned_at(tp.offset) for tp in tps}
            return
        self._settle()
        self._commit_removed(list(self._assignment))
        entries = []
        for tp in tps:
            entries.append({"topic": tp.topic, "partition": tp.partition,
                            "offset": self._absolute(tp.topic, tp.partition,
                                                     self._resolve(tp.topic, tp.partition, tp.offset))})
        try:
            self._client.assign(entries)
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "assign")) from None
        self._manual = bool(tps)
        self._assignment = {(tp.topic, tp.partition): _assigned_at(tp.offset) for tp in tps}
        self._known_topics.update(tp.topic for tp in tps)
        # As in librdkafka, partitions start again with no position and
        # nothing stored; what was committed stays what commits compare with.
        self._positions.clear()
        self._stored.clear()
        self._starts = {(e["topic"], e["partition"]): e["offset"] for e in entries if e["offset"] >= 0}
        self._eof_at.clear()
        self._stream.clear()

    def unassign(self) -> None:
        """Stop consuming the assigned partitions (in on_revoke: kfk gives
        them up once it returns)."""
        self._check_open()
        if self._subscription is not None:
            if self._in_on_revoke or not self._assignment:
                return
            if self._incremental:  # as librdkafka: its assignment changes only incrementally
                raise error(KafkaError._STATE, "unassign() of a cooperative member's partitions: "  # type: ignore
                            "use incremental_unassign() in on_revoke")
            raise NotImplementedError("Consumer.unassign while subscribed, outside on_revoke: kfk's group "
                                      "assigns the partitions")
        self._settle()
        self._commit_removed(list(self._assignment))
        self._client.assign([])
        self._manual = False
        self._assignment.clear()
        self._positions.clear()
        self._starts.clear()
        self._stored.clear()
        self._stream.clear()

    def _check_incremental(self, call: str) -> None:
        """incremental_* of a group member needs the cooperative protocol,
        and kfk's group makes the change itself: the call is accepted from
        the rebalance callback that reports it."""
        if not self._incremental:
            raise error(KafkaError._STATE, f"{call}() of an eager member's partitions: "  # type: ignore
                        "use assign() and unassign() in the rebalance callbacks")
        if not (self._shown is not None if call == "incremental_assign" else self._in_on_revoke):
            raise NotImplementedError(f"Consumer.{call} while subscribed, outside "
                                      f"{'on_assign' if call == 'incremental_assign' else 'on_revoke'}: "
                                      "kfk's group assigns the partitions")

    def incremental_assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Add partitions to the assignment, each from its offset (as
        assign()). While subscribed (cooperative-sticky), only from
        on_assign: its offsets become seeks."""
        self._check_open()
        tps = _tp_list(partitions)
        if self._subscription is not None:
            self._check_incremental("incremental_assign")
            for tp in tps:
                if tp.offset not in (OFFSET_STORED, OFFSET_INVALID):
                    self.seek(tp)
            self._shown.update({(tp.topic, tp.partition): _assigned_at(tp.offset) for tp in tps})
            return
        for tp in tps:
            if (tp.topic, tp.partition) in self._assignment:
                raise error(KafkaError._CONFLICT,  # type: ignore[attr-defined]
                            f"{tp.topic} [{tp.partition}] is already part of the current assignment")
        entries = [{"topic": tp.topic, "partition": tp.partition,
                    "offset": self._absolute(tp.topic, tp.partition, self._resolve(tp.topic, tp.partition, tp.offset))}
                   for tp in tps]
        try:
            self._client.incremental_assign(entries)
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "incremental_assign")) from None
        self._manual = self._manual or bool(tps)
        self._assignment.update({(tp.topic, tp.partition): _assigned_at(tp.offset) for tp in tps})
        self._known_topics.update(tp.topic for tp in tps)
        self._starts.update({(e["topic"], e["partition"]): e["offset"] for e in entries if e["offset"] >= 0})

    def incremental_unassign(self, partitions: Sequence[TopicPartition]) -> None:
        """Remove partitions from the assignment, the others going on.
        While subscribed (cooperative-sticky), only from on_revoke (kfk
        gives them up once it returns)."""
        self._check_open()
        tps = _tp_list(partitions)
        if self._subscription is not None or self._in_on_revoke:  # (close() serves on_revoke unsubscribed)
            self._check_incremental("incremental_unassign")
            return
        for tp in tps:
            if (tp.topic, tp.partition) not in self._assignment:
                raise error(KafkaError._INVALID_ARG,  # type: ignore[attr-defined]
                            f"{tp.topic} [{tp.partition}] can't be unassigned since it is not in the current "
                            "assignment")
        self._settle()
        self._commit_removed([(tp.topic, tp.partition) for tp in tps])
        try:
            self._client.incremental_unassign([{"topic": tp.topic, "partition": tp.partition} for tp in tps])
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "incremental_unassign")) from None
        gone = {(tp.topic, tp.partition) for tp in tps}
        for which in gone:
            for kept in (self._assignment, self._positions, self._starts, self._stored, self._eof_at):
                kept.pop(which, None)
        self._stream = collections.deque(x for x in self._stream if isinstance(x, (tuple, Message))
                                         or (x.topic, x.partition) not in gone)
        self._manual = bool(self._assignment)

    def _resolve(self, topic: str, partition: int, offset: int) -> int:
        """An offset kfk can start from: OFFSET_STORED and OFFSET_INVALID
        become the committed offset, else auto.offset.reset's."""
        if offset >= 0 or offset in (OFFSET_BEGINNING, OFFSET_END):
            return offset
        if offset not in (OFFSET_STORED, OFFSET_INVALID):
            raise KafkaException(KafkaError(KafkaError._INVALID_ARG,  # type: ignore[attr-defined]
                                            f"invalid offset {offset} for {topic} [{partition}]"))
        committed = self._committed_offsets(None).get((topic, partition), OFFSET_INVALID)
        self._note_committed((topic, partition), committed)
        if committed >= 0:
            return committed
        return OFFSET_BEGINNING if self._reset == "earliest" else OFFSET_END

    def _absolute(self, topic: str, partition: int, offset: int) -> int:
        """With enable.partition.eof, where a logical start offset is now
        (the end events compare positions with ends)."""
        if offset >= 0 or not self._eof:
            return offset
        try:
            ends = self._client.offsets_for(topic).get(partition)
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Failed to get watermark offsets")) from None
        if ends is None:
            return offset
        return ends["earliest"] if offset == OFFSET_BEGINNING else ends["latest"]

    def seek(self, partition: TopicPartition) -> None:
        """Move an assigned partition's position; the next poll() reads
        from there. As in librdkafka, position() knows none until then,
        and what commits take stays."""
        self._check_open()
        if not isinstance(partition, TopicPartition):
            raise TypeError("expected a TopicPartition")
        which = (partition.topic, partition.partition)
        if which not in self._assignment:
            raise self._unassigned(partition.topic, f"Failed to seek to offset {partition.offset}: "
                                                    f"{partition.topic} [{partition.partition}] is not assigned")
        offset = self._absolute(partition.topic, partition.partition,
                                self._resolve(partition.topic, partition.partition, partition.offset))
        self._settle()
        self._seek(partition.topic, partition.partition, offset)
        self._eof_at.pop(which, None)
        self._positions.pop(which, None)
        if offset >= 0:
            self._starts[which] = offset
        else:
            self._starts.pop(which, None)

    def _unassigned(self, topic: str, reason: str) -> KafkaException:
        """librdkafka's error for a partition not assigned: _STATE in a
        topic it has assigned partitions of, else _UNKNOWN_PARTITION."""
        code = KafkaError._STATE if topic in self._known_topics else KafkaError._UNKNOWN_PARTITION  # type: ignore
        return error(code, reason)

    def position(self, partitions: Sequence[TopicPartition]) -> list:
        """The offset after the last message returned per partition
        (OFFSET_INVALID before any since it was assigned or sought)."""
        self._check_open()
        return [_tp(tp.topic, tp.partition, self._positions.get((tp.topic, tp.partition), OFFSET_INVALID))
                for tp in _tp_list(partitions)]

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        """Stop fetching and returning messages of these partitions until
        resume(); positions stay. Partitions not assigned are ignored, as
        librdkafka ignores them; a rebalance that takes a partition away
        ends its pause."""
        self._check_open()
        entries = [{"topic": tp.topic, "partition": tp.partition} for tp in _tp_list(partitions)]
        self._pause_call(self._client.pause, entries, "pause")
        # Messages kfk handed over before the pause and not returned yet
        # go back: they come again after resume().
        self._settle()

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        """Resume paused partitions from where they stopped."""
        self._check_open()
        self._pause_call(self._client.resume, [{"topic": tp.topic, "partition": tp.partition}
                                               for tp in _tp_list(partitions)], "resume")

    @staticmethod
    def _pause_call(call: Callable, entries: list, what: str) -> None:
        try:
            call(entries)
        except _KfkError as exc:
            if exc.code != _ffi.ERR_STATE:  # a partition not assigned: the others are done
                raise KafkaException(from_kfk(exc, what)) from None

    def store_offsets(self, message: Optional[Message] = None, offsets: Optional[list] = None) -> None:
        """With enable.auto.offset.store=false: the offsets commit() and
        automatic commits take, message's offset + 1 or each offset given
        (the next to read)."""
        self._check_open()
        if message is not None and offsets is not None:
            raise ValueError("message and offsets are mutually exclusive")
        if message is None and offsets is None:
            raise ValueError("expected either message or offsets")
        if self._auto_store:
            raise error(KafkaError._INVALID_ARG,  # type: ignore[attr-defined]
                        "StoreOffsets failed: Local: Invalid argument or configuration")
        if message is not None:
            if not isinstance(message, Message):
                raise TypeError("expected message to be a Message")
            if message.error() is not None:
                raise error(KafkaError._INVALID_ARG,  # type: ignore[attr-defined]
                            "Cannot store offsets for a message with an error")
            wanted = {(message.topic(), message.partition()): message.offset() + 1}
        else:
            wanted = {(tp.topic, tp.partition): tp.offset for tp in _tp_list(offsets)}
        mine = {w: o for w, o in wanted.items() if w in self._assignment}
        if wanted and not mine:  # librdkafka fails only then, with the last partition's error
            topic, partition = list(wanted)[-1]
            raise self._unassigned(topic, f"StoreOffsets failed: {topic} [{partition}] is not assigned")
        # An invalid offset stores nothing (commits skip it in librdkafka).
        valid = {w: o for w, o in mine.items() if o >= 0}
        try:
            self._client.store_offsets([{"topic": t, "partition": p, "offset": o} for (t, p), o in valid.items()])
        except _KfkError as exc:
            if exc.code != _ffi.ERR_STATE:  # revoked meanwhile: as if not assigned
                raise KafkaException(from_kfk(exc, "StoreOffsets failed")) from None
        self._stored.update(valid)

    def memberid(self) -> Optional[str]:
        """The member id the group coordinator gave this consumer; None
        before it has one, and outside a group."""
        self._check_open()
        try:
            return self._client.member_id() or None
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "memberid")) from None

    def consumer_group_metadata(self) -> GroupMetadataHandle:
        """For Producer.send_offsets_to_transaction()."""
        self._check_open()
        return GroupMetadataHandle(self._group_id)

    # -- commits ---------------------------------------------------------------

    def commit(self, message: Optional[Message] = None, offsets: Optional[Sequence[TopicPartition]] = None,
               asynchronous: bool = True) -> Optional[list]:
        """Commit the positions of the messages returned (no arguments),
        message's offset + 1, or offsets. Synchronous commits return the
        offsets committed."""
        self._check_open()
        if message is not None and offsets is not None:
            raise ValueError("message and offsets are mutually exclusive")
        wanted: Optional[dict[_TP, int]] = None
        if message is not None:
            if not isinstance(message, Message):
                raise TypeError("expected message to be a Message")
            if message.error() is not None:
                raise error(KafkaError._INVALID_ARG, "Cannot commit offsets for a message with an error")  # type: ignore
            wanted = {(message.topic(), message.partition()): message.offset() + 1}
        elif offsets is not None:
            wanted = {(tp.topic, tp.partition): tp.offset for tp in _tp_list(offsets)}
        if self._subscription is not None:
            return self._commit_member(wanted, asynchronous)
        return self._commit_direct(wanted, asynchronous)

    def _to_commit(self, reread: bool = True) -> dict:
        """What a commit without offsets commits: each assigned partition's
        stored offset when it is above the committed one (librdkafka
        commits no other, so a seek back or a new assignment rewinds
        nothing). A group member reads the committed offsets it cannot
        know: what kfk read at assignment, when the stored offset may not
        be above it, and with enable.auto.commit (reread) what kfk's own
        periodic commits made. The periodic commit made here rereads
        none, so that it reports what kfk's committed unreported."""
        stored = {w: o for w, o in self._stored.items() if w in self._assignment and o >= 0}
        if self._subscription is not None:
            unsure = [w for w, o in stored.items()
                      if (self._auto_commit and reread) or o <= self._unsure.get(w, OFFSET_INVALID)]
            if unsure:
                self._read_committed(unsure)
        return {w: o for w, o in stored.items() if o > self._committed.get(w, OFFSET_INVALID)}

    def _read_committed(self, parts: list) -> None:
        res = self._coordinator_call(lambda c: c.offset_fetch(self._group_id, sorted({t for t, _ in parts})),
                                     "Failed to get committed offsets")
        got = {(t["topic"], p["partition"]): p["offset"] for t in res.get("topics") or []
               for p in t.get("partitions") or [] if not p.get("error_code")}
        for which in parts:
            self._note_committed(which, got.get(which, OFFSET_INVALID))

    def _note_committed(self, which: _TP, offset: int) -> None:
        """offset is the partition's committed offset, as commits compare
        stored offsets with it."""
        self._unsure.pop(which, None)
        if offset >= 0:
            self._committed[which] = offset
        else:
            self._committed.pop(which, None)

    def _listed(self, offsets: dict) -> list:
        """What a commit without offsets returns and tells on_commit, as
        librdkafka: every assigned partition, OFFSET_INVALID where nothing
        new was committed."""
        return sorted(_tp(t, p, offsets.get((t, p), OFFSET_INVALID)) for t, p in self._assignment)

    def _no_offset(self, asynchronous: bool, listed: list) -> None:
        """Nothing to commit: raise _NO_OFFSET, or for an asynchronous
        commit tell on_commit at the next poll, as librdkafka does."""
        err = KafkaError(KafkaError._NO_OFFSET, "Commit failed: nothing to commit")  # type: ignore
        if not asynchronous:
            raise KafkaException(err)
        if self._on_commit is not None:
            on_commit = self._on_commit
            self._later.append(lambda: on_commit(err, listed))

    def _commit_member(self, wanted: Optional[dict], asynchronous: bool, reread: bool = True) -> Optional[list]:
        """A group member's commit: with no offsets kfk commits what it
        stored (this layer stores the positions returned, or with
        enable.auto.offset.store=false the offsets given to
        store_offsets()) above the committed offsets, as librdkafka;
        offsets given are committed as they are."""
        if wanted is not None:
            return self._commit_offsets(wanted, asynchronous)
        self._store_returned()
        new = self._to_commit(reread)
        # Partitions lost and not reported yet: kfk no longer owns them (a
        # revocation not served yet waits for this layer: they are still its).
        gone = {(p["topic"], p["partition"]) for x in self._stream if isinstance(x, tuple)
                and x[0] == _ffi.EVENT_LOST for p in x[1]}
        lost = {w: o for w, o in new.items() if w in gone}
        new = {w: o for w, o in new.items() if w not in gone}
        failed = KafkaError(KafkaError.REBALANCE_IN_PROGRESS, "the partition was lost before the commit")  # type: ignore
        listed = sorted([tp for tp in self._listed(new) if (tp.topic, tp.partition) not in lost] +
                        [_tp(t, p, o, failed) for (t, p), o in lost.items()])
        if not new and not lost:
            return self._no_offset(asynchronous, listed)
        if not new:
            return None if asynchronous else listed
        if asynchronous:
            def done(result: Any, err: Optional[_KfkError]) -> None:
                if err is None:
                    self._noted(new)
                if self._on_commit is not None:
                    self._on_commit(None if err is None else from_kfk(err, "Commit failed"), listed)
            try:
                self._client._request(self._client._lib.kfk_commit, callback=done)
            except _KfkError as exc:
                raise KafkaException(from_kfk(exc, "Commit failed")) from None
            return None
        try:
            self._client.commit()
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Commit failed")) from None
        self._noted(new)
        return listed

    def _noted(self, committed: dict) -> None:
        for which, offset in committed.items():
            self._note_committed(which, offset)

    def _commit_offsets(self, wanted: dict, asynchronous: bool) -> Optional[list]:
        """A group member commits these offsets, with its generation
        (invalid ones are skipped and listed, as librdkafka does)."""
        valid = {w: o for w, o in wanted.items() if o >= 0}
        listed = [_tp(t, p, o) for (t, p), o in sorted(wanted.items())]
        if not valid:
            return self._no_offset(asynchronous, listed)
        entries = [{"topic": t, "partition": p, "offset": o} for (t, p), o in sorted(valid.items())]
        if asynchronous:
            def done(result: Any, err: Optional[_KfkError]) -> None:
                if err is None:
                    self._noted(valid)
                if self._on_commit is not None:
                    self._on_commit(None if err is None else from_kfk(err, "Commit failed"), listed)
            arr, n = _tp_array(entries)
            try:
                self._client._request(self._client._lib.kfk_commit_offsets, arr, n, callback=done)
            except _KfkError as exc:
                raise KafkaException(from_kfk(exc, "Commit failed")) from None
            return None
        try:
            self._client.commit(offsets=entries)
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Commit failed")) from None
        self._noted(valid)
        return listed

    def _commit_direct(self, wanted: Optional[dict], asynchronous: bool) -> Optional[list]:
        """A consumer outside a group commits through the coordinator with
        no generation (as Kafka allows for an empty group); an
        asynchronous commit tells on_commit at the next poll."""
        if wanted is None:
            wanted = self._to_commit()
            listed = self._listed(wanted)
        else:
            listed = [_tp(t, p, o) for (t, p), o in sorted(wanted.items())]
        wanted = {w: o for w, o in wanted.items() if o >= 0}
        if not wanted:
            return self._no_offset(asynchronous, listed)
        entries = [{"topic": t, "partition": p, "offset": o} for (t, p), o in sorted(wanted.items())]
        try:
            res = self._coordinator_call(lambda c: c.offset_commit(self._group_id, -1, "", entries), "Commit failed")
        except KafkaException as exc:
            if not asynchronous:
                raise
            res, failed = {}, exc.args[0]
        else:
            failed = None
        errors = {}
        for t in res.get("topics") or []:
            for p in t.get("partitions") or []:
                which = (t["topic"], p["partition"])
                if p.get("error_code"):
                    errors[which] = KafkaError(p["error_code"])
                    failed = failed or errors[which]
                else:
                    self._note_committed(which, wanted[which])
        listed = [_tp(tp.topic, tp.partition, tp.offset, errors.get((tp.topic, tp.partition))) for tp in listed]
        if not asynchronous:
            if failed is not None and len(wanted) == 1:
                raise KafkaException(failed)
            return listed
        if self._on_commit is not None:
            on_commit = self._on_commit
            self._later.append(lambda: on_commit(failed, listed))
        return None

    def _auto_commit_when_due(self) -> None:
        """enable.auto.commit's periodic commit, made from poll() and
        consume() so that on_commit hears of it as in librdkafka (a commit
        with nothing new is not reported). A group member's kfk commits on
        its own timer too, so that offsets are committed while the
        application does not poll: what that commits is reported by the
        next commit made here."""
        if not self._auto_commit or time.monotonic() - self._last_auto_commit < self._auto_commit_s:
            return
        self._last_auto_commit = time.monotonic()
        if self._subscription is not None:
            self._store_returned()
            if self._to_commit(reread=False):
                self._commit_member(None, True, reread=False)
        elif self._manual and self._to_commit():
            self._commit_direct(None, True)

    def _commit_removed(self, parts: list) -> None:
        """enable.auto.commit as partitions leave the assignment: the
        offsets stored for them are committed as they are (librdkafka does
        not compare them with the committed ones here), and on_commit is
        told from the next poll (a revocation tells it at once, after
        on_revoke), with OFFSET_INVALID for those with none stored. With
        none stored at all nothing is committed or told."""
        if not self._auto_commit:
            return
        wanted = {which: self._stored.get(which, OFFSET_INVALID) for which in parts}
        if not any(offset >= 0 for offset in wanted.values()):
            return
        if self._subscription is None:
            self._commit_direct(wanted, True)
            return
        failed: Optional[KafkaError] = None
        try:
            listed = self._commit_offsets(wanted, False)
        except KafkaException as exc:
            failed = exc.args[0]
            listed = [_tp(t, p, o) for (t, p), o in sorted(wanted.items())]
        if self._on_commit is not None:
            on_commit = self._on_commit
            self._later.append(lambda: on_commit(failed, listed))

    def _coordinator_call(self, call: Callable[[Conn], Any], what: str, timeout: float = 30.0) -> Any:
        """call(conn) on the group coordinator's connection, finding it (again)
        while it moves."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._coordinator is None:
                    self._coordinator = self._find_coordinator(deadline)
                res = call(self._coordinator).result(max(0.1, deadline - time.monotonic()))
            except _KfkError as exc:
                self._drop_coordinator()
                if time.monotonic() >= deadline or exc.code not in (_ffi.ERR_DISCONNECTED, _ffi.ERR_NOT_CONNECTED,
                                                                     _ffi.ERR_CONNECT, *_COORDINATOR_MOVED):
                    raise KafkaException(from_kfk(exc, what)) from None
                time.sleep(0.1)
                continue
            codes = {p.get("error_code", 0) for t in (res.get("topics") or []) for p in (t.get("partitions") or [])}
            codes.add(res.get("error_code", 0))
            if codes & set(_COORDINATOR_MOVED) and time.monotonic() < deadline:
                self._drop_coordinator()
                time.sleep(0.1)
                continue
            return res

    def _find_coordinator(self, deadline: float) -> Conn:
        while True:
            boot = self._bootstrap_conn(max(0.1, deadline - time.monotonic()))
            try:
                res = boot.find_coordinator(self._group_id).result(max(0.1, deadline - time.monotonic()))
            finally:
                boot.close()
            if res.get("error_code", 0) == 0:
                return self._conn_to(res["host"], res["port"], max(0.1, deadline - time.monotonic()))
            if res["error_code"] not in _COORDINATOR_MOVED or time.monotonic() >= deadline:
                raise _KfkError(res["error_code"], res.get("error_message") or "FindCoordinator")
            time.sleep(0.1)

    def _drop_coordinator(self) -> None:
        if self._coordinator is not None:
            self._coordinator.close()
            self._coordinator = None

    def _committed_offsets(self, timeout: Optional[float]) -> dict:
        """{(topic, partition): offset} of what the group committed."""
        try:
            res = self._client._request(self._client._lib.kfk_admin_group_lag,
                                        _s(self._group_id, "group.id")).result(timeout if timeout is not None else 30)
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Failed to get committed offsets")) from None
        out = {}
        for key, v in (res or {}).items():
            topic, _, part = key.rpartition(":")
            out[(topic, int(part))] = v["committed"]
        return out

    def committed(self, partitions: Sequence[TopicPartition], timeout: Optional[float] = None) -> list:
        """The group's committed offset per partition (OFFSET_INVALID when
        none)."""
        self._check_open()
        tps = _tp_list(partitions)
        got = self._committed_offsets(timeout)
        return [_tp(tp.topic, tp.partition, got.get((tp.topic, tp.partition), OFFSET_INVALID)) for tp in tps]

    def get_watermark_offsets(self, partition: TopicPartition, timeout: Optional[float] = None,
                              cached: bool = False) -> Optional[tuple]:
        """(low, high) of a partition, asked of the broker (cached=True asks
        too: kfk keeps no watermarks for the application)."""
        self._check_open()
        if not isinstance(partition, TopicPartition):
            raise TypeError("expected a TopicPartition")
        try:
            res = self._client._request(self._client._lib.kfk_offsets_for, _s(partition.topic, "topic")).result(
                30 if timeout is None or timeout < 0 else timeout)
        except _KfkError as exc:
            if exc.code == _ffi.ERR_TIMED_OUT:
                return None
            if exc.code != KafkaError.UNKNOWN_TOPIC_OR_PART:  # type: ignore[attr-defined]
                raise KafkaException(from_kfk(exc, "Failed to get watermark offsets")) from None
            res = None  # librdkafka's error for a missing topic is that of a missing partition
        part = (res or {}).get(str(partition.partition))
        if part is None:
            raise KafkaException(KafkaError(KafkaError._UNKNOWN_PARTITION))  # type: ignore[attr-defined]
        return part["earliest"], part["latest"]

    def offsets_for_times(self, partitions: Sequence[TopicPartition], timeout: Optional[float] = None) -> list:
        """Per partition, the first offset whose timestamp is at least the
        one given in offset (-1 past the last message). As librdkafka,
        _UNKNOWN_PARTITION is raised when no partition given exists; else
        one that does not has an error (offset left as given)."""
        self._check_open()
        tps = _tp_list(partitions)
        wait = 30.0 if timeout is None or timeout < 0 else timeout
        deadline = time.monotonic() + wait
        try:
            tree = self._client.metadata(sorted({tp.topic for tp in tps})).result(wait)
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "offsets_for_times")) from None
        brokers = {b["node_id"]: (b["host"], b["port"]) for b in tree.get("brokers") or []}
        leaders = {(t["name"], p["partition"]): p.get("leader", -1)
                   for t in tree.get("topics") or [] for p in t.get("partitions") or []}
        missing = {t["name"] for t in tree.get("topics") or []
                   if t.get("error_code") == KafkaError.UNKNOWN_TOPIC_OR_PART}  # type: ignore[attr-defined]
        if tps and not any(leaders.get((tp.topic, tp.partition), -1) in brokers for tp in tps):
            raise error(KafkaError._UNKNOWN_PARTITION,  # type: ignore[attr-defined]
                        "offsets_for_times: none of the partitions exists")
        conns: dict[int, Conn] = {}
        out = []
        try:
            for tp in tps:
                leader = leaders.get((tp.topic, tp.partition), -1)
                if leader not in brokers:
                    code = KafkaError.UNKNOWN_TOPIC_OR_PART if tp.topic in missing else KafkaError._UNKNOWN_PARTITION
                    out.append(_tp(tp.topic, tp.partition, tp.offset, KafkaError(code)))  # type: ignore
                    continue
                try:
                    if leader not in conns:
                        conns[leader] = self._conn_to(*brokers[leader], max(0.1, deadline - time.monotonic()))
                    res = conns[leader].list_offsets(tp.topic, tp.partition, tp.offset).result(
                        max(0.1, deadline - time.monotonic()))
                except _KfkError as exc:
                    raise KafkaException(from_kfk(exc, "offsets_for_times")) from None
                p = res["topics"][0]["partitions"][0]
                code = p.get("error_code", 0)
                out.append(_tp(tp.topic, tp.partition, p.get("offset", -1) if not code else OFFSET_INVALID,
                               KafkaError(code) if code else None))
        finally:
            for c in conns.values():
                c.close()
        return out

    # -- lifecycle ---------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("Consumer closed")

    def close(self) -> None:
        """Commit (enable.auto.commit), leave the group and close."""
        if self._closed:
            return
        try:
            self._settle()
            if self._manual:
                self._commit_removed(list(self._assignment))
            if self._subscription is not None:
                early = self._revoke_before_leaving()
                try:
                    self._client.unsubscribe()
                except _KfkError:
                    pass
                self._told_already(early)
                self._subscription = None
            while self._stream:  # the rebalance callbacks of leaving
                self._take()
            self._serve_later()
        finally:
            self._drop_coordinator()
            self._close_client(30.0)

    def __enter__(self) -> "Consumer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _assigned_at(offset: int) -> int:
    """The offset assignment() lists for a partition assigned at offset."""
    return OFFSET_STORED if offset == OFFSET_INVALID else offset


def _tp_list(partitions: Any) -> list:
    if not isinstance(partitions, (list, tuple)) or not all(isinstance(p, TopicPartition) for p in partitions):
        raise TypeError("expected list of TopicPartition")
    return list(partitions)


__all__ = ["Consumer"]
