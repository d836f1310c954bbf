"""Share groups (KIP-932) through kfk.Client: members of one group split a
partition's records, each accepted once; released records come back with a
higher delivery count, rejected ones never; a killed member's records come
back once their locks run out; bytes come back exactly."""
import asyncio
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import kfk
import kfk.aio
from conftest import broker_env, create_topic, dispatched, share_group
from kfk import _ffi
from test_binary import RECORDS

BROKERS = "KFK_TEST_BROKERS"


def share_client(group, topic, **options):
    """A connected client subscribed to topic in share group group."""
    c = kfk.Client(brokers=broker_env(BROKERS), **options.pop("config", {}))
    c.connect()
    c.share_subscribe([topic], group, **options)
    return c


def poll_until(c, what, cond, timeout=60.0):
    """share_consume until cond(every record so far) holds; returns them."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got += c.share_consume()
        if cond(got):
            return got
    pytest.fail(f"timed out waiting for {what} (got {len(got)} records)")


def offsets(messages):
    return sorted(m.offset for m in messages)


def produce(topic, values):
    with kfk.Client(brokers=broker_env(BROKERS)) as p:
        p.connect()
        p.produce_values(topic, values, partition=0).result()


def committed(results):
    """share_commit's results as (topic, partition, error_code): whether a
    fetch took the acknowledgements first (by_fetch) depends on timing."""
    assert all(isinstance(r["by_fetch"], bool) for r in results), results
    return [(r["topic"], r["partition"], r["error_code"]) for r in results]


def test_three_members_split_one_partition_each_record_accepted_once(conn):
    topic = create_topic(conn, partitions=1)
    # Locks outlast the wait below: a held record never goes to another member.
    group = share_group(conn, topic, record_lock_duration_ms=30000)
    n = 300
    # At most 10 records per fetch, not whole batches: one member cannot
    # take everything at once.
    members = [share_client(group, topic, acquire_mode="record_limit", config={"max_poll_records": 10})
               for _ in range(3)]
    produce(topic, [b"%d" % i for i in range(n)])
    lock = threading.Lock()
    seen, counts, got = {}, [], [0, 0, 0]
    everyone = threading.Event()  # set once every member has records
    failures = []

    def run(i, c):
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                batch = c.share_consume()
                with lock:
                    for m in batch:
                        seen[m.offset] = seen.get(m.offset, 0) + 1
                        counts.append(m.delivery_count)
                    got[i] += len(batch)
                    first = batch and got[i] == len(batch)
                    if min(got) > 0:
                        everyone.set()
                    if len(seen) == n:
                        return
                if first:
                    # Hold the first records (their locks keep them from
                    # the others) until every member has some, or until
                    # just before the locks run out.
                    everyone.wait(25)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(members)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert failures == []
        for c in members:  # implicit mode: accepts what the last share_consume handed over
            assert all(r["error_code"] == 0 for r in c.share_commit())
    finally:
        for c in members:
            c.close()
    assert all(k > 0 for k in got), f"records per member: {got}"
    assert sorted(seen) == list(range(n))
    assert set(seen.values()) == {1}, {o: k for o, k in seen.items() if k != 1}
    assert set(counts) == {1}


def test_released_record_comes_back_rejected_one_never(conn):
    topic = create_topic(conn, partitions=1)
    group = share_group(conn, topic)
    produce(topic, [b"release me", b"reject me"])
    with share_client(group, topic, acknowledgement_mode="explicit") as c:
        first = poll_until(c, "offsets 0 and 1", lambda ms: {0, 1} <= set(offsets(ms)))
        assert [m.delivery_count for m in first] == [1, 1]
        c.share_acknowledge(first[0], "release")
        c.share_acknowledge(topic, 0, 1, kfk.ACK_REJECT)
        with pytest.raises(kfk.KafkaError, match="settled already") as err:
            c.share_acknowledge(first[1], kfk.ACK_ACCEPT)
        assert err.value.code == _ffi.ERR_STATE
        assert committed(c.share_commit()) == [(topic, 0, 0)]

        again = poll_until(c, "offset 0 again", lambda ms: 0 in offsets(ms))
        assert [(m.offset, m.delivery_count, m.value) for m in again] == [(0, 2, b"release me")]
        c.share_acknowledge(again[0], ack="accept")
        # A record after them: once it arrives, the rejected one would
        # have come before it.
        produce(topic, [b"after"])
        rest = poll_until(c, "offset 2", lambda ms: 2 in offsets(ms))
        assert offsets(rest) == [2]
        c.share_acknowledge(rest[0])
        assert committed(c.share_commit()) == [(topic, 0, 0)]
        c.share_unsubscribe()


HOLDER = r"""
import sys, time, kfk
brokers, topic, group, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = kfk.Client(brokers=brokers)
c.connect()
c.share_subscribe([topic], group, acknowledgement_mode="explicit")
held, deadline = set(), time.monotonic() + 60
while len(held) < n and time.monotonic() < deadline:
    held.update(m.offset for m in c.share_consume())
print(" ".join(map(str, sorted(held))), flush=True)
sys.stdin.read()  # hold them, unacknowledged, until killed
"""


def test_killed_member_records_come_back_after_the_lock(conn):
    topic = create_topic(conn, partitions=1)
    group = share_group(conn, topic, record_lock_duration_ms=2000)
    n = 20
    produce(topic, [b"%d" % i for i in range(n)])
    env = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..")}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, broker_env(BROKERS), topic, group, str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        held = [int(x) for x in holder.stdout.readline().split()]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    assert held == list(range(n)), "the member did not get every record before it was killed"
    with share_client(group, topic) as c:
        got = poll_until(c, "every record again", lambda ms: len(set(offsets(ms))) >= n)
        assert sorted(set(offsets(got))) == list(range(n))
        assert all(m.delivery_count >= 2 for m in got), [(m.offset, m.delivery_count) for m in got]
        assert sorted(m.value for m in got) == sorted(b"%d" % i for i in range(n))
        assert committed(c.share_commit()) == [(topic, 0, 0)]


def test_share_consume_returns_exact_bytes(conn):
    topic = create_topic(conn, partitions=1)
    group = share_group(conn, topic)
    with kfk.Client(brokers=broker_env(BROKERS)) as p:
        p.connect()
        for key, value, headers in RECORDS:
            p.produce(topic, value, key=key, partition=0, headers=headers)
        p.flush()
    with share_client(group, topic) as c:
        got = poll_until(c, "every record", lambda ms: len(ms) >= len(RECORDS))
        assert [(m.key, m.value, m.headers) for m in got] == RECORDS
        assert [m.offset for m in got] == list(range(len(RECORDS)))


def test_asyncio_share_messages_commit_unsubscribe(conn):
    topic = create_topic(conn, partitions=1)
    group = share_group(conn, topic)
    n = 50
    produce(topic, [b"async %d" % i for i in range(n)])

    async def run(c):
        got = []
        async for m in kfk.aio.share_messages(c):
            got.append(m)
            if len(got) == n:
                break
        results = await kfk.aio.share_commit(c)
        await kfk.aio.share_unsubscribe(c)
        return got, results

    with share_client(group, topic) as c:
        got, results = asyncio.run(asyncio.wait_for(run(c), 120))
    assert [m.value for m in got] == [b"async %d" % i for i in range(n)]
    assert {m.delivery_count for m in got} == {1}
    assert committed(results) == [(topic, 0, 0)]


def test_implicit_mode_refuses_acknowledge(conn):
    topic = create_topic(conn, partitions=1)
    group = share_group(conn, topic)
    produce(topic, [b"x"])
    with share_client(group, topic) as c:
        got = poll_until(c, "the record", lambda ms: len(ms) >= 1)
        with pytest.raises(kfk.KafkaError, match="acknowledgement_mode='explicit'"):
            c.share_acknowledge(got[0], "accept")


# Without a broker: the calls check their arguments and state first.

@pytest.fixture
def idle():
    c = kfk.Client(brokers="127.0.0.1:1")
    yield c
    c.close(1)


def test_calls_without_a_share_subscription_raise(idle):
    with pytest.raises(kfk.KafkaError, match="no share subscription") as err:
        idle.share_acknowledge("t", 0, 5, "accept")
    assert err.value.code == _ffi.ERR_STATE
    for call in (idle.share_consume, idle.share_commit):
        with pytest.raises(kfk.KafkaError) as err:
            call()
        assert err.value.code == _ffi.ERR_STATE


@pytest.mark.parametrize("ack", ["acept", "", 0, 4, True, 1.0, b"accept"])
def test_bad_ack_type_names_the_choices(idle, ack):
    with pytest.raises(ValueError, match="ack must be 'accept', 'release', 'reject'"):
        idle.share_acknowledge("t", 0, 5, ack=ack)


def test_bad_acknowledge_arguments(idle):
    with pytest.raises(TypeError, match="partition and an offset"):
        idle.share_acknowledge("t", 0)
    with pytest.raises(TypeError, match="offset must be an int"):
        idle.share_acknowledge("t", 0, "5")
    with pytest.raises(TypeError, match="ack given twice"):
        idle.share_acknowledge("t", 0, 5, "accept", ack="reject")
    with pytest.raises(TypeError, match="takes a Message"):
        idle.share_acknowledge(5)


def test_bad_subscribe_arguments(idle):
    with pytest.raises(ValueError, match="acknowledgement_mode must be 'implicit' or 'explicit'"):
        idle.share_subscribe(["t"], "g", acknowledgement_mode="manual")
    with pytest.raises(ValueError, match="acquire_mode must be 'batch_optimized' or 'record_limit'"):
        idle.share_subscribe(["t"], "g", acquire_mode="all")
    with pytest.raises(TypeError, match="sequence of topic names"):
        idle.share_subscribe("t", "g")
    with pytest.raises(ValueError, match="no topics"):
        idle.share_subscribe([], "g")
    with pytest.raises(ValueError, match="group_id is empty"):
        idle.share_subscribe(["t"], "")


def test_delivery_count_is_what_the_library_reads():
    raw = _ffi.Message(topic=b"t", partition=0, offset=7, reserved=3)
    assert _ffi.lib().kfk_message_delivery_count(ctypes.byref(raw)) == 3
    assert dispatched(_ffi.EVENT_MESSAGE, raw).delivery_count == 3
    assert dispatched(_ffi.EVENT_MESSAGE, _ffi.Message(topic=b"t")).delivery_count == 0
