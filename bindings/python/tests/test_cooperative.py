"""Cooperative rebalancing (KIP-429) in one group with confluent-kafka:
a kfk member and a librdkafka member, both cooperative-sticky, share the
partitions and read every record once between them."""
import time

import pytest

import kfk
from conftest import broker_env, create_topic, unique

confluent_kafka = pytest.importorskip("confluent_kafka")

PARTITIONS, RECORDS = 4, 400


def test_cooperative_group_with_confluent_kafka(conn):
    brokers = broker_env("KFK_TEST_BROKERS")
    topic = _filled_topic(conn, brokers)
    group = unique("pycoop")
    seen = {}
    other = confluent_kafka.Consumer({"bootstrap.servers": brokers, "group.id": group,
                                      "partition.assignment.strategy": "cooperative-sticky",
                                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
    other_assigned = set()

    def other_assign(consumer, parts):
        other_assigned.update(tp.partition for tp in parts)

    def other_revoke(consumer, parts):
        other_assigned.difference_update(tp.partition for tp in parts)

    other.subscribe([topic], on_assign=other_assign, on_revoke=other_revoke)
    with kfk.Client(brokers=brokers) as mine:
        mine.subscribe([topic], group, partition_assignment_strategy="cooperative-sticky", auto_offset_reset="earliest",
                       heartbeat_interval_ms=300)
        # Each turn takes whatever both members have (one message per
        # turn from confluent-kafka would make the test a race against
        # its own pace); who owns what is asked only once all are read.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for m in other.consume(num_messages=RECORDS, timeout=0.1):
                assert m.error() is None, m.error()
                seen[(m.partition(), m.offset())] = m.value()
            for m in mine.consume(0.1):
                seen[(m.partition, m.offset)] = m.value
            if len(seen) == RECORDS and _divided(_owned(mine), other_assigned):
                break
        mine_now = _owned(mine)
        others_now = set(other_assigned)  # before close revokes them
        other.close()
    assert len(seen) == RECORDS
    assert sorted(int(v) for v in seen.values()) == list(range(RECORDS))
    assert _divided(mine_now, others_now), (mine_now, others_now)


def _filled_topic(conn, brokers):
    """A new topic of PARTITIONS partitions holding the values 0..RECORDS-1."""
    topic = create_topic(conn, PARTITIONS)
    with kfk.Client(brokers=brokers) as p:
        p.produce_many([{"topic": topic, "partition": i % PARTITIONS, "value": b"%d" % i} for i in range(RECORDS)])
        p.flush()
    return topic


def _divided(one, other):
    """Whether two members each own partitions and, between them, every one
    once: a rebalance may be half done (revoked, not yet assigned) when
    looked at, so the tests wait for this."""
    return bool(one) and bool(other) and not (one & other) and one | other == set(range(PARTITIONS))


def _owned(client):
    """The partitions the kfk member consumes, from its lag report."""
    return {int(key.rsplit(":", 1)[1]) for key in client.lag()}


def test_consumer_protocol_group(conn):
    """group_protocol="consumer" (KIP-848): the coordinator assigns; two kfk
    members share the partitions and read every record once between them."""
    brokers = broker_env("KFK_TEST_BROKERS")
    topic = _filled_topic(conn, brokers)
    group = unique("py848")
    seen = {}
    with kfk.Client(brokers=brokers) as one, kfk.Client(brokers=brokers) as two:
        for member in (one, two):
            member.subscribe([topic], group, group_protocol="consumer", auto_offset_reset="earliest")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for member in (one, two):
                for m in member.consume(0.1):
                    seen[(m.partition, m.offset)] = m.value
            owned = [_owned(one), _owned(two)]
            if len(seen) == RECORDS and _divided(*owned):
                break
    assert sorted(int(v) for v in seen.values()) == list(range(RECORDS))
    assert _divided(*owned), owned
