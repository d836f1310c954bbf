"""Every record a group hands over is the one produced at its offset, while
members join and leave (rebalances), with commits every few hundred
records, and max_poll_records bounds each consume."""
import threading
import time

import kfk
from conftest import broker_env, create_topic, unique

PARTITIONS, RECORDS = 4, 12000


def expected(partition, offset):
    # Record i went to partition i % PARTITIONS at offset i // PARTITIONS;
    # a 9-digit value, as in the report that saw b'\t\x00\x00...' instead.
    i = offset * PARTITIONS + partition
    return b"%09d" % (i * 7919 % 10**9), b"k%d" % i


def test_group_hands_over_exact_records_through_rebalances(conn):
    brokers = broker_env("KFK_TEST_BROKERS")
    topic = create_topic(conn, PARTITIONS)
    with kfk.Client(brokers=brokers, linger_ms=5) as p:
        p.produce_many([{"topic": topic, "partition": i % PARTITIONS, "key": expected(i % PARTITIONS, i // PARTITIONS)[1],
                         "value": expected(i % PARTITIONS, i // PARTITIONS)[0], "headers": {"i": b"%d" % i}}
                        for i in range(RECORDS)])
        p.flush()
    group = unique("pystress")
    seen, wrong, largest, visits = {}, [], [0], []
    lock = threading.Lock()
    stop = threading.Event()

    def member(leave_after=None):
        with kfk.Client(brokers=brokers, max_poll_records=50) as c:
            c.subscribe([topic], group, auto_commit=False, heartbeat_interval_ms=300, auto_offset_reset="earliest")
            handled = 0
            while not stop.is_set() and (leave_after is None or handled < leave_after):
                batch = c.consume(0.5)
                with lock:
                    largest[0] = max(largest[0], len(batch))
                    for m in batch:
                        value, key = expected(m.partition, m.offset)
                        if (m.value, m.key, m.headers) != (value, key, [("i", b"%d" % (m.offset * PARTITIONS + m.partition))]):
                            wrong.append((m.partition, m.offset, m.key, m.value, m.headers))
                        seen[(m.partition, m.offset)] = seen.get((m.partition, m.offset), 0) + 1
                handled += len(batch)
                time.sleep(0.05)  # the application's work on the batch: consuming spans the rebalances
                if batch and handled % 600 < len(batch):
                    try:
                        c.commit()
                    except kfk.KafkaError as e:  # a rebalance under way: the next commit covers it
                        assert e.name in ("REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"), e
            c.unsubscribe()
            if leave_after is not None:
                visits.append(handled)

    steady = [threading.Thread(target=member) for _ in range(2)]
    for t in steady:
        t.start()
    # Members that join, take partitions and leave again: two rebalances each.
    for _ in range(2):
        visitor = threading.Thread(target=member, kwargs={"leave_after": 1500})
        visitor.start()
        visitor.join(120)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            if len(seen) == RECORDS:
                break
        time.sleep(0.1)  # waiting for the members' progress, checked each time
    stop.set()
    for t in steady:
        t.join(60)
    assert wrong == [], wrong[:5]
    assert len(seen) == RECORDS
    assert largest[0] <= 50
    assert len(visits) == 2 and all(v >= 1500 for v in visits), visits  # they took partitions mid-stream
