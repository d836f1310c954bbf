"""Produce three records to partition 0 of a topic and fetch them back
with the low-level Conn API.

    KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-example python3 conn_produce_fetch.py
"""
import os
import time

import kfk

host, port = os.environ.get("KAFKA_BROKER", "127.0.0.1:9092").rsplit(":", 1)
topic = os.environ.get("KAFKA_TOPIC", "kfk-example")

with kfk.Conn(client_id="kfk-example") as conn:
    conn.connect(host, int(port)).result()
    # Metadata for a new topic creates it when the broker auto-creates topics.
    for _ in range(100):
        md = conn.metadata([topic]).result()["topics"][0]
        if md["error_code"] == 0 and md["partitions"] and md["partitions"][0]["leader"] >= 0:
            break
        time.sleep(0.1)
    res = conn.produce_batch(topic, 0, [
        {"key": b"k1", "value": b"hello", "headers": {"source": b"python-example"}},
        {"key": b"k2", "value": b"world"},
        {"key": None, "value": b"no key"},
    ], acks=-1, compression="zstd").result()
    base = res["topics"][0]["partitions"][0]["base_offset"]
    print("produced at offset", base)
    for rec in conn.fetch(topic, 0, base).result()["topics"][0]["partitions"][0]["records"]:
        print(rec["offset"], rec["key"], rec["value"], rec.get("headers", {}))
