"""librdkafka's configuration properties, as confluent-kafka programs write
them, translated to kfk's options.

Every property is one of: translated to a kfk client option (``kfk``), to
a subscribe option of the consumer group (``group``), kept by this layer
(``py``), accepted without effect because kfk tunes that itself
(``noop``: performance knobs only, never anything that changes what is
delivered, where, in what order or with what guarantee), or accepted only
with the value kfk's behaviour matches (``only``). Anything else raises
KafkaException(_INVALID_ARG) naming the property. CONFLUENT.md lists them.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any, Callable, Mapping, Optional

from .. import _ffi
from ._errors import KafkaError, KafkaException

PRODUCER, CONSUMER, ADMIN, SHARE = "producer", "consumer", "admin", "share consumer"
_ALL = (PRODUCER, CONSUMER, ADMIN, SHARE)
_P, _C, _S = (PRODUCER,), (CONSUMER,), (SHARE,)

PARTITIONERS = ("random", "consistent", "consistent_random", "murmur2", "murmur2_random", "fnv1a", "fnv1a_random")

# librdkafka's debug contexts as kfk's (those without a counterpart trace
# nothing).
_DEBUG = {"broker": "broker", "protocol": "protocol", "msg": "producer", "eos": "txn", "cgrp": "group",
          "consumer": "consumer", "fetch": "consumer", "metadata": "metadata", "topic": "metadata", "all": "all"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on", "t"):
        return True
    if text in ("false", "0", "no", "off", "f"):
        return False
    raise ValueError("expected true or false")


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    return int(value)


def _text(value: Any) -> str:
    return str(int(value)) if isinstance(value, bool) else str(value)


def _reset(value: Any) -> str:
    text = str(value).lower()
    if text in ("smallest", "earliest", "beginning"):
        return "earliest"
    if text in ("largest", "latest", "end"):
        return "latest"
    if text == "error":
        raise _Unsupported("auto.offset.reset=error (kfk resets to earliest or latest)")
    raise ValueError("expected smallest, earliest, beginning, largest, latest or end")


def _assignor(value: Any) -> str:
    first = str(value).split(",")[0].strip().lower()
    if first in ("range", "roundrobin", "cooperative-sticky"):
        return first
    raise ValueError("expected range, roundrobin or cooperative-sticky")


def _ack_mode(value: Any) -> str:
    text = str(value).lower()
    if text not in ("implicit", "explicit"):
        raise ValueError("expected implicit or explicit")
    return text


def _debug(value: Any) -> str:
    wanted = {_DEBUG[c.strip()] for c in str(value).split(",") if c.strip() in _DEBUG}
    return "all" if "all" in wanted else ",".join(sorted(wanted))


def _partitioner(value: Any) -> str:
    text = str(value)
    if text not in PARTITIONERS:
        raise ValueError("expected one of " + ", ".join(PARTITIONERS))
    return text


def _compression(value: Any) -> str:
    text = str(value).lower()
    if text not in ("none", "gzip", "snappy", "lz4", "zstd"):
        raise ValueError("expected none, gzip, snappy, lz4 or zstd")
    return text


def _in_flight(value: Any) -> str:
    return str(min(_int(value), 1000))  # beyond that, more in flight changes nothing


class _Unsupported(Exception):
    """A value kfk cannot honour."""


def _callable(value: Any) -> Callable:
    if not callable(value):
        raise TypeError
    return value


def _logger(value: Any) -> Any:
    if not callable(getattr(value, "log", None)):
        raise TypeError
    return value


# name -> (clients, kind, target, conversion); kind is kfk, group, py,
# noop or only (target is then the one value accepted, as a predicate).
_TABLE: dict[str, tuple] = {}


def _add(names: str, clients: tuple, kind: str, target: Any = None, conv: Callable = _text) -> None:
    for name in names.split():
        _TABLE[name] = (clients, kind, target, conv)


_add("bootstrap.servers metadata.broker.list", _ALL, "kfk", "brokers")
_add("client.id", _ALL, "kfk", "client_id")
_add("security.protocol", _ALL, "kfk", "security.protocol")
_add("ssl.ca.location", _ALL, "kfk", "tls_ca_file")
_add("enable.ssl.certificate.verification", _ALL, "kfk", "enable.ssl.certificate.verification",
     lambda v: "true" if _bool(v) else "false")
_add("ssl.endpoint.identification.algorithm", _ALL, "only", lambda v: str(v).lower() == "https")
_add("sasl.mechanism sasl.mechanisms", _ALL, "kfk", "sasl_mechanism")
_add("sasl.username", _ALL, "kfk", "sasl_username")
_add("sasl.password", _ALL, "kfk", "sasl_password")
_add("socket.timeout.ms", _ALL, "kfk", "request_timeout_ms", _int)
_add("metadata.max.age.ms topic.metadata.refresh.interval.ms", _ALL, "kfk", "metadata.max.age.ms", _int)
_add("statistics.interval.ms", _ALL, "kfk", "statistics_interval_ms", _int)
_add("log_level", _ALL, "kfk", "log_level", _int)
_add("debug", _ALL, "py", "debug", _debug)
_add("retry.backoff.ms", _ALL, "kfk", "retry_backoff_ms", _int)
_add("api.version.request", _ALL, "only", lambda v: _bool(v))
_add("api.version.fallback.ms broker.version.fallback", _ALL, "noop")  # used only without api.version.request
_add("socket.keepalive.enable socket.nagle.disable socket.send.buffer.bytes socket.receive.buffer.bytes "
     "reconnect.backoff.ms reconnect.backoff.max.ms retry.backoff.max.ms connections.max.idle.ms "
     "socket.connection.setup.timeout.ms topic.metadata.refresh.fast.interval.ms enable.metrics.push "
     "log.connection.close", _ALL, "noop")
_add("sasl.oauthbearer.method", _ALL, "kfk", "sasl_oauthbearer_method")
_add("sasl.oauthbearer.client.id", _ALL, "kfk", "sasl_oauthbearer_client_id")
_add("sasl.oauthbearer.client.secret", _ALL, "kfk", "sasl_oauthbearer_client_secret")
_add("sasl.oauthbearer.token.endpoint.url", _ALL, "kfk", "sasl_oauthbearer_token_endpoint_url")
_add("sasl.oauthbearer.scope", _ALL, "kfk", "sasl_oauthbearer_scope")
_add("sasl.oauthbearer.extensions", _ALL, "kfk", "sasl_oauthbearer_extensions")
_add("sasl.oauthbearer.config", _ALL, "kfk", "sasl_oauthbearer_config")
_add("enable.sasl.oauthbearer.unsecure.jwt", _ALL, "kfk", "sasl_oauthbearer_unsecure_jwt",
     lambda v: "1" if _bool(v) else "0")
_add("https.ca.location", _ALL, "kfk", "sasl_oauthbearer_ca_file")
_add("error_cb stats_cb oauth_cb", _ALL, "py", None, _callable)
_add("logger", _ALL, "py", "logger", _logger)

_add("acks request.required.acks", _P, "kfk", "acks")
_add("linger.ms queue.buffering.max.ms", _P, "kfk", "linger_ms")
_add("batch.size", _P, "kfk", "batch_size", _int)
_add("batch.num.messages", _P, "kfk", "batch_num_messages", _int)
_add("sticky.partitioning.linger.ms compression.level queue.buffering.backpressure.threshold", _P, "noop")
_add("compression.type compression.codec", _P, "kfk", "compression", _compression)
_add("enable.idempotence", _P, "kfk", "idempotent", lambda v: "1" if _bool(v) else "0")
_add("enable.gapless.guarantee", _P, "only", lambda v: not _bool(v))
_add("transactional.id", _P, "kfk", "transactional_id")
_add("transaction.timeout.ms", _P, "kfk", "transaction_timeout_ms", _int)
_add("delivery.timeout.ms message.timeout.ms", _P, "kfk", "delivery_timeout_ms", _int)
_add("retries message.send.max.retries", _P, "only", lambda v: _int(v) >= 2147483647)
_add("max.in.flight max.in.flight.requests.per.connection", _P, "kfk", "max_in_flight", _in_flight)
_add("queue.buffering.max.messages", _P, "py", "max_messages", _int)
_add("queue.buffering.max.kbytes", _P, "kfk", "max_buffered_kbytes", _int)
_add("message.max.bytes", _P, "kfk", "message_max_bytes", _int)
_add("request.timeout.ms", _P, "kfk", "request_timeout_ms", _int)
_add("partitioner", _P, "py", "partitioner", _partitioner)
_add("on_delivery", _P, "py", "on_delivery", _callable)
_add("delivery.report.only.error", _P, "py", "dr_only_error", _bool)

_add("group.id", _C + _S, "group", "group_id")
_add("group.instance.id", _C, "group", "group_instance_id")
_add("session.timeout.ms", _C, "group", "session_timeout_ms", _int)
_add("heartbeat.interval.ms", _C, "group", "heartbeat_interval_ms", _int)
_add("max.poll.interval.ms", _C, "group", "rebalance_timeout_ms", _int)
_add("enable.auto.commit", _C, "group", "auto_commit", lambda v: "1" if _bool(v) else "0")
_add("auto.commit.interval.ms", _C, "group", "auto_commit_interval_ms", _int)
_add("auto.offset.reset", _C, "group", "auto_offset_reset", _reset)
_add("partition.assignment.strategy", _C, "group", "assignor", _assignor)
_add("group.protocol", _C, "only", lambda v: str(v).lower() == "classic")
_add("enable.auto.offset.store", _C, "group", "auto_offset_store", lambda v: "1" if _bool(v) else "0")
_add("enable.partition.eof", _C, "py", "partition_eof", _bool)
_add("isolation.level", _C, "kfk", "isolation_level")
_add("fetch.wait.max.ms fetch.max.wait.ms", _C + _S, "kfk", "fetch_max_wait_ms", _int)
_add("fetch.min.bytes", _C + _S, "kfk", "fetch_min_bytes", _int)
_add("fetch.max.bytes", _C + _S, "kfk", "fetch_max_bytes", _int)
_add("max.partition.fetch.bytes fetch.message.max.bytes", _C + _S, "kfk", "fetch_partition_max_bytes", _int)
_add("queued.max.messages.kbytes", _C, "kfk", "prefetch_bytes", lambda v: str(_int(v) * 1024))
_add("queued.min.messages fetch.error.backoff.ms fetch.queue.backoff.ms check.crcs", _C, "noop")
_add("on_commit", _C, "py", "on_commit", _callable)

_add("share.acknowledgement.mode", _S, "group", "share_acknowledgement_mode", _ack_mode)
_add("max.poll.records", _S, "kfk", "max_poll_records", _int)
# Group consumer properties a share consumer accepts without effect, as
# confluent-kafka does (kfk's share member is not removed for polling late).
_SHARE_NOOP = ("max.poll.interval.ms", "check.crcs")

# Defaults where librdkafka's differ from kfk's own (EV::Kafka's) in a way
# a program notices: a program written for confluent-kafka gets the
# batches and timeouts it was tuned with (kfk's 16 KiB batches cost a
# request per 160 records of 100 B).
_DEFAULTS = {
    PRODUCER: {"delivery_timeout_ms": "300000", "batch_size": "1000000"},
    CONSUMER: {"isolation_level": "read_committed"},
}
_GROUP_DEFAULTS = {"session_timeout_ms": "45000", "rebalance_timeout_ms": "300000", "assignor": "range",
                   "auto_offset_reset": "latest", "auto_commit": "1", "auto_commit_interval_ms": "5000",
                   "heartbeat_interval_ms": "3000"}


def _invalid(reason: str) -> KafkaException:
    return KafkaException(KafkaError(KafkaError._INVALID_ARG, reason))  # type: ignore[attr-defined]


class Settings:
    """A confluent-kafka configuration, translated."""

    def __init__(self, conf: Optional[Mapping[str, Any]], client: str, **kwargs: Any) -> None:
        if conf is None and not kwargs:
            raise TypeError("expected configuration dict")
        if conf is None:
            conf = {}
        if not isinstance(conf, Mapping):
            raise TypeError("expected configuration dict")
        props = dict(conf)
        props.update(kwargs)  # confluent-kafka accepts properties as keyword arguments too
        topic_conf = props.pop("default.topic.config", None)
        if topic_conf is not None:
            if not isinstance(topic_conf, Mapping):
                raise TypeError("expected default.topic.config to be a dict")
            props = {**topic_conf, **props}
        self.client = client
        self.kfk: dict[str, str] = dict(_DEFAULTS.get(client, {}))
        self.group: dict[str, str] = dict(_GROUP_DEFAULTS) if client == CONSUMER else {}
        self.py: dict[str, Any] = {}
        self.ignored: list[str] = []  # another kind of client's properties
        self._origin: dict[str, str] = {}  # kfk option -> the property it came from
        for name, value in props.items():
            self._set(str(name), value)
        if client == CONSUMER and "auto_offset_reset" in self.group:
            self.kfk["auto_offset_reset"] = self.group["auto_offset_reset"]
        if client == PRODUCER:
            self.kfk["partitioner"] = "murmur2" if self.partitioner == "murmur2" else self.partitioner
            self.kfk["max_buffered_messages"] = str(self.max_messages)
        if "debug" in self.py and self.py["debug"]:
            self.kfk["debug"] = self.py["debug"]
            self.kfk.setdefault("log_level", "debug")

    def _set(self, name: str, value: Any) -> None:
        entry = _TABLE.get(name)
        if entry is None:
            raise _invalid(f'No such configuration property: "{name}" '
                           "(or one kfk does not support; see kfk's CONFLUENT.md)")
        clients, kind, target, conv = entry
        if self.client == SHARE and name in _SHARE_NOOP:
            return
        if self.client == SHARE and SHARE not in clients and CONSUMER in clients:
            # As confluent-kafka: the group consumer's settings are refused
            # (a share group's are the broker's).
            raise ValueError(f"Failed to create share consumer: `{name}` is not applicable for share consumer")
        if self.client not in clients:
            # As librdkafka: another kind of client's property is accepted
            # and does nothing here (one dict often configures both).
            self.ignored.append(name)
            return
        if kind == "noop":
            return
        try:
            if kind == "only":
                if not target(value):
                    raise _Unsupported(f"{name}={value!r}")
                return
            converted = conv(value)
        except TypeError:
            what = "a logging.Logger" if name == "logger" else "a callable function"
            raise TypeError(f"expected {name} property as {what}") from None
        except _Unsupported as exc:
            raise _invalid(f"Unsupported value for configuration property \"{name}\": {exc} "
                           "(see kfk's CONFLUENT.md)") from None
        except ValueError as exc:
            raise _invalid(f'Invalid value "{value}" for configuration property "{name}": {exc}') from None
        if kind == "kfk":
            self.kfk[target] = _text(converted)
            self._origin[target] = name
        elif kind == "group":
            self.group[target] = _text(converted)
        else:
            self.py[target or name] = converted

    @property
    def partitioner(self) -> str:
        return self.py.get("partitioner", "consistent_random")

    @property
    def max_messages(self) -> int:
        return self.py.get("max_messages", 100000)

    @property
    def transactional(self) -> bool:
        return bool(self.kfk.get("transactional_id"))

    def client_options(self) -> dict[str, str]:
        """kfk's options, each checked by the library first: a value it
        refuses raises KafkaException naming the property as written."""
        lib = _ffi.lib()
        conf = ctypes.c_void_p()
        if lib.kfk_conf_new(ctypes.byref(conf)):
            raise _invalid("kfk_conf_new failed")
        err = ctypes.create_string_buffer(512)
        try:
            for key, value in self.kfk.items():
                if lib.kfk_conf_set(conf, key.encode(), str(value).encode(), err, 512):
                    name = self._origin.get(key, key)
                    raise _invalid(f'Invalid value for configuration property "{name}": '
                                   f"{err.value.decode('utf-8', 'replace')}")
        finally:
            lib.kfk_conf_destroy(conf)
        return dict(self.kfk)

    def logger(self) -> logging.Logger:
        return self.py.get("logger") or logging.getLogger("kfk")
