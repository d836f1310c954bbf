"""Bytes handed out by the library come back exactly: every byte value,
embedded NULs, large values, and empty (b"") kept apart from null (None),
in keys, values and headers, on every path that reads them."""
import asyncio
import random

import kfk
import kfk.aio
from conftest import broker_env, consume_n, host_port, unique

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


def as_dicts(records):
    return [{"key": k, "value": v, "headers": h} for k, v, h in records]


def fetched(fetch_result):
    """(key, value, headers) of each record of a fetch result's one partition."""
    part = fetch_result["topics"][0]["partitions"][0]
    assert part["error_code"] == 0
    return [(r["key"], r["value"], list(r.get("headers", {}).items())) for r in part["records"]]


def test_consume_assigned_returns_exact_bytes(client, topic):
    for key, value, headers in RECORDS:
        client.produce(topic, value, key=key, partition=0, headers=headers)
    client.flush()
    client.assign([{"topic": topic, "partition": 0, "offset": kfk.OFFSET_EARLIEST}])
    got = consume_n(client, len(RECORDS))
    assert [(m.key, m.value, m.headers) for m in got] == RECORDS


def test_group_consume_of_produce_many_returns_exact_bytes(client, topic):
    client.produce_many([{"topic": topic, "partition": 0, **r} for r in as_dicts(RECORDS)])
    client.flush()
    with kfk.Client(brokers=broker_env("KFK_TEST_BROKERS")) as member:
        member.connect()
        member.subscribe([topic], unique("pybinary"), auto_offset_reset="earliest", heartbeat_interval_ms=300,
                         auto_commit=False)
        got = consume_n(member, len(RECORDS))
        member.unsubscribe()
    assert [(m.key, m.value, m.headers) for m in got] == RECORDS


def test_delivery_reports_locate_the_exact_bytes(client, conn, topic):
    reqs = [client.produce(topic, v, key=k, headers=h) for k, v, h in RECORDS]
    reqs += client.produce_many([{"topic": topic, **r} for r in as_dicts(RECORDS)])
    client.flush()
    for i, req in enumerate(reqs):
        report = req.result()
        assert report["topic"] == topic
        at = conn.fetch(topic, report["partition"], report["offset"]).result()
        assert fetched(at)[0] == RECORDS[i % len(RECORDS)]


def test_conn_produce_and_fetch_return_exact_bytes(conn, topic):
    res = conn.produce_batch(topic, 1, as_dicts(RECORDS), acks=-1).result()
    assert res["topics"][0]["partitions"][0]["error_code"] == 0
    assert fetched(conn.fetch(topic, 1, 0).result()) == RECORDS


def test_asyncio_fetch_and_messages_return_exact_bytes(topic):
    brokers = broker_env("KFK_TEST_BROKERS")

    async def fetch():
        async with kfk.aio.connect(*host_port(brokers)) as conn:
            await conn.produce_batch(topic, 1, as_dicts(RECORDS), acks=-1)
            return fetched(await conn.fetch(topic, 1, 0))

    async def consume(client):
        got = []
        async for m in kfk.aio.messages(client):
            got.append((m.key, m.value, m.headers))
            if len(got) == len(RECORDS):
                return got

    assert asyncio.run(fetch()) == RECORDS
    with kfk.Client(brokers=brokers) as client:
        client.connect()
        client.assign([{"topic": topic, "partition": 1, "offset": kfk.OFFSET_EARLIEST}])
        assert asyncio.run(asyncio.wait_for(consume(client), 30)) == RECORDS
