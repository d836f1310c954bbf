"""The value types of confluent-kafka's admin API."""

from __future__ import annotations

from enum import Enum
from typing import Any, Optional, Union

from ._errors import KafkaError
from ._model import TopicPartition


def _enum(cls: type, value: Any) -> Any:
    """value as a member of cls: a member, its name (any case) or its number."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:
            return cls[value.upper()]
        except KeyError:
            raise ValueError(f"unknown {cls.__name__} {value!r}") from None
    return cls(value)


class ResourceType(Enum):
    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    BROKER = 4
    TRANSACTIONAL_ID = 5

    def __lt__(self, other: "ResourceType") -> bool:
        return self.value < other.value


class ConfigSource(Enum):
    UNKNOWN_CONFIG = 0
    DYNAMIC_TOPIC_CONFIG = 1
    DYNAMIC_BROKER_CONFIG = 2
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3
    STATIC_BROKER_CONFIG = 4
    DEFAULT_CONFIG = 5
    GROUP_CONFIG = 8


class AlterConfigOpType(Enum):
    SET = 0
    DELETE = 1
    APPEND = 2
    SUBTRACT = 3


class ConsumerGroupState(Enum):
    UNKNOWN = 0
    PREPARING_REBALANCING = 1
    COMPLETING_REBALANCING = 2
    STABLE = 3
    DEAD = 4
    EMPTY = 5


class ConsumerGroupType(Enum):
    UNKNOWN = 0
    CONSUMER = 1
    CLASSIC = 2


class IsolationLevel(Enum):
    READ_UNCOMMITTED = 0
    READ_COMMITTED = 1


# kfk's group states (lower case, no separators) and config sources.
_GROUP_STATES = {"stable": ConsumerGroupState.STABLE, "empty": ConsumerGroupState.EMPTY,
                 "dead": ConsumerGroupState.DEAD, "preparingrebalance": ConsumerGroupState.PREPARING_REBALANCING,
                 "completingrebalance": ConsumerGroupState.COMPLETING_REBALANCING}
_SOURCES = {"dynamic_topic_config": ConfigSource.DYNAMIC_TOPIC_CONFIG,
            "dynamic_broker_config": ConfigSource.DYNAMIC_BROKER_CONFIG,
            "dynamic_default_broker_config": ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
            "static_broker_config": ConfigSource.STATIC_BROKER_CONFIG,
            "default_config": ConfigSource.DEFAULT_CONFIG, "group_config": ConfigSource.GROUP_CONFIG}


def group_state(text: Optional[str]) -> ConsumerGroupState:
    key = (text or "").lower().replace("_", "").replace(" ", "")
    return _GROUP_STATES.get(key, ConsumerGroupState.UNKNOWN)


def config_source(text: Optional[str]) -> ConfigSource:
    return _SOURCES.get((text or "").lower(), ConfigSource.UNKNOWN_CONFIG)


class Node:
    def __init__(self, id: int, host: str, port: int, rack: Optional[str] = None) -> None:
        self.id, self.id_string, self.host, self.port, self.rack = id, str(id), host, port, rack

    def __repr__(self) -> str:
        return f"Node(id={self.id}, host={self.host}, port={self.port}, rack={self.rack})"


class NewTopic:
    """A topic for create_topics(): -1 partitions or replication factor
    means the broker's default."""

    def __init__(self, topic: str, num_partitions: int = -1, replication_factor: int = -1,
                 replica_assignment: Optional[list] = None, config: Optional[dict] = None) -> None:
        if not isinstance(topic, str):
            raise TypeError("topic must be a str")
        self.topic, self.num_partitions, self.replication_factor = topic, int(num_partitions), int(replication_factor)
        self.replica_assignment = replica_assignment
        if config is not None and not isinstance(config, dict):
            raise TypeError("config must be a dict of strings")
        self.config = config  # None when not given, as confluent-kafka's

    def __repr__(self) -> str:
        return f"NewTopic(topic={self.topic},num_partitions={self.num_partitions})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NewTopic) and self.topic == other.topic

    def __hash__(self) -> int:
        return hash(self.topic)


class NewPartitions:
    """create_partitions(): grow topic to new_total_count partitions."""

    def __init__(self, topic: str, new_total_count: int, replica_assignment: Optional[list] = None) -> None:
        if not isinstance(topic, str):
            raise TypeError("topic must be a str")
        self.topic, self.new_total_count, self.replica_assignment = topic, int(new_total_count), replica_assignment

    def __repr__(self) -> str:
        return f"NewPartitions(topic={self.topic},new_total_count={self.new_total_count})"


class ConfigEntry:
    def __init__(self, name: str, value: Optional[str], source: ConfigSource = ConfigSource.UNKNOWN_CONFIG,
                 is_read_only: bool = False, is_default: bool = False, is_sensitive: bool = False,
                 is_synonym: bool = False, synonyms: Optional[dict] = None,
                 incremental_operation: Optional[AlterConfigOpType] = None) -> None:
        self.name, self.value, self.source = name, value, source
        self.is_read_only, self.is_default, self.is_sensitive = is_read_only, is_default, is_sensitive
        self.is_synonym, self.synonyms = is_synonym, synonyms or {}
        self.incremental_operation = incremental_operation

    def __repr__(self) -> str:
        return f'ConfigEntry({self.name}="{self.value}")'

    def __str__(self) -> str:
        return f'{self.name}="{self.value}"'


class ConfigResource:
    """A resource whose configuration is described or altered."""

    Type = ResourceType

    def __init__(self, restype: Union[ResourceType, str, int], name: str, set_config: Optional[dict] = None,
                 described_configs: Optional[dict] = None, error: Optional[KafkaError] = None,
                 incremental_configs: Optional[list] = None) -> None:
        if name is None:
            raise ValueError("Expected resource name to be a string")
        self.restype = _enum(ResourceType, restype)
        self.restype_int = self.restype.value
        self.name = name
        self.set_config_dict = dict(set_config) if set_config else {}
        self.configs = described_configs
        self.error = error
        self.incremental_configs = list(incremental_configs or [])

    def set_config(self, name: str, value: str, overwrite: bool = True) -> None:
        if not overwrite and name in self.set_config_dict:
            return
        self.set_config_dict[name] = value

    def add_incremental_config(self, config: ConfigEntry) -> None:
        self.incremental_configs.append(config)

    def __repr__(self) -> str:
        if self.error is not None:
            return f"ConfigResource({self.restype},{self.name},{self.error})"
        return f"ConfigResource({self.restype},{self.name})"

    def __hash__(self) -> int:
        return hash((self.restype, self.name))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigResource) and (self.restype, self.name) == (other.restype, other.name)

    def __lt__(self, other: "ConfigResource") -> bool:
        return (self.restype.value, self.name) < (other.restype.value, other.name)

    def __len__(self) -> int:
        return len(self.set_config_dict)


class ConsumerGroupListing:
    def __init__(self, group_id: str, is_simple_consumer_group: bool, state: Any = None, type: Any = None) -> None:
        self.group_id, self.is_simple_consumer_group = group_id, is_simple_consumer_group
        self.state = None if state is None else _enum(ConsumerGroupState, state)
        self.type = None if type is None else _enum(ConsumerGroupType, type)

    def __repr__(self) -> str:
        return f"ConsumerGroupListing({self.group_id}, {self.state})"


class ListConsumerGroupsResult:
    def __init__(self, valid: Optional[list] = None, errors: Optional[list] = None) -> None:
        self.valid, self.errors = valid or [], errors or []


class MemberAssignment:
    def __init__(self, topic_partitions: Optional[list] = None) -> None:
        self.topic_partitions = topic_partitions or []


class MemberDescription:
    def __init__(self, member_id: str, client_id: str, host: str, assignment: MemberAssignment,
                 group_instance_id: Optional[str] = None, target_assignment: Optional[MemberAssignment] = None) -> None:
        self.member_id, self.client_id, self.host, self.assignment = member_id, client_id, host, assignment
        self.group_instance_id, self.target_assignment = group_instance_id, target_assignment


class ConsumerGroupDescription:
    def __init__(self, group_id: str, is_simple_consumer_group: bool, members: list, partition_assignor: str,
                 state: Any, coordinator: Optional[Node], authorized_operations: Optional[list] = None,
                 type: Any = ConsumerGroupType.UNKNOWN) -> None:
        self.group_id, self.is_simple_consumer_group, self.members = group_id, is_simple_consumer_group, members
        self.partition_assignor = partition_assignor
        self.state = None if state is None else _enum(ConsumerGroupState, state)
        self.coordinator, self.authorized_operations = coordinator, authorized_operations
        self.type = _enum(ConsumerGroupType, type)


class ConsumerGroupTopicPartitions:
    def __init__(self, group_id: str, topic_partitions: Optional[list] = None) -> None:
        self.group_id, self.topic_partitions = group_id, topic_partitions

    def __repr__(self) -> str:
        return f"ConsumerGroupTopicPartitions({self.group_id}, {self.topic_partitions})"


class GroupMember:
    """A member in list_groups()."""

    def __init__(self) -> None:
        self.id: Optional[str] = None
        self.client_id: Optional[str] = None
        self.client_host: Optional[str] = None
        self.metadata: Optional[bytes] = None
        self.assignment: Optional[bytes] = None


class GroupMetadata:
    """A group in list_groups()."""

    def __init__(self) -> None:
        self.broker: Any = None
        self.id: Optional[str] = None
        self.error: Optional[KafkaError] = None
        self.state: Optional[str] = None
        self.protocol_type: Optional[str] = None
        self.protocol: Optional[str] = None
        self.members: list = []

    def __repr__(self) -> str:
        return f"GroupMetadata({self.id})"

    def __str__(self) -> str:
        return str(self.id)


class DescribeClusterResult:
    def __init__(self, controller: Optional[Node], nodes: list, cluster_id: Optional[str] = None,
                 authorized_operations: Optional[list] = None) -> None:
        self.controller, self.nodes, self.cluster_id = controller, nodes, cluster_id
        self.authorized_operations = authorized_operations


class DeletedRecords:
    def __init__(self, low_watermark: int) -> None:
        self.low_watermark = low_watermark

    def __repr__(self) -> str:
        return f"DeletedRecords(low_watermark={self.low_watermark})"


__all__ = ["AlterConfigOpType", "ConfigEntry", "ConfigResource", "ConfigSource", "ConsumerGroupDescription",
           "ConsumerGroupListing", "ConsumerGroupState", "ConsumerGroupTopicPartitions", "ConsumerGroupType",
           "DeletedRecords", "DescribeClusterResult", "GroupMember", "GroupMetadata", "IsolationLevel",
           "ListConsumerGroupsResult", "MemberAssignment", "MemberDescription", "NewPartitions", "NewTopic", "Node",
           "ResourceType", "TopicPartition"]
