"""A producer as confluent-kafka's documentation writes one: produce with a
delivery callback, serve callbacks with poll(), flush() at the end. It
prints what the callbacks saw, and what the same mistakes raise, as JSON.

    python producer.py BROKERS TOPIC
"""
import json
import sys

from confluent_kafka import KafkaError, KafkaException, Producer

brokers, topic = sys.argv[1:3]
reports = []


def delivery_report(err, msg):
    """Called once for each message produced, from poll() or flush()."""
    if err is not None:
        reports.append({"error": err.name(), "partition": msg.partition(), "value": msg.value().decode()})
    else:
        reports.append({"partition": msg.partition(), "offset": msg.offset(),
                        "key": None if msg.key() is None else msg.key().decode(), "value": msg.value().decode(),
                        "timestamp_type": msg.timestamp()[0], "latency_known": msg.latency() is not None})


p = Producer({"bootstrap.servers": brokers, "client.id": "docs-producer", "linger.ms": 10})
for i in range(60):
    p.poll(0)
    key = None if i % 10 == 9 else "user-%d" % (i % 7)
    p.produce(topic, value="event-%d" % i, key=key, callback=delivery_report,
              headers=[("seq", str(i).encode()), ("empty", None)])
p.produce(topic, value="explicit", partition=2, on_delivery=delivery_report, timestamp=1700000000000)
waiting = len(p) > 0  # how many depends on how fast reports come back
left = p.flush(30)

mistakes = {}
try:  # the topic's partitions are known by now
    p.produce(topic, value="no such partition", partition=99, on_delivery=delivery_report)
except KafkaException as e:
    mistakes["no_such_partition"] = e.args[0].name()
try:
    p.produce(topic, value=b"x" * 2000000)
except KafkaException as e:
    mistakes["too_large"] = e.args[0].name()
try:
    p.produce(topic, value=12)
except TypeError:
    mistakes["int_value"] = "TypeError"
try:
    p.begin_transaction()
except KafkaException as e:
    mistakes["txn_without_id"] = e.args[0].name()
try:
    Producer({"bootstrap.servers": brokers, "no.such.property": 1})
except KafkaException as e:
    mistakes["unknown_property"] = e.args[0].code() == KafkaError._INVALID_ARG and "no.such.property" in str(e)

small = Producer({"bootstrap.servers": brokers, "queue.buffering.max.messages": 5})
accepted = 0
try:
    for i in range(6):
        small.produce(topic, value="small-%d" % i, partition=0)
        accepted += 1
except BufferError:
    mistakes["buffer_full_after"] = accepted
small.flush(30)
p.close()
try:
    p.produce(topic, value="closed")
except RuntimeError:
    mistakes["produce_after_close"] = "RuntimeError"

print(json.dumps({"reports": reports, "waiting_before_flush": waiting, "left_after_flush": left,
                  "mistakes": mistakes}, sort_keys=True))
