import os
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import kfk  # noqa: E402


def broker_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (run through `make test` or tests/with-broker)")
    return value


def host_port(addrs):
    host, port = addrs.split(",")[0].rsplit(":", 1)
    return host, int(port)


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


def create_topic(conn, partitions=2, config=None):
    """A new topic whose leader serves fetches."""
    name = unique("pytest")
    res = conn.create_topics([{"name": name, "num_partitions": partitions, "replication_factor": 1,
                               "config": config or {}}], 10000).result()
    assert res["topics"][0]["error_code"] == 0, res
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # until the new leader serves fetches
        part = conn.fetch(name, 0, 0, max_wait_ms=0).result()["topics"][0]["partitions"][0]
        if part["error_code"] == 0:
            break
        time.sleep(0.1)
    return name


@pytest.fixture
def topic(conn):
    return create_topic(conn)
