"""A consumer that holds partition 0 back from the moment it is assigned:
on_assign pauses it, as confluent-kafka's users do to keep a pause across
a rebalance; once partitions 1 and 2 are read to their end it resumes
partition 0 and reads it from its start. Prints what it saw as JSON.

    python pause_on_assign.py BROKERS TOPIC GROUP COUNT

The test produces COUNT messages to TOPIC's three partitions first.
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException, TopicPartition

brokers, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
per_partition = count // 3
conf = {"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest",
        "enable.auto.commit": False}
consumer = Consumer(conf)
held = TopicPartition(topic, 0)


def on_assign(c, parts):
    # Assigned here first: left to the library after on_assign returns,
    # librdkafka's assignment can land after the pause and undo it.
    c.assign(parts)
    if any(p.partition == 0 for p in parts):
        c.pause([held])


consumer.subscribe([topic], on_assign=on_assign)
seen = {0: [], 1: [], 2: []}
while_paused = 0
paused = True
while sum(map(len, seen.values())) < count:
    msg = consumer.poll(1.0)
    if msg is None:
        continue
    if msg.error():
        raise KafkaException(msg.error())
    if paused and msg.partition() == 0:
        while_paused += 1
    seen[msg.partition()].append(msg.offset())
    if paused and len(seen[1]) == len(seen[2]) == per_partition:
        consumer.resume([held])
        paused = False
consumer.close()
print(json.dumps({"offsets": {str(p): offs for p, offs in seen.items()}, "while_paused": while_paused}))
