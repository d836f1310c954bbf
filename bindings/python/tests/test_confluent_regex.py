"""A subscription to a regular expression ('^prefix-.*'), as
confluent-kafka programs write it: kfk.confluent and confluent-kafka are
assigned the same partitions of the matching topics, and read only those
topics' records."""
import time

import pytest

from conftest import unique

# confluent-kafka's C extension does not build for PyPy.
confluent_kafka = pytest.importorskip("confluent_kafka")


def make_topics(conn, prefix):
    for name, partitions in ((prefix + "-a", 2), (prefix + "-b", 1), ("x" + prefix + "-other", 1)):
        res = conn.create_topics([{"name": name, "num_partitions": partitions, "replication_factor": 1}],
                                 10000).result()
        assert res["topics"][0]["error_code"] == 0, res


def test_regex_subscription_like_confluent_kafka(conn, lib, brokers):
    prefix = unique("regex")
    make_topics(conn, prefix)
    p = confluent_kafka.Producer({"bootstrap.servers": brokers})
    for topic in (prefix + "-a", prefix + "-b", "x" + prefix + "-other"):
        p.produce(topic, value=topic.encode(), partition=0)
    assert p.flush(30) == 0
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": prefix, "auto.offset.reset": "earliest",
                      "topic.metadata.refresh.interval.ms": 1000})
    c.subscribe(["^" + prefix + "-.*"])
    seen = set()
    deadline = time.monotonic() + 60
    while len(seen) < 2 and time.monotonic() < deadline:
        msg = c.poll(0.5)
        if msg is not None and msg.error() is None:
            seen.add(msg.value().decode())
    assigned = sorted((tp.topic[len(prefix):], tp.partition) for tp in c.assignment())
    c.close()
    assert seen == {prefix + "-a", prefix + "-b"}
    assert assigned == [("-a", 0), ("-a", 1), ("-b", 0)]
