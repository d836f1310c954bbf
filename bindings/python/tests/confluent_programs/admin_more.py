"""Groups' offsets, offsets lookups, topic descriptions, leader elections,
ACLs, SCRAM credentials and broker and group configs, as confluent-kafka's
documentation writes them. Prints the outcomes as JSON.

    python admin_more.py BROKERS TOPIC GROUP USER

TOPIC has 2 partitions and three records on partition 0, with timestamps
1000, 3000 and 2000. GROUP and USER do not exist yet.
"""
import json
import sys
import time

from confluent_kafka import (Consumer, ConsumerGroupTopicPartitions, ElectionType, KafkaException, TopicCollection,
                             TopicPartition)
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions, NewTopic,
                                   OffsetSpec, ResourcePatternType,
                                   ResourceType, ScramCredentialInfo, ScramMechanism, UserScramCredentialDeletion,
                                   UserScramCredentialUpsertion)

brokers, topic, group, user = sys.argv[1:5]
a = AdminClient({"bootstrap.servers": brokers})
out = {}


def name(key):
    return str(key).replace(topic, "T").replace(group, "G").replace(user, "U")


def outcome(futures, show=lambda r: "ok"):
    """Each future's result (as show shapes it), or the name of its error."""
    res = {}
    for key, f in futures.items():
        try:
            res[name(key)] = show(f.result())
        except KafkaException as e:
            res[name(key)] = e.args[0].name()
    return dict(sorted(res.items()))


def until(what, check, timeout=30):
    """check() once it is true, or its last value after timeout: the
    broker's metadata follows the controller a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def partitions(cgtp):
    return [[tp.partition, tp.offset, tp.error.name() if tp.error else None] for tp in cgtp.topic_partitions]


# A group's offsets set from outside it, then read back.
fs = a.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [
    TopicPartition(topic, 0, 2), TopicPartition(topic, 1, 0), TopicPartition(topic, 7, 1)])])
out["alter_offsets"] = outcome(fs, partitions)
fs = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0),
                                                                         TopicPartition(topic, 1)])])
out["committed"] = outcome(fs, partitions)

# The same group with a member: its offsets cannot be set, nor can it be deleted.
member = Consumer({"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest"})
member.subscribe([topic])
deadline = time.monotonic() + 60
while not member.assignment() and time.monotonic() < deadline:
    member.poll(0.2)
fs = a.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, 0)])])
out["alter_live"] = outcome(fs, partitions)
out["delete_live"] = outcome(a.delete_consumer_groups([group]))
described_group = a.describe_consumer_groups([group], include_authorized_operations=True)[group].result()
out["group_operations"] = sorted(op.name for op in described_group.authorized_operations)
out["group_operations_plain"] = a.describe_consumer_groups([group])[group].result().authorized_operations
member.close()
out["delete"] = until("the group deleted", lambda: (lambda r: r if r[name(group)] == "ok" else None)(
    outcome(a.delete_consumer_groups([group, group + "-missing"]))))

# Offsets by spec.
show_offset = lambda r: [r.offset, r.timestamp, r.leader_epoch is not None]  # noqa: E731
out["offsets"] = outcome(a.list_offsets({TopicPartition(topic, 0): OffsetSpec.latest(),
                                         TopicPartition(topic, 1): OffsetSpec.earliest(),
                                         TopicPartition(topic + "-missing", 0): OffsetSpec.latest()}), show_offset)
out["by_time"] = outcome(a.list_offsets({TopicPartition(topic, 0): OffsetSpec.for_timestamp(1500)}), show_offset)
out["max_time"] = outcome(a.list_offsets({TopicPartition(topic, 0): OffsetSpec.max_timestamp()}), show_offset)


def describe(d):
    return {"name": name(d.name), "id_chars": len(str(d.topic_id)), "internal": d.is_internal,
            "partitions": [[p.id, p.leader.id == p.replicas[0].id, len(p.replicas), len(p.isr)]
                           for p in d.partitions],
            "operations": sorted(op.name for op in d.authorized_operations or [])}


out["topics"] = outcome(a.describe_topics(TopicCollection([topic, topic + "-missing"]),
                                          include_authorized_operations=True), describe)
out["topics_plain"] = outcome(a.describe_topics(TopicCollection([topic])), describe)

elected = a.elect_leaders(ElectionType.PREFERRED, [TopicPartition(topic, 0), TopicPartition(topic, 7)]).result()
out["elect"] = sorted([tp.partition, err.name() if err else None] for tp, err in elected.items())

# ACLs: the test broker has no authorizer.
binding = AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, "User:alice", "*", AclOperation.READ,
                     AclPermissionType.ALLOW)
out["create_acls"] = outcome(a.create_acls([binding]))
out["delete_acls"] = outcome(a.delete_acls([AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None,
                                                             None, AclOperation.ANY, AclPermissionType.ANY)]))

# SCRAM credentials of a new user.
show_creds = lambda d: sorted([c.mechanism.name, c.iterations] for c in d.scram_credential_infos)  # noqa: E731
out["scram_set"] = outcome(a.alter_user_scram_credentials([UserScramCredentialUpsertion(
    user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), b"secret")]))
out["scram_described"] = until("the credential described", lambda: (
    lambda r: r if r[name(user)] != "RESOURCE_NOT_FOUND" else None)(
    outcome(a.describe_user_scram_credentials([user, user + "-missing"]), show_creds)))
out["scram_everyone"] = show_creds(a.describe_user_scram_credentials().result()[user])
out["scram_few_iterations"] = outcome(a.alter_user_scram_credentials([UserScramCredentialUpsertion(
    user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 100), b"secret")]))
out["scram_deleted"] = outcome(a.alter_user_scram_credentials([UserScramCredentialDeletion(
    user, ScramMechanism.SCRAM_SHA_256)]))
out["scram_after"] = until("the credential gone", lambda: (
    lambda r: r if r[name(user)] == "RESOURCE_NOT_FOUND" else None)(
    outcome(a.describe_user_scram_credentials([user]), show_creds)))

# A broker's and a group's configs.
node = str(a.describe_cluster().result().nodes[0].id)
broker = ConfigResource(ResourceType.BROKER, node)
configs = a.describe_configs([broker])[broker].result()
out["broker_config"] = [configs["num.io.threads"].value is not None, configs["num.io.threads"].is_read_only]
group_res = ConfigResource(ResourceType.GROUP, group, incremental_configs=[
    ConfigEntry("consumer.session.timeout.ms", "50000", incremental_operation=AlterConfigOpType.SET)])
out["group_validate"] = outcome(a.incremental_alter_configs([group_res], validate_only=True))
described = lambda: a.describe_configs([group_res])[group_res].result()["consumer.session.timeout.ms"].value  # noqa
out["group_after_validate"] = described()
out["group_set"] = outcome(a.incremental_alter_configs([group_res]))
out["group_after_set"] = until("the group config set", lambda: described() == "50000" and "50000")

# alter_configs replaces a group's configuration: what is not given goes back to its default.
plain_group = ConfigResource(ResourceType.GROUP, group, set_config={"consumer.heartbeat.interval.ms": "6000"})
out["group_replace"] = outcome(a.alter_configs([plain_group]))
group_now = lambda: {k: v.value for k, v in a.describe_configs([plain_group])[plain_group].result().items()  # noqa
                     if k in ("consumer.heartbeat.interval.ms", "consumer.session.timeout.ms")}
out["group_replaced"] = until("the group config replaced",
                              lambda: group_now()["consumer.session.timeout.ms"] != "50000" and group_now())
out["broker_validate"] = outcome(a.alter_configs([ConfigResource(ResourceType.BROKER, node, set_config={
    "log.cleaner.threads": "2"})], validate_only=True))

# Validation only: nothing is created or grown.
out["validate_create"] = outcome(a.create_topics([NewTopic(topic + "-new", 2, 1), NewTopic(topic + "-bad", 0, 1)],
                                                 validate_only=True))
out["validated_exists"] = outcome(a.describe_topics(TopicCollection([topic + "-new"])), lambda d: "exists")
out["validate_grow"] = outcome(a.create_partitions([NewPartitions(topic, 4)], validate_only=True))
out["validate_shrink"] = outcome(a.create_partitions([NewPartitions(topic, 1)], validate_only=True))
out["partitions_after"] = len(a.describe_topics(TopicCollection([topic]))[topic].result().partitions)
cluster = a.describe_cluster(include_authorized_operations=True).result()
out["cluster_operations"] = "ALTER_CONFIGS" in [op.name for op in cluster.authorized_operations]
out["cluster_plain"] = a.describe_cluster().result().authorized_operations

# Partitions placed by hand.
n = int(node)
out["placed_checks"] = {}
for label, nt in [("no_count", NewTopic(topic + "-p0", replica_assignment=[[n]])),
                  ("with_factor", NewTopic(topic + "-p1", 1, 1, replica_assignment=[[n]])),
                  ("outer_size", NewTopic(topic + "-p2", 2, replica_assignment=[[n]]))]:
    try:
        a.create_topics([nt])
        out["placed_checks"][label] = "accepted"
    except ValueError:
        out["placed_checks"][label] = "ValueError"
out["placed_validate"] = outcome(a.create_topics([NewTopic(topic + "-placed", 2, replica_assignment=[[n], [n]]),
                                                  NewTopic(topic + "-unplaced", 1, 1)], validate_only=True))
out["placed_create"] = outcome(a.create_topics([NewTopic(topic + "-placed", 2, replica_assignment=[[n], [n]]),
                                                NewTopic(topic + "-elsewhere", 1, replica_assignment=[[n + 50]]),
                                                NewTopic(topic + "-ragged", 2, replica_assignment=[[n], [n, n]])]))
out["placed_grow"] = outcome(a.create_partitions([NewPartitions(topic + "-placed", 3, replica_assignment=[[n]])]))
out["placed_grow_short"] = outcome(a.create_partitions([NewPartitions(topic + "-placed", 5, replica_assignment=[[n]])]))
out["placed_partitions"] = len(a.describe_topics(TopicCollection([topic + "-placed"]))[topic + "-placed"].result()
                               .partitions)

print(json.dumps(out))
