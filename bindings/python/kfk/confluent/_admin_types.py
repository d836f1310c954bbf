"""confluent-kafka's value types for ACLs, SCRAM credentials, offsets
lookups, topic descriptions and leader elections."""

from __future__ import annotations

import base64
from enum import Enum
from typing import Any, Optional, Union

from ._admin_model import Node, ResourceType, _enum


class _Ordered(Enum):
    def __lt__(self, other: Any) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.value < other.value


class ResourcePatternType(_Ordered):
    UNKNOWN = 0
    ANY = 1
    MATCH = 2
    LITERAL = 3
    PREFIXED = 4


class AclOperation(_Ordered):
    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12


class AclPermissionType(_Ordered):
    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


class ScramMechanism(_Ordered):
    UNKNOWN = 0
    SCRAM_SHA_256 = 1
    SCRAM_SHA_512 = 2


class ElectionType(_Ordered):
    PREFERRED = 0
    UNCLEAN = 1


class AclBinding:
    """An ACL: a resource pattern, a principal, a host, an operation and
    whether it is allowed or denied."""

    # Enum values a binding may not hold (a filter may).
    _forbidden = {"restype": (ResourceType.ANY,),
                  "resource_pattern_type": (ResourcePatternType.ANY, ResourcePatternType.MATCH),
                  "operation": (AclOperation.ANY,), "permission_type": (AclPermissionType.ANY,)}
    _required = ("restype", "name", "resource_pattern_type", "principal", "host", "operation", "permission_type")

    def __init__(self, restype: Union[ResourceType, str, int], name: Optional[str],
                 resource_pattern_type: Union[ResourcePatternType, str, int], principal: Optional[str],
                 host: Optional[str], operation: Union[AclOperation, str, int],
                 permission_type: Union[AclPermissionType, str, int]) -> None:
        self.restype, self.name, self.resource_pattern_type = restype, name, resource_pattern_type
        self.principal, self.host, self.operation, self.permission_type = principal, host, operation, permission_type
        for attr in self._required:
            if getattr(self, attr) is None:
                raise ValueError(f"Expected {attr} to be not None")
        for attr in ("name", "principal", "host"):
            if getattr(self, attr) is not None and not isinstance(getattr(self, attr), str):
                raise TypeError(f"Expected {attr} to be a string")
        self.restype = _enum(ResourceType, restype)
        self.resource_pattern_type = _enum(ResourcePatternType, resource_pattern_type)
        self.operation = _enum(AclOperation, operation)
        self.permission_type = _enum(AclPermissionType, permission_type)
        for attr, values in self._forbidden.items():
            if getattr(self, attr) in values:
                raise ValueError(f"Cannot use enum {attr}, value {getattr(self, attr).name} in this class")
        self.restype_int = self.restype.value
        self.resource_pattern_type_int = self.resource_pattern_type.value
        self.operation_int = self.operation.value
        self.permission_type_int = self.permission_type.value

    def _to_tuple(self) -> tuple:
        return (self.restype, self.name, self.resource_pattern_type, self.principal, self.host, self.operation,
                self.permission_type)

    def __repr__(self) -> str:
        return "%s(%s,%s,%s,%s,%s,%s,%s)" % ((type(self).__name__,) + self._to_tuple())

    def __hash__(self) -> int:
        return hash(self._to_tuple())

    def __eq__(self, other: object) -> Any:
        if not isinstance(other, AclBinding):
            return NotImplemented
        return self._to_tuple() == other._to_tuple()

    def __lt__(self, other: object) -> Any:
        if not isinstance(other, AclBinding):
            return NotImplemented
        return _sort_key(self) < _sort_key(other)


def _sort_key(a: AclBinding) -> tuple:
    return tuple("" if v is None else v.value if isinstance(v, Enum) else v for v in a._to_tuple())


class AclBindingFilter(AclBinding):
    """A filter over ACLs: None for name, principal or host matches any;
    ANY (and MATCH for the pattern type) matches any value."""

    _forbidden = {"restype": (ResourceType.UNKNOWN,), "resource_pattern_type": (ResourcePatternType.UNKNOWN,),
                  "operation": (AclOperation.UNKNOWN,), "permission_type": (AclPermissionType.UNKNOWN,)}
    _required = ("restype", "resource_pattern_type", "operation", "permission_type")


class ScramCredentialInfo:
    def __init__(self, mechanism: ScramMechanism, iterations: int) -> None:
        self.mechanism, self.iterations = mechanism, iterations

    def __repr__(self) -> str:
        return f"ScramCredentialInfo(mechanism={self.mechanism}, iterations={self.iterations})"


class UserScramCredentialsDescription:
    def __init__(self, user: str, scram_credential_infos: list) -> None:
        self.user, self.scram_credential_infos = user, scram_credential_infos

    def __repr__(self) -> str:
        return (f"UserScramCredentialsDescription(user={self.user}, "
                f"scram_credential_infos={self.scram_credential_infos})")


class UserScramCredentialAlteration:
    def __init__(self, user: str) -> None:
        self.user = user


class UserScramCredentialUpsertion(UserScramCredentialAlteration):
    def __init__(self, user: str, scram_credential_info: ScramCredentialInfo, password: bytes,
                 salt: Optional[bytes] = None) -> None:
        super().__init__(user)
        self.scram_credential_info, self.password, self.salt = scram_credential_info, password, salt


class UserScramCredentialDeletion(UserScramCredentialAlteration):
    def __init__(self, user: str, mechanism: ScramMechanism) -> None:
        super().__init__(user)
        self.mechanism = mechanism


class OffsetSpec:
    """Which offset list_offsets asks for: OffsetSpec.earliest(),
    latest(), max_timestamp() or for_timestamp(ms)."""

    _EARLIEST, _LATEST, _MAX_TIMESTAMP = -2, -1, -3

    def __init__(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or index < self._MAX_TIMESTAMP:
            raise ValueError(f"OffsetSpec {index!r}: -3, -2, -1 or a timestamp")
        self._value = index
        if index >= 0:
            self.timestamp = index

    @classmethod
    def earliest(cls) -> "OffsetSpec":
        return cls(cls._EARLIEST)

    @classmethod
    def latest(cls) -> "OffsetSpec":
        return cls(cls._LATEST)

    @classmethod
    def max_timestamp(cls) -> "OffsetSpec":
        return cls(cls._MAX_TIMESTAMP)

    @classmethod
    def for_timestamp(cls, timestamp: int) -> "OffsetSpec":
        return cls(timestamp)

    def __eq__(self, other: object) -> Any:
        return isinstance(other, OffsetSpec) and self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __lt__(self, other: "OffsetSpec") -> bool:
        return self._value < other._value

    def __repr__(self) -> str:
        names = {self._EARLIEST: "EarliestSpec", self._LATEST: "LatestSpec", self._MAX_TIMESTAMP: "MaxTimestampSpec"}
        return names.get(self._value) or f"TimestampSpec({self._value})"


class ListOffsetsResultInfo:
    def __init__(self, offset: int, timestamp: int, leader_epoch: int) -> None:
        self.offset, self.timestamp = offset, timestamp
        self.leader_epoch: Optional[int] = leader_epoch if leader_epoch >= 0 else None

    def __repr__(self) -> str:
        return (f"ListOffsetsResultInfo(offset={self.offset}, timestamp={self.timestamp}, "
                f"leader_epoch={self.leader_epoch})")


class Uuid:
    """A topic id: two signed 64-bit halves; str() is base64 without padding,
    as librdkafka writes it."""

    def __init__(self, most_significant_bits: int, least_significant_bits: int) -> None:
        self._msb, self._lsb = most_significant_bits, least_significant_bits

    @classmethod
    def _from_bytes(cls, b: bytes) -> "Uuid":
        return cls(int.from_bytes(b[:8], "big", signed=True), int.from_bytes(b[8:16], "big", signed=True))

    def get_most_significant_bits(self) -> int:
        return self._msb

    def get_least_significant_bits(self) -> int:
        return self._lsb

    def __str__(self) -> str:
        raw = self._msb.to_bytes(8, "big", signed=True) + self._lsb.to_bytes(8, "big", signed=True)
        return base64.b64encode(raw).decode().rstrip("=")

    __repr__ = __str__

    def __eq__(self, other: object) -> Any:
        if not isinstance(other, Uuid):
            return NotImplemented
        return (self._msb, self._lsb) == (other._msb, other._lsb)

    def __hash__(self) -> int:
        return hash((self._msb, self._lsb))


class TopicCollection:
    def __init__(self, topic_names: list) -> None:
        self.topic_names = topic_names


class TopicPartitionInfo:
    def __init__(self, id: int, leader: Optional[Node], replicas: list, isr: list) -> None:
        self.id, self.leader, self.replicas, self.isr = id, leader, replicas, isr


class TopicDescription:
    def __init__(self, name: str, topic_id: Uuid, is_internal: bool, partitions: list,
                 authorized_operations: Optional[list] = None) -> None:
        self.name, self.topic_id, self.is_internal, self.partitions = name, topic_id, is_internal, partitions
        self.authorized_operations = ([_enum(AclOperation, op) for op in authorized_operations]
                                      if authorized_operations else None)
