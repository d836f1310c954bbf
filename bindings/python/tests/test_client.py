import time

import pytest

import kfk
from conftest import broker_env, consume_n, create_topic, eventually, unique


def test_produce_and_delivery_report(client, conn, topic):
    report = client.produce(topic, b"value", key=b"key", headers={"h": b"v"}).result()
    assert report["topic"] == topic and report["offset"] >= 0 and report["partition"] in (0, 1)
    assert report["partition"] == kfk.murmur2(b"key") % 2
    got = conn.fetch(topic, report["partition"], report["offset"]).result()
    rec = got["topics"][0]["partitions"][0]["records"][0]
    assert rec["key"] == b"key" and rec["value"] == b"value" and rec["headers"] == {"h": b"v"}


def test_produce_many_and_flush(client, conn, topic):
    done = []
    req = client.produce_many([{"topic": topic, "value": b"m%d" % i, "partition": 1} for i in range(500)],
                              callback=done.append)
    client.flush()
    client.poll(0)
    assert done == [None] and req.done and req.result() is None
    records = []
    while len(records) < 500:
        got = conn.fetch(topic, 1, len(records)).result()["topics"][0]["partitions"][0]["records"]
        assert got
        records += got
    assert [(r["offset"], r["value"]) for r in records] == [(i, b"m%d" % i) for i in range(500)]


def test_produce_from_several_threads(client, topic):
    # Each thread fills its own kfk_message_t: records keep their own key,
    # value and headers, and each thread's order, when threads interleave.
    import threading

    def produce(n):
        for i in range(2000):
            client.produce(topic, b"%d-%d" % (n, i), key=b"k%d" % n, partition=0, headers={"h": b"%d" % n})

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.flush()
    client.assign([{"topic": topic, "partition": 0, "offset": -2}])
    seen: dict = {}
    deadline = time.monotonic() + 30
    while sum(map(len, seen.values())) < 8000 and time.monotonic() < deadline:
        for m in client.consume():
            n, i = m.value.split(b"-")
            assert m.key == b"k" + n and m.headers == [("h", n)]
            seen.setdefault(n, []).append(int(i))
    assert sorted(seen) == [b"0", b"1", b"2", b"3"]
    assert all(v == list(range(2000)) for v in seen.values())


def test_callbacks_and_partition_count(client, topic):
    seen = []
    for i in range(10):
        client.produce(topic, b"x", partition=0, callback=lambda rep, err: seen.append((rep, err)))
    client.flush()
    client.poll(0)
    assert len(seen) == 10 and all(err is None for _, err in seen)
    assert client.partition_count(topic) == 2
    assert client.partition_count(unique("nope")) == -1


def test_bad_options_and_arguments():
    with pytest.raises(kfk.KafkaError) as e:
        kfk.Client(brokers="127.0.0.1:9092", acks=9)
    assert e.value.name == "KFK_ERR_CONFIG" and "acks" in str(e.value)
    with pytest.raises(kfk.KafkaError) as e:
        kfk.Client({"no.such.option": 1})
    assert "no.such.option" in str(e.value)
    with kfk.Client(brokers="127.0.0.1:9092") as c:
        with pytest.raises(TypeError):
            c.produce(b"topic-as-bytes", b"v")
        with pytest.raises(kfk.KafkaError) as e:
            c.produce("t", b"v", partition=-9)
        assert e.value.name == "KFK_ERR_INVALID_ARG"


def test_unreachable_brokers_report_errors():
    errors = []
    c = kfk.Client(brokers="127.0.0.1:1", on_error=errors.append)
    with pytest.raises(kfk.KafkaError):
        c.connect()
    c.poll(0.2)
    assert errors and "no broker" in str(errors[0]).lower()
    c.close(1)


def test_queue_full():
    c = kfk.Client(brokers=broker_env("KFK_TEST_BROKERS"), max_buffered_messages=2, linger_ms=60000)
    c.connect()
    c.produce(unique("full"), b"1")
    c.produce(unique("full"), b"2")
    with pytest.raises(kfk.KafkaError) as e:
        c.produce(unique("full"), b"3")
    assert e.value.name == "KFK_ERR_QUEUE_FULL"
    c.close(5)


def test_closed_client():
    c = kfk.Client(brokers=broker_env("KFK_TEST_BROKERS"))
    c.close()
    with pytest.raises(kfk.KafkaError) as e:
        c.produce("t", b"v")
    assert e.value.name == "KFK_ERR_CLOSED"


def test_assign_consume_seek_offsets_lag(client, topic):
    client.produce_many([{"topic": topic, "partition": 0, "key": b"k%d" % i, "value": b"v%d" % i,
                          "headers": {"n": b"%d" % i}} for i in range(50)])
    client.flush()
    client.assign([{"topic": topic, "partition": 0, "offset": 10}])
    got = consume_n(client, 40)
    assert [m.offset for m in got] == list(range(10, 50))
    assert got[0].key == b"k10" and got[0].value == b"v10" and got[0].headers == [("n", b"10")]
    offsets = client.offsets_for(topic)
    assert offsets[0] == {"earliest": 0, "latest": 50} and offsets[1]["latest"] == 0
    assert client.lag()[f"{topic}:0"] == {"current": 50, "latest": 50, "lag": 0}
    client.seek(topic, 0, -2)
    # The first consume after a seek reads from the new position, though a
    # fetch from the old one may still be waiting at the broker.
    again = client.consume(5.0)
    assert again and again[0].offset == 0
    again += consume_n(client, 50 - len(again))
    assert [m.offset for m in again] == list(range(50))


def test_pause_resume_and_incremental_assignment(client, topic):
    """A paused partition hands nothing over while the other flows, and
    resumes where it stopped; partitions come and go one by one; calls on
    partitions not assigned name them."""
    client.produce_many([{"topic": topic, "partition": i % 2, "value": b"%d" % i} for i in range(20)])
    client.flush()
    client.assign([{"topic": topic, "partition": 0, "offset": kfk.OFFSET_EARLIEST}])
    client.incremental_assign([{"topic": topic, "partition": 1, "offset": kfk.OFFSET_EARLIEST}])
    with pytest.raises(kfk.KafkaError) as e:
        client.incremental_assign([{"topic": topic, "partition": 1, "offset": 0}])
    assert e.value.name == "KFK_ERR_STATE" and f"{topic}[1]" in str(e.value)
    got = []
    while not got:
        got += client.consume()
    client.pause([{"topic": topic, "partition": 0}])
    paused = len(got)
    while sum(m.partition == 1 for m in got) < 10:
        got += client.consume()
    assert all(m.partition == 1 for m in got[paused:])
    client.resume([{"topic": topic, "partition": 0}])
    while sum(m.partition == 0 for m in got) < 10:
        got += client.consume()
    for part in (0, 1):
        assert [m.offset for m in got if m.partition == part] == list(range(10))
    client.incremental_unassign([{"topic": topic, "partition": 0}])
    for call in (client.pause, client.incremental_unassign):
        with pytest.raises(kfk.KafkaError) as e:
            call([{"topic": topic, "partition": 0}])
        assert e.value.name == "KFK_ERR_STATE" and f"{topic}[0]" in str(e.value)
    with pytest.raises(kfk.KafkaError) as e:
        client.store_offsets([{"topic": topic, "partition": 0, "offset": 3}])
    assert e.value.name == "KFK_ERR_STATE"
    assert client.member_id() is None  # no subscription
    assert client.lag().keys() == {f"{topic}:1"}


def test_group_subscribe_commit(topic):
    brokers = broker_env("KFK_TEST_BROKERS")
    with kfk.Client(brokers=brokers) as producer:
        producer.connect()
        producer.produce_many([{"topic": topic, "value": b"%d" % i} for i in range(100)])
        producer.flush()
    group = unique("pygroup")
    assigned = []
    with kfk.Client(brokers=brokers) as c:
        c.connect()
        c.subscribe([topic], group, on_assign=assigned.append, auto_offset_reset="earliest",
                    heartbeat_interval_ms=300, auto_commit=False)
        seen, deadline = set(), time.monotonic() + 60
        while len(seen) < 100 and time.monotonic() < deadline:
            seen |= {(m.partition, m.offset) for m in c.consume()}
        assert len(seen) == 100
        assert assigned and len(assigned[0]) == 2
        assert c.member_id()
        c.commit(offsets=[{"topic": topic, "partition": 0, "offset": 1}])
        lag = c.group_lag(group)
        assert lag[f"{topic}:0"]["committed"] == 1 and f"{topic}:1" not in lag
        c.commit()
        c.unsubscribe()
    # a new member of the group starts after the committed offsets
    with kfk.Client(brokers=brokers) as c:
        c.connect()
        c.subscribe([topic], group, auto_offset_reset="earliest", heartbeat_interval_ms=300)
        # A marker on each partition: a committed message read again would
        # come before it (reading from the earliest offset, were nothing
        # committed).
        with kfk.Client(brokers=brokers) as producer:
            producer.connect()
            producer.produce_many([{"topic": topic, "partition": part, "value": b"marker"} for part in (0, 1)])
            producer.flush()
        got = consume_n(c, 2, timeout=60)
        assert [m.value for m in got] == [b"marker", b"marker"]
        c.unsubscribe()


def test_transactions(conn, topic):
    brokers = broker_env("KFK_TEST_BROKERS")
    group = unique("pytxngroup")
    with kfk.Client(brokers=brokers, transactional_id=unique("pytxn")) as p:
        p.connect()
        # outside a transaction: a plain idempotent record (as EV::Kafka sends it)
        p.produce(topic, b"outside", partition=0).result()
        p.begin_transaction()
        with pytest.raises(kfk.KafkaError) as e:
            p.begin_transaction()
        assert e.value.name == "KFK_ERR_STATE"
        for i in range(5):
            p.produce(topic, b"c%d" % i, partition=0)
        p.send_offsets_to_transaction(group, [{"topic": topic, "partition": 0, "offset": 3}])
        p.commit_transaction()
        p.begin_transaction()
        p.produce(topic, b"aborted", partition=0)
        p.abort_transaction()
        # the end of what is read: the aborted record, if read, comes before it
        p.produce(topic, b"end", partition=0).result()
    with kfk.Client(brokers=brokers, isolation_level="read_committed") as c:
        c.connect()
        c.assign([{"topic": topic, "partition": 0, "offset": -2}])
        got, deadline = [], time.monotonic() + 30
        while b"end" not in got and time.monotonic() < deadline:
            got += [m.value for m in c.consume()]
        assert got == [b"outside"] + [b"c%d" % i for i in range(5)] + [b"end"]
    deadline = time.monotonic() + 60  # applied when the coordinator sees the commit marker
    while True:
        parts = conn.offset_fetch(group, [topic]).result()["topics"]
        if parts and parts[0]["partitions"][0]["offset"] == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert parts[0]["partitions"][0]["offset"] == 3
    with kfk.Client(brokers=brokers) as plain:
        with pytest.raises(kfk.KafkaError) as e:
            plain.begin_transaction()
        assert e.value.name == "KFK_ERR_STATE"


def test_admin(client):
    name = unique("pyadmin")
    cluster = client.describe_cluster()
    assert cluster["brokers"] and cluster["cluster_id"]
    created = client.create_topics([{"name": name, "num_partitions": 1, "replication_factor": 1,
                                      "config": {"retention.ms": "7200000"}}], 10000)
    assert created["topics"][0]["error_code"] == 0
    again = client.create_topics([{"name": name, "num_partitions": 1}], 10000)
    assert again["topics"][0]["error_code"] == 36  # TOPIC_ALREADY_EXISTS
    configs = eventually(lambda: client.describe_topic_configs([name])["topics"][0]["configs"],
                         lambda c: "retention.ms" in c and c["retention.ms"]["value"] == "7200000")
    assert configs["retention.ms"]["value"] == "7200000"
    assert configs["retention.ms"]["source"] == "dynamic_topic_config"

    client.alter_topic_configs(name, {"retention.ms": None, "segment.bytes": "1048576"})
    with pytest.raises(kfk.KafkaError) as unknown:
        client.alter_topic_configs(unique("nope"), {"segment.bytes": "1048576"})
    assert unknown.value.code == 3
    client.create_partitions(name, 2)
    with pytest.raises(kfk.KafkaError) as shrink:
        client.create_partitions(name, 1)
    assert shrink.value.code == 37  # INVALID_PARTITIONS

    for i in range(6):
        client.produce(name, b"%d" % i, partition=0)
    client.flush()
    deleted = client.delete_records([{"topic": name, "partition": 0, "offset": 4}])
    assert deleted["partitions"][0]["low_watermark"] == 4
    assert client.offsets_for(name)[0]["earliest"] == 4

    group = unique("pyadmingroup")
    with kfk.Client(brokers=broker_env("KFK_TEST_BROKERS")) as member:
        member.connect()
        member.subscribe([name], group, auto_offset_reset="earliest", heartbeat_interval_ms=300, auto_commit=False)
        assert len(consume_n(member, 2, timeout=60)) == 2
        member.commit()
        listed = {g["group_id"]: g for g in client.list_groups()["groups"]}
        assert listed[group]["protocol_type"] == "consumer"
        described = client.describe_groups([group])["groups"][0]
        assert described["state"] == "stable" and len(described["members"]) == 1
        assert sorted(described["members"][0]["assignment"][name]) == [0, 1]
        ops = client.describe_groups_operations([group])["groups"][0]["authorized_operations"]
        assert sorted(ops) == ["alter_configs", "delete", "describe", "describe_configs", "read"]
        lag = client.group_lag(group)
        assert lag[f"{name}:0"] == {"committed": 6, "latest": 6, "lag": 0}
        member.unsubscribe()

    assert client.delete_topics([name])["topics"][0]["error_code"] == 0
    assert client.delete_topics([name])["topics"][0]["error_code"] == 3


def test_admin_groups_offsets_topics_scram_configs(client, conn):
    topic = create_topic(conn, partitions=2)
    for ts in (1000, 3000, 2000):
        client.produce(topic, b"v", partition=0, timestamp=ts)
    client.flush()
    specs = [{"topic": topic, "partition": 0, "offset": o} for o in (kfk.OFFSET_EARLIEST, kfk.OFFSET_LATEST, -3, 1500)]
    found = client.list_offsets(specs + [{"topic": topic, "partition": 9, "offset": kfk.OFFSET_LATEST}])["partitions"]
    assert [(p["offset"], p["timestamp"], p["error_code"]) for p in found] == [
        (0, -1, 0), (3, -1, 0), (1, 3000, 0), (1, 3000, 0), (-1, -1, 3)]

    group = unique("pygroup")
    altered = client.alter_group_offsets(group, [{"topic": topic, "partition": 1, "offset": 7, "metadata": "m"}])
    assert altered == {"partitions": [{"topic": topic, "partition": 1, "error_code": 0}]}
    assert client.group_lag(group)[f"{topic}:1"]["committed"] == 7
    deleted = client.delete_groups([group, group + "-missing"])["groups"]
    assert [(g["group_id"], g["error_code"]) for g in deleted] == [(group, 0), (group + "-missing", 69)]

    described = client.describe_topics([topic], include_authorized_operations=True)
    t = described["topics"][0]
    assert len(t["topic_id"]) == 16 and [p["partition"] for p in t["partitions"]] == [0, 1]
    assert "describe_configs" in t["authorized_operations"]
    assert client.describe_topics([topic])["topics"][0]["authorized_operations"] is None
    elected = client.elect_leaders(0, [{"topic": topic, "partition": 0}])
    assert elected["partitions"][0]["error_code"] == 84  # ELECTION_NOT_NEEDED

    acl = {"resource_type": "topic", "resource_name": topic, "pattern_type": "literal", "principal": "User:a",
           "host": "*", "operation": "read", "permission_type": "allow"}
    assert client.create_acls([acl])["results"][0]["error_code"] == 54  # SECURITY_DISABLED: no authorizer
    with pytest.raises(kfk.KafkaError) as e:
        client.create_acls([{**acl, "operation": "any"}])
    assert e.value.name == "KFK_ERR_INVALID_ARG"

    # A non-ASCII password and a salt of every byte value go through as
    # they are: the new user logs in with that password.
    user = unique("pyuser")
    password, salt = "pa\u00dfword", bytes(range(256))
    res = client.alter_user_scram_credentials([{"user": user, "mechanism": "SCRAM-SHA-512", "iterations": 4096,
                                                "password": password, "salt": salt}])
    assert res["users"] == [{"user": user, "error_code": 0, "error_message": None}]
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with kfk.Client({"security.protocol": "SASL_PLAINTEXT"}, brokers=broker_env("KFK_TEST_SASL_BROKERS"),
                                sasl_mechanism="SCRAM-SHA-512", sasl_username=user, sasl_password=password) as c:
                    c.connect()
                break
            except kfk.KafkaError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        creds = client.describe_user_scram_credentials([user])["users"][0]["credentials"]
        assert creds == [{"mechanism": "SCRAM-SHA-512", "iterations": 4096}]
    finally:
        client.alter_user_scram_credentials([{"user": user, "mechanism": "SCRAM-SHA-512"}])

    node = str(client.describe_cluster()["brokers"][0]["node_id"])
    res = client.describe_configs([("broker", node), ("topic", topic)])["resources"]
    assert [(r["type"], r["name"], r["error_code"]) for r in res] == [("broker", node, 0), ("topic", topic, 0)]
    assert "num.io.threads" in res[0]["configs"]
    changed = client.incremental_alter_configs([{"resource_type": "topic", "resource_name": topic, "op": "set",
                                                 "name": "retention.ms", "value": 7200000}], validate_only=True)
    assert changed == {"resources": [{"type": "topic", "name": topic, "error_code": 0, "error_message": None}]}
    assert client.describe_topic_configs([topic])["topics"][0]["configs"]["retention.ms"]["source"] == "default_config"

    fresh = unique("pyvalidated")
    checked = client.validate_create_topics([{"name": fresh, "num_partitions": 2, "replication_factor": 1}])
    assert checked["topics"][0]["error_code"] == 0
    assert client.describe_topics([fresh])["topics"][0]["error_code"] == 3  # not created
    client.validate_create_partitions(topic, 5)
    with pytest.raises(kfk.KafkaError) as e:
        client.validate_create_partitions(topic, 1)
    assert e.value.code == 37  # INVALID_PARTITIONS
    assert len(client.describe_topics([topic])["topics"][0]["partitions"]) == 2
    assert "alter_configs" in client.describe_cluster_operations()["authorized_operations"]

    placed = unique("pyplaced")
    made = client.create_topics_placed([{"name": placed, "replicas": [[int(node)], [int(node)]]}])
    assert made["topics"][0]["error_code"] == 0
    client.create_partitions_placed(placed, 3, [[int(node)]])
    parts = eventually(lambda: client.describe_topics([placed])["topics"][0]["partitions"], lambda ps: len(ps) == 3)
    assert [p["replicas"] for p in parts] == [[int(node)]] * 3
    with pytest.raises(ValueError, match="same length"):
        client.create_partitions_placed(placed, 5, [[1], [1, 2]])


def test_custom_partitioner(conn, topic):
    calls = []

    def by_length(topic_name, key, count):
        calls.append((topic_name, key, count))
        return len(key or b"") % count

    with kfk.Client(brokers=broker_env("KFK_TEST_BROKERS"), partitioner=by_length) as c:
        reports = [c.produce(topic, b"v", key=k) for k in (b"a", b"bb", None)]
        c.produce_many([{"topic": topic, "value": b"w", "key": b"ccc"}])
        c.flush()
        assert [r.result()["partition"] for r in reports] == [1, 0, 0]
        assert calls[0] == (topic, b"a", 2) and len(calls) == 4
        assert c.produce(topic, b"explicit", key=b"a", partition=0).result()["partition"] == 0
        assert len(calls) == 4  # an explicit partition skips the partitioner


def test_purge_fails_what_was_not_sent():
    """purge() fails each record a broker never got with ERR_PURGED_QUEUE,
    reported from poll(); flush() then has nothing to wait for."""
    c = kfk.Client(brokers="127.0.0.1:1")
    try:
        reports = []
        for i in range(3):
            c.produce("nowhere", f"v{i}", callback=lambda report, err: reports.append(err))
        assert c.purge(in_queue=True, in_flight=False) == 3
        c.flush(10)
        assert [e.code for e in reports] == [kfk._ffi.ERR_PURGED_QUEUE] * 3
        assert c.purge() == 0
    finally:
        c.close(1)


def test_set_sasl_credentials_needs_sasl_plain_or_scram():
    c = kfk.Client(brokers="127.0.0.1:1")
    try:
        with pytest.raises(kfk.KafkaError) as info:
            c.set_sasl_credentials("u", "p")
        assert info.value.code == kfk._ffi.ERR_STATE and "PLAIN or SCRAM" in str(info.value)
        with pytest.raises(TypeError, match="password"):
            c.set_sasl_credentials("u", b"p")
    finally:
        c.close(1)
    s = kfk.Client(brokers="127.0.0.1:1", **{"security.protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",
                                            "sasl_username": "a", "sasl_password": "b"})
    try:
        s.set_sasl_credentials("c", "")
    finally:
        s.close(1)


def test_revoke_wait_commits_in_on_revoke(conn):
    """revoke_wait=True: on_revoke runs while the member still owns the
    partitions, so a commit() there (auto_commit off) commits what was
    consumed, and the next owner goes on right after it."""
    brokers = broker_env("KFK_TEST_BROKERS")
    topic, records = create_topic(conn, partitions=4), 200
    with kfk.Client(brokers=brokers) as producer:
        producer.produce_many([{"topic": topic, "partition": i % 4, "value": b"%d" % i} for i in range(records)])
        producer.flush()
    group, seen, revoked, leaving = unique("pyrevokewait"), [], [], []
    first = kfk.Client(brokers=brokers, max_poll_records=10)
    second = kfk.Client(brokers=brokers)

    def on_revoke(parts):
        if leaving:  # close() is not waited for: the member has left already
            return
        first.commit()
        revoked.append(parts)

    options = dict(auto_commit=False, auto_offset_reset="earliest", heartbeat_interval_ms=300)
    try:
        first.subscribe([topic], group, on_revoke=on_revoke, revoke_wait=True, **options)
        deadline = time.monotonic() + 60
        while len(seen) < records // 4 and time.monotonic() < deadline:
            seen += [m.value for m in first.consume(0.1)]
        second.subscribe([topic], group, **options)
        while not (revoked and second.lag()) and time.monotonic() < deadline:
            first.queue.poll(0.1)  # serves the revocation, reading nothing meanwhile
            seen += [m.value for m in second.consume(0.1)]
        while len(set(seen)) < records and time.monotonic() < deadline:
            seen += [m.value for m in first.consume(0.1)] + [m.value for m in second.consume(0.1)]
    finally:
        leaving.append(True)
        first.close()
        second.close()
    assert revoked and len(set(seen)) == records
    assert sorted(int(v) for v in seen) == list(range(records))  # none read twice
