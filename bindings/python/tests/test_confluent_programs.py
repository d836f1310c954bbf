"""Programs written for confluent-kafka, run twice against the broker:
as written, and with only the import changed to kfk.confluent. Each run
gets topics and groups of its own, filled the same way, and the JSON the
programs print must be the same (it leaves out what depends on timing).

The programs are in confluent_programs/; without confluent-kafka
installed only the kfk.confluent run is made, and its absolute checks.
"""

import json
import os
import re
import subprocess
import sys
import time

import pytest

from conftest import CONFLUENT_LIBS, create_topic, unique

import kfk

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "confluent_programs")
BINDING = os.path.dirname(HERE)

# confluent-kafka's run first (when installed): the others' results are compared with its.
LIBS = list(reversed(CONFLUENT_LIBS))


def source(program, lib):
    """The program's text for lib: for kfk.confluent, its import lines
    rewritten and nothing else."""
    with open(os.path.join(PROGRAMS, program)) as f:
        text = f.read()
    if lib == "kfk.confluent":
        changed = re.sub(r"^from confluent_kafka(\.admin)? import", r"from kfk.confluent\1 import", text,
                         flags=re.M)
        assert "confluent_kafka" not in changed.replace("from kfk.confluent", ""), "an import left unchanged"
        assert sum(a != b for a, b in zip(text.splitlines(), changed.splitlines())) <= 2
        text = changed
    return text


def start(program, lib, *args, tmp_path):
    path = tmp_path / f"{lib}-{program}"
    path.write_text(source(program, lib))
    env = dict(os.environ, PYTHONPATH=BINDING + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, str(path), *map(str, args)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(proc, timeout=240):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the program did not finish in {timeout}s\n{err[-3000:]}")
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def fill(brokers, topic, count, partitions=3):
    """count messages, spread over the partitions in turn, the same way for
    every run: key k<i>, value v<i>, a header."""
    with kfk.Client(brokers=brokers, linger_ms=2) as c:
        reqs = [c.produce(topic, f"v{i}", key=f"k{i}", partition=i % partitions, headers=[("n", str(i))])
                for i in range(count)]
        c.flush()
        for r in reqs:
            r.result()


def by_lib(results, same=lambda r: r):
    """The results of the runs, checked to be the same (as far as same(r)
    goes: it leaves out what depends on timing); kfk.confluent's."""
    first = same(results[LIBS[0]])
    for lib in LIBS[1:]:
        assert same(results[lib]) == first, f"{LIBS[0]} and {lib} differ:\n{first}\n{same(results[lib])}"
    return results["kfk.confluent"]


def placements(r):
    """What a producer run must share with the other: where each keyed
    message went (null keys go to a random partition), the errors, the
    counts."""
    keyed = sorted((x["value"], x["key"], x["partition"]) for x in r["reports"] if x.get("key") is not None)
    return {"keyed": keyed, "values": sorted(x["value"] for x in r["reports"]),
            **{k: v for k, v in r.items() if k != "reports"}}


def test_producer_program(brokers, conn, tmp_path):
    results = {}
    for lib in LIBS:
        topic = create_topic(conn, partitions=3)
        results[lib] = finish(start("producer.py", lib, brokers, topic, tmp_path=tmp_path))
    r = by_lib(results, placements)
    ok = [x for x in r["reports"] if "error" not in x]
    failed = [x for x in r["reports"] if "error" in x]
    assert len(ok) == 61 and failed == []
    # Each partition's offsets run from 0 without a gap, in produce order;
    # a key stays on one partition.
    for part in range(3):
        here = sorted((x["offset"], x["value"]) for x in ok if x["partition"] == part)
        assert [o for o, _ in here] == list(range(len(here)))
        events = [int(v.split("-")[1]) for _, v in here if v.startswith("event-")]
        assert events == sorted(events)
    placed = {}
    for x in ok:
        if x["key"] is not None:
            assert placed.setdefault(x["key"], x["partition"]) == x["partition"]
        assert x["timestamp_type"] == 1 and x["latency_known"]
    assert [x["partition"] for x in ok if x["value"] == "explicit"] == [2]
    assert r["waiting_before_flush"] is True and r["left_after_flush"] == 0
    assert r["mistakes"] == {"no_such_partition": "_UNKNOWN_PARTITION", "too_large": "MSG_SIZE_TOO_LARGE", "int_value": "TypeError",
                             "txn_without_id": "_NOT_CONFIGURED", "unknown_property": True,
                             "buffer_full_after": 5, "produce_after_close": "RuntimeError"}


def test_group_consumer_program(brokers, conn, tmp_path):
    count = 30
    results = {}
    for lib in LIBS:
        topic = create_topic(conn, partitions=3)
        fill(brokers, topic, count)
        proc = start("consumer.py", lib, brokers, topic, unique("group"), count, tmp_path=tmp_path)
        line = proc.stdout.readline()
        assert line.strip() == "READY", proc.stderr.read()[-3000:]
        with kfk.Client(brokers=brokers) as c:
            c.produce(topic, "after-close", key="late", partition=0).result()
        proc.stdin.write("\n")
        proc.stdin.flush()
        results[lib] = finish(proc)
    r = by_lib(results)
    assert [(m["key"], m["value"]) for m in r["messages"]] == sorted(
        [(f"k{i}", f"v{i}") for i in range(count)], key=lambda kv: (int(kv[0][1:]) % 3, int(kv[0][1:])))
    assert all(m["headers"] == [["n", m["key"][1:]]] and m["timestamp"] == [1, True] for m in r["messages"])
    assert r["committed"] == r["positions"] == [[0, 10], [1, 10], [2, 10]]
    assert r["events"] == [["assign", [0, 1, 2]], ["revoke", [0, 1, 2]]]
    assert r["commits"] == count // 7 and r["final_commit_made"]
    assert r["watermarks_p0"] == [0, 10]
    assert r["mistakes"] == {"commit_before_consuming": "_NO_OFFSET", "position_before": True,
                             "seek_unassigned": "_UNKNOWN_PARTITION", "commit_message_and_offsets": "ValueError",
                             "poll_after_close": "RuntimeError"}
    assert r["second"] == {"partition": 0, "offset": 10, "value": "after-close"}


def test_flow_control_program(brokers, conn, tmp_path):
    """pause()/resume(), store_offsets() with enable.auto.offset.store=false
    and memberid(), as the same program uses them with either library."""
    count = 30
    results = {}
    for lib in LIBS:
        topic = create_topic(conn, partitions=3)
        fill(brokers, topic, count)
        results[lib] = finish(start("flow.py", lib, brokers, topic, unique("flow"), count, tmp_path=tmp_path))
    r = by_lib(results)
    assert r["assigned"] == [0, 1, 2] and r["member"]
    assert r["offsets"] == {str(p): list(range(10)) for p in range(3)}
    assert r["while_paused"] == 0 and r["resumed_from"] == 1
    assert r["commit"] == r["committed"] == [[0, 10], [1, 10], [2, 9]]


def test_pause_in_on_assign_program(brokers, conn, tmp_path):
    """A partition paused from on_assign hands nothing over until resume()
    in either library: the way to keep a pause across a rebalance, since
    a rebalance that takes a partition away ends its pause in kfk."""
    count = 30
    results = {}
    for lib in LIBS:
        topic = create_topic(conn, partitions=3)
        fill(brokers, topic, count)
        results[lib] = finish(start("pause_on_assign.py", lib, brokers, topic, unique("held"), count,
                                    tmp_path=tmp_path))
    r = by_lib(results)
    assert r["offsets"] == {str(p): list(range(10)) for p in range(3)}
    assert r["while_paused"] == 0


def test_admin_program(brokers, conn, tmp_path):
    results = {}
    for lib in LIBS:
        topic, group = unique("admin"), unique("admin-group")
        # A member of group, for list_consumer_groups and describe_consumer_groups.
        watched = create_topic(conn, partitions=2)
        member = kfk.Client(brokers=brokers)
        assigned = []
        member.subscribe([watched], group, on_assign=assigned.append)
        deadline = time.monotonic() + 60
        while not assigned and time.monotonic() < deadline:
            member.consume(0.2)
        assert assigned, "the group member got no assignment"
        try:
            results[lib] = finish(start("admin.py", lib, brokers, topic, group, tmp_path=tmp_path))
        finally:
            member.close()
        results[lib]["group"]["assigned"] = [[t.replace(watched, "W"), p]
                                             for t, p in results[lib]["group"]["assigned"]]
    r = by_lib(results)
    assert r["create"] == {"T": "ok"} and r["create_again"] == {"T": "TOPIC_ALREADY_EXISTS"}
    assert r["create_bad"] == {"T-bad": "INVALID_PARTITIONS"}
    assert r["grow"] == {"T": "ok"} and r["shrink"] == {"T": "INVALID_PARTITIONS"}
    assert r["partitions"] == [0, 1, 2, 3, 4] and r["leaders_known"]
    assert r["retention"] == ["3600000", True] and r["cleanup_default"] is True
    assert r["after_alter"] == ["200000", True]
    assert r["group_listed"] == [1, True, False]
    assert r["group"] == {"state": "STABLE", "assignor": "sticky", "members": 1, "assigned": [["W", 0], ["W", 1]]}
    assert r["delete"] == {"T": "ok", "T-missing": "UNKNOWN_TOPIC_OR_PART"}


def test_admin_more_program(brokers, conn, tmp_path):
    results = {}
    for lib in LIBS:
        topic = create_topic(conn, partitions=2)
        with kfk.Client(brokers=brokers) as c:
            for ts in (1000, 3000, 2000):
                c.produce(topic, f"at-{ts}", partition=0, timestamp=ts).result()
        results[lib] = finish(start("admin_more.py", lib, brokers, topic, unique("admin-more"), unique("kfk-user"),
                                    tmp_path=tmp_path))
    r = by_lib(results)
    assert r["alter_offsets"] == {"G": [[0, 2, None], [1, 0, None], [7, 1, "UNKNOWN_TOPIC_OR_PART"]]}
    assert r["committed"] == {"G": [[0, 2, None], [1, 0, None]]}
    assert r["alter_live"] == {"G": [[0, 0, "UNKNOWN_MEMBER_ID"]]}
    assert r["delete_live"] == {"G": "NON_EMPTY_GROUP"}
    assert r["group_operations"] == ["ALTER_CONFIGS", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS", "READ"]
    assert r["group_operations_plain"] is None
    assert r["delete"] == {"G": "ok", "G-missing": "GROUP_ID_NOT_FOUND"}
    assert r["offsets"] == {
        "TopicPartition{topic=T,partition=0,offset=-1,leader_epoch=None,error=None}": [3, -1, True],
        "TopicPartition{topic=T,partition=1,offset=-2,leader_epoch=None,error=None}": [0, -1, True],
        "TopicPartition{topic=T-missing,partition=0,offset=-1,leader_epoch=None,error=None}": "UNKNOWN_TOPIC_OR_PART"}
    assert list(r["by_time"].values()) == [[1, 3000, True]] and list(r["max_time"].values()) == [[1, 3000, True]]
    assert r["topics"]["T-missing"] == "UNKNOWN_TOPIC_OR_PART"
    described = r["topics"]["T"]
    assert described["id_chars"] == 22 and described["partitions"] == [[0, True, 1, 1], [1, True, 1, 1]]
    assert {"READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS"} <= set(described["operations"])
    assert r["topics_plain"]["T"]["operations"] == []
    assert r["elect"] == [[0, "ELECTION_NOT_NEEDED"], [7, "UNKNOWN_TOPIC_OR_PART"]]
    assert list(r["create_acls"].values()) == ["SECURITY_DISABLED"]
    assert list(r["delete_acls"].values()) == ["SECURITY_DISABLED"]
    assert r["scram_set"] == {"U": "ok"}
    assert r["scram_described"] == {"U": [["SCRAM_SHA_256", 8192]], "U-missing": "RESOURCE_NOT_FOUND"}
    assert r["scram_everyone"] == [["SCRAM_SHA_256", 8192]]
    assert r["scram_few_iterations"] == {"U": "UNACCEPTABLE_CREDENTIAL"}
    assert r["scram_deleted"] == {"U": "ok"} and r["scram_after"] == {"U": "RESOURCE_NOT_FOUND"}
    assert r["broker_config"] == [True, False]
    assert r["group_validate"] == {"ConfigResource(ResourceType.GROUP,G)": "ok"}
    assert r["group_after_validate"] != "50000" and r["group_set"] == {"ConfigResource(ResourceType.GROUP,G)": "ok"}
    assert r["group_after_set"] == "50000"
    assert r["group_replace"] == {"ConfigResource(ResourceType.GROUP,G)": "ok"}
    assert r["group_replaced"] == {"consumer.heartbeat.interval.ms": "6000", "consumer.session.timeout.ms": "45000"}
    assert list(r["broker_validate"].values()) == ["ok"]
    assert r["validate_create"] == {"T-bad": "INVALID_PARTITIONS", "T-new": "ok"}
    assert r["validated_exists"] == {"T-new": "UNKNOWN_TOPIC_OR_PART"}
    assert r["validate_grow"] == {"T": "ok"} and r["validate_shrink"] == {"T": "INVALID_PARTITIONS"}
    assert r["partitions_after"] == 2
    assert r["cluster_operations"] is True and r["cluster_plain"] is None
    assert r["placed_checks"] == {"no_count": "ValueError", "with_factor": "ValueError", "outer_size": "ValueError"}
    assert r["placed_validate"] == {"T-placed": "ok", "T-unplaced": "ok"}
    assert r["placed_create"] == {"T-elsewhere": "INVALID_REPLICA_ASSIGNMENT", "T-placed": "ok",
                                  "T-ragged": "INVALID_REPLICA_ASSIGNMENT"}
    assert r["placed_grow"] == {"T-placed": "ok"}
    assert r["placed_grow_short"] == {"T-placed": "INVALID_REPLICA_ASSIGNMENT"}
    assert r["placed_partitions"] == 3


def test_transactional_program(brokers, conn, tmp_path):
    count = 23
    results = {}
    for lib in LIBS:
        source_topic, sink = create_topic(conn, partitions=3), create_topic(conn, partitions=3)
        fill(brokers, source_topic, count)
        results[lib] = finish(start("eos.py", lib, brokers, source_topic, sink, unique("eos"), unique("txn"), count,
                                    tmp_path=tmp_path))
    r = by_lib(results)
    assert r["processed"] == count and r["transactions"]
    assert r["committed_offsets"] == [[0, 8], [1, 8], [2, 7]]
    expected = sorted([[i % 3, f"k{i}", f"V{i}"] for i in range(count)] + [[0, None, "SENTINEL"]], key=str)
    assert r["output"] == expected
    assert r["mistakes"] == {"begin_before_init": "_STATE", "produce_outside_transaction": "_STATE",
                             "commit_without_begin": "_STATE", "begin_twice": "_STATE"}


def test_share_program(brokers, conn, tmp_path):
    """A ShareConsumer in explicit mode releasing, rejecting and accepting
    records, its group reset to earliest through the admin API; a second
    member in implicit mode gets the released record again, and only it."""
    count = 20
    results = {}
    for lib in LIBS:
        topic = create_topic(conn, partitions=2)
        fill(brokers, topic, count, partitions=2)
        results[lib] = finish(start("share.py", lib, brokers, topic, unique("share"), count, tmp_path=tmp_path))
    r = by_lib(results)
    assert r["records"] == sorted([i % 2, i // 2, f"v{i}"] for i in range(count))
    assert r["released"] == [[1, "released"]] and r["released_later"]
    assert r["rejected"] == [[1, "rejected"]]
    assert r["others_delivered"] == [1]
    assert r["reported"] == {f"True:{p}": list(range(count // 2)) for p in range(2)}
    assert r["failures"] == [] and r["subscription"]
    assert r["refused"] == {"poll": "IllegalStateException", "committed": "IllegalStateException",
                            "closed": "IllegalStateException"}


@pytest.mark.parametrize("mode", ["eager", "cooperative"])
def test_commit_in_on_revoke_program(brokers, conn, tmp_path, mode):
    """Two members with enable.auto.commit=false commit in on_revoke, while
    the partitions are still theirs: together they read every message once."""
    count, partitions = 120, 4
    results = {}
    for lib in LIBS:
        topic = create_topic(conn, partitions=partitions)
        fill(brokers, topic, count, partitions)
        results[lib] = finish(start("revoke_commit.py", lib, brokers, topic, unique("revoke"), count, partitions, mode,
                                    tmp_path=tmp_path))
    r = by_lib(results)
    assert r["duplicates"] == [] and r["missing"] == []
    assert r["both_read"] == ["first", "second"] and r["first_revoked"]
    assert r["assignment_listed_revoked"] and r["commit_errors"] == []
    assert r["committed"] == [[p, count // partitions] for p in range(partitions)]
