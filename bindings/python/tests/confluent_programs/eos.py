"""A transactional consume-transform-produce loop as confluent-kafka's
documentation describes it: read INPUT in a group with auto-commit off,
write each message upper-cased to OUTPUT, and commit the consumed
positions with the transaction. One more transaction is aborted. A
read_committed consumer then reads OUTPUT. Prints the results as JSON.

    python eos.py BROKERS INPUT OUTPUT GROUP TXN_ID COUNT
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

brokers, input_topic, output_topic, group, txn_id, count = sys.argv[1:6] + [int(sys.argv[6])]
out = {"mistakes": {}}

consumer = Consumer({"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest",
                     "enable.auto.commit": False})
producer = Producer({"bootstrap.servers": brokers, "transactional.id": txn_id})
try:
    producer.begin_transaction()
except KafkaException as e:
    out["mistakes"]["begin_before_init"] = e.args[0].name()
producer.init_transactions(30)
try:
    producer.produce(output_topic, value=b"outside")
except KafkaException as e:
    out["mistakes"]["produce_outside_transaction"] = e.args[0].name()
try:
    producer.commit_transaction(10)
except KafkaException as e:
    out["mistakes"]["commit_without_begin"] = e.args[0].name()

consumer.subscribe([input_topic])
processed = 0
transactions = 0
deadline = time.monotonic() + 90
while processed < count and time.monotonic() < deadline:
    msgs = consumer.consume(num_messages=5, timeout=1.0)
    if not msgs:
        continue
    producer.begin_transaction()
    for msg in msgs:
        if msg.error():
            raise KafkaException(msg.error())
        producer.produce(output_topic, key=msg.key(), value=msg.value().upper(), partition=msg.partition())
        processed += 1
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                         consumer.consumer_group_metadata())
    producer.commit_transaction()
    transactions += 1
out["processed"] = processed
out["committed_offsets"] = sorted((tp.partition, tp.offset)
                                  for tp in consumer.committed(consumer.assignment(), timeout=10))

producer.begin_transaction()
try:
    producer.begin_transaction()
except KafkaException as e:
    out["mistakes"]["begin_twice"] = e.args[0].name()
producer.produce(output_topic, value=b"ABORTED", partition=0)
producer.abort_transaction()
producer.begin_transaction()
producer.produce(output_topic, value=b"SENTINEL", partition=0)
producer.commit_transaction()
consumer.close()

# A read_committed reader sees every transformed message and the sentinel,
# written after the aborted record: had that been visible, it would be read.
reader = Consumer({"bootstrap.servers": brokers, "group.id": group + "-reader", "auto.offset.reset": "earliest",
                   "isolation.level": "read_committed", "enable.auto.commit": False})
reader.assign([TopicPartition(output_topic, p, 0) for p in range(3)])
seen = []
deadline = time.monotonic() + 60
while not any(v == "SENTINEL" for _, _, v in seen) and time.monotonic() < deadline:
    msg = reader.poll(1.0)
    if msg is not None and not msg.error():
        seen.append([msg.partition(), msg.key() and msg.key().decode(), msg.value().decode()])
while len(seen) < processed + 1 and time.monotonic() < deadline:
    msg = reader.poll(1.0)
    if msg is not None and not msg.error():
        seen.append([msg.partition(), msg.key() and msg.key().decode(), msg.value().decode()])
reader.close()
out["output"] = sorted(seen, key=str)
out["transactions"] = transactions > 0
print(json.dumps(out, sort_keys=True))
