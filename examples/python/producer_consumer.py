"""Produce 1,000 keyed records with the cluster client, then read them back
as a member of a consumer group and commit.

    KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-example python3 producer_consumer.py
"""
import os

import kfk

brokers = os.environ.get("KAFKA_BROKER", "127.0.0.1:9092")
topic = os.environ.get("KAFKA_TOPIC", "kfk-example")
group = topic + "-group"

with kfk.Client(brokers=brokers, linger_ms=5, compression="lz4") as producer:
    producer.connect()
    producer.create_topics([{"name": topic, "num_partitions": 3, "replication_factor": 1}])
    producer.produce_many([{"topic": topic, "key": b"user-%d" % (i % 10), "value": b"event %d" % i}
                           for i in range(1000)])
    producer.flush()
    print("produced 1000 records to", topic)

with kfk.Client(brokers=brokers) as consumer:
    consumer.connect()
    consumer.subscribe([topic], group, auto_offset_reset="earliest",
                       on_assign=lambda parts: print("assigned", sorted(p["partition"] for p in parts)))
    seen = 0
    while seen < 1000:
        for msg in consumer.consume():
            seen += 1
    consumer.commit()
    print("consumed", seen, "records; lag now", consumer.group_lag(group))
    consumer.unsubscribe()
