"""Bytes handed out by the library come back exactly: every byte value,
embedded NULs, large values, and empty (b"") kept apart from null (None),
in keys, values and headers, on every path that reads them."""
import asyncio
import ctypes
import random

import kfk
import kfk.aio
from conftest import broker_env, consume_n, dispatched, host_port, unique
from kfk import _ffi

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


def test_message_read_from_memory():
    # The binding's half, without a broker: a MESSAGE event's key, value
    # and headers are read where the library put them, byte for byte.
    for key, value, headers in RECORDS:
        keep = [ctypes.create_string_buffer(b, len(b)) if b is not None else None
                for b in [key, value] + [x for h in headers for x in (h[0].encode(), h[1])]]
        address = [ctypes.addressof(b) if b is not None else None for b in keep]
        hs = (_ffi.Header * max(len(headers), 1))()
        for i, (hk, hv) in enumerate(headers):
            hs[i].key, hs[i].key_len = address[2 + 2 * i], len(hk.encode())
            hs[i].value, hs[i].value_len = address[3 + 2 * i], len(hv) if hv is not None else 0
        m = _ffi.Message(topic=b"t", offset=3, key=address[0], key_len=len(key or b""), value=address[1],
                         value_len=len(value or b""), headers=hs, header_count=len(headers))
        got = dispatched(_ffi.EVENT_MESSAGE, m)
        assert (got.topic, got.offset, got.key, got.value, got.headers) == ("t", 3, key, value, headers)


def test_message_without_headers_has_a_list_of_its_own():
    # A consumed message without headers makes its empty list when headers
    # is first read (none per message otherwise); it is that message's to
    # keep and change, as a list made up front would be.
    first, second = (dispatched(_ffi.EVENT_MESSAGE, _ffi.Message(topic=b"t", offset=n)) for n in (1, 2))
    assert first.headers == [] and first.headers is first.headers
    first.headers.append(("added", b"v"))
    assert first.headers == [("added", b"v")] and second.headers == []
    second.headers = [("set", None)]
    assert second.headers == [("set", None)]


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


def test_produce_keeps_bytes_across_the_scratch_limits(client, topic):
    # produce() copies short keys and values into per-thread scratch memory
    # and passes longer ones by pointer (on PyPy through a copy of their
    # own from _FIXED_COPY_FROM bytes): sizes either side of each limit, in
    # an order that moves each field between scratch, pointer and NULL
    # from one call to the next, come back byte for byte.
    from kfk import client as client_module
    rnd = random.Random(26)
    limits = (_ffi._FIXED_COPY_FROM, client_module._SCRATCH_KEY, client_module._SCRATCH_VALUE)
    sizes = sorted({0, 1, 3 * client_module._SCRATCH_VALUE} | {n + d for n in limits for d in (-1, 0, 1)})
    sent = []
    for size in sizes + sizes[::-1]:
        for key in (rnd.randbytes(size), None, b"", rnd.randbytes(min(size, 300))):
            value = rnd.randbytes(size)
            sent.append((key, value))
            sent.append((None, None))
            sent.append((key, b""))
    for key, value in sent:
        client.produce(topic, value, key=key, partition=0)
    client.flush()
    client.assign([{"topic": topic, "partition": 0, "offset": kfk.OFFSET_EARLIEST}])
    got = consume_n(client, len(sent))
    assert [(m.key, m.value) for m in got] == sent


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
    client.flush()
    for i, req in enumerate(reqs):
        report = req.result()
        assert report["topic"] == topic
        at = conn.fetch(topic, report["partition"], report["offset"]).result()
        assert fetched(at)[0] == RECORDS[i]


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


def test_produce_values_returns_exact_bytes(client, topic):
    # Columns: the values back to back with a length each, None as a null
    # length; shared headers. Every record comes back as given.
    headers = [("h\x00k", b"\x00v\x00"), ("null", None), ("empty", b"")]
    keys = [k for k, _, _ in RECORDS]
    values = [v for _, v, _ in RECORDS]
    assert client.produce_values(topic, values, keys, partition=0, headers=headers).result() is None
    client.assign([{"topic": topic, "partition": 0, "offset": kfk.OFFSET_EARLIEST}])
    got = consume_n(client, len(RECORDS))
    assert [(m.key, m.value, m.headers) for m in got] == [(k, v, headers) for k, v in zip(keys, values)]


def test_produce_values_every_byte_and_other_buffers(client, topic):
    # 256 one-byte values (each byte value once), empty and null kept
    # apart, keys all null (keys=None), and bytes-like items of every kind.
    import array
    values = [bytes([b]) for b in range(256)] + [b"", None, b"", bytearray(b"\x00\xff"),
                                                  memoryview(ALL_BYTES), "é\x00", memoryview(array.array("i", [1, -1]))]
    expected = values[:259] + [b"\x00\xff", ALL_BYTES, "é\x00".encode(), array.array("i", [1, -1]).tobytes()]
    client.produce_values(topic, values, partition=1).result()
    client.assign([{"topic": topic, "partition": 1, "offset": kfk.OFFSET_EARLIEST}])
    got = consume_n(client, len(values))
    assert [m.value for m in got] == expected
    assert all(m.key is None and m.headers == [] for m in got)


def test_produce_many_as_columns_returns_exact_bytes(client, topic):
    # One topic and partition, no headers: produce_many goes as columns.
    records = [(k, v) for k, v, _ in RECORDS]
    client.produce_many([{"topic": topic, "partition": 1, "key": k, "value": v} for k, v in records]).result()
    client.assign([{"topic": topic, "partition": 1, "offset": kfk.OFFSET_EARLIEST}])
    assert [(m.key, m.value) for m in consume_n(client, len(records))] == records
