"""Administration as confluent-kafka's documentation writes it: calls
return futures keyed by topic or resource. Prints the outcomes as JSON.

    python admin.py BROKERS TOPIC GROUP

GROUP has one member, started by the test, consuming another topic while this runs.
"""
import json
import sys
import time

from confluent_kafka import ConsumerGroupState, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic

brokers, topic, group = sys.argv[1:4]
a = AdminClient({"bootstrap.servers": brokers})
out = {}


def outcome(futures):
    """Each future's result, or the name of the error it raised."""
    res = {}
    for key, f in futures.items():
        try:
            f.result()
            res[str(key).replace(topic, "T")] = "ok"
        except KafkaException as e:
            res[str(key).replace(topic, "T")] = e.args[0].name()
    return res


out["create"] = outcome(a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1,
                                                  config={"retention.ms": "3600000"})]))
out["create_again"] = outcome(a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)]))
out["create_bad"] = outcome(a.create_topics([NewTopic(topic + "-bad", num_partitions=0, replication_factor=1)]))
out["grow"] = outcome(a.create_partitions([NewPartitions(topic, 5)]))
out["shrink"] = outcome(a.create_partitions([NewPartitions(topic, 2)]))

deadline = time.monotonic() + 30
while time.monotonic() < deadline:  # until the metadata shows five partitions
    md = a.list_topics(timeout=10)
    if topic in md.topics and len(md.topics[topic].partitions) == 5:
        break
out["partitions"] = sorted(md.topics[topic].partitions)
out["leaders_known"] = all(p.leader in md.brokers for p in md.topics[topic].partitions.values())

resource = ConfigResource("topic", topic)
configs = a.describe_configs([resource])[resource].result()
out["retention"] = [configs["retention.ms"].value, configs["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value]
out["cleanup_default"] = configs["cleanup.policy"].is_default
a.alter_configs([ConfigResource("topic", topic, set_config={"max.message.bytes": "200000"})])[resource].result()
# The controller has the change once alter_configs returns; the broker that
# answers describe_configs applies it a moment later.
deadline = time.monotonic() + 30
while True:
    configs = a.describe_configs([resource])[resource].result()
    if configs["max.message.bytes"].value == "200000" or time.monotonic() > deadline:
        break
    time.sleep(0.05)
# alter_configs replaces the topic's configuration: retention.ms is back to its default.
out["after_alter"] = [configs["max.message.bytes"].value, configs["retention.ms"].is_default]

groups = a.list_consumer_groups().result()
listed = [g for g in groups.valid if g.group_id == group]
out["group_listed"] = [len(listed), listed and listed[0].state == ConsumerGroupState.STABLE,
                       listed and listed[0].is_simple_consumer_group]
desc = a.describe_consumer_groups([group])[group].result()
out["group"] = {"state": desc.state.name, "assignor": desc.partition_assignor, "members": len(desc.members),
                "assigned": sorted((tp.topic.replace(topic, "T"), tp.partition)
                                   for m in desc.members for tp in m.assignment.topic_partitions)}

out["delete"] = outcome(a.delete_topics([topic, topic + "-missing"], operation_timeout=30))
print(json.dumps(out, sort_keys=True))
