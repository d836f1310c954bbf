"""A group consumer as confluent-kafka's documentation writes one: the
basic poll loop with synchronous commits every MIN_COMMIT_COUNT messages,
rebalance callbacks, then a second member of the group that must go on
where the first committed. Prints what it saw as JSON.

    python consumer.py BROKERS TOPIC GROUP COUNT

The test produces COUNT messages to TOPIC before and, once the first
consumer has closed, one more ("after-close") to partition 0.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaError, KafkaException, TopicPartition

brokers, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
MIN_COMMIT_COUNT = 7
events = []


def on_assign(consumer, partitions):
    events.append(["assign", sorted(p.partition for p in partitions)])


def on_revoke(consumer, partitions):
    events.append(["revoke", sorted(p.partition for p in partitions)])


conf = {"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "smallest",
        "enable.auto.commit": False}
consumer = Consumer(conf)
mistakes = {}
try:
    consumer.commit(asynchronous=False)
except KafkaException as e:
    mistakes["commit_before_consuming"] = e.args[0].name()
mistakes["position_before"] = consumer.position([TopicPartition(topic, 0)])[0].offset == OFFSET_INVALID
consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)

messages, commits = [], []
deadline = time.monotonic() + 60
msg_count = 0
while len(messages) < count and time.monotonic() < deadline:
    msg = consumer.poll(timeout=1.0)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == KafkaError._PARTITION_EOF:
            continue
        raise KafkaException(msg.error())
    messages.append({"partition": msg.partition(), "offset": msg.offset(), "key": msg.key().decode(),
                     "value": msg.value().decode(), "headers": [[k, v.decode()] for k, v in msg.headers() or []],
                     "timestamp": [msg.timestamp()[0], msg.timestamp()[1] > 0], "len": len(msg)})
    last = msg
    msg_count += 1
    if msg_count % MIN_COMMIT_COUNT == 0:
        commits.append(sorted((tp.partition, tp.offset) for tp in consumer.commit(asynchronous=False)))
try:
    final = sorted((tp.partition, tp.offset) for tp in consumer.commit(asynchronous=False))
except KafkaException as e:  # everything was committed already
    final = e.args[0].name()
assignment = sorted(tp.partition for tp in consumer.assignment())
positions = sorted((tp.partition, tp.offset) for tp in consumer.position(consumer.assignment()))
committed = sorted((tp.partition, tp.offset) for tp in consumer.committed(consumer.assignment(), timeout=10))
try:
    consumer.seek(TopicPartition(topic + "-not-assigned", 0, 0))
except KafkaException as e:
    mistakes["seek_unassigned"] = e.args[0].name()
try:
    consumer.commit(message=last, offsets=[TopicPartition(topic, 0, 1)])
except ValueError:
    mistakes["commit_message_and_offsets"] = "ValueError"
low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
consumer.close()
try:
    consumer.poll(0)
except RuntimeError:
    mistakes["poll_after_close"] = "RuntimeError"

# Tell the test to produce one more message, then a second member goes on
# from the committed offsets: the first message it gets is that one.
print("READY", flush=True)
sys.stdin.readline()
second = Consumer(conf)
second.subscribe([topic])
first_of_second = None
deadline = time.monotonic() + 60
while first_of_second is None and time.monotonic() < deadline:
    msg = second.poll(1.0)
    if msg is not None and not msg.error():
        first_of_second = {"partition": msg.partition(), "offset": msg.offset(), "value": msg.value().decode()}
second.close()

print(json.dumps({"messages": sorted(messages, key=lambda m: (m["partition"], m["offset"])), "events": events,
                  "commits": len(commits), "final_commit_made": final != "_NO_OFFSET" or len(messages) % MIN_COMMIT_COUNT == 0,
                  "assignment": assignment, "positions": positions, "committed": committed,
                  "watermarks_p0": [low, high], "mistakes": mistakes, "second": first_of_second}, sort_keys=True))
