"""confluent-kafka's AdminClient over kfk: each call returns futures
(concurrent.futures.Future) keyed by the resource, completed by a thread of
the client's own, as confluent-kafka's are.

    from kfk.confluent.admin import AdminClient, NewTopic
    fs = AdminClient({"bootstrap.servers": brokers}).create_topics([NewTopic("t", 3, 1)])
    for topic, f in fs.items():
        f.result()   # None, or raises KafkaException
"""

from __future__ import annotations

import collections
import threading
import weakref
from concurrent.futures import Future
from typing import Any, Callable, Optional, Sequence

from ...conn import _new_topic_array, _s, _str_array, _tp_array
from ...errors import KafkaError as _KfkError
from .._admin_model import (AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource, ConsumerGroupDescription,
                            ConsumerGroupListing, ConsumerGroupState, ConsumerGroupTopicPartitions, ConsumerGroupType,
                            DeletedRecords, DescribeClusterResult, GroupMember, GroupMetadata, IsolationLevel,
                            ListConsumerGroupsResult, MemberAssignment, MemberDescription, NewPartitions, NewTopic,
                            Node, ResourceType, config_source, group_state)
from .._base import Base
from .._config import ADMIN, Settings
from .._errors import KafkaError, KafkaException, from_kfk
from .._model import (OFFSET_INVALID, BrokerMetadata, ClusterMetadata, PartitionMetadata, TopicMetadata,
                      TopicPartition, _tp)

RESOURCE_UNKNOWN, RESOURCE_ANY, RESOURCE_TOPIC, RESOURCE_GROUP, RESOURCE_BROKER, RESOURCE_TRANSACTIONAL_ID = (
    ResourceType.UNKNOWN, ResourceType.ANY, ResourceType.TOPIC, ResourceType.GROUP, ResourceType.BROKER,
    ResourceType.TRANSACTIONAL_ID)
CONFIG_SOURCE_UNKNOWN_CONFIG = ConfigSource.UNKNOWN_CONFIG
CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG = ConfigSource.DYNAMIC_TOPIC_CONFIG
CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG = ConfigSource.DYNAMIC_BROKER_CONFIG
CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG = ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
CONFIG_SOURCE_STATIC_BROKER_CONFIG = ConfigSource.STATIC_BROKER_CONFIG
CONFIG_SOURCE_DEFAULT_CONFIG = ConfigSource.DEFAULT_CONFIG
CONFIG_SOURCE_GROUP_CONFIG = ConfigSource.GROUP_CONFIG

_DEFAULT_TIMEOUT_MS = 30000


def _ms(seconds: Optional[float], default: int = _DEFAULT_TIMEOUT_MS) -> int:
    return default if seconds is None or seconds < 0 else int(seconds * 1000)


def _failed(code: int, message: Optional[str] = None) -> KafkaException:
    return KafkaException(KafkaError(code, message or None))


def _poll_forever(ref: "weakref.ref[AdminClient]") -> None:
    """The thread that completes an AdminClient's futures: it polls the
    client's queue until the client is closed or gone."""
    while True:
        admin = ref()
        if admin is None or admin._stopping:
            return
        queue = admin._queue
        del admin
        try:
            queue.poll(0.1)
        except Exception:  # a handler failed: its future carries the error
            continue


class AdminClient(Base):
    """Topics, partitions, configs and groups, with futures."""

    _kind = "admin client"

    def __init__(self, conf: Optional[dict] = None, **kwargs: Any) -> None:
        settings = Settings(conf, ADMIN, **kwargs)
        self._callbacks: collections.deque = collections.deque()  # error_cb, stats_cb for poll()
        self._stopping = False
        super().__init__(settings)
        self._client.connect(callback=lambda result, err: None)
        self._thread = threading.Thread(target=_poll_forever, args=(weakref.ref(self),), daemon=True,
                                        name="kfk-confluent-admin")
        self._thread.start()

    # error_cb and stats_cb run from poll(), on the application's thread.
    def _on_error(self, err: _KfkError) -> None:
        if self._error_cb is not None:
            self._callbacks.append(lambda: Base._on_error(self, err))

    def _on_stats(self, stats: dict) -> None:
        self._callbacks.append(lambda: Base._on_stats(self, stats))

    def poll(self, timeout: Optional[float] = -1) -> int:
        """Serve error_cb and stats_cb; returns how many ran."""
        import time
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        served = 0
        while True:
            while self._callbacks:
                self._callbacks.popleft()()
                served += 1
            if served or (deadline is not None and time.monotonic() >= deadline):
                return served
            time.sleep(0.01)

    def close(self) -> None:
        if self._closed:
            return
        self._stopping = True
        self._thread.join()
        self._close_client(10.0)

    def __len__(self) -> int:
        return 0

    def _call(self, fn: Callable[..., int], *args: Any, done: Callable[[Any, Optional[_KfkError]], None]) -> None:
        """Issue one kfk admin request; done(result, error) runs on the
        client's thread."""
        self._check_open()

        def complete(result: Any, err: Optional[_KfkError]) -> None:
            done(result, err)

        try:
            self._client._request(fn, *args, callback=complete)
        except _KfkError as exc:
            done(None, exc)

    def _raw(self, fn: Callable[..., int], *args: Any) -> Future:
        """A future of one request's raw result."""
        f: Future = Future()

        def done(result: Any, err: Optional[_KfkError]) -> None:
            if err is not None:
                f.set_exception(KafkaException(from_kfk(err)))
            else:
                f.set_result(result)

        self._call(fn, *args, done=done)
        return f

    # -- topics and partitions -------------------------------------------------

    def create_topics(self, new_topics: Sequence[NewTopic], operation_timeout: Optional[float] = None,
                      request_timeout: Optional[float] = None, validate_only: bool = False) -> dict:
        """{topic: future of None}; TOPIC_ALREADY_EXISTS and the like raise
        from the future."""
        if not isinstance(new_topics, list) or not new_topics or not all(isinstance(t, NewTopic) for t in new_topics):
            raise ValueError("Expected non-empty list of NewTopic objects")
        if validate_only:
            raise NotImplementedError("AdminClient.create_topics(validate_only=True)")
        if any(t.replica_assignment for t in new_topics):
            raise NotImplementedError("NewTopic.replica_assignment")
        futures = {t.topic: Future() for t in new_topics}
        arr, n, keep = _new_topic_array([{"name": t.topic, "num_partitions": t.num_partitions,
                                          "replication_factor": t.replication_factor,
                                          "config": {str(k): str(v) for k, v in t.config.items()}}
                                         for t in new_topics])
        self._call(self._client._lib.kfk_admin_create_topics, arr, n, _ms(operation_timeout),
                   done=lambda res, err: _per_name(futures, res, err, "topics"))
        del keep
        return futures

    def delete_topics(self, topics: Sequence[str], operation_timeout: Optional[float] = None,
                      request_timeout: Optional[float] = None) -> dict:
        """{topic: future of None}."""
        if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
            raise ValueError("Expected non-empty list of topic strings")
        futures = {t: Future() for t in topics}
        arr, n = _str_array(topics, "topic")
        self._call(self._client._lib.kfk_admin_delete_topics, arr, n, _ms(operation_timeout),
                   done=lambda res, err: _per_name(futures, res, err, "topics"))
        return futures

    def create_partitions(self, new_partitions: Sequence[NewPartitions], operation_timeout: Optional[float] = None,
                          request_timeout: Optional[float] = None, validate_only: bool = False) -> dict:
        """{topic: future of None}."""
        if (not isinstance(new_partitions, list) or not new_partitions
                or not all(isinstance(p, NewPartitions) for p in new_partitions)):
            raise ValueError("Expected non-empty list of NewPartitions objects")
        if validate_only:
            raise NotImplementedError("AdminClient.create_partitions(validate_only=True)")
        if any(p.replica_assignment for p in new_partitions):
            raise NotImplementedError("NewPartitions.replica_assignment")
        futures = {}
        for p in new_partitions:
            f: Future = Future()
            futures[p.topic] = f
            self._call(self._client._lib.kfk_admin_create_partitions, _s(p.topic, "topic"), p.new_total_count,
                       _ms(operation_timeout), done=_single(f))
        return futures

    def delete_records(self, topic_partition_offsets: Sequence[TopicPartition],
                       request_timeout: Optional[float] = None, operation_timeout: Optional[float] = None) -> dict:
        """{TopicPartition: future of DeletedRecords}."""
        tps = list(topic_partition_offsets)
        if not tps or not all(isinstance(tp, TopicPartition) for tp in tps):
            raise ValueError("Expected non-empty list of TopicPartition objects")
        futures = {tp: Future() for tp in tps}
        arr, n = _tp_array([{"topic": tp.topic, "partition": tp.partition, "offset": tp.offset} for tp in tps])

        def done(res: Any, err: Optional[_KfkError]) -> None:
            got = {(p["topic"], p["partition"]): p for p in (res or {}).get("partitions") or []}
            for tp, f in futures.items():
                p = got.get((tp.topic, tp.partition))
                if err is not None:
                    f.set_exception(KafkaException(from_kfk(err)))
                elif p is None:
                    f.set_exception(_failed(KafkaError._UNKNOWN_PARTITION))  # type: ignore[attr-defined]
                elif p.get("error_code"):
                    f.set_exception(_failed(p["error_code"]))
                else:
                    f.set_result(DeletedRecords(p["low_watermark"]))

        self._call(self._client._lib.kfk_admin_delete_records, arr, n, _ms(operation_timeout), done=done)
        return futures

    def list_topics(self, topic: Optional[str] = None, timeout: float = -1) -> ClusterMetadata:
        """Cluster metadata (every topic, or just topic)."""
        self._check_open()
        if topic is None:
            return super().list_topics(None, timeout)
        f = self._raw(self._client._lib.kfk_client_metadata, *_str_array([topic], "topic"))
        from .._model import cluster_metadata
        return cluster_metadata(f.result(None if timeout is None or timeout < 0 else timeout), [topic])

    def describe_cluster(self, include_authorized_operations: bool = False,
                         request_timeout: Optional[float] = None) -> Future:
        """A future of DescribeClusterResult."""
        if include_authorized_operations:
            raise NotImplementedError("AdminClient.describe_cluster(include_authorized_operations=True)")
        f: Future = Future()

        def done(res: Any, err: Optional[_KfkError]) -> None:
            if err is not None:
                f.set_exception(KafkaException(from_kfk(err)))
                return
            nodes = [Node(b["node_id"], b["host"], b["port"], b.get("rack")) for b in res.get("brokers") or []]
            controller = next((n for n in nodes if n.id == res.get("controller_id")), None)
            f.set_result(DescribeClusterResult(controller, nodes, res.get("cluster_id")))

        self._call(self._client._lib.kfk_admin_describe_cluster, done=done)
        return f

    # -- configs -----------------------------------------------------------------

    @staticmethod
    def _topic_resources(resources: Sequence[ConfigResource], what: str) -> list:
        if not isinstance(resources, list) or not resources or not all(isinstance(r, ConfigResource)
                                                                        for r in resources):
            raise ValueError("Expected non-empty list of ConfigResource objects")
        for r in resources:
            if r.restype != ResourceType.TOPIC:
                raise NotImplementedError(f"AdminClient.{what} for {r.restype.name} resources: kfk handles "
                                          "topic configurations only")
        return list(resources)

    def _describe_topic_configs(self, names: list, done: Callable[[dict, Optional[_KfkError]], None]) -> None:
        arr, n = _str_array(names, "topic")

        def got(res: Any, err: Optional[_KfkError]) -> None:
            done({t["name"]: t for t in (res or {}).get("topics") or []}, err)

        self._call(self._client._lib.kfk_admin_describe_topic_configs, arr, n, done=got)

    def describe_configs(self, resources: Sequence[ConfigResource], request_timeout: Optional[float] = None) -> dict:
        """{ConfigResource: future of {name: ConfigEntry}} (topics only)."""
        resources = self._topic_resources(resources, "describe_configs")
        futures = {r: Future() for r in resources}

        def done(by_name: dict, err: Optional[_KfkError]) -> None:
            for r, f in futures.items():
                t = by_name.get(r.name)
                if err is not None:
                    f.set_exception(KafkaException(from_kfk(err)))
                elif t is None:
                    f.set_exception(_failed(KafkaError.UNKNOWN_TOPIC_OR_PART))  # type: ignore[attr-defined]
                elif t.get("error_code"):
                    f.set_exception(_failed(t["error_code"], t.get("error_message")))
                else:
                    f.set_result(_config_entries(t.get("configs") or {}))

        self._describe_topic_configs([r.name for r in resources], done)
        return futures

    def _alter(self, resource: ConfigResource, changes: dict, f: Future) -> None:
        flat = [_s(None if x is None else str(x), "config") for kv in changes.items() for x in kv]
        import ctypes
        arr = (ctypes.c_char_p * max(len(flat), 1))(*flat)
        self._call(self._client._lib.kfk_admin_alter_topic_configs, _s(resource.name, "topic"), arr, len(changes),
                   done=_single(f))

    def alter_configs(self, resources: Sequence[ConfigResource], request_timeout: Optional[float] = None,
                      validate_only: bool = False) -> dict:
        """{ConfigResource: future of None}. As documented for
        confluent-kafka, the configs not given go back to their defaults:
        kfk reads the topic's configs and resets those set on it."""
        resources = self._topic_resources(resources, "alter_configs")
        if validate_only:
            raise NotImplementedError("AdminClient.alter_configs(validate_only=True)")
        futures = {r: Future() for r in resources}

        def described(by_name: dict, err: Optional[_KfkError]) -> None:
            for r, f in futures.items():
                t = by_name.get(r.name)
                if err is not None:
                    f.set_exception(KafkaException(from_kfk(err)))
                    continue
                if t is None or t.get("error_code"):
                    code = (t or {}).get("error_code") or KafkaError.UNKNOWN_TOPIC_OR_PART  # type: ignore
                    f.set_exception(_failed(code, (t or {}).get("error_message")))
                    continue
                changes: dict = {k: None for k, v in (t.get("configs") or {}).items()
                                 if v.get("source") == "dynamic_topic_config" and k not in r.set_config_dict}
                changes.update(r.set_config_dict)
                if not changes:
                    f.set_result(None)
                else:
                    self._alter(r, changes, f)

        self._describe_topic_configs([r.name for r in resources], described)
        return futures

    def incremental_alter_configs(self, resources: Sequence[ConfigResource], request_timeout: Optional[float] = None,
                                  validate_only: bool = False, broker: Optional[int] = None) -> dict:
        """{ConfigResource: future of None}: SET and DELETE operations."""
        resources = self._topic_resources(resources, "incremental_alter_configs")
        if validate_only:
            raise NotImplementedError("AdminClient.incremental_alter_configs(validate_only=True)")
        futures = {}
        for r in resources:
            changes: dict = {}
            for e in r.incremental_configs:
                op = e.incremental_operation
                if op == AlterConfigOpType.SET:
                    changes[e.name] = e.value
                elif op == AlterConfigOpType.DELETE:
                    changes[e.name] = None
                else:
                    raise NotImplementedError(f"incremental_alter_configs with {op}: kfk can SET and DELETE")
            f: Future = Future()
            futures[r] = f
            self._alter(r, changes, f)
        return futures

    # -- groups ------------------------------------------------------------------

    def list_consumer_groups(self, request_timeout: Optional[float] = None, states: Optional[set] = None,
                             types: Optional[set] = None) -> Future:
        """A future of ListConsumerGroupsResult."""
        f: Future = Future()

        def done(res: Any, err: Optional[_KfkError]) -> None:
            if err is not None:
                f.set_exception(KafkaException(from_kfk(err)))
                return
            valid = []
            for g in (res or {}).get("groups") or []:
                state = group_state(g.get("state"))
                gtype = _group_type(g.get("type"))
                if states and state not in states:
                    continue
                if types and gtype not in types:
                    continue
                valid.append(ConsumerGroupListing(g["group_id"], not g.get("protocol_type"), state, gtype))
            f.set_result(ListConsumerGroupsResult(valid))

        self._call(self._client._lib.kfk_admin_list_groups, done=done)
        return f

    def describe_consumer_groups(self, group_ids: Sequence[str], include_authorized_operations: bool = False,
                                 request_timeout: Optional[float] = None) -> dict:
        """{group_id: future of ConsumerGroupDescription}."""
        if not isinstance(group_ids, list) or not group_ids or not all(isinstance(g, str) for g in group_ids):
            raise ValueError("Expected a non-empty list of group ids")
        if include_authorized_operations:
            raise NotImplementedError("describe_consumer_groups(include_authorized_operations=True)")
        futures = {g: Future() for g in group_ids}
        arr, n = _str_array(group_ids, "group_id")

        def done(res: Any, err: Optional[_KfkError]) -> None:
            got = {g["group_id"]: g for g in (res or {}).get("groups") or []}
            for gid, f in futures.items():
                g = got.get(gid)
                if err is not None:
                    f.set_exception(KafkaException(from_kfk(err)))
                elif g is None:
                    f.set_exception(_failed(KafkaError.GROUP_ID_NOT_FOUND))  # type: ignore[attr-defined]
                elif g.get("error_code"):
                    f.set_exception(_failed(g["error_code"]))
                else:
                    f.set_result(_group_description(g))

        self._call(self._client._lib.kfk_admin_describe_groups, arr, n, done=done)
        return futures

    def list_groups(self, group: Optional[str] = None, timeout: float = -1) -> list:
        """[GroupMetadata] of every group (or just group), members included."""
        self._check_open()
        wait = None if timeout is None or timeout < 0 else timeout
        listed = self._raw(self._client._lib.kfk_admin_list_groups).result(wait)
        ids = [g["group_id"] for g in listed.get("groups") or [] if group is None or g["group_id"] == group]
        if group is not None and group not in ids:
            ids = [group]
        if not ids:
            return []
        described = self._raw(self._client._lib.kfk_admin_describe_groups, *_str_array(ids, "group_id")).result(wait)
        out = []
        for g in described.get("groups") or []:
            gm = GroupMetadata()
            gm.id, gm.state, gm.protocol_type, gm.protocol = (g["group_id"], g.get("state"), g.get("protocol_type"),
                                                              g.get("protocol"))
            if g.get("error_code"):
                gm.error = KafkaError(g["error_code"])
            for m in g.get("members") or []:
                member = GroupMember()
                member.id, member.client_id, member.client_host = m["member_id"], m.get("client_id"), m.get(
                    "client_host")
                gm.members.append(member)
            out.append(gm)
        return out

    def list_consumer_group_offsets(self, list_consumer_group_offsets_request: Sequence[ConsumerGroupTopicPartitions],
                                    require_stable: bool = False, request_timeout: Optional[float] = None) -> dict:
        """{group_id: future of ConsumerGroupTopicPartitions} with the
        committed offsets (OFFSET_INVALID where none)."""
        reqs = list(list_consumer_group_offsets_request)
        if len(reqs) != 1 or not isinstance(reqs[0], ConsumerGroupTopicPartitions):
            raise ValueError("Expected a list of exactly one ConsumerGroupTopicPartitions")
        req = reqs[0]
        f: Future = Future()

        def done(res: Any, err: Optional[_KfkError]) -> None:
            if err is not None:
                f.set_exception(KafkaException(from_kfk(err)))
                return
            committed = {}
            for key, v in (res or {}).items():
                topic, _, part = key.rpartition(":")
                committed[(topic, int(part))] = v["committed"]
            if req.topic_partitions:
                tps = [_tp(tp.topic, tp.partition, committed.get((tp.topic, tp.partition), OFFSET_INVALID))
                       for tp in req.topic_partitions]
            else:
                tps = [_tp(t, p, o) for (t, p), o in sorted(committed.items())]
            f.set_result(ConsumerGroupTopicPartitions(req.group_id, tps))

        self._call(self._client._lib.kfk_admin_group_lag, _s(req.group_id, "group_id"), done=done)
        return {req.group_id: f}

    def __getattr__(self, name: str) -> Any:
        if name in _NOT_IMPLEMENTED:
            def missing(*args: Any, **kwargs: Any) -> Any:
                raise NotImplementedError(f"AdminClient.{name}: {_NOT_IMPLEMENTED[name]}")
            return missing
        raise AttributeError(name)


_NOT_IMPLEMENTED = {
    "delete_consumer_groups": "kfk has no DeleteGroups call",
    "alter_consumer_group_offsets": "kfk has no call to set a group's offsets",
    "create_acls": "kfk has no ACL calls", "describe_acls": "kfk has no ACL calls",
    "delete_acls": "kfk has no ACL calls",
    "describe_user_scram_credentials": "kfk has no SCRAM credential calls",
    "alter_user_scram_credentials": "kfk has no SCRAM credential calls",
    "describe_topics": "use list_topics", "list_offsets": "use Consumer.get_watermark_offsets or offsets_for_times",
    "elect_leaders": "kfk has no leader election call",
    "set_sasl_credentials": "kfk's credentials are fixed at creation",
}


def _per_name(futures: dict, res: Any, err: Optional[_KfkError], key: str) -> None:
    """Complete per-topic futures from a {key: [{name, error_code,
    error_message}]} result."""
    got = {t["name"]: t for t in (res or {}).get(key) or []}
    for name, f in futures.items():
        t = got.get(name)
        if err is not None:
            f.set_exception(KafkaException(from_kfk(err)))
        elif t is None:
            f.set_exception(_failed(KafkaError._FAIL, f"no answer for {name}"))  # type: ignore[attr-defined]
        elif t.get("error_code"):
            f.set_exception(_failed(t["error_code"], t.get("error_message")))
        else:
            f.set_result(None)


def _single(f: Future) -> Callable[[Any, Optional[_KfkError]], None]:
    def done(res: Any, err: Optional[_KfkError]) -> None:
        if err is not None:
            f.set_exception(KafkaException(from_kfk(err)))
        else:
            f.set_result(None)
    return done


def _config_entries(configs: dict) -> dict:
    out = {}
    for name, c in configs.items():
        source = config_source(c.get("source"))
        # The source is a number, as confluent-kafka gives it (ConfigSource's value).
        out[name] = ConfigEntry(name, c.get("value"), source.value, bool(c.get("read_only")),
                                source == ConfigSource.DEFAULT_CONFIG, bool(c.get("sensitive")))
    return out


def _group_type(text: Optional[str]) -> ConsumerGroupType:
    return {"classic": ConsumerGroupType.CLASSIC, "consumer": ConsumerGroupType.CONSUMER}.get(
        (text or "").lower(), ConsumerGroupType.UNKNOWN)


def _group_description(g: dict) -> ConsumerGroupDescription:
    members = []
    for m in g.get("members") or []:
        tps = [TopicPartition(topic, p) for topic, parts in sorted((m.get("assignment") or {}).items())
               for p in sorted(parts)]
        members.append(MemberDescription(m["member_id"], m.get("client_id"), m.get("client_host"),
                                         MemberAssignment(tps), m.get("group_instance_id") or None))
    return ConsumerGroupDescription(g["group_id"], not g.get("protocol_type"), members, g.get("protocol") or "",
                                    group_state(g.get("state")), None,
                                    type=ConsumerGroupType.CLASSIC if g.get("protocol_type") else
                                    ConsumerGroupType.UNKNOWN)


__all__ = ["AdminClient", "AlterConfigOpType", "BrokerMetadata", "ClusterMetadata", "ConfigEntry", "ConfigResource",
           "ConfigSource", "ConsumerGroupDescription", "ConsumerGroupListing", "ConsumerGroupState",
           "ConsumerGroupTopicPartitions", "ConsumerGroupType", "DeletedRecords", "DescribeClusterResult",
           "GroupMember", "GroupMetadata", "IsolationLevel", "KafkaError", "KafkaException",
           "ListConsumerGroupsResult", "MemberAssignment", "MemberDescription", "NewPartitions", "NewTopic", "Node",
           "OFFSET_INVALID", "PartitionMetadata", "ResourceType", "TopicMetadata", "TopicPartition",
           "RESOURCE_ANY", "RESOURCE_BROKER", "RESOURCE_GROUP", "RESOURCE_TOPIC", "RESOURCE_TRANSACTIONAL_ID",
           "RESOURCE_UNKNOWN"]
