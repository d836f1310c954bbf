"""Three consumer processes share six partitions; one is killed with
SIGKILL and the others take its partitions over once its session expires.
Every message is seen at least once, and the committed offsets cover all."""
import json
import os
import signal
import subprocess
import sys
import time

import kfk
from conftest import broker_env, unique

MEMBER = r"""
import json, select, sys, kfk
brokers, topic, group = sys.argv[1:4]
c = kfk.Client(brokers=brokers)
c.connect()
c.subscribe([topic], group, auto_offset_reset="earliest", heartbeat_interval_ms=300,
            session_timeout_ms=6000, auto_commit_interval_ms=300,
            on_assign=lambda parts: print(json.dumps({"assigned": [p["partition"] for p in parts]}), flush=True))
# Runs until the test closes its stdin (readable at end of file).
while not select.select([sys.stdin], [], [], 0)[0]:
    for m in c.consume():
        print(json.dumps({"seen": [m.partition, m.offset]}), flush=True)
c.unsubscribe()
c.close()
"""


def test_three_processes_and_a_sigkill(conn):
    brokers = broker_env("KFK_TEST_BROKERS")
    topic, group = unique("pygroup3"), unique("g3")
    res = conn.create_topics([{"name": topic, "num_partitions": 6, "replication_factor": 1}], 10000).result()
    assert res["topics"][0]["error_code"] == 0
    with kfk.Client(brokers=brokers) as p:
        p.connect()
        p.produce_many([{"topic": topic, "partition": i % 6, "value": b"%d" % i} for i in range(600)])
        p.flush()

    env = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..")}
    procs = [subprocess.Popen([sys.executable, "-c", MEMBER, brokers, topic, group], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    # The kill lands once all three share the partitions (seen by the
    # coordinator), however long a loaded machine takes to start them.
    with kfk.Client(brokers=brokers) as p:
        p.connect()
        wait_for_members(p, group, topic, 3, "all three members sharing the six partitions")
    procs[0].send_signal(signal.SIGKILL)
    # more records after the kill: the survivors must get them too
    with kfk.Client(brokers=brokers) as p:
        p.connect()
        p.produce_many([{"topic": topic, "partition": i % 6, "value": b"%d" % i} for i in range(600, 1200)])
        p.flush()
        # Once the killed member's session expires, the two survivors own
        # all six partitions between them (seen by the coordinator, while
        # they still run: they leave at slightly different times later).
        wait_for_members(p, group, topic, 2, "the two survivors owning all six partitions")
    # The survivors stop once their commits cover every record (or the
    # wait gives up, and the checks below say what is missing).
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and committed_offsets(conn, group, topic) != {p: 200 for p in range(6)}:
        time.sleep(0.3)
    seen = set()
    for i, proc in enumerate(procs):
        out, _ = proc.communicate(timeout=90)
        for line in out.splitlines():
            ev = json.loads(line)
            if "seen" in ev:
                seen.add(tuple(ev["seen"]))
        if i > 0:
            assert proc.returncode == 0
    assert len(seen) == 1200, f"{1200 - len(seen)} messages never seen"
    # and their commits cover everything they consumed
    assert committed_offsets(conn, group, topic) == {p: 200 for p in range(6)}


def wait_for_members(client, group, topic, count, what):
    """Waits until the coordinator lists count members of group owning
    every partition of topic between them."""
    deadline, members = time.monotonic() + 90, []
    while time.monotonic() < deadline:
        members = client.describe_groups([group])["groups"][0]["members"]
        owned = sorted(part for m in members for part in m["assignment"].get(topic, []))
        if len(members) == count and owned == list(range(6)):
            return
        time.sleep(0.3)
    raise AssertionError(f"no {what} in 90 s: {members}")


def committed_offsets(conn, group, topic):
    topics = conn.offset_fetch(group, [topic]).result()["topics"]  # empty until the first commit
    return {p["partition"]: p["offset"] for t in topics for p in t["partitions"]}
