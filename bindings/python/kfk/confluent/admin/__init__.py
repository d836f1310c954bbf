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
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Optional, Sequence

from ...conn import _new_topic_array, _s, _str_array, _tp_array
from ...errors import KafkaError as _KfkError
from .._admin_model import (AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource, ConsumerGroupDescription,
                            ConsumerGroupListing, ConsumerGroupState, ConsumerGroupTopicPartitions, ConsumerGroupType,
                            DeletedRecords, DescribeClusterResult, GroupMember, GroupMetadata, IsolationLevel,
                            ListConsumerGroupsResult, MemberAssignment, MemberDescription, NewPartitions, NewTopic,
                            Node, ResourceType, config_source, group_state)
from .._admin_types import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, ElectionType,
                            ListOffsetsResultInfo, OffsetSpec, ResourcePatternType, ScramCredentialInfo,
                            ScramMechanism, TopicCollection, TopicDescription, TopicPartitionInfo,
                            UserScramCredentialAlteration, UserScramCredentialDeletion, UserScramCredentialsDescription,
                            UserScramCredentialUpsertion, Uuid)
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


def _future() -> Future:
    """A future already running, as confluent-kafka's are: it cannot be
    cancelled."""
    f: Future = Future()
    f.set_running_or_notify_cancel()
    return f


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

    def __init__(self, conf: dict, **kwargs: Any) -> None:
        if conf is None:  # refused with keyword arguments too, as confluent-kafka does
            raise TypeError("expected configuration dict")
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

    def __enter__(self) -> "AdminClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return 0

    def cluster_id(self, timeout: Optional[float] = -1) -> Optional[str]:
        """The cluster's id; KafkaException(_TIMED_OUT) if no broker
        answers within timeout seconds (None or negative: no limit)."""
        if timeout is not None and not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be a number, not {type(timeout).__name__}")
        f = self._raw(self._client._lib.kfk_admin_describe_cluster)
        try:
            return f.result(None if timeout is None or timeout < 0 else timeout).get("cluster_id")
        except FutureTimeout:
            raise _failed(KafkaError._TIMED_OUT, "Failed to get the cluster id") from None  # type: ignore[attr-defined]

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
        f: Future = _future()

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
        from the future. Topics with a replica_assignment go in a request of
        their own."""
        _listed(new_topics)
        if not new_topics or not all(isinstance(t, NewTopic) for t in new_topics):
            raise ValueError("Expected non-empty list of NewTopic objects")
        for t in new_topics:
            if t.replica_assignment is not None:
                _check_topic_assignment(t)
        futures = {t.topic: _future() for t in new_topics}
        plain = [t for t in new_topics if t.replica_assignment is None]
        placed = [t for t in new_topics
                  if t.replica_assignment is not None and _uniform(t.replica_assignment, futures[t.topic])]

        def spec(t: NewTopic) -> dict:
            partitions, factor = t.num_partitions, t.replication_factor
            if t.replica_assignment is not None:
                partitions, factor = len(t.replica_assignment), len(t.replica_assignment[0])
            return {"name": t.topic, "num_partitions": partitions, "replication_factor": factor,
                    "config": {str(k): str(v) for k, v in (t.config or {}).items()}}

        def settle(group: list) -> Callable[[Any, Optional[_KfkError]], None]:
            return lambda res, err: _per_name({t.topic: futures[t.topic] for t in group}, res, err, "topics")

        if plain:
            arr, n, keep = _new_topic_array([spec(t) for t in plain])
            call = self._client._lib.kfk_admin_validate_create_topics if validate_only else \
                self._client._lib.kfk_admin_create_topics
            self._call(call, arr, n, _ms(operation_timeout), done=settle(plain))
            del keep
        if placed:
            import ctypes
            arr, n, keep = _new_topic_array([spec(t) for t in placed])
            ids = [int(node) for t in placed for nodes in t.replica_assignment for node in nodes]
            self._call(self._client._lib.kfk_admin_create_topics_placed, arr, n, (ctypes.c_int32 * len(ids))(*ids),
                       len(ids), int(bool(validate_only)), _ms(operation_timeout), done=settle(placed))
            del keep
        return futures

    def delete_topics(self, topics: Sequence[str], operation_timeout: Optional[float] = None,
                      request_timeout: Optional[float] = None) -> dict:
        """{topic: future of None}."""
        if not isinstance(topics, list):
            raise TypeError(f"expected a list of topic names, not {type(topics).__name__}")
        if not topics or not all(isinstance(t, str) for t in topics):
            raise ValueError("Expected non-empty list of topic strings")
        futures = {t: _future() for t in topics}
        arr, n = _str_array(topics, "topic")
        self._call(self._client._lib.kfk_admin_delete_topics, arr, n, _ms(operation_timeout),
                   done=lambda res, err: _per_name(futures, res, err, "topics"))
        return futures

    def create_partitions(self, new_partitions: Sequence[NewPartitions], operation_timeout: Optional[float] = None,
                          request_timeout: Optional[float] = None, validate_only: bool = False) -> dict:
        """{topic: future of None}."""
        _listed(new_partitions)
        if not new_partitions or not all(isinstance(p, NewPartitions) for p in new_partitions):
            raise ValueError("Expected non-empty list of NewPartitions objects")
        futures = {}
        for p in new_partitions:
            f: Future = _future()
            futures[p.topic] = f
            if p.replica_assignment is None:
                call = self._client._lib.kfk_admin_validate_create_partitions if validate_only else \
                    self._client._lib.kfk_admin_create_partitions
                self._call(call, _s(p.topic, "topic"), p.new_total_count, _ms(operation_timeout), done=_single(f))
                continue
            if (not isinstance(p.replica_assignment, list) or not p.replica_assignment
                    or not all(isinstance(nodes, list) and nodes for nodes in p.replica_assignment)):
                raise ValueError("replica_assignment must be a list of int lists")
            if _uniform(p.replica_assignment, f):
                import ctypes
                ids = [int(node) for nodes in p.replica_assignment for node in nodes]
                self._call(self._client._lib.kfk_admin_create_partitions_placed, _s(p.topic, "topic"),
                           p.new_total_count, (ctypes.c_int32 * len(ids))(*ids), len(ids),
                           len(p.replica_assignment[0]), int(bool(validate_only)), _ms(operation_timeout),
                           done=_single(f))
        return futures

    def delete_records(self, topic_partition_offsets: Sequence[TopicPartition],
                       request_timeout: Optional[float] = None, operation_timeout: Optional[float] = None) -> dict:
        """{TopicPartition: future of DeletedRecords}."""
        tps = list(topic_partition_offsets)
        if not tps or not all(isinstance(tp, TopicPartition) for tp in tps):
            raise ValueError("Expected non-empty list of TopicPartition objects")
        futures = {tp: _future() for tp in tps}
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
        f: Future = _future()

        def done(res: Any, err: Optional[_KfkError]) -> None:
            if err is not None:
                f.set_exception(KafkaException(from_kfk(err)))
                return
            nodes = [Node(b["node_id"], b["host"], b["port"], b.get("rack")) for b in res.get("brokers") or []]
            controller = next((n for n in nodes if n.id == res.get("controller_id")), None)
            ops = res.get("authorized_operations")
            f.set_result(DescribeClusterResult(controller, nodes, res.get("cluster_id"),
                                               None if ops is None else _operations(ops)))

        if include_authorized_operations:
            self._call(self._client._lib.kfk_admin_describe_cluster_operations, done=done)
        else:
            self._call(self._client._lib.kfk_admin_describe_cluster, done=done)
        return f

    # -- configs -----------------------------------------------------------------

    @staticmethod
    def _config_resources(resources: Sequence[ConfigResource]) -> list:
        if not isinstance(resources, list) or not resources or not all(isinstance(r, ConfigResource)
                                                                        for r in resources):
            raise ValueError("Expected non-empty list of ConfigResource objects")
        for r in resources:
            if r.restype not in _CONFIG_TYPES:
                raise ValueError(f"ConfigResource type {r.restype.name}: topic, broker or group")
        return list(resources)

    def describe_configs(self, resources: Sequence[ConfigResource], request_timeout: Optional[float] = None) -> dict:
        """{ConfigResource: future of {name: ConfigEntry}} for topics, brokers
        (by node id) and groups."""
        resources = self._config_resources(resources)
        futures = {r: _future() for r in resources}
        flat = [_s(x, "resource") for r in resources for x in (_CONFIG_TYPES[r.restype], r.name)]
        import ctypes
        arr = (ctypes.c_char_p * len(flat))(*flat)

        def done(res: Any, err: Optional[_KfkError]) -> None:
            answers = (res or {}).get("resources") or []
            for i, (r, f) in enumerate(futures.items()):
                _settle(f, err, answers[i] if i < len(answers) else None,
                        lambda t: _config_entries(t.get("configs") or {}))

        self._call(self._client._lib.kfk_admin_describe_configs, arr, len(resources), done=done)
        return futures

    def _alter(self, changes: list, validate_only: bool, done: Callable[[Any, Optional[_KfkError]], None]) -> None:
        """One IncrementalAlterConfigs of changes, (type, name, op, key,
        value) each."""
        import ctypes
        flat = [_s(None if x is None else str(x), "config") for change in changes for x in change]
        arr = (ctypes.c_char_p * len(flat))(*flat)
        self._call(self._client._lib.kfk_admin_incremental_alter_configs, arr, len(changes),
                   int(bool(validate_only)), done=done)

    def alter_configs(self, resources: Sequence[ConfigResource], request_timeout: Optional[float] = None,
                      validate_only: bool = False) -> dict:
        """{ConfigResource: future of None}. As documented for
        confluent-kafka, the configs not given go back to their defaults:
        kfk reads the resource's configs and resets those set on it."""
        resources = self._config_resources(resources)
        futures = {r: _future() for r in resources}
        described = self.describe_configs(resources)

        def altered(res: Any, err: Optional[_KfkError]) -> None:
            got = {(a["type"], a["name"]): a for a in (res or {}).get("resources") or []}
            for r in waiting:
                _settle(futures[r], err, got.get((_CONFIG_TYPES[r.restype], r.name)), lambda a: None)

        def all_described(_: Any) -> None:
            changes = []
            for r, f in futures.items():
                try:
                    entries = described[r].result()
                except KafkaException as e:
                    f.set_exception(e)
                    continue
                kind = _CONFIG_TYPES[r.restype]
                mine = _OWN_SOURCES[r.restype] if r.restype != ResourceType.BROKER or r.name else \
                    ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
                resets = sorted(k for k, e in entries.items() if e.source == mine.value and k not in r.set_config_dict)
                changes += [(kind, r.name, "delete", k, None) for k in resets]
                changes += [(kind, r.name, "set", k, v) for k, v in sorted(r.set_config_dict.items())]
                if resets or r.set_config_dict:
                    waiting.append(r)
                else:
                    f.set_result(None)
            if changes:
                self._alter(changes, validate_only, altered)

        waiting: list = []
        # One request answers them all, completed in order: the last done means all are.
        list(described.values())[-1].add_done_callback(all_described)
        return futures

    def incremental_alter_configs(self, resources: Sequence[ConfigResource], request_timeout: Optional[float] = None,
                                  validate_only: bool = False, broker: Optional[int] = None) -> dict:
        """{ConfigResource: future of None}: SET, DELETE, APPEND and SUBTRACT
        on topics, brokers and groups."""
        resources = self._config_resources(resources)
        flat: list = []
        for r in resources:
            if not r.incremental_configs:
                raise ValueError(f"ConfigResource {r.name!r} has no incremental_configs")
            for e in r.incremental_configs:
                if e.incremental_operation not in _CONFIG_OPS:
                    raise ValueError(f"incremental_operation of {e.name!r}: SET, DELETE, APPEND or SUBTRACT")
                value = None if e.incremental_operation == AlterConfigOpType.DELETE else e.value
                flat += [_s(x, "config") for x in (_CONFIG_TYPES[r.restype], r.name,
                                                   _CONFIG_OPS[e.incremental_operation], e.name,
                                                   None if value is None else str(value))]
        futures = {r: _future() for r in resources}
        import ctypes
        arr = (ctypes.c_char_p * len(flat))(*flat)

        def done(res: Any, err: Optional[_KfkError]) -> None:
            got = {(a["type"], a["name"]): a for a in (res or {}).get("resources") or []}
            for r, f in futures.items():
                _settle(f, err, got.get((_CONFIG_TYPES[r.restype], r.name)), lambda a: None)

        self._call(self._client._lib.kfk_admin_incremental_alter_configs, arr, len(flat) // 5,
                   int(bool(validate_only)), done=done)
        return futures

    # -- groups ------------------------------------------------------------------

    def list_consumer_groups(self, request_timeout: Optional[float] = None, states: Optional[set] = None,
                             types: Optional[set] = None) -> Future:
        """A future of ListConsumerGroupsResult."""
        f: Future = _future()

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
        futures = {g: _future() for g in group_ids}
        arr, n = _str_array(group_ids, "group_id")

        def done(res: Any, err: Optional[_KfkError]) -> None:
            got = {g["group_id"]: g for g in (res or {}).get("groups") or []}
            for gid, f in futures.items():
                g = got.get(gid)
                if err is not None:
                    f.set_exception(KafkaException(from_kfk(err)))
                elif g is None:
                    f.set_exception(_failed(KafkaError.GROUP_ID_NOT_FOUND))  # type: ignore[attr-defined]
                elif g.get("error_code") and g["error_code"] != KafkaError.GROUP_ID_NOT_FOUND:  # type: ignore
                    f.set_exception(_failed(g["error_code"]))
                else:  # a group that does not exist is described as DEAD, as the classic API did
                    f.set_result(_group_description(g))

        if include_authorized_operations:
            self._call(self._client._lib.kfk_admin_describe_groups_operations, arr, n, done=done)
        else:
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
            if g.get("error_code") == KafkaError.GROUP_ID_NOT_FOUND:  # type: ignore[attr-defined]
                continue
            gm = GroupMetadata()
            state = g.get("state") or ""
            gm.id, gm.state, gm.protocol_type, gm.protocol = (g["group_id"], _GROUP_STATE_NAMES.get(state, state),
                                                              g.get("protocol_type"), g.get("protocol"))
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
        f: Future = _future()

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

    # -- groups' offsets, offsets, topics, leaders ------------------------------

    def delete_consumer_groups(self, group_ids: Sequence[str], request_timeout: Optional[float] = None) -> dict:
        """{group_id: future of None}; NON_EMPTY_GROUP and GROUP_ID_NOT_FOUND
        raise from the future."""
        if not isinstance(group_ids, list):
            raise TypeError("Expected input to be list of group ids to be deleted")
        if not group_ids:
            raise ValueError("Expected at least one group to be deleted")
        futures = {g: _future() for g in group_ids}
        arr, n = _str_array(group_ids, "group_id")

        def done(res: Any, err: Optional[_KfkError]) -> None:
            got = {g["group_id"]: g for g in (res or {}).get("groups") or []}
            for gid, f in futures.items():
                _settle(f, err, got.get(gid), lambda g: None)

        self._call(self._client._lib.kfk_admin_delete_groups, arr, n, done=done)
        return futures

    def alter_consumer_group_offsets(self, alter_consumer_group_offsets_request: Sequence[ConsumerGroupTopicPartitions],
                                     request_timeout: Optional[float] = None) -> dict:
        """{group_id: future of ConsumerGroupTopicPartitions}, each partition
        with its error (UNKNOWN_MEMBER_ID while the group has members)."""
        req = _one_offsets_request(alter_consumer_group_offsets_request)
        f: Future = _future()
        arr, n = _tp_array([{"topic": tp.topic, "partition": tp.partition, "offset": tp.offset,
                             "leader_epoch": -1 if tp.leader_epoch is None else tp.leader_epoch,
                             "metadata": tp.metadata} for tp in req.topic_partitions])

        def done(res: Any, err: Optional[_KfkError]) -> None:
            if err is not None:
                f.set_exception(KafkaException(from_kfk(err)))
                return
            codes = {(p["topic"], p["partition"]): p["error_code"] for p in (res or {}).get("partitions") or []}
            tps = []
            for tp in req.topic_partitions:
                code = codes.get((tp.topic, tp.partition), KafkaError._FAIL)  # type: ignore[attr-defined]
                tps.append(_tp(tp.topic, tp.partition, tp.offset, KafkaError(code) if code else None, tp.metadata))
            f.set_result(ConsumerGroupTopicPartitions(req.group_id, tps))

        self._call(self._client._lib.kfk_admin_alter_group_offsets, _s(req.group_id, "group_id"), arr, n, done=done)
        return {req.group_id: f}

    def list_offsets(self, topic_partition_offsets: dict, request_timeout: Optional[float] = None,
                     isolation_level: Optional[IsolationLevel] = None) -> dict:
        """{TopicPartition(topic, partition, spec): future of
        ListOffsetsResultInfo}."""
        if not isinstance(topic_partition_offsets, dict):
            raise TypeError("Expected topic_partition_offsets to be dict of [TopicPartitions,OffsetSpec] for list "
                            "offsets request")
        for tp, spec in topic_partition_offsets.items():
            if not isinstance(tp, TopicPartition):
                raise TypeError("partition must be a TopicPartition")
            if not tp.topic:
                raise ValueError("partition topic name cannot be empty")
            if tp.partition < 0:
                raise ValueError("partition index must be non-negative")
            if not isinstance(spec, OffsetSpec):
                raise TypeError("Value must be a OffsetSpec")
        if isolation_level is not None and not isinstance(isolation_level, IsolationLevel):
            raise TypeError("isolation_level argument should be an IsolationLevel")
        keys = [TopicPartition(tp.topic, tp.partition, spec._value) for tp, spec in topic_partition_offsets.items()]
        futures = {k: _future() for k in keys}
        arr, n = _tp_array([{"topic": k.topic, "partition": k.partition, "offset": k.offset} for k in keys])

        def done(res: Any, err: Optional[_KfkError]) -> None:
            answers = (res or {}).get("partitions") or []
            for i, f in enumerate(futures.values()):
                _settle(f, err, answers[i] if i < len(answers) else None,
                        lambda p: ListOffsetsResultInfo(p["offset"], p["timestamp"], p["leader_epoch"]))

        level = isolation_level.value if isolation_level is not None else 0
        self._call(self._client._lib.kfk_admin_list_offsets, arr, n, level, done=done)
        return futures

    def describe_topics(self, topics: TopicCollection, request_timeout: Optional[float] = None,
                        include_authorized_operations: bool = False) -> dict:
        """{topic: future of TopicDescription}."""
        if not isinstance(topics, TopicCollection):
            raise TypeError("Expected input to be instance of TopicCollection")
        if not isinstance(topics.topic_names, list):
            raise TypeError("Expected list of topic names to be described")
        futures = {t: _future() for t in topics.topic_names}
        if not futures:
            return futures
        arr, n = _str_array(topics.topic_names, "topic")

        def done(res: Any, err: Optional[_KfkError]) -> None:
            nodes = {b["node_id"]: Node(b["node_id"], b["host"], b["port"], b.get("rack"))
                     for b in (res or {}).get("brokers") or []}
            got = {t["name"]: t for t in (res or {}).get("topics") or []}
            for name, f in futures.items():
                _settle(f, err, got.get(name), lambda t: _topic_description(t, nodes))

        self._call(self._client._lib.kfk_admin_describe_topics, arr, n, int(bool(include_authorized_operations)),
                   done=done)
        return futures

    def elect_leaders(self, election_type: ElectionType, partitions: Optional[Sequence[TopicPartition]] = None,
                      request_timeout: Optional[float] = None, operation_timeout: Optional[float] = None) -> Future:
        """A future of {TopicPartition: KafkaError or None}."""
        if not isinstance(election_type, ElectionType):
            raise TypeError("Expected 'election_type' to be of type 'ElectionType'")
        if partitions is not None:
            if not isinstance(partitions, list):
                raise TypeError(f"Expected 'partitions' to be a list, got '{type(partitions).__name__}'")
            for tp in partitions:
                if not isinstance(tp, TopicPartition):
                    raise TypeError("Element of the 'partitions' list must be of type 'TopicPartition'"
                                    f" got '{type(tp).__name__}' ")
                if tp.partition < 0:
                    raise ValueError("Elements of the 'partitions' list must not have negative value for "
                                     "'partition' field")
        f: Future = _future()
        arr, n = _tp_array([{"topic": tp.topic, "partition": tp.partition} for tp in partitions or []])

        def done(res: Any, err: Optional[_KfkError]) -> None:
            if err is not None:
                f.set_exception(KafkaException(from_kfk(err)))
                return
            out = {}
            for p in (res or {}).get("partitions") or []:
                e = KafkaError(p["error_code"], p.get("error_message") or None) if p["error_code"] else None
                out[_tp(p["topic"], p["partition"], 0, e)] = e
            f.set_result(out)

        self._call(self._client._lib.kfk_admin_elect_leaders, election_type.value, arr if n else None, n,
                   _ms(operation_timeout), done=done)
        return f

    # -- ACLs --------------------------------------------------------------------

    def create_acls(self, acls: Sequence[AclBinding], request_timeout: Optional[float] = None) -> dict:
        """{AclBinding: future of None}; a broker without an authorizer
        raises SECURITY_DISABLED from the futures."""
        bindings = _acl_list(acls, AclBinding, "ACL bindings")
        futures = {a: _future() for a in bindings}
        arr = _acl_array(bindings)

        def done(res: Any, err: Optional[_KfkError]) -> None:
            answers = (res or {}).get("results") or []
            for i, f in enumerate(futures.values()):
                _settle(f, err, answers[i] if i < len(answers) else None, lambda r: None)

        self._call(self._client._lib.kfk_admin_create_acls, arr, len(bindings), done=done)
        return futures

    def describe_acls(self, acl_binding_filter: AclBindingFilter, request_timeout: Optional[float] = None) -> Future:
        """A future of [AclBinding] matching the filter. A broker without an
        authorizer raises SECURITY_DISABLED (confluent-kafka gives [])."""
        if not isinstance(acl_binding_filter, AclBindingFilter):
            raise TypeError("Expected an AclBindingFilter")
        f: Future = _future()

        def done(res: Any, err: Optional[_KfkError]) -> None:
            if err is not None:
                f.set_exception(KafkaException(from_kfk(err)))
            else:
                f.set_result([_acl_binding(a) for a in (res or {}).get("acls") or []])

        self._call(self._client._lib.kfk_admin_describe_acls, _acl_array([acl_binding_filter]), done=done)
        return f

    def delete_acls(self, acl_binding_filters: Sequence[AclBindingFilter],
                    request_timeout: Optional[float] = None) -> dict:
        """{AclBindingFilter: future of [AclBinding] deleted}."""
        filters = _acl_list(acl_binding_filters, AclBindingFilter, "ACL binding filters")
        futures = {a: _future() for a in filters}

        def done(res: Any, err: Optional[_KfkError]) -> None:
            answers = (res or {}).get("results") or []
            for i, f in enumerate(futures.values()):
                _settle(f, err, answers[i] if i < len(answers) else None,
                        lambda r: [_acl_binding(a) for a in r.get("acls") or []])

        self._call(self._client._lib.kfk_admin_delete_acls, _acl_array(filters), len(filters), done=done)
        return futures

    # -- SCRAM credentials ---------------------------------------------------------

    def describe_user_scram_credentials(self, users: Optional[Sequence[str]] = None,
                                        request_timeout: Optional[float] = None) -> Any:
        """users None: a future of {user: UserScramCredentialsDescription}
        for every user; else {user: future of UserScramCredentialsDescription}."""
        if users is not None:
            if not isinstance(users, list):
                raise TypeError("Expected input to be list of String")
            for u in users:
                if u is None:
                    raise TypeError("'user' cannot be None")
                if not isinstance(u, str):
                    raise TypeError("Each value should be a string")
                if not u:
                    raise ValueError("'user' cannot be empty")
        every: Future = _future()
        futures = {u: _future() for u in users or []}

        def done(res: Any, err: Optional[_KfkError]) -> None:
            got = {u["user"]: u for u in (res or {}).get("users") or []}
            if users is None:
                if err is not None:
                    every.set_exception(KafkaException(from_kfk(err)))
                else:
                    every.set_result({name: _scram_description(u) for name, u in got.items()})
                return
            for name, f in futures.items():
                _settle(f, err, got.get(name), _scram_description)

        arr, n = _str_array(users or [], "user")
        self._call(self._client._lib.kfk_admin_describe_user_scram_credentials, arr, n, done=done)
        return every if users is None else futures

    def alter_user_scram_credentials(self, alterations: Sequence[UserScramCredentialAlteration],
                                     request_timeout: Optional[float] = None) -> dict:
        """{user: future of None}. kfk salts and hashes each password; only
        the salted password is sent."""
        checked = _scram_alterations(alterations)
        futures = {a.user: _future() for a, *_ in checked}
        creds = []
        for a, mechanism, iterations, password, salt in checked:
            if password is not None and iterations not in _SCRAM_ITERATIONS:
                # what the broker answers, without hashing over that many rounds
                futures[a.user].set_exception(_failed(KafkaError.UNACCEPTABLE_CREDENTIAL,  # type: ignore[attr-defined]
                                                      "Too few iterations" if iterations < _SCRAM_ITERATIONS.start
                                                      else "Too many iterations"))
            else:
                creds.append((a, mechanism, iterations, password, salt))
        if not creds:
            return futures
        import ctypes
        from ... import _ffi
        arr = (_ffi.ScramCredential * len(creds))()
        keep = []
        for i, (a, mechanism, iterations, password, salt) in enumerate(creds):
            arr[i].user, arr[i].mechanism, arr[i].iterations = _s(a.user, "user"), mechanism, iterations
            for field, data in (("password", password), ("salt", salt)):
                if data is not None:
                    buf = ctypes.create_string_buffer(data, len(data))
                    keep.append(buf)
                    setattr(arr[i], field, ctypes.cast(buf, ctypes.c_void_p))
                    setattr(arr[i], field + "_len", len(data))
        sent = {a.user for a, *_ in creds}

        def done(res: Any, err: Optional[_KfkError]) -> None:
            got = {u["user"]: u for u in (res or {}).get("users") or []}
            for user in sent:
                if not futures[user].done():  # not refused here already
                    _settle(futures[user], err, got.get(user), lambda u: None)

        self._call(self._client._lib.kfk_admin_alter_user_scram_credentials, arr, len(creds), done=done)
        del keep  # the library copied them
        return futures


# The source of the configs set on a resource itself, which alter_configs
# resets when not given (a broker's cluster-wide default has its own).
_OWN_SOURCES = {ResourceType.TOPIC: ConfigSource.DYNAMIC_TOPIC_CONFIG,
                ResourceType.BROKER: ConfigSource.DYNAMIC_BROKER_CONFIG, ResourceType.GROUP: ConfigSource.GROUP_CONFIG}
# The config resource types kfk's core names, and the incremental operations.
_CONFIG_TYPES = {ResourceType.TOPIC: "topic", ResourceType.BROKER: "broker", ResourceType.GROUP: "group"}
_CONFIG_OPS = {AlterConfigOpType.SET: "set", AlterConfigOpType.DELETE: "delete", AlterConfigOpType.APPEND: "append",
               AlterConfigOpType.SUBTRACT: "subtract"}
# ACL resource types as kfk.h names them (confluent-kafka's BROKER is Kafka's cluster).
_ACL_RESOURCE_TYPES = {ResourceType.ANY: "any", ResourceType.TOPIC: "topic", ResourceType.GROUP: "group",
                       ResourceType.BROKER: "cluster", ResourceType.TRANSACTIONAL_ID: "transactional_id"}
_SCRAM_ITERATIONS = range(4096, 16384 + 1)  # what Kafka accepts; kfk's core hashes no others


# Group states as Kafka spells them (list_groups), from kfk's lower case.
_GROUP_STATE_NAMES = {"stable": "Stable", "empty": "Empty", "dead": "Dead", "preparingrebalance": "PreparingRebalance",
                      "completingrebalance": "CompletingRebalance", "assigning": "Assigning",
                      "reconciling": "Reconciling"}


def _listed(items: Any) -> None:
    """As confluent-kafka: TypeError for what is not iterable, ValueError
    for an iterable that is not a list."""
    iter(items)
    if not isinstance(items, list):
        raise ValueError(f"expected a list, not {type(items).__name__}")


def _check_topic_assignment(t: NewTopic) -> None:
    """A NewTopic's replica_assignment, checked as confluent-kafka checks it."""
    if t.replication_factor != -1:
        raise ValueError("replication_factor and replica_assignment are mutually exclusive")
    if t.num_partitions == -1:
        raise ValueError("Specifying a default partition count and a replica assignment are mutually exclusive")
    ra = t.replica_assignment
    if (not isinstance(ra, list) or len(ra) != t.num_partitions
            or not all(isinstance(nodes, list) and nodes for nodes in ra)):
        raise ValueError("replica_assignment must be a list of int lists with an outer size of num_partitions")


def _uniform(assignment: list, f: Future) -> bool:
    """Whether every partition of assignment has as many replicas: Kafka
    refuses others, and kfk's request cannot carry them; f gets the
    broker's error for them."""
    if all(len(nodes) == len(assignment[0]) for nodes in assignment):
        return True
    f.set_exception(_failed(KafkaError.INVALID_REPLICA_ASSIGNMENT,  # type: ignore[attr-defined]
                            "All partitions should have the same number of replicas"))
    return False


def _settle(f: Future, err: Optional[_KfkError], entry: Optional[dict], value: Callable[[dict], Any]) -> None:
    """Complete f from a call's error, or its entry in the result: the
    entry's error_code (and error_message), or value(entry)."""
    if err is not None:
        f.set_exception(KafkaException(from_kfk(err)))
    elif entry is None:
        f.set_exception(_failed(KafkaError._FAIL, "the broker did not answer for it"))  # type: ignore[attr-defined]
    elif entry.get("error_code"):
        f.set_exception(_failed(entry["error_code"], entry.get("error_message")))
    else:
        f.set_result(value(entry))


def _one_offsets_request(requests: Any) -> ConsumerGroupTopicPartitions:
    """The one group of an alter_consumer_group_offsets call, checked as
    confluent-kafka checks it."""
    if requests is None:
        raise TypeError("request cannot be None")
    if not isinstance(requests, list):
        raise TypeError("request must be a list")
    if len(requests) != 1:
        raise ValueError("Currently we support altering offsets for a single consumer group only")
    req = requests[0]
    if not isinstance(req, ConsumerGroupTopicPartitions):
        raise TypeError("Expected list of 'ConsumerGroupTopicPartitions'")
    if not isinstance(req.group_id, str):
        raise TypeError("'group_id' must be a string")
    if not req.group_id:
        raise ValueError("'group_id' cannot be empty")
    if not isinstance(req.topic_partitions, list) or not req.topic_partitions:
        raise ValueError("'topic_partitions' cannot be empty")
    for tp in req.topic_partitions:
        if not isinstance(tp, TopicPartition):
            raise TypeError("Element of 'topic_partitions' must be of type TopicPartition")
        if not tp.topic:
            raise ValueError("Element of 'topic_partitions' must not have 'topic' attribute as Empty")
        if tp.partition < 0:
            raise ValueError("Element of 'topic_partitions' must not have negative value for 'partition' field")
        if tp.offset < 0:
            raise ValueError("Element of 'topic_partitions' must not have negative value for 'offset' field")
    return req


def _topic_description(t: dict, nodes: dict) -> TopicDescription:
    def node(node_id: int) -> Node:
        return nodes.get(node_id) or Node(node_id, "", -1)

    parts = [TopicPartitionInfo(p["partition"], node(p["leader"]) if p["leader"] >= 0 else None,
                                [node(r) for r in p.get("replicas") or []], [node(r) for r in p.get("isr") or []])
             for p in t.get("partitions") or []]
    ops = t.get("authorized_operations")
    return TopicDescription(t["name"], Uuid._from_bytes(t["topic_id"]), bool(t.get("is_internal")), parts,
                            None if ops is None else _operations(ops))


def _operations(names: list) -> list:
    """kfk's operation names as AclOperations (one confluent-kafka lacks,
    such as "create_tokens", is left out)."""
    return [AclOperation[op.upper()] for op in names if op.upper() in AclOperation.__members__]


def _acl_list(acls: Any, cls: type, what: str) -> list:
    if not isinstance(acls, list) or not acls:
        raise ValueError(f"Expected a non-empty list of {cls.__name__}")
    if not all(isinstance(a, cls) for a in acls):
        raise TypeError(f"Expected a list of {cls.__name__}")
    if len(set(acls)) != len(acls):
        raise ValueError(f"duplicate {what} not allowed")
    return list(acls)


def _acl_array(acls: Sequence[AclBinding]) -> Any:
    import ctypes
    flat = []
    for a in acls:
        if a.restype not in _ACL_RESOURCE_TYPES:
            raise ValueError(f"ACL resource type {a.restype.name}: TOPIC, GROUP, BROKER, TRANSACTIONAL_ID or ANY")
        flat += [_ACL_RESOURCE_TYPES[a.restype], a.name, a.resource_pattern_type.name.lower(), a.principal, a.host,
                 a.operation.name.lower(), a.permission_type.name.lower()]
    return (ctypes.c_char_p * len(flat))(*[_s(x, "acl") for x in flat])


def _acl_binding(a: dict) -> AclBinding:
    restype = next((t for t, name in _ACL_RESOURCE_TYPES.items() if name == a["resource_type"]), ResourceType.UNKNOWN)
    return AclBinding(restype, a["resource_name"], a["pattern_type"], a["principal"], a["host"],
                      a["operation"], a["permission_type"])


def _scram_description(u: dict) -> UserScramCredentialsDescription:
    mechanisms = {"SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256, "SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512}
    return UserScramCredentialsDescription(u["user"], [
        ScramCredentialInfo(mechanisms.get(c["mechanism"], ScramMechanism.UNKNOWN), c["iterations"])
        for c in u.get("credentials") or []])


def _scram_alterations(alterations: Any) -> list:
    """(alteration, mechanism, iterations, password, salt) per alteration,
    checked as confluent-kafka checks them."""
    if not isinstance(alterations, list):
        raise TypeError("Expected input to be list")
    if not alterations:
        raise ValueError("Expected at least one alteration")
    out = []
    for a in alterations:
        if not isinstance(a, UserScramCredentialAlteration):
            raise TypeError("Expected each element of list to be subclass of UserScramCredentialAlteration")
        if not isinstance(a.user, str):
            raise TypeError("'user' must be a string")
        if not a.user:
            raise ValueError("'user' cannot be empty")
        if isinstance(a, UserScramCredentialUpsertion):
            if not isinstance(a.password, bytes):
                raise TypeError("'password' must be bytes")
            if not a.password:
                raise ValueError("'password' cannot be empty")
            if a.salt is not None and not isinstance(a.salt, bytes):
                raise TypeError("'salt' must be bytes")
            if a.salt is not None and not a.salt:
                raise ValueError("'salt' can be None but cannot be empty")
            info = a.scram_credential_info
            if not isinstance(info, ScramCredentialInfo):
                raise TypeError("Expected credential_info to be ScramCredentialInfo Type")
            if info.iterations < 1:
                raise ValueError("Iterations should be positive")
            if not isinstance(info.mechanism, ScramMechanism) or info.mechanism == ScramMechanism.UNKNOWN:
                raise TypeError("Expected the mechanism to be ScramMechanism Type")
            out.append((a, info.mechanism.value, info.iterations, a.password, a.salt))
        elif isinstance(a, UserScramCredentialDeletion):
            if not isinstance(a.mechanism, ScramMechanism) or a.mechanism == ScramMechanism.UNKNOWN:
                raise TypeError("Expected the mechanism to be ScramMechanism Type")
            out.append((a, a.mechanism.value, 0, None, None))
        else:
            raise TypeError("Expected each element of list 'alterations' to be either a UserScramCredentialUpsertion "
                            "or a UserScramCredentialDeletion")
    return out


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
    ops = g.get("authorized_operations")
    # DescribeGroups is the classic protocol's call: its groups are CLASSIC.
    return ConsumerGroupDescription(g["group_id"], not g.get("protocol_type"), members, g.get("protocol") or "",
                                    group_state(g.get("state")), None, None if ops is None else _operations(ops),
                                    type=ConsumerGroupType.CLASSIC)


__all__ = ["AdminClient", "AlterConfigOpType", "BrokerMetadata", "ClusterMetadata", "ConfigEntry", "ConfigResource",
           "AclBinding", "AclBindingFilter", "AclOperation", "AclPermissionType", "ElectionType", "ListOffsetsResultInfo",
           "OffsetSpec", "ResourcePatternType", "ScramCredentialInfo", "ScramMechanism", "TopicCollection",
           "TopicDescription", "TopicPartitionInfo", "UserScramCredentialAlteration", "UserScramCredentialDeletion",
           "UserScramCredentialUpsertion", "UserScramCredentialsDescription", "Uuid",
           "ConfigSource", "ConsumerGroupDescription", "ConsumerGroupListing", "ConsumerGroupState",
           "ConsumerGroupTopicPartitions", "ConsumerGroupType", "DeletedRecords", "DescribeClusterResult",
           "GroupMember", "GroupMetadata", "IsolationLevel", "KafkaError", "KafkaException",
           "ListConsumerGroupsResult", "MemberAssignment", "MemberDescription", "NewPartitions", "NewTopic", "Node",
           "OFFSET_INVALID", "PartitionMetadata", "ResourceType", "TopicMetadata", "TopicPartition",
           "RESOURCE_ANY", "RESOURCE_BROKER", "RESOURCE_GROUP", "RESOURCE_TOPIC", "RESOURCE_TRANSACTIONAL_ID",
           "RESOURCE_UNKNOWN"]
