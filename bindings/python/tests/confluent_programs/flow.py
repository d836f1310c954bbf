"""A consumer doing flow control and at-least-once processing the way
confluent-kafka's documentation suggests: enable.auto.offset.store=false
with store_offsets() once a message is processed, pause() of a partition
whose work has to wait and resume() once the others are done, then a
commit of what was stored. Prints what it saw as JSON.

    python flow.py BROKERS TOPIC GROUP COUNT

The test produces COUNT messages to TOPIC's three partitions first; the
last message of partition 2 fails to process (it is never stored).
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException, TopicPartition

brokers, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
per_partition = count // 3
conf = {"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest",
        "enable.auto.commit": False, "enable.auto.offset.store": False}
consumer = Consumer(conf)
assigned = []
consumer.subscribe([topic], on_assign=lambda c, parts: assigned.extend(p.partition for p in parts))
seen = {0: [], 1: [], 2: []}
paused = False
while_paused = 0
resumed_from = None
while sum(map(len, seen.values())) < count:
    msg = consumer.poll(1.0)
    if msg is None:
        continue
    if msg.error():
        raise KafkaException(msg.error())
    part = msg.partition()
    if paused and part == 0:
        while_paused += 1
    if part == 0 and not seen[0]:
        consumer.pause([TopicPartition(topic, 0)])  # partition 0's work waits for the others
        paused = True
    elif resumed_from is None and part == 0:
        resumed_from = msg.offset()
    seen[part].append(msg.offset())
    if not (part == 2 and msg.offset() == per_partition - 1):
        consumer.store_offsets(message=msg)
    if paused and len(seen[1]) == len(seen[2]) == per_partition:
        consumer.resume([TopicPartition(topic, 0)])
        paused = False
member = consumer.memberid()
commit = consumer.commit(asynchronous=False)
committed = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
consumer.close()
print(json.dumps({
    "assigned": sorted(assigned),
    "offsets": {str(p): offs for p, offs in seen.items()},
    "while_paused": while_paused,
    "resumed_from": resumed_from,
    "member": bool(member),
    "commit": sorted([tp.partition, tp.offset] for tp in commit),
    "committed": [[tp.partition, tp.offset] for tp in committed],
}))
