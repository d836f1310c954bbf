"""KafkaError and KafkaException as confluent-kafka has them, with
librdkafka's error codes: Kafka's own codes keep their numbers (under
librdkafka's spellings, e.g. UNKNOWN_TOPIC_OR_PART), local errors are
-199 to -137 (_TIMED_OUT, _PARTITION_EOF, ...). kfk's local codes
(-101 and below) are translated to these.
"""

from __future__ import annotations

from typing import Any, Optional

from .. import _ffi
from ..errors import KafkaError as _KfkError

# Kafka's error codes under librdkafka's names.
_BROKER_NAMES = {
    -1: "UNKNOWN", 0: "NO_ERROR", 1: "OFFSET_OUT_OF_RANGE", 2: "INVALID_MSG", 3: "UNKNOWN_TOPIC_OR_PART",
    4: "INVALID_MSG_SIZE", 5: "LEADER_NOT_AVAILABLE", 6: "NOT_LEADER_FOR_PARTITION", 7: "REQUEST_TIMED_OUT",
    8: "BROKER_NOT_AVAILABLE", 9: "REPLICA_NOT_AVAILABLE", 10: "MSG_SIZE_TOO_LARGE", 11: "STALE_CTRL_EPOCH",
    12: "OFFSET_METADATA_TOO_LARGE", 13: "NETWORK_EXCEPTION", 14: "COORDINATOR_LOAD_IN_PROGRESS",
    15: "COORDINATOR_NOT_AVAILABLE", 16: "NOT_COORDINATOR", 17: "TOPIC_EXCEPTION", 18: "RECORD_LIST_TOO_LARGE",
    19: "NOT_ENOUGH_REPLICAS", 20: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", 21: "INVALID_REQUIRED_ACKS",
    22: "ILLEGAL_GENERATION", 23: "INCONSISTENT_GROUP_PROTOCOL", 24: "INVALID_GROUP_ID", 25: "UNKNOWN_MEMBER_ID",
    26: "INVALID_SESSION_TIMEOUT", 27: "REBALANCE_IN_PROGRESS", 28: "INVALID_COMMIT_OFFSET_SIZE",
    29: "TOPIC_AUTHORIZATION_FAILED", 30: "GROUP_AUTHORIZATION_FAILED", 31: "CLUSTER_AUTHORIZATION_FAILED",
    32: "INVALID_TIMESTAMP", 33: "UNSUPPORTED_SASL_MECHANISM", 34: "ILLEGAL_SASL_STATE",
    35: "UNSUPPORTED_VERSION", 36: "TOPIC_ALREADY_EXISTS", 37: "INVALID_PARTITIONS",
    38: "INVALID_REPLICATION_FACTOR", 39: "INVALID_REPLICA_ASSIGNMENT", 40: "INVALID_CONFIG",
    41: "NOT_CONTROLLER", 42: "INVALID_REQUEST", 43: "UNSUPPORTED_FOR_MESSAGE_FORMAT", 44: "POLICY_VIOLATION",
    45: "OUT_OF_ORDER_SEQUENCE_NUMBER", 46: "DUPLICATE_SEQUENCE_NUMBER", 47: "INVALID_PRODUCER_EPOCH",
    48: "INVALID_TXN_STATE", 49: "INVALID_PRODUCER_ID_MAPPING", 50: "INVALID_TRANSACTION_TIMEOUT",
    51: "CONCURRENT_TRANSACTIONS", 52: "TRANSACTION_COORDINATOR_FENCED",
    53: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", 54: "SECURITY_DISABLED", 55: "OPERATION_NOT_ATTEMPTED",
    56: "KAFKA_STORAGE_ERROR", 57: "LOG_DIR_NOT_FOUND", 58: "SASL_AUTHENTICATION_FAILED",
    59: "UNKNOWN_PRODUCER_ID", 60: "REASSIGNMENT_IN_PROGRESS", 61: "DELEGATION_TOKEN_AUTH_DISABLED",
    62: "DELEGATION_TOKEN_NOT_FOUND", 63: "DELEGATION_TOKEN_OWNER_MISMATCH",
    64: "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", 65: "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
    66: "DELEGATION_TOKEN_EXPIRED", 67: "INVALID_PRINCIPAL_TYPE", 68: "NON_EMPTY_GROUP", 69: "GROUP_ID_NOT_FOUND",
    70: "FETCH_SESSION_ID_NOT_FOUND", 71: "INVALID_FETCH_SESSION_EPOCH", 72: "LISTENER_NOT_FOUND",
    73: "TOPIC_DELETION_DISABLED", 74: "FENCED_LEADER_EPOCH", 75: "UNKNOWN_LEADER_EPOCH",
    76: "UNSUPPORTED_COMPRESSION_TYPE", 77: "STALE_BROKER_EPOCH", 78: "OFFSET_NOT_AVAILABLE",
    79: "MEMBER_ID_REQUIRED", 80: "PREFERRED_LEADER_NOT_AVAILABLE", 81: "GROUP_MAX_SIZE_REACHED",
    82: "FENCED_INSTANCE_ID", 83: "ELIGIBLE_LEADERS_NOT_AVAILABLE", 84: "ELECTION_NOT_NEEDED",
    85: "NO_REASSIGNMENT_IN_PROGRESS", 86: "GROUP_SUBSCRIBED_TO_TOPIC", 87: "INVALID_RECORD",
    88: "UNSTABLE_OFFSET_COMMIT", 89: "THROTTLING_QUOTA_EXCEEDED", 90: "PRODUCER_FENCED",
    91: "RESOURCE_NOT_FOUND", 92: "DUPLICATE_RESOURCE", 93: "UNACCEPTABLE_CREDENTIAL",
    94: "INCONSISTENT_VOTER_SET", 95: "INVALID_UPDATE_VERSION", 96: "FEATURE_UPDATE_FAILED",
    97: "PRINCIPAL_DESERIALIZATION_FAILURE", 98: "SNAPSHOT_NOT_FOUND", 99: "POSITION_OUT_OF_RANGE",
    100: "UNKNOWN_TOPIC_ID", 101: "DUPLICATE_BROKER_REGISTRATION", 102: "BROKER_ID_NOT_REGISTERED",
    103: "INCONSISTENT_TOPIC_ID", 104: "INCONSISTENT_CLUSTER_ID", 105: "TRANSACTIONAL_ID_NOT_FOUND",
    106: "FETCH_SESSION_TOPIC_ID_ERROR", 107: "INELIGIBLE_REPLICA", 108: "NEW_LEADER_ELECTED",
    109: "OFFSET_MOVED_TO_TIERED_STORAGE", 110: "FENCED_MEMBER_EPOCH", 111: "UNRELEASED_INSTANCE_ID",
    112: "UNSUPPORTED_ASSIGNOR", 113: "STALE_MEMBER_EPOCH", 114: "MISMATCHED_ENDPOINT_TYPE",
    115: "UNSUPPORTED_ENDPOINT_TYPE", 116: "UNKNOWN_CONTROLLER_ID", 117: "UNKNOWN_SUBSCRIPTION_ID",
    118: "TELEMETRY_TOO_LARGE", 119: "INVALID_REGISTRATION", 120: "TRANSACTION_ABORTABLE",
    121: "INVALID_RECORD_STATE", 122: "SHARE_SESSION_NOT_FOUND", 123: "INVALID_SHARE_SESSION_EPOCH",
    124: "FENCED_STATE_EPOCH", 125: "INVALID_VOTER_KEY", 126: "DUPLICATE_VOTER", 127: "VOTER_NOT_FOUND",
    128: "INVALID_REGULAR_EXPRESSION", 129: "REBOOTSTRAP_REQUIRED", 130: "STREAMS_INVALID_TOPOLOGY",
    131: "STREAMS_INVALID_TOPOLOGY_EPOCH", 132: "STREAMS_TOPOLOGY_FENCED", 133: "SHARE_SESSION_LIMIT_REACHED",

}

# librdkafka's local codes, with kfk's wording of what they mean.
_LOCAL = {
    -199: ("_BAD_MSG", "malformed message from the broker"),
    -198: ("_BAD_COMPRESSION", "compressed data could not be decoded"),
    -197: ("_DESTROY", "the client is being closed"),
    -196: ("_FAIL", "communication with the broker failed"),
    -195: ("_TRANSPORT", "broker connection failed"),
    -194: ("_CRIT_SYS_RESOURCE", "a system resource ran out"),
    -193: ("_RESOLVE", "host name could not be resolved"),
    -192: ("_MSG_TIMED_OUT", "message not delivered within delivery.timeout.ms"),
    -191: ("_PARTITION_EOF", "reached the end of the partition"),
    -190: ("_UNKNOWN_PARTITION", "no such partition"),
    -189: ("_FS", "file system error"),
    -188: ("_UNKNOWN_TOPIC", "no such topic"),
    -187: ("_ALL_BROKERS_DOWN", "no broker could be reached"),
    -186: ("_INVALID_ARG", "invalid argument or configuration"),
    -185: ("_TIMED_OUT", "timed out"),
    -184: ("_QUEUE_FULL", "queue full"),
    -183: ("_ISR_INSUFF", "not enough in-sync replicas"),
    -182: ("_NODE_UPDATE", "broker address changed"),
    -181: ("_SSL", "TLS failure"),
    -180: ("_WAIT_COORD", "waiting for the coordinator"),
    -179: ("_UNKNOWN_GROUP", "unknown group"),
    -178: ("_IN_PROGRESS", "operation in progress"),
    -177: ("_PREV_IN_PROGRESS", "a previous operation is still in progress"),
    -176: ("_EXISTING_SUBSCRIPTION", "already subscribed"),
    -175: ("_ASSIGN_PARTITIONS", "partitions assigned"),
    -174: ("_REVOKE_PARTITIONS", "partitions revoked"),
    -173: ("_CONFLICT", "conflicting use"),
    -172: ("_STATE", "not valid in the current state"),
    -171: ("_UNKNOWN_PROTOCOL", "unknown protocol"),
    -170: ("_NOT_IMPLEMENTED", "a call this client does not have"),
    -169: ("_AUTHENTICATION", "authentication failed"),
    -168: ("_NO_OFFSET", "no offset to commit"),
    -167: ("_OUTDATED", "outdated"),
    -166: ("_TIMED_OUT_QUEUE", "timed out while queued"),
    -165: ("_UNSUPPORTED_FEATURE", "the broker does not support this"),
    -164: ("_WAIT_CACHE", "waiting for cached data"),
    -163: ("_INTR", "interrupted"),
    -162: ("_KEY_SERIALIZATION", "key serialization failed"),
    -161: ("_VALUE_SERIALIZATION", "value serialization failed"),
    -160: ("_KEY_DESERIALIZATION", "key deserialization failed"),
    -159: ("_VALUE_DESERIALIZATION", "value deserialization failed"),
    -158: ("_PARTIAL", "partial result"),
    -157: ("_READ_ONLY", "read-only"),
    -156: ("_NOENT", "not found"),
    -155: ("_UNDERFLOW", "buffer underflow"),
    -154: ("_INVALID_TYPE", "invalid type"),
    -153: ("_RETRY", "retry"),
    -152: ("_PURGE_QUEUE", "purged from the queue"),
    -151: ("_PURGE_INFLIGHT", "purged while in flight"),
    -150: ("_FATAL", "fatal error"),
    -149: ("_INCONSISTENT", "inconsistent state"),
    -148: ("_GAPLESS_GUARANTEE", "gapless delivery guarantee broken"),
    -147: ("_MAX_POLL_EXCEEDED", "max.poll.interval.ms exceeded"),
    -146: ("_UNKNOWN_BROKER", "unknown broker"),
    -145: ("_NOT_CONFIGURED", "not configured"),
    -144: ("_FENCED", "fenced by a newer instance"),
    -143: ("_APPLICATION", "application error"),
    -142: ("_ASSIGNMENT_LOST", "partition assignment lost"),
    -141: ("_NOOP", "nothing to do"),
    -140: ("_AUTO_OFFSET_RESET", "offset reset by auto.offset.reset"),
    -139: ("_LOG_TRUNCATION", "log truncated"),
    -138: ("_INVALID_DIFFERENT_RECORD", "invalid record"),
    -137: ("_DESTROY_BROKER", "broker handle being closed"),
}

_NAMES = {**_BROKER_NAMES, **{code: name for code, (name, _) in _LOCAL.items()}}

# kfk's local codes as librdkafka's.
_FROM_KFK = {
    _ffi.ERR_INVALID_ARG: -186, _ffi.ERR_INVALID_HANDLE: -186, _ffi.ERR_FORKED: -172, _ffi.ERR_REENTRANT: -172,
    _ffi.ERR_TIMED_OUT: -185, _ffi.ERR_DISCONNECTED: -195, _ffi.ERR_NOT_CONNECTED: -195, _ffi.ERR_CONNECT: -195,
    _ffi.ERR_TLS: -181, _ffi.ERR_SASL: -169, _ffi.ERR_PROTOCOL: -199, _ffi.ERR_UNSUPPORTED: -165,
    _ffi.ERR_CONFIG: -186, _ffi.ERR_CLOSED: -197, _ffi.ERR_INTERNAL: -196, _ffi.ERR_QUEUE_FULL: -184,
    _ffi.ERR_STATE: -172, _ffi.ERR_NO_BUFFER_SPACE: -186, _ffi.ERR_PURGED_QUEUE: -152,
    _ffi.ERR_PURGED_INFLIGHT: -151,
}

# Local codes worth retrying.
_RETRIABLE_LOCAL = {-185, -195, -196, -187, -180, -193}


def _describe(code: int) -> str:
    if code in _LOCAL:
        return "Local: " + _LOCAL[code][1]
    if code == 0:
        return "Success"
    try:
        from ..errors import error_string
        return "Broker: " + error_string(code)
    except Exception:  # the library could not be loaded: the name will do
        return "Broker: " + _NAMES.get(code, f"error {code}")


class KafkaError:
    """An error or event: ``code()`` (compare with the constants on this
    class), ``name()``, ``str()``, ``fatal()``, ``retriable()``,
    ``txn_requires_abort()``. Not an exception itself: it travels in
    ``KafkaException.args[0]``, in ``Message.error()`` and to callbacks."""

    __slots__ = ("_code", "_reason", "_fatal", "_retriable", "_txn_requires_abort")

    def __init__(self, error: Any, reason: Optional[str] = None, fatal: bool = False, retriable: bool = False,
                 txn_requires_abort: bool = False) -> None:
        if isinstance(error, KafkaError):
            error = error.code()
        if isinstance(error, bool) or not isinstance(error, int):
            raise TypeError(f"error must be an int code, not {type(error).__name__}")
        if reason is not None and not isinstance(reason, str):
            raise TypeError("reason must be a str")
        self._code = error
        self._reason = reason
        self._fatal, self._retriable, self._txn_requires_abort = bool(fatal), bool(retriable), bool(txn_requires_abort)

    def code(self) -> int:
        return self._code

    def name(self) -> str:
        return _NAMES.get(self._code, f"ERR_{self._code}?")

    def str(self) -> str:
        return self._reason if self._reason is not None else _describe(self._code)

    def fatal(self) -> bool:
        return self._fatal

    def retriable(self) -> bool:
        return self._retriable

    def txn_requires_abort(self) -> bool:
        return self._txn_requires_abort

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KafkaError):
            return self._code == other._code
        if isinstance(other, int) and not isinstance(other, bool):
            return self._code == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._code)

    def __repr__(self) -> str:
        fatal = "FATAL," if self._fatal else ""
        return f'KafkaError{{{fatal}code={self.name()},val={self._code},str="{self.str()}"}}'

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return type(self), (self._code, self._reason, self._fatal, self._retriable, self._txn_requires_abort)


for _code, _name in _NAMES.items():
    setattr(KafkaError, _name, _code)
del _code, _name


class KafkaException(Exception):
    """Raised for errors; ``args[0]`` is the KafkaError."""


def code_of(error: _KfkError, *, delivery: bool = False) -> int:
    """The librdkafka code for one of kfk's: Kafka's codes stay, local
    ones are translated (a delivery that timed out is _MSG_TIMED_OUT)."""
    code = error.code
    if code > -100:
        return code
    if delivery and code == _ffi.ERR_TIMED_OUT:
        return KafkaError._MSG_TIMED_OUT  # type: ignore[attr-defined]
    return _FROM_KFK.get(code, KafkaError._FAIL)  # type: ignore[attr-defined]


def from_kfk(error: _KfkError, what: Optional[str] = None, *, delivery: bool = False, fatal: bool = False,
             txn_requires_abort: bool = False) -> KafkaError:
    """kfk's KafkaError as confluent-kafka's, its message kept."""
    code = code_of(error, delivery=delivery)
    reason = error.message
    if what:
        reason = f"{what}: {reason}"
    if code > -100:
        retriable = bool(_ffi.lib().kfk_err_retriable(code))
    else:
        retriable = code in _RETRIABLE_LOCAL
    return KafkaError(code, reason, fatal=fatal, retriable=retriable, txn_requires_abort=txn_requires_abort)


def raise_from(error: _KfkError, what: Optional[str] = None, **kw: Any) -> "KafkaException":
    return KafkaException(from_kfk(error, what, **kw))


def error(code: int, reason: Optional[str] = None, **kw: Any) -> KafkaException:
    """A KafkaException for a librdkafka code."""
    return KafkaException(KafkaError(code, reason, **kw))
