"""kfk share consumers in one share group with Java's console share
consumer and (where installed) confluent-kafka's ShareConsumer: the
group splits one partition's records between them, none is lost, and with
no member failing each record is delivered, and accepted, once."""
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

import pytest

import kfk
from conftest import broker_env, create_topic, share_group

KAFKA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "kafka", "kafka")
CONSOLE_SHARE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleShareConsumer"
BATCH = 20  # records per produce call while waiting for every member to get some


def java_command():
    """[java, -cp, classpath] from the test harness, or skip."""
    try:
        java = subprocess.run([KAFKA, "java"], capture_output=True, text=True, timeout=120)
        cp = subprocess.run([KAFKA, "classpath"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"no Java Kafka tools: {exc}")
    if java.returncode or cp.returncode or not java.stdout.strip() or not cp.stdout.strip():
        pytest.skip(f"no Java Kafka tools: {java.stderr.strip()} {cp.stderr.strip()}")
    return [java.stdout.strip(), "-cp", cp.stdout.strip()]


class Member:
    """One member's records: (offset, delivery count) in arrival order."""

    def __init__(self, name):
        self.name, self.got, self.failure = name, [], None
        self.stop = threading.Event()


def run_kfk(member, brokers, topic, group, ready):
    try:
        with kfk.Client(brokers=brokers) as c:
            c.connect()
            c.share_subscribe([topic], group)
            ready.release()
            while not member.stop.is_set():
                member.got += [(m.offset, m.delivery_count) for m in c.share_consume(0.5)]
            # implicit mode: accepts what the last share_consume handed over
            bad = [r for r in c.share_commit() if r["error_code"]]
            assert bad == [], bad
            c.share_unsubscribe()
    except BaseException as exc:
        member.failure = exc
        ready.release()


def run_confluent(member, brokers, topic, group, ready):
    from confluent_kafka import ShareConsumer

    try:
        c = ShareConsumer({"bootstrap.servers": brokers, "group.id": group})
        c.subscribe([topic])
        ready.release()
        while not member.stop.is_set():
            for m in c.poll(0.5):
                assert m.error() is None, m.error()
                member.got.append((m.offset(), m.delivery_count()))
        # implicit mode: commit_sync accepts what the last poll returned
        bad = {tp: err for tp, err in c.commit_sync().items() if err is not None}
        assert bad == {}, bad
        c.close()
    except BaseException as exc:
        member.failure = exc
        ready.release()


JAVA_LINE = re.compile(r"^Partition:(\d+)\tOffset:(\d+)\tDelivery:(\d+)\t")


def read_java(member, proc):
    for line in proc.stdout:
        m = JAVA_LINE.match(line)
        if m:
            member.got.append((int(m.group(2)), int(m.group(3))))


@pytest.mark.parametrize("with_confluent", [False, True], ids=["kfk+java", "kfk+java+confluent"])
def test_members_of_every_client_split_one_partition(conn, with_confluent):
    if with_confluent:
        confluent_kafka = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (PyPy)")
        if not hasattr(confluent_kafka, "ShareConsumer"):
            pytest.skip(f"confluent-kafka {confluent_kafka.version()[0]} has no ShareConsumer")
    brokers = broker_env("KFK_TEST_BROKERS")
    java = java_command()
    topic = create_topic(conn, partitions=1)
    group = share_group(conn, topic)

    kfk_members = [Member(f"kfk-{i}") for i in range(2)]
    ready = threading.Semaphore(0)
    threads = [threading.Thread(target=run_kfk, args=(m, brokers, topic, group, ready)) for m in kfk_members]
    members = list(kfk_members)
    if with_confluent:
        members.append(Member("confluent"))
        threads.append(threading.Thread(target=run_confluent, args=(members[-1], brokers, topic, group, ready)))
    java_member = Member("java")
    java_log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(java + [CONSOLE_SHARE_CONSUMER, "--bootstrap-server", brokers, "--topic", topic,
                                    "--group", group, "--enable-systest-events",
                                    "--formatter-property", "print.partition=true",
                                    "--formatter-property", "print.offset=true",
                                    "--formatter-property", "print.delivery=true"],
                            stdout=subprocess.PIPE, stderr=java_log, text=True)
    threads.append(threading.Thread(target=read_java, args=(java_member, proc)))
    members.append(java_member)
    for t in threads:
        t.start()
    produced = 0
    try:
        for _ in range(len(threads) - 1):
            assert ready.acquire(timeout=60)
        with kfk.Client(brokers=brokers, linger_ms=0) as p:
            p.connect()
            # Records come in batches until each member has some: a fetch
            # takes whole batches, so the members take turns.
            deadline = time.monotonic() + 120
            while not all(m.got for m in members) and time.monotonic() < deadline:
                if proc.poll() is not None:
                    java_log.seek(0)
                    pytest.fail(f"the Java share consumer exited: {java_log.read()[-2000:]}")
                assert [m.failure for m in members] == [None] * len(members)
                p.produce_values(topic, [b"%d" % (produced + i) for i in range(BATCH)], partition=0).result()
                produced += BATCH
                time.sleep(0.1)  # pacing: another member's fetch may come first
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if {o for m in members for o, _ in m.got} >= set(range(produced)):
                break
            time.sleep(0.2)
    finally:
        for m in members:
            m.stop.set()
        proc.send_signal(signal.SIGTERM)  # the console consumer closes: accepts what it printed, leaves
        try:
            proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
            java_log.close()
        for t in threads:
            t.join(60)

    assert [m.failure for m in members] == [None] * len(members)
    per_member = {m.name: len(m.got) for m in members}
    assert all(per_member.values()), f"a member received nothing: {per_member}"
    offsets = sorted(o for m in members for o, _ in m.got)
    assert offsets == list(range(produced)), f"lost or delivered twice: {per_member}"
    assert {d for m in members for _, d in m.got} == {1}

    # Nothing is left unaccepted: a new member's first records are one
    # produced now, not earlier ones delivered again.
    with kfk.Client(brokers=brokers) as c:
        c.connect()
        c.produce_values(topic, [b"last"], partition=0).result()
        c.share_subscribe([topic], group)
        got, deadline = [], time.monotonic() + 60
        while not got and time.monotonic() < deadline:
            got = c.share_consume()
        assert [(m.offset, m.value, m.delivery_count) for m in got] == [(produced, b"last", 1)]
