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
import json, sys, time, kfk
brokers, topic, group = sys.argv[1:4]
c = kfk.Client(brokers=brokers)
c.connect()
c.subscribe([topic], group, auto_offset_reset="earliest", heartbeat_interval_ms=300,
            session_timeout_ms=6000, auto_commit_interval_ms=300,
            on_assign=lambda parts: print(json.dumps({"assigned": [p["partition"] for p in parts]}), flush=True))
deadline = time.time() + float(sys.argv[4])
while time.time() < deadline:
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
    procs = [subprocess.Popen([sys.executable, "-c", MEMBER, brokers, topic, group, "25"], stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(3)]
    time.sleep(8)  # all three joined and consumed some
    procs[0].send_signal(signal.SIGKILL)
    # more records after the kill: the survivors must get them too
    with kfk.Client(brokers=brokers) as p:
        p.connect()
        p.produce_many([{"topic": topic, "partition": i % 6, "value": b"%d" % i} for i in range(600, 1200)])
        p.flush()
        # Once the killed member's session expires, the two survivors own
        # all six partitions between them (seen by the coordinator, while
        # they still run: they leave at slightly different times later).
        deadline, members, owned = time.monotonic() + 40, [], []
        while time.monotonic() < deadline:
            members = p.describe_groups([group])["groups"][0]["members"]
            owned = sorted(part for m in members for part in m["assignment"].get(topic, []))
            if len(members) == 2 and owned == list(range(6)):
                break
            time.sleep(0.3)
        assert len(members) == 2 and owned == list(range(6)), members
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
    committed = conn.offset_fetch(group, [topic]).result()
    offsets = {p["partition"]: p["offset"] for p in committed["topics"][0]["partitions"]}
    assert offsets == {p: 200 for p in range(6)}
