"""Bytes handed out by the library come back exactly: every byte value,
embedded NULs, large values, and empty (b"") kept apart from null (None),
in keys, values and headers, on every path that reads them."""
import random
import time

import pytest

import kfk
from conftest import broker_env

ALL_BYTES = bytes(range(256))
BIG = random.Random(20261202).randbytes(100 * 1024)

# (key, value, headers): header keys are text, header values bytes or None.
RECORDS = [
    (b"k\x00ey", b"v\x00al\x00\x00ue\x00", [("h\x00k", b"\x00v\x00")]),
    (ALL_BYTES, ALL_BYTES[::-1], [("all", ALL_BYTES), ("é\x00ü", b"\xff\x00\xfe")]),
    (b"\x00", b"\x00" * 64, [("nul", b"\x00")]),
    (b"", b"", [("empty", b"")]),
    (None, None, [("null", None)]),
    (b"", None, []),
    (None, b"", [("", b"")]),
    (b"big", BIG, [("big", BIG[:4096]), ("null", None), ("empty", b"")]),
]


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


def test_consume_assigned_returns_exact_bytes(client, topic):
    for key, value, headers in RECORDS:
        client.produce(topic, value, key=key, partition=0, headers=headers)
    client.flush()
    client.assign([{"topic": topic, "partition": 0, "offset": -2}])
    got = consume_n(client, len(RECORDS))
    assert [(m.key, m.value, m.headers) for m in got] == RECORDS
