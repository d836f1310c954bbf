"""confluent-kafka's API over kfk: change the import, keep the program.

    from kfk.confluent import Producer, Consumer, KafkaError, KafkaException, TopicPartition
    from kfk.confluent.admin import AdminClient, NewTopic

The configuration is librdkafka's (``bootstrap.servers``, ``group.id``,
``enable.auto.commit``...). What is supported, what is not, and where
behaviour differs is in CONFLUENT.md next to the binding's README.
"""

from __future__ import annotations

from ._admin_model import (ConsumerGroupState, ConsumerGroupTopicPartitions, ConsumerGroupType, IsolationLevel,
                           Node)
from ._admin_types import ElectionType, TopicCollection, TopicPartitionInfo, Uuid
from ._consumer import Consumer
from ._errors import KafkaError, KafkaException
from ._model import (OFFSET_BEGINNING, OFFSET_END, OFFSET_INVALID, OFFSET_STORED, TIMESTAMP_CREATE_TIME,
                     TIMESTAMP_LOG_APPEND_TIME, TIMESTAMP_NOT_AVAILABLE, Message, TopicPartition)
from ._producer import Producer
from ._share import AcknowledgeType, ConcurrentModificationException, IllegalStateException, Messages, ShareConsumer

__all__ = ["AcknowledgeType", "ConcurrentModificationException", "IllegalStateException", "Messages",
           "ShareConsumer", "Consumer", "ConsumerGroupState", "ConsumerGroupTopicPartitions", "ConsumerGroupType", "IsolationLevel",
           "ElectionType", "TopicCollection", "TopicPartitionInfo", "Uuid",
           "Node", "KafkaError", "KafkaException", "Message", "OFFSET_BEGINNING", "OFFSET_END",
           "OFFSET_INVALID", "OFFSET_STORED", "Producer", "TIMESTAMP_CREATE_TIME", "TIMESTAMP_LOG_APPEND_TIME",
           "TIMESTAMP_NOT_AVAILABLE", "TopicPartition", "consistent", "fnv1a", "libversion", "murmur2", "version"]

# kfk's own version, and libkfk's in place of librdkafka's.
_VERSION = "0.4.0"


def version() -> str:
    """This layer's version (kfk's); confluent-kafka returns its own here."""
    return _VERSION


def libversion() -> tuple:
    """The loaded libkfk's (version string, version as 0xMMmmrrff), in
    place of librdkafka's."""
    from .. import _ffi
    lib = _ffi.lib()
    n = lib.kfk_version()
    return lib.kfk_version_str().decode(), ((n >> 16) << 24) | (((n >> 8) & 0xff) << 16) | ((n & 0xff) << 8) | 0xff


def _check(key: bytes, partition_count: int) -> None:
    if not isinstance(key, bytes):
        raise TypeError("key must be bytes")
    if isinstance(partition_count, bool) or not isinstance(partition_count, int):
        raise TypeError("partition_count must be an int")
    if partition_count <= 0:
        raise ValueError("partition_count must be > 0")


def murmur2(key: bytes, partition_count: int) -> int:
    """The partition the murmur2 partitioners give key (Java-compatible)."""
    _check(key, partition_count)
    from .. import _ffi
    return _ffi.lib().kfk_murmur2(key, len(key)) % partition_count


def consistent(key: bytes, partition_count: int) -> int:
    """The partition the consistent partitioners give key: CRC32 of the key."""
    _check(key, partition_count)
    import zlib
    return zlib.crc32(key) % partition_count


def fnv1a(key: bytes, partition_count: int) -> int:
    """The partition the fnv1a partitioners give key: librdkafka's FNV-1a,
    a hash negative as a signed 32-bit number being negated."""
    _check(key, partition_count)
    h = 0x811C9DC5
    for b in key:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    if h >= 0x80000000:
        h = (0x100000000 - h) & 0xFFFFFFFF
    return h % partition_count
