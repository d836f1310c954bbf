import importlib
import os
import struct
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import kfk  # noqa: E402

try:
    import confluent_kafka  # noqa: F401
    CONFLUENT_LIBS = ["kfk.confluent", "confluent_kafka"]
except ImportError:  # its C extension does not build for PyPy
    CONFLUENT_LIBS = ["kfk.confluent"]


def broker_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (run through `make test` or tests/with-broker)")
    return value


def host_port(addrs):
    host, port = addrs.split(",")[0].rsplit(":", 1)
    return host, int(port)


@pytest.fixture
def brokers():
    return broker_env("KFK_TEST_BROKERS")


@pytest.fixture(params=CONFLUENT_LIBS)
def lib(request):
    """kfk.confluent, then confluent_kafka itself when it is installed: a
    test taking lib runs with each, checking that they behave the same."""
    return importlib.import_module(request.param)


def wait_for(condition, serve, timeout=60.0, state=None):
    """Call serve() until condition() holds (at most timeout seconds);
    state() says what a failure report should show."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time" + (f": {state()}" if state else "")
        serve()


@pytest.fixture
def client():
    c = kfk.Client(brokers=broker_env("KFK_TEST_BROKERS"), linger_ms=2, acks=-1)
    c.connect()
    yield c
    c.close()


def consume_n(client, n, timeout=30.0):
    """Consume until n messages arrived (or the time is up)."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        got += client.consume(0.5)
    return got


def dispatched(kind, message):
    """What an EventQueue hands a one-shot handler for an event of kind
    carrying message, a kfk_message_t (no broker needed)."""
    import ctypes
    from kfk import _ffi
    q = kfk.EventQueue()
    got = []
    tag = q.register(lambda value, error: got.append(value))
    q._events[0] = _ffi.Event(type=kind, opaque=tag, msg=ctypes.addressof(message))
    q._dispatch(1)
    q.close()
    return got[0]


@pytest.fixture
def conn():
    c = kfk.Conn(client_id="kfk-pytest")
    c.connect(*host_port(broker_env("KFK_TEST_BROKERS"))).result()
    yield c
    c.close()


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def retry(fn, codes, timeout=30.0):
    """Call fn() until its result's error_code is not in codes."""
    deadline = time.monotonic() + timeout
    while True:
        res = fn()
        if res.get("error_code") not in codes or time.monotonic() > deadline:
            return res
        time.sleep(0.1)


def eventually(fn, done, timeout=30.0):
    """fn()'s result once done(result) holds (or its last one after
    timeout): for reading back what a broker applies a moment after it
    answers (topic configs, new partitions)."""
    deadline = time.monotonic() + timeout
    while True:
        res = fn()
        if done(res) or time.monotonic() > deadline:
            return res
        time.sleep(0.1)


def create_topic(conn, partitions=2, config=None):
    """A new topic whose partitions' leaders all serve fetches."""
    name = unique("pytest")
    res = conn.create_topics([{"name": name, "num_partitions": partitions, "replication_factor": 1,
                               "config": config or {}}], 10000).result()
    assert res["topics"][0]["error_code"] == 0, res
    deadline = time.monotonic() + 20
    for partition in range(partitions):  # until each new leader serves fetches
        while time.monotonic() < deadline:
            part = conn.fetch(name, partition, 0, max_wait_ms=0).result()["topics"][0]["partitions"][0]
            if part["error_code"] == 0:
                break
            time.sleep(0.1)
    return name


@pytest.fixture
def topic(conn):
    return create_topic(conn)


def share_group(conn, topic, **configs):
    """A new share group for topic that starts at the earliest record
    (share groups start at the latest), with group configs added (dotted
    names with _: record_lock_duration_ms=2000). The client has no call
    for group configs: this is IncrementalAlterConfigs v0 of a GROUP
    resource, encoded here."""
    incremental_alter_configs, group_resource, config_set = 44, 32, 0

    def string(s):
        b = s.encode()
        return struct.pack(">h", len(b)) + b

    group = unique("share-" + topic)
    settings = {"share.auto.offset.reset": "earliest",
                **{"share." + k.replace("_", "."): str(v) for k, v in configs.items()}}
    body = struct.pack(">i", 1) + bytes([group_resource]) + string(group) + struct.pack(">i", len(settings))
    for name, value in settings.items():
        body += string(name) + bytes([config_set]) + string(value)
    body += b"\0"  # validate_only
    res = conn.raw_request(incremental_alter_configs, 0, body).result()["body"]
    # throttle_time_ms, the resource count, then its error code
    assert struct.unpack_from(">h", res, 8)[0] == 0, f"configuring share group {group}: {res!r}"
    return group
