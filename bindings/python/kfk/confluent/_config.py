"""librdkafka's configuration properties, as confluent-kafka programs write
them, translated to kfk's options.

Every property is one of: translated to a kfk client option (``kfk``), to
a subscribe option of the consumer group (``group``), kept by this layer
(``py``), accepted without effect (``noop``: knobs of librdkafka's
internals that kfk tunes itself, and properties used only by what kfk
refuses anyway or does its own way, such as running kinit; never anything
that changes what is delivered, where, in what order or with what
guarantee; the value is still checked), accepted only with the value kfk's behaviour matches (``only``),
or a TLS setting kfk cannot honour (``tls``: refused when the client uses
TLS, without effect otherwise, as in librdkafka). Anything else raises
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
_DEBUG_OTHERS = ("generic", "feature", "queue", "security", "interceptor", "plugin", "admin", "mock", "assignor",
                 "conf", "telemetry")

# What librdkafka's "infinite" (0) becomes for kfk options that need a number.
_FOREVER = 2147483647


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


def _flag(value: Any) -> str:
    """A librdkafka boolean as a kfk 0/1 option."""
    return "1" if _bool(value) else "0"


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    return int(value)


def _text(value: Any) -> str:
    return str(int(value)) if isinstance(value, bool) else str(value)


def _ranged(lo: int, hi: int) -> Callable[[Any], int]:
    def conv(value: Any) -> int:
        n = _int(value)
        if not lo <= n <= hi:
            raise ValueError(f"expected {lo} to {hi}")
        return n
    return conv


def _number(value: Any) -> str:
    """A number of ms, fractions allowed, kept as written."""
    if isinstance(value, bool) or float(value) < 0:
        raise ValueError("expected a non-negative number")
    return _text(value)


def _choice(*names: str) -> Callable[[Any], str]:
    def conv(value: Any) -> str:
        text = str(value).lower()
        if text not in names:
            raise ValueError("expected " + " or ".join(names))
        return text
    return conv


def _reset(value: Any) -> str:
    text = str(value).lower()
    if text in ("smallest", "earliest", "beginning"):
        return "earliest"
    if text in ("largest", "latest", "end"):
        return "latest"
    if text == "error":
        raise _Unsupported("kfk resets a partition without a valid offset to earliest or latest; "
                           "it cannot report it as an error instead")
    raise ValueError("expected smallest, earliest, beginning, largest, latest, end or error")


def _retries(value: Any) -> int:
    n = _ranged(0, 2147483647)(value)
    if n == 0:
        raise _Unsupported("kfk's producer retries a failed send until delivery.timeout.ms; it cannot give "
                           "at-most-once delivery (retries=0), so a retried send may be written twice")
    return n


def _delivery_timeout(value: Any) -> int:
    return _int(value) or _FOREVER  # 0: no limit, as in librdkafka


def _max_messages(value: Any) -> int:
    return _ranged(0, 2147483647)(value) or _FOREVER  # 0: no limit, as in librdkafka


def _endpoint_check(value: Any) -> bool:
    return _choice("https", "none")(value) == "https"


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
    contexts = [c.strip().lower() for c in str(value).split(",") if c.strip()]
    if not contexts:
        raise ValueError("expected one or more debug contexts")
    for c in contexts:
        if c not in _DEBUG and c not in _DEBUG_OTHERS:
            raise ValueError(f"unknown debug context {c!r}")
    wanted = {_DEBUG[c] for c in contexts if c in _DEBUG}
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


def _not_callable(name: str) -> Exception:
    """What confluent-kafka raises for a callback property that is not
    callable: its exception type differs by property."""
    if name in _ONE_CLIENT:
        return _invalid(f"{name} requires a callable object")
    kind = ValueError if name == "throttle_cb" else TypeError
    return kind(f"expected {name} property as a callable function")


# name -> (clients, kind, target, conversion); kind is kfk, group, py,
# noop, only (target is then the one value accepted, as a predicate) or
# tls (target says what kfk lacks).
_TABLE: dict[str, tuple] = {}


def _add(names: str, clients: tuple, kind: str, target: Any = None, conv: Callable = _text) -> None:
    for name in names.split():
        _TABLE[name] = (clients, kind, target, conv)


_add("bootstrap.servers metadata.broker.list", _ALL, "kfk", "brokers")
_add("client.id", _ALL, "kfk", "client_id")
_add("security.protocol", _ALL, "kfk", "security.protocol")
# TLS settings take effect with TLS only, as in librdkafka (Settings._check).
_add("ssl.ca.location", _ALL, "py", "ca_location")
_add("enable.ssl.certificate.verification", _ALL, "kfk", "enable.ssl.certificate.verification",
     lambda v: "true" if _bool(v) else "false")
_add("ssl.endpoint.identification.algorithm", _ALL, "py", "endpoint_check", _endpoint_check)
_add("ssl.certificate.location ssl.certificate.pem ssl.key.location ssl.key.pem ssl.key.password "
     "ssl.keystore.location ssl.keystore.password", _ALL, "tls",
     "kfk cannot present a client certificate (TLS client authentication)")
_add("ssl.cipher.suites", _ALL, "tls", "kfk offers Go's TLS 1.2 and 1.3 cipher suites and cannot restrict them")
_add("ssl.providers", _ALL, "tls", "kfk's TLS is Go's, not OpenSSL's: it loads no OpenSSL providers")
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
# kfk fetches from partition leaders only: a rack picks no nearer replica.
_add("client.rack", _ALL, "noop")
_add("broker.address.family", _ALL, "noop", conv=_choice("any", "v4", "v6"))
_add("client.dns.lookup", _ALL, "noop", conv=_choice("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"))
_add("metadata.recovery.strategy", _ALL, "noop", conv=_choice("none", "rebootstrap"))
_add("receive.message.max.bytes", _ALL, "noop", conv=_ranged(1000, 2147483647))
_add("api.version.request.timeout.ms", _ALL, "noop", conv=_ranged(1, 300000))
_add("topic.metadata.propagation.max.ms", _ALL, "noop", conv=_ranged(0, 3600000))
_add("socket.max.fails", _ALL, "noop", conv=_ranged(0, 1000000))
_add("message.copy.max.bytes", _ALL, "noop", conv=_ranged(0, 1000000000))
_add("internal.termination.signal", _ALL, "noop", conv=_ranged(0, 128))
_add("enable.sparse.connections log.queue log.thread.name enable.random.seed", _ALL, "noop", conv=_bool)
_add("client.software.name client.software.version ssl.engine.id", _ALL, "noop")
_add("sasl.kerberos.service.name", _ALL, "kfk", "sasl_kerberos_service_name")
_add("sasl.kerberos.principal", _ALL, "kfk", "sasl_kerberos_principal")
_add("sasl.kerberos.keytab", _ALL, "kfk", "sasl_kerberos_keytab")
# librdkafka runs kinit to fill the credential cache from the keytab, and
# again every min.time.before.relogin; kfk logs in with the keytab itself
# and renews that login, and reads the cache (filled by the user's kinit)
# afresh at each authentication when there is no keytab.
_add("sasl.kerberos.kinit.cmd", _ALL, "noop")
_add("sasl.kerberos.min.time.before.relogin", _ALL, "noop", conv=_ranged(0, 86400000))
_add("allow.auto.create.topics", _ALL, "kfk", "allow_auto_create_topics", _flag)
_add("sasl.oauthbearer.method", _ALL, "kfk", "sasl_oauthbearer_method")
_add("sasl.oauthbearer.client.id", _ALL, "kfk", "sasl_oauthbearer_client_id")
_add("sasl.oauthbearer.client.secret", _ALL, "kfk", "sasl_oauthbearer_client_secret")
_add("sasl.oauthbearer.token.endpoint.url", _ALL, "kfk", "sasl_oauthbearer_token_endpoint_url")
_add("sasl.oauthbearer.scope", _ALL, "kfk", "sasl_oauthbearer_scope")
_add("sasl.oauthbearer.extensions", _ALL, "kfk", "sasl_oauthbearer_extensions")
_add("sasl.oauthbearer.config", _ALL, "kfk", "sasl_oauthbearer_config")
_add("enable.sasl.oauthbearer.unsecure.jwt", _ALL, "kfk", "sasl_oauthbearer_unsecure_jwt", _flag)
_add("https.ca.location", _ALL, "kfk", "sasl_oauthbearer_ca_file")
_add("error_cb stats_cb oauth_cb", _ALL, "py", None, _callable)
# kfk reports no throttling but in its statistics (stats_cb): never called.
_add("throttle_cb", _ALL, "py", None, _callable)
_add("logger", _ALL, "py", "logger", lambda v: v)  # anything, as confluent-kafka (Settings.logger)

_add("acks request.required.acks", _P, "kfk", "acks")
_add("linger.ms queue.buffering.max.ms", _P, "kfk", "linger_ms", _number)
_add("batch.size", _P, "kfk", "batch_size", _int)
_add("batch.num.messages", _P, "kfk", "batch_num_messages", _int)
_add("sticky.partitioning.linger.ms queue.buffering.backpressure.threshold", _P, "noop")
_add("compression.level", _P, "kfk", "compression_level", _int)
_add("produce.offset.report", _P, "noop", conv=_bool)  # librdkafka no longer uses it
_add("queuing.strategy", _P, "only", lambda v: str(v).lower() == "fifo")  # lifo reorders
_add("compression.type compression.codec", _P, "kfk", "compression", _compression)
_add("enable.idempotence", _P, "kfk", "idempotent", _flag)
_add("enable.gapless.guarantee", _P, "only", lambda v: not _bool(v))
_add("transactional.id", _P, "kfk", "transactional_id")
_add("transaction.timeout.ms", _P, "kfk", "transaction_timeout_ms", _int)
_add("delivery.timeout.ms message.timeout.ms", _P, "kfk", "delivery_timeout_ms", _delivery_timeout)
# kfk retries until delivery.timeout.ms whatever the count: a message
# librdkafka would fail after that many retries may still be delivered
# (at least once, either way). 0, at most once, is refused.
_add("retries message.send.max.retries", _P, "noop", conv=_retries)
_add("max.in.flight max.in.flight.requests.per.connection", _P, "kfk", "max_in_flight", _in_flight)
_add("queue.buffering.max.messages", _P, "py", "max_messages", _max_messages)
_add("queue.buffering.max.kbytes", _P, "kfk", "max_buffered_kbytes", _int)
_add("message.max.bytes", _P, "kfk", "message_max_bytes", _ranged(1000, 1000000000))
_add("request.timeout.ms", _P, "kfk", "request_timeout_ms", _int)
_add("partitioner", _P, "py", "partitioner", _partitioner)
_add("on_delivery", _P, "py", "on_delivery", _callable)
_add("delivery.report.only.error", _P, "py", "dr_only_error", _bool)

_add("group.id", _C + _S, "group", "group_id")
_add("group.instance.id", _C, "group", "group_instance_id")
_add("session.timeout.ms", _C, "group", "session_timeout_ms", _int)
_add("heartbeat.interval.ms", _C, "group", "heartbeat_interval_ms", _int)
_add("max.poll.interval.ms", _C, "group", "rebalance_timeout_ms", _int)
_add("enable.auto.commit", _C, "group", "auto_commit", _flag)
_add("auto.commit.interval.ms", _C, "group", "auto_commit_interval_ms", _int)
_add("auto.offset.reset", _C, "group", "auto_offset_reset", _reset)
_add("partition.assignment.strategy", _C, "group", "assignor", _assignor)
_add("group.protocol", _C, "group", "group_protocol", _choice("classic", "consumer"))
_add("group.remote.assignor", _C, "group", "group_remote_assignor")
_add("enable.auto.offset.store", _C, "group", "auto_offset_store", _flag)
_add("enable.partition.eof", _C, "py", "partition_eof", _bool)
_add("isolation.level", _C, "kfk", "isolation_level")
_add("fetch.wait.max.ms fetch.max.wait.ms", _C + _S, "kfk", "fetch_max_wait_ms", _int)
_add("fetch.min.bytes", _C + _S, "kfk", "fetch_min_bytes", _int)
_add("fetch.max.bytes", _C + _S, "kfk", "fetch_max_bytes", _int)
_add("max.partition.fetch.bytes fetch.message.max.bytes", _C + _S, "kfk", "fetch_partition_max_bytes", _int)
_add("queued.max.messages.kbytes", _C, "kfk", "prefetch_bytes", lambda v: str(_int(v) * 1024))
_add("queued.min.messages fetch.error.backoff.ms fetch.queue.backoff.ms", _C, "noop")
# librdkafka leaves it off by default; kfk verifies unless told not to.
_add("check.crcs", _C + _S, "kfk", "check_crcs", _flag)
_add("coordinator.query.interval.ms", _C, "noop", conv=_ranged(1, 3600000))
_add("consume.callback.max.messages", _C, "noop", conv=_ranged(0, 1000000))  # for a C callback API only
# The legacy simple consumer's; confluent-kafka's Consumer ignores them too.
_add("auto.commit.enable", _C, "noop", conv=_bool)
_add("offset.store.path offset.store.sync.interval.ms", _C, "noop")
_add("offset.store.method", _C, "only", lambda v: str(v).lower() == "broker")
_add("on_commit", _C, "py", "on_commit", _callable)

_add("share.acknowledgement.mode", _S, "group", "share_acknowledgement_mode", _ack_mode)
_add("max.poll.records", _S, "kfk", "max_poll_records", _int)
# Group consumer properties a share consumer accepts without effect, as
# confluent-kafka does (kfk's share member is not removed for polling late).
_SHARE_NOOP = ("max.poll.interval.ms",)
# Callbacks of this layer's that one kind of client has: confluent-kafka
# knows them on no other.
_ONE_CLIENT = ("on_delivery", "on_commit")
# The classic protocol's settings, which the broker decides with
# group.protocol=consumer (confluent-kafka refuses them there).
_CLASSIC_ONLY = ("session_timeout_ms", "heartbeat_interval_ms", "assignor")

# Defaults where librdkafka's differ from kfk's own (EV::Kafka's) in a way
# a program notices: a program written for confluent-kafka gets the
# batches and timeouts it was tuned with (kfk's 16 KiB batches cost a
# request per 160 records of 100 B).
_DEFAULTS = {
    PRODUCER: {"delivery_timeout_ms": "300000", "batch_size": "1000000"},
    # librdkafka's consumer asks for metadata without having topics created
    CONSUMER: {"isolation_level": "read_committed", "allow_auto_create_topics": "0"},
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
        self._origin: dict[str, str] = {}  # kfk or group option -> the property it came from
        self._tls_only: dict[str, str] = {}  # tls properties given -> what kfk lacks
        for name, value in props.items():
            self._set(str(name), value)
        self._check()
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
        mine = self.client in clients
        if not mine and name in _ONE_CLIENT:
            raise _invalid(f'No such configuration property: "{name}"')
        try:
            if kind == "only":
                if mine and not target(value):
                    raise _Unsupported(f"{name}={value!r}")
                converted = None
            else:
                converted = conv(value)  # another kind of client's values are checked too, as librdkafka does
        except TypeError:
            if conv is _callable:
                raise _not_callable(name) from None
            raise _invalid(f'Invalid value "{value}" for configuration property "{name}"') from None
        except _Unsupported as exc:
            if not mine:
                converted = None
            else:
                raise _invalid(f"Unsupported value for configuration property \"{name}\": {exc} "
                               "(see kfk's CONFLUENT.md)") from None
        except ValueError as exc:
            raise _invalid(f'Invalid value "{value}" for configuration property "{name}": {exc}') from None
        if not mine:
            # As librdkafka: another kind of client's property is accepted
            # and does nothing here (one dict often configures both).
            self.ignored.append(name)
        elif kind == "kfk":
            self.kfk[target] = _text(converted)
            self._origin[target] = name
        elif kind == "group":
            self.group[target] = _text(converted)
            self._origin[target] = name
        elif kind == "py":
            self.py[target or name] = converted
        elif kind == "tls":
            self._tls_only[name] = target

    def _check(self) -> None:
        """What depends on several properties: the TLS settings, which take
        effect with TLS only, and the combinations librdkafka refuses."""
        tls = self.kfk.get("security.protocol", "plaintext").upper() in ("SSL", "SASL_SSL")
        ca = self.py.pop("ca_location", None)
        if tls and ca is not None and ca != "probe":  # probe: the system's CAs, as kfk's default
            self.kfk["tls_ca_file"] = str(ca)
            self._origin["tls_ca_file"] = "ssl.ca.location"
        hostname_check = self.py.pop("endpoint_check", True)
        if tls:
            if self._tls_only:
                name, lack = next(iter(self._tls_only.items()))
                raise _invalid(f'Unsupported configuration property "{name}" with TLS: {lack} '
                               "(see kfk's CONFLUENT.md)")
            if not hostname_check and self.kfk.get("enable.ssl.certificate.verification") != "false":
                raise _invalid('Unsupported value for configuration property "ssl.endpoint.identification.algorithm":'
                               " 'none': kfk checks the broker's host name whenever it verifies certificates; "
                               "enable.ssl.certificate.verification=false verifies neither")
        if self.client == PRODUCER:
            if self.transactional and self.kfk.get("idempotent") == "0":
                raise _invalid("transactional.id needs enable.idempotence=true: a transactional producer is "
                               "idempotent")
            if float(self.kfk["delivery_timeout_ms"]) <= float(self.kfk.get("linger_ms", 5)):
                raise _invalid(f"{self._origin.get('delivery_timeout_ms', 'delivery.timeout.ms')} must be more "
                               f"than {self._origin.get('linger_ms', 'linger.ms')}")
        if self.client == CONSUMER:
            if self.group.get("group_protocol") == "consumer":
                for target in _CLASSIC_ONLY:
                    if target in self._origin:
                        raise _invalid(f"{self._origin[target]} cannot be set with group.protocol=consumer: "
                                       "the broker decides it (group.remote.assignor chooses its assignor)")
                    del self.group[target]
            else:
                self.group.pop("group_remote_assignor", None)
                if int(self.group["rebalance_timeout_ms"]) < int(self.group["session_timeout_ms"]):
                    raise _invalid("max.poll.interval.ms must be at least session.timeout.ms")

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
            for key, value in list(self.kfk.items()):
                if lib.kfk_conf_set(conf, key.encode(), str(value).encode(), err, 512):
                    name = self._origin.get(key, key)
                    raise _invalid(f'Invalid value for configuration property "{name}": '
                                   f"{err.value.decode('utf-8', 'replace')}")
        finally:
            lib.kfk_conf_destroy(conf)
        return dict(self.kfk)

    def logger(self) -> logging.Logger:
        given = self.py.get("logger")
        return given if callable(getattr(given, "log", None)) else logging.getLogger("kfk")
