"""What an operator asks of a cluster: its brokers, a topic's configs,
more partitions, and the consumer groups.

    KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-example python3 admin.py
"""
import os

import kfk

brokers = os.environ.get("KAFKA_BROKER", "127.0.0.1:9092")
topic = os.environ.get("KAFKA_TOPIC", "kfk-example")

with kfk.Client(brokers=brokers) as admin:
    admin.connect()
    cluster = admin.describe_cluster()
    print("cluster", cluster["cluster_id"], "brokers", [f'{b["host"]}:{b["port"]}' for b in cluster["brokers"]])

    created = admin.create_topics([{"name": topic, "num_partitions": 1, "config": {"retention.ms": "3600000"}}])
    print("create", topic, kfk.error_name(created["topics"][0]["error_code"]))
    admin.alter_topic_configs(topic, {"cleanup.policy": "compact"})
    admin.create_partitions(topic, 4)
    configs = admin.describe_topic_configs([topic])["topics"][0]["configs"]
    for key in ("retention.ms", "cleanup.policy"):
        print(f'{key} = {configs[key]["value"]} ({configs[key]["source"]})')
    for group in admin.list_groups()["groups"]:
        print("group", group["group_id"], group["state"])
    admin.delete_topics([topic])
