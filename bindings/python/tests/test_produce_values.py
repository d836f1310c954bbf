"""Client.produce_values and produce_many: one call, one completion. Bad
arguments raise naming the argument before anything is queued; a record
the library or the broker refuses is reported by its index, and the others
are delivered."""
import pytest

import kfk
from conftest import broker_env, consume_n

OFFLINE = "127.0.0.1:1"


def test_bad_arguments_name_the_argument():
    with kfk.Client(brokers=OFFLINE) as c:
        cases = [
            (lambda: c.produce_values("t", [b"a", 3]), TypeError, r"values\[1\]"),
            (lambda: c.produce_values("t", [b"a", [1]]), TypeError, r"values\[1\]"),
            (lambda: c.produce_values("t", b"abc"), TypeError, "values"),
            (lambda: c.produce_values("t", None), TypeError, "values"),
            (lambda: c.produce_values("t", 5), TypeError, None),
            (lambda: c.produce_values("t", [b"a"], [b"k", object()][1:]), TypeError, r"keys\[0\]"),
            (lambda: c.produce_values("t", [b"a"], b"k"), TypeError, "keys"),
            (lambda: c.produce_values("t", [b"a", b"b"], [b"k"]), ValueError, "keys"),
            (lambda: c.produce_values("t", [b"a"], partition="0"), TypeError, "partition"),
            (lambda: c.produce_values("t", [b"a"], partition=True), TypeError, "partition"),
            (lambda: c.produce_values(b"t", [b"a"]), TypeError, "topic"),
            (lambda: c.produce_values("t", [b"a"], headers=5), TypeError, None),
            (lambda: c.produce_values("t", [b"a"], partition=-2), kfk.KafkaError, "KFK_ERR_INVALID_ARG"),
            (lambda: c.produce_many([{"topic": "t", "value": 3}]), TypeError, "value"),
            (lambda: c.produce_many([{"value": b"v"}]), KeyError, "topic"),
        ]
        for call, exc, words in cases:
            with pytest.raises(exc, match=words):
                call()
        assert c.produce_values("t", [], partition=0) is not None  # nothing to queue: completes at once


def test_empty_call_completes(client, topic):
    done = []
    assert client.produce_values(topic, [], callback=done.append).result() is None
    assert client.produce_many([], callback=done.append).result() is None
    assert done == [None, None]


@pytest.mark.parametrize("call", ["values", "many"])
def test_refused_record_is_reported_by_index_and_others_delivered(conn, call, topic):
    with kfk.Client(brokers=broker_env("KFK_TEST_BROKERS"), message_max_bytes=1000) as c:
        c.connect()
        values = [b"first", b"x" * 5000, None, b"last"]
        seen = []
        if call == "values":
            req = c.produce_values(topic, values, partition=0, callback=seen.append)
        else:
            req = c.produce_many([{"topic": topic, "partition": 0, "value": v} for v in values],
                                 callback=seen.append)
        with pytest.raises(kfk.KafkaError) as e:
            req.result()
        assert e.value.index == 1 and e.value.code == 10  # MESSAGE_TOO_LARGE
        assert [f.index for f in e.value.failures] == [1]
        assert len(seen) == 1 and [f.index for f in seen[0]] == [1]
        c.assign([{"topic": topic, "partition": 0, "offset": kfk.OFFSET_EARLIEST}])
        assert [m.value for m in consume_n(c, 3)] == [b"first", None, b"last"]


def test_records_to_a_missing_partition_all_fail_by_index(client, topic):
    req = client.produce_values(topic, [b"a", b"b", b"c"], partition=9)
    with pytest.raises(kfk.KafkaError) as e:
        req.result()
    assert sorted(f.index for f in e.value.failures) == [0, 1, 2]
    assert all(f.name == "UNKNOWN_TOPIC_OR_PARTITION" for f in e.value.failures)


def test_produce_many_with_mixed_records_goes_in_one_call(client, conn, topic):
    # Partitions, headers and timestamps per record: the message array path.
    records = [{"topic": topic, "partition": i % 2, "value": b"%d" % i, "headers": {"n": b"%d" % i},
                "timestamp": 1700000000000 + i} for i in range(10)] + [{"topic": topic, "partition": 9, "value": b"x"}]
    req = client.produce_many(records)
    with pytest.raises(kfk.KafkaError) as e:
        req.result()
    assert [f.index for f in e.value.failures] == [10]
    for p in (0, 1):
        recs = conn.fetch(topic, p, 0).result()["topics"][0]["partitions"][0]["records"]
        assert [(r["value"], r["headers"], r["timestamp"]) for r in recs] == [
            (b"%d" % i, {"n": b"%d" % i}, 1700000000000 + i) for i in range(p, 10, 2)]


def test_produce_values_with_a_custom_partitioner(topic):
    calls = []

    def by_length(name, key, count):
        calls.append(key)
        return len(key or b"") % count

    with kfk.Client(brokers=broker_env("KFK_TEST_BROKERS"), partitioner=by_length) as c:
        c.connect()
        c.produce_values(topic, [b"v1", b"v2", b"v3"], [b"a", b"bb", None]).result()
        assert calls == [b"a", b"bb", None]
        c.assign([{"topic": topic, "partition": p, "offset": kfk.OFFSET_EARLIEST} for p in (0, 1)])
        got = {(m.partition, m.key, m.value) for m in consume_n(c, 3)}
        assert got == {(1, b"a", b"v1"), (0, b"bb", b"v2"), (0, None, b"v3")}


def test_produce_with_a_callback_returns_nothing_and_reports(client, topic):
    ok, failed = [], []
    assert client.produce(topic, b"v", partition=0, callback=lambda rep, err: ok.append((rep, err))) is None
    assert client.produce(topic, b"v", partition=9, callback=lambda rep, err: failed.append((rep, err))) is None
    client.flush()
    client.poll(0)
    assert len(ok) == 1 and ok[0][1] is None and ok[0][0]["offset"] >= 0 and ok[0][0]["partition"] == 0
    assert len(failed) == 1 and failed[0][1].name == "UNKNOWN_TOPIC_OR_PARTITION"


def test_produce_without_a_callback_reports_failure_in_its_request(client, topic):
    # As documented: the Request's result() raises the delivery's failure.
    req = client.produce(topic, b"v", partition=9)
    client.flush()
    with pytest.raises(kfk.KafkaError) as e:
        req.result()
    assert e.value.name == "UNKNOWN_TOPIC_OR_PARTITION"
