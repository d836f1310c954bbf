import os
import signal
import subprocess
import sys
import time

import pytest

import kfk
from conftest import broker_env, host_port, retry, unique


def test_import_does_not_load_the_library():
    import subprocess
    code = "import kfk; assert 'libkfk' not in open('/proc/self/maps').read()"
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..")})


def test_utilities():
    assert kfk.murmur2(b"21") == -973932308 & 0x7FFFFFFF
    assert kfk.crc32c(b"123456789") == 0xE3069283
    assert kfk.error_name(3) == "UNKNOWN_TOPIC_OR_PARTITION"
    assert kfk.version() == "0.4.0"


def test_connect_state_and_versions(conn):
    assert conn.connected and conn.state == 6
    versions = conn.api_versions()
    assert versions[0] >= 3 and versions[1] >= 4
    md = conn.metadata().result()
    assert md["brokers"][0]["port"] > 0 and "controller_id" in md


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_produce_fetch_round_trip(conn, topic, codec):
    records = [
        {"key": b"k1", "value": b"v\x00binary", "headers": {"h": b"x", "n": None}},
        {"key": None, "value": b""},
        {"key": "text", "value": None, "timestamp": 1700000000000},
    ]
    res = conn.produce_batch(topic, 1, records, acks=-1, compression=codec).result()
    part = res["topics"][0]["partitions"][0]
    assert part["error_code"] == 0 and part["base_offset"] == 0
    got = conn.fetch(topic, 1, 0).result()["topics"][0]["partitions"][0]
    assert got["high_watermark"] == 3
    recs = got["records"]
    assert [r["key"] for r in recs] == [b"k1", None, b"text"]
    assert [r["value"] for r in recs] == [b"v\x00binary", b"", None]
    assert recs[0]["headers"] == {"h": b"x", "n": None}
    assert recs[2]["timestamp"] == 1700000000000
    assert [r["offset"] for r in recs] == [0, 1, 2]


def test_produce_single_and_list_offsets(conn, topic):
    for i in range(3):
        conn.produce(topic, 0, b"k", b"v%d" % i, headers=[("a", b"1")], acks=1).result()
    assert conn.list_offsets(topic, 0, -1).result()["topics"][0]["partitions"][0]["offset"] == 3
    assert conn.list_offsets(topic, 0, -2).result()["topics"][0]["partitions"][0]["offset"] == 0
    multi = conn.fetch_multi({topic: [{"partition": 0, "offset": 1}, {"partition": 1, "offset": 0}]}).result()
    parts = {p["partition"]: p for p in multi["topics"][0]["partitions"]}
    assert [r["value"] for r in parts[0]["records"]] == [b"v1", b"v2"] and parts[1]["records"] == []


def test_callbacks_and_pipelining(conn, topic):
    done = []
    for i in range(300):
        conn.produce(topic, 0, None, b"%d" % i, acks=0 if i % 3 == 0 else 1,
                     callback=lambda res, err, i=i: done.append((i, res, err)))
    deadline = time.monotonic() + 30
    while len(done) < 300 and time.monotonic() < deadline:
        conn.queue.poll(0.1)
    assert len(done) == 300
    assert all(err is None for _, _, err in done)
    assert all(res is None for i, res, _ in done if i % 3 == 0)  # acks=0: no result
    assert conn.list_offsets(topic, 0, -1).result()["topics"][0]["partitions"][0]["offset"] == 300


def test_group_calls(conn, topic):
    group = unique("pygroup")
    co = retry(lambda: conn.find_coordinator(group).result(), {15})
    assert co["error_code"] == 0 and co["port"] > 0
    # The coordinator may still be loading the offsets log it just created.
    join = retry(lambda: conn.join_group(group, "", [topic], session_timeout_ms=10000,
                                         rebalance_timeout_ms=10000).result(), {14, 15, 16})
    member = join["member_id"]
    if join["error_code"] == 79:  # MEMBER_ID_REQUIRED (KIP-394)
        join = conn.join_group(group, member, [topic], session_timeout_ms=10000,
                               rebalance_timeout_ms=10000).result()
    assert join["error_code"] == 0 and join["leader"] == member
    assert join["members"][0]["topics"] == [topic]
    gen = join["generation_id"]
    sync = conn.sync_group(group, gen, member, {member: {topic: [0, 1]}}).result()
    assert sync["error_code"] == 0 and sync["assignment"] == [{"topic": topic, "partitions": [0, 1]}]
    assert conn.heartbeat(group, gen, member).result()["error_code"] == 0
    commit = conn.offset_commit(group, gen, member, [{"topic": topic, "partition": 1, "offset": 9,
                                                      "metadata": "m"}]).result()
    assert commit["topics"][0]["partitions"][0]["error_code"] == 0
    fetched = conn.offset_fetch(group, [topic]).result()
    assert fetched["topics"][0]["partitions"][0]["offset"] == 9
    assert fetched["topics"][0]["partitions"][0]["metadata"] == "m"
    assert conn.leave_group(group, member).result()["error_code"] == 0


def test_transactions(conn, topic):
    txn = unique("pytxn")
    # Finding the transaction coordinator first (as a client does) also
    # creates the transaction log on a fresh broker.
    assert retry(lambda: conn.find_coordinator(txn, key_type=1).result(), {15})["error_code"] == 0
    init = retry(lambda: conn.init_producer_id(txn, 60000).result(), {14, 15, 16, 51})
    assert init["error_code"] == 0
    pid, epoch = init["producer_id"], init["producer_epoch"]
    seq = 0
    for commit in (False, True):
        add = retry(lambda: conn.add_partitions_to_txn(txn, pid, epoch, [{"topic": topic, "partition": 0}])
                    .result()["topics"][0]["partitions"][0], {51})
        assert add["error_code"] == 0
        res = conn.produce_batch(topic, 0, [{"value": b"commit" if commit else b"abort"}], acks=-1,
                                 producer_id=pid, producer_epoch=epoch, base_sequence=seq,
                                 transactional_id=txn).result()
        assert res["topics"][0]["partitions"][0]["error_code"] == 0
        seq += 1
        end = retry(lambda: conn.end_txn(txn, pid, epoch, commit).result(), {51})
        assert end["error_code"] == 0
        if end.get("producer_epoch", epoch) != epoch:  # transactions v2 bump the epoch
            pid, epoch, seq = end["producer_id"], end["producer_epoch"], 0
    deadline = time.monotonic() + 20
    while True:
        committed = conn.fetch(topic, 0, 0, isolation_level=1).result()["topics"][0]["partitions"][0]["records"]
        if committed or time.monotonic() > deadline:
            break
    assert [r["value"] for r in committed] == [b"commit"]
    everything = conn.fetch(topic, 0, 0).result()["topics"][0]["partitions"][0]["records"]
    assert [r["value"] for r in everything] == [b"abort", b"commit"]
    group = unique("pytxngroup")
    assert retry(lambda: conn.add_offsets_to_txn(txn, pid, epoch, group).result(), {51})["error_code"] == 0
    res = retry(lambda: conn.txn_offset_commit(txn, group, pid, epoch, -1, None,
                                               [{"topic": topic, "partition": 0, "offset": 1}])
                .result()["topics"][0]["partitions"][0], {15, 51})
    assert res["error_code"] == 0
    assert retry(lambda: conn.end_txn(txn, pid, epoch, False).result(), {51})["error_code"] == 0


def test_admin_errors(conn, topic):
    again = conn.create_topics([{"name": topic, "num_partitions": 1, "replication_factor": 1}], 5000).result()
    assert again["topics"][0]["error_code"] == 36
    assert conn.delete_topics([topic], 10000).result()["topics"][0]["error_code"] == 0
    assert conn.delete_topics([topic + "-nope"], 5000).result()["topics"][0]["error_code"] == 3


def test_raw_request(conn):
    res = conn.raw_request(18, 0, b"").result()
    assert res["api_key"] == 18 and res["body"][:2] == b"\x00\x00"


def test_bad_arguments(conn):
    with pytest.raises(TypeError):
        conn.produce(123, 0, b"k", b"v")
    with pytest.raises(TypeError):
        conn.produce("t", 0, 5, b"v")
    with pytest.raises(ValueError):
        conn.produce_batch("t", 0, [])
    with pytest.raises(kfk.KafkaError) as e:
        conn.find_coordinator("g", key_type=9)
    assert e.value.name == "KFK_ERR_INVALID_ARG"
    with pytest.raises(kfk.KafkaError):
        conn.sasl("KERBEROS", "u", "p")


def test_closed_and_disconnected(conn, topic):
    pending = conn.fetch(topic, 0, 0, max_wait_ms=5000, min_bytes=1 << 30)  # a long poll: the topic is empty
    time.sleep(0.2)
    conn.disconnect()
    with pytest.raises(kfk.KafkaError) as e:
        pending.result(5)
    assert e.value.name == "KFK_ERR_DISCONNECTED" and "disconnected" in str(e.value)
    with pytest.raises(kfk.KafkaError) as e:
        conn.metadata().result(5)
    assert e.value.name == "KFK_ERR_NOT_CONNECTED"
    conn.close()
    with pytest.raises(kfk.KafkaError) as e:
        conn.metadata()
    assert e.value.name == "KFK_ERR_CLOSED"


def test_connect_refused_reports_error():
    errors = []
    c = kfk.Conn(on_error=errors.append)
    with pytest.raises(kfk.KafkaError) as e:
        c.connect("127.0.0.1", 1, timeout=2).result(10)
    assert e.value.name == "KFK_ERR_CONNECT" and errors and errors[0].name == "KFK_ERR_CONNECT"
    c.close()


@pytest.mark.parametrize("mech,user,password", [
    ("PLAIN", "KFK_TEST_PLAIN_USER", "KFK_TEST_PLAIN_PASS"),
    ("SCRAM-SHA-256", "KFK_TEST_SCRAM256_USER", "KFK_TEST_SCRAM256_PASS"),
    ("SCRAM-SHA-512", "KFK_TEST_SCRAM512_USER", "KFK_TEST_SCRAM512_PASS"),
])
def test_sasl(mech, user, password):
    host, port = host_port(broker_env("KFK_TEST_SASL_BROKERS"))
    good = kfk.Conn()
    good.sasl(mech, os.environ[user], os.environ[password])
    good.connect(host, port).result()
    assert good.metadata().result()["brokers"]
    good.close()
    bad = kfk.Conn()
    bad.sasl(mech, os.environ[user], "not-the-password")
    with pytest.raises(kfk.KafkaError) as e:
        bad.connect(host, port).result()
    assert e.value.name == "KFK_ERR_SASL" and "not-the-password" not in str(e.value)
    bad.close()


def test_tls():
    host, port = host_port(broker_env("KFK_TEST_TLS_BROKERS"))
    good = kfk.Conn()
    good.tls(True, ca_file=os.environ["KFK_TEST_TLS_CA"])
    good.connect(host, port).result()
    assert good.metadata().result()["brokers"]
    good.close()
    bad = kfk.Conn()
    bad.tls(True)  # the system roots do not know the test CA
    with pytest.raises(kfk.KafkaError) as e:
        bad.connect(host, port).result()
    assert e.value.name == "KFK_ERR_TLS"
    bad.close()


def test_fork_child_gets_clear_error(conn):
    pid = os.fork()
    if pid == 0:
        try:
            conn.metadata()
        except kfk.ForkedError:
            os._exit(0)
        except BaseException:
            os._exit(2)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert conn.metadata().result()["brokers"]  # the parent is unaffected


def test_fork_before_loading_works():
    import subprocess
    host, port = host_port(broker_env("KFK_TEST_BROKERS"))
    code = f"""
import os, kfk
pid = os.fork()
if pid == 0:
    c = kfk.Conn()
    c.connect({host!r}, {port}).result()
    os._exit(0 if c.metadata().result()["brokers"] else 1)
_, status = os.waitpid(pid, 0)
raise SystemExit(os.WEXITSTATUS(status))
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60,
                   env={**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..")})


def test_blocking_poll_is_interruptible_by_ctrl_c():
    # A child blocks in poll(None); SIGINT must raise KeyboardInterrupt there
    # promptly (the wait is sliced so Python's signal handler runs). The
    # child sets Python's handler itself: started from a background job of a
    # non-interactive shell, it would inherit SIGINT ignored and never see it.
    code = ("import kfk, signal, sys\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "q = kfk.EventQueue()\n"
            "try:\n"
            "    print('polling', flush=True)\n"
            "    q.poll(None)\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted', flush=True)\n"
            "    sys.exit(0)\n"
            "sys.exit(3)\n")
    env = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..")}
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline().strip() == "polling"
    # Interrupted where it waits: once it sleeps (state S) after printing.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and child_state(child.pid) != "S":
        time.sleep(0.01)
    started = time.monotonic()
    child.send_signal(signal.SIGINT)
    assert child.stdout.readline().strip() == "interrupted"
    assert time.monotonic() - started < 2
    child.communicate(timeout=30)
    assert child.returncode == 0


def child_state(pid):
    """The process's state letter from /proc (after the command name)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_poll_dispatches_every_waiting_event():
    # More events than one kfk_poll_batch takes: one poll(0) dispatches them
    # all (a connection never connected answers each request at once).
    c = kfk.Conn()
    count = 3 * kfk.queue._BATCH + 5
    errors = []
    for _ in range(count):
        c.metadata(callback=lambda _result, error: errors.append(error.name))
    deadline = time.monotonic() + 30
    while len(c.queue) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert c.queue.poll(0) == count
    assert errors == ["KFK_ERR_NOT_CONNECTED"] * count
    c.close()
