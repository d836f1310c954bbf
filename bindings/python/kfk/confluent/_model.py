"""The value types of the confluent-kafka API: Message, TopicPartition,
the cluster metadata of list_topics(), and the group metadata a consumer
hands to a transactional producer."""

from __future__ import annotations

from typing import Any, Optional

from ._errors import KafkaError

TIMESTAMP_NOT_AVAILABLE = 0
TIMESTAMP_CREATE_TIME = 1
TIMESTAMP_LOG_APPEND_TIME = 2

OFFSET_BEGINNING = -2
OFFSET_END = -1
OFFSET_STORED = -1000
OFFSET_INVALID = -1001


class Message:
    """A consumed message, a delivery report, or an event (when
    ``error()`` is not None). Accessors are methods, as in confluent-kafka."""

    __slots__ = ("_topic", "_partition", "_offset", "_key", "_value", "_headers", "_error", "_timestamp",
                 "_latency", "_leader_epoch", "_delivery_count")

    def __init__(self, topic: Optional[str] = None, partition: Optional[int] = None,
                 offset: Optional[int] = None, key: Any = None, value: Any = None, headers: Optional[list] = None,
                 error: Optional[KafkaError] = None, timestamp: Optional[tuple] = None,
                 latency: Optional[float] = None, leader_epoch: Optional[int] = None,
                 delivery_count: Optional[int] = None) -> None:
        self._topic, self._partition, self._offset = topic, partition, offset
        self._key, self._value, self._headers, self._error = key, value, headers, error
        self._timestamp = (TIMESTAMP_NOT_AVAILABLE, 0) if timestamp is None else timestamp
        self._latency, self._leader_epoch = latency, leader_epoch
        self._delivery_count = delivery_count

    def topic(self) -> Optional[str]:
        return self._topic

    def partition(self) -> Optional[int]:
        return self._partition

    def offset(self) -> Optional[int]:
        return self._offset

    def key(self) -> Any:
        return self._key

    def value(self) -> Any:
        return self._value

    def headers(self) -> Optional[list]:
        """[(str, bytes or None), ...] in the record's order, or None."""
        return self._headers

    def error(self) -> Optional[KafkaError]:
        return self._error

    def timestamp(self) -> tuple:
        """(TIMESTAMP_CREATE_TIME, ms), (TIMESTAMP_LOG_APPEND_TIME, ms) or
        (TIMESTAMP_NOT_AVAILABLE, ...)."""
        return self._timestamp

    def latency(self) -> Optional[float]:
        """Seconds from produce() to the broker's acknowledgement (delivery
        reports only)."""
        return self._latency

    def leader_epoch(self) -> Optional[int]:
        """None: kfk does not report the leader epoch of a message."""
        return self._leader_epoch

    def delivery_count(self) -> Optional[int]:
        """How many times the share group has handed the record out, this
        time included (1 the first time); None outside a share consumer."""
        return self._delivery_count

    def set_topic(self, value: str) -> None:
        self._topic = value

    def set_key(self, value: Any) -> None:
        self._key = value

    def set_value(self, value: Any) -> None:
        self._value = value

    def set_headers(self, value: Optional[list]) -> None:
        self._headers = value

    def set_error(self, value: Optional[KafkaError]) -> None:
        self._error = value

    def __len__(self) -> int:
        """The value's size in bytes (0 for a null value)."""
        return 0 if self._value is None else len(self._value)

    def __repr__(self) -> str:
        if self._error is not None:
            return f"Message(error={self._error!r})"
        return f"Message({self._topic!r}, {self._partition}, {self._offset})"


class TopicPartition:
    """A topic, a partition and an offset (and, in results, an error)."""

    __slots__ = ("_topic", "partition", "offset", "_metadata", "_leader_epoch", "_error")

    def __init__(self, topic: str, partition: int = -1, offset: int = OFFSET_INVALID,
                 metadata: Optional[str] = None, leader_epoch: Optional[int] = None) -> None:
        if not isinstance(topic, str):
            raise TypeError(f"topic must be a str, not {type(topic).__name__}")
        self._topic = topic
        self.partition = _int(partition, "partition")
        self.offset = _int(offset, "offset")
        if metadata is not None and not isinstance(metadata, str):
            raise TypeError("metadata must be a str")
        self._metadata = metadata
        self._leader_epoch = None if leader_epoch is None or leader_epoch < 0 else _int(leader_epoch, "leader_epoch")
        self._error: Optional[KafkaError] = None

    @property
    def topic(self) -> str:
        return self._topic

    @property
    def metadata(self) -> Optional[str]:
        return self._metadata

    @property
    def leader_epoch(self) -> Optional[int]:
        return self._leader_epoch

    @property
    def error(self) -> Optional[KafkaError]:
        return self._error

    def _key(self) -> tuple:
        return (self._topic, self.partition)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TopicPartition):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: "TopicPartition") -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"TopicPartition{{topic={self._topic},partition={self.partition},offset={self.offset},"
                f"leader_epoch={self._leader_epoch},error={self._error}}}")

    __str__ = __repr__


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value


def _tp(topic: str, partition: int, offset: int = OFFSET_INVALID, error: Optional[KafkaError] = None,
        metadata: Optional[str] = None) -> TopicPartition:
    tp = TopicPartition(topic, partition, offset, metadata)
    tp._error = error
    return tp


class GroupMetadataHandle:
    """What Consumer.consumer_group_metadata() returns, for
    Producer.send_offsets_to_transaction(): the group's id."""

    __slots__ = ("group_id",)

    def __init__(self, group_id: str) -> None:
        self.group_id = group_id

    def __repr__(self) -> str:
        return f"GroupMetadata({self.group_id!r})"


# -- list_topics() ----------------------------------------------------------

class ClusterMetadata:
    """list_topics()'s result: brokers and topics by id and name."""

    def __init__(self) -> None:
        self.cluster_id: Optional[str] = None
        self.controller_id = -1
        self.brokers: dict[int, BrokerMetadata] = {}
        self.topics: dict[str, TopicMetadata] = {}
        self.orig_broker_id = -1
        self.orig_broker_name: Optional[str] = None

    def __repr__(self) -> str:
        return f"ClusterMetadata({self.cluster_id})"


class BrokerMetadata:
    def __init__(self) -> None:
        self.id = -1
        self.host: Optional[str] = None
        self.port = -1

    def __repr__(self) -> str:
        return f"BrokerMetadata({self.id}, {self.host}:{self.port})"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.id}"


class TopicMetadata:
    def __init__(self) -> None:
        self.topic: Optional[str] = None
        self.partitions: dict[int, PartitionMetadata] = {}
        self.error: Optional[KafkaError] = None

    def __repr__(self) -> str:
        if self.error is not None:
            return f"TopicMetadata({self.topic}, {len(self.partitions)} partitions, {self.error})"
        return f"TopicMetadata({self.topic}, {len(self.partitions)} partitions)"

    def __str__(self) -> str:
        return str(self.topic)


class PartitionMetadata:
    def __init__(self) -> None:
        self.id = -1
        self.leader = -1
        self.replicas: list[int] = []
        self.isrs: list[int] = []
        self.error: Optional[KafkaError] = None

    def __repr__(self) -> str:
        if self.error is not None:
            return f"PartitionMetadata({self.id}, {self.error})"
        return f"PartitionMetadata({self.id})"

    def __str__(self) -> str:
        return str(self.id)


def cluster_metadata(tree: dict, topics: Optional[list] = None) -> ClusterMetadata:
    """ClusterMetadata from kfk's metadata result; topics (names) limits
    the topics listed."""
    md = ClusterMetadata()
    md.cluster_id = tree.get("cluster_id")
    md.controller_id = tree.get("controller_id", -1)
    for b in tree.get("brokers") or []:
        bm = BrokerMetadata()
        bm.id, bm.host, bm.port = b["node_id"], b["host"], b["port"]
        md.brokers[bm.id] = bm
    for t in tree.get("topics") or []:
        if topics is not None and t["name"] not in topics:
            continue
        tm = TopicMetadata()
        tm.topic = t["name"]
        if t.get("error_code"):
            tm.error = KafkaError(t["error_code"])
        for p in t.get("partitions") or []:
            pm = PartitionMetadata()
            pm.id, pm.leader = p["partition"], p.get("leader", -1)
            pm.replicas, pm.isrs = list(p.get("replicas") or []), list(p.get("isr") or [])
            if p.get("error_code"):
                pm.error = KafkaError(p["error_code"])
            tm.partitions[pm.id] = pm
        md.topics[tm.topic] = tm
    if md.brokers:
        first = md.brokers[min(md.brokers)]
        md.orig_broker_id, md.orig_broker_name = first.id, f"{first.host}:{first.port}/{first.id}"
    return md
