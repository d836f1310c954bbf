"""Exactly-once: read records, write a transformed copy to another topic
and commit the input offsets in the same transaction.

    KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-example python3 transactional.py
"""
import os

import kfk

brokers = os.environ.get("KAFKA_BROKER", "127.0.0.1:9092")
source = os.environ.get("KAFKA_TOPIC", "kfk-example")
sink = source + "-upper"
group = source + "-eos"

with kfk.Client(brokers=brokers) as setup:
    setup.connect()
    setup.create_topics([{"name": source, "num_partitions": 1}, {"name": sink, "num_partitions": 1}])
    setup.produce_many([{"topic": source, "value": b"record %d" % i} for i in range(100)])
    setup.flush()

with kfk.Client(brokers=brokers, transactional_id=group + "-tx", isolation_level="read_committed") as eos:
    eos.connect()
    eos.subscribe([source], group, auto_offset_reset="earliest", auto_commit=False)
    done = 0
    while done < 100:
        batch = eos.consume()
        if not batch:
            continue
        eos.begin_transaction()
        for msg in batch:
            eos.produce(sink, msg.value.upper(), key=msg.key)
        eos.send_offsets_to_transaction(group)
        eos.commit_transaction()
        done += len(batch)
        print("committed a transaction of", len(batch), "records")
    eos.unsubscribe()
print("copied", done, "records from", source, "to", sink, "exactly once")
