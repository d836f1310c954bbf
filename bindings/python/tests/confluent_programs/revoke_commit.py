"""Two members of a group with enable.auto.commit=false that commit in
on_revoke, the common confluent-kafka pattern: the first reads part of the
topic, then pauses; the second joins; the first commits what it processed
as its partitions are revoked, resumes, and the two read the rest. What
they read together must hold every message once. Prints JSON.

    python revoke_commit.py BROKERS TOPIC GROUP COUNT PARTITIONS eager|cooperative

The first member commits with commit(asynchronous=False) (eager) or
commit(asynchronous=True) (cooperative); the second with
commit(offsets=...), synchronously.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
count, partitions, mode = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
conf = {"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest",
        "enable.auto.commit": False}
if mode == "cooperative":
    conf["partition.assignment.strategy"] = "cooperative-sticky"

read = []  # (consumer, value) in the order read
revokes = {"first": [], "second": []}  # per on_revoke with partitions: did assignment() list them
commit_errors = []


def revoked(name, consumer, parts):
    listed = {(p.topic, p.partition) for p in consumer.assignment()}
    revokes[name].append(all((p.topic, p.partition) in listed for p in parts))


def on_revoke_first(consumer, parts):
    if not parts:
        return
    revoked("first", consumer, parts)
    try:
        consumer.commit(asynchronous=(mode == "cooperative"))
    except KafkaException as e:
        if e.args[0].code() != KafkaError._NO_OFFSET:  # nothing new since the last commit
            commit_errors.append(e.args[0].name())
    if mode == "cooperative":
        consumer.incremental_unassign(parts)


def on_revoke_second(consumer, parts):
    if not parts:
        return
    revoked("second", consumer, parts)
    positions = [tp for tp in consumer.position(parts) if tp.offset >= 0]
    if positions:
        try:
            consumer.commit(offsets=positions, asynchronous=False)
        except KafkaException as e:
            commit_errors.append(e.args[0].name())
    if mode == "cooperative":
        consumer.incremental_unassign(parts)


def on_commit(err, parts):
    if err is not None:
        commit_errors.append(err.name())


first = Consumer(dict(conf, on_commit=on_commit))
first.subscribe([topic], on_revoke=on_revoke_first)
deadline = time.monotonic() + 90
while len(read) < count // 3 and time.monotonic() < deadline:
    msg = first.poll(0.2)
    if msg is not None and not msg.error():
        read.append(("first", msg.value().decode()))
first.pause(first.assignment())

second = Consumer(conf)
second.subscribe([topic], on_revoke=on_revoke_second)
# Both serve their rebalances until the second member has partitions and
# the first has given some up and holds its new share; the first then
# reads again. (Resuming before that share arrives would resume nothing,
# and a client that keeps a partition's pause across an eager rebalance
# would leave it unread.)
resumed = False
while len({v for _, v in read}) < count and time.monotonic() < deadline:
    for name, consumer in (("first", first), ("second", second)):
        msg = consumer.poll(0.1)
        if msg is not None and not msg.error():
            read.append((name, msg.value().decode()))
    if not resumed and revokes["first"] and second.assignment() and first.assignment():
        first.resume(first.assignment())
        resumed = True
first.close()
second.close()

checker = Consumer(conf)
committed = checker.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
checker.close()

values = [v for _, v in read]
print(json.dumps({
    "duplicates": sorted({v for v in values if values.count(v) > 1}),
    "missing": sorted(set(f"v{i}" for i in range(count)) - set(values)),
    "both_read": sorted({name for name, _ in read}),
    "first_revoked": bool(revokes["first"]),
    "assignment_listed_revoked": all(revokes["first"] + revokes["second"]),
    "commit_errors": commit_errors,
    "committed": sorted((tp.partition, tp.offset) for tp in committed),
}, sort_keys=True))
