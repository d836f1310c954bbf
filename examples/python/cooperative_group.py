"""Two members of one consumer group with cooperative-sticky (KIP-429):
the first owns all six partitions; when the second joins, the first gives
up only the three that move (its on_revoke lists just those) and keeps
reading the others, and the second is assigned those three.

    KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-coop python3 cooperative_group.py
"""
import os
import time

import kfk

brokers = os.environ.get("KAFKA_BROKER", "127.0.0.1:9092")
topic = os.environ.get("KAFKA_TOPIC", "kfk-coop")
group = topic + "-group"


def member(name):
    client = kfk.Client(brokers=brokers)
    client.connect()
    parts = set()

    def assigned(given):
        parts.update(p["partition"] for p in given)
        print(name, "assigned", sorted(p["partition"] for p in given))

    def revoked(taken):
        parts.difference_update(p["partition"] for p in taken)
        print(name, "revoked", sorted(p["partition"] for p in taken))

    client.subscribe([topic], group, partition_assignment_strategy="cooperative-sticky",
                     auto_offset_reset="earliest", on_assign=assigned, on_revoke=revoked)
    return client, parts


def serve(clients, until, seconds=30):
    """Consume with every member (the callbacks run here) until until()."""
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        for c in clients:
            c.consume(0.1)
    if not until():
        raise SystemExit("the group did not settle")


with kfk.Client(brokers=brokers) as admin:
    admin.connect()
    admin.create_topics([{"name": topic, "num_partitions": 6, "replication_factor": 1}])

first, first_parts = member("first")
serve([first], lambda: len(first_parts) == 6)
second, second_parts = member("second")
serve([first, second], lambda: len(first_parts) == 3 and len(second_parts) == 3)
print("first keeps", sorted(first_parts), "- second has", sorted(second_parts))
for c in (second, first):
    c.close()
