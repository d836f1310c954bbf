"""A share group consumer written the way confluent-kafka's documentation
writes one: the group set to start at the earliest record through the
admin API, a ShareConsumer in explicit acknowledgement mode that releases
one record, rejects one and accepts the rest, committing with
commit_sync() and hearing the results in the acknowledgement commit
callback. Then a second member in implicit mode gets the released record
(delivered a second time) and nothing else. Prints what it saw as JSON.

    python share.py BROKERS TOPIC GROUP COUNT

The test produces COUNT messages to TOPIC's two partitions first.
"""
import json
import sys
import time

from confluent_kafka import AcknowledgeType, IllegalStateException, KafkaException, ShareConsumer
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

brokers, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

admin = AdminClient({"bootstrap.servers": brokers})
reset = ConfigResource(ResourceType.GROUP, group, incremental_configs=[
    ConfigEntry("share.auto.offset.reset", "earliest", incremental_operation=AlterConfigOpType.SET)])
for future in admin.incremental_alter_configs([reset]).values():
    future.result(30)

consumer = ShareConsumer({"bootstrap.servers": brokers, "group.id": group,
                          "share.acknowledgement.mode": "explicit"})
reported = {}
failures = []


def on_commit(offsets, exception):
    if exception is not None:
        failures.append(str(exception))
    for tp, done in offsets.items():
        reported.setdefault(f"{tp.topic == topic}:{tp.partition}", set()).update(done)


consumer.set_acknowledgement_commit_callback(on_commit)
consumer.subscribe([topic])
seen = []
released = rejected = None
refused = {}
deadline = time.monotonic() + 120
while len({(s[0], s[1]) for s in seen}) < count and time.monotonic() < deadline:
    batch = consumer.poll(1.0)
    if not batch.is_empty() and "poll" not in refused:
        try:
            consumer.poll(0)  # explicit mode: the batch must be acknowledged first
        except IllegalStateException:
            refused["poll"] = "IllegalStateException"
    for msg in batch:
        if msg.error():
            raise KafkaException(msg.error())
        where = (msg.partition(), msg.offset())
        if rejected is None:
            rejected = where
            ack, what = AcknowledgeType.REJECT, "rejected"
        elif len({(s[0], s[1]) for s in seen}) == count - 1:
            released = where  # the last record: it goes to the second member
            ack, what = AcknowledgeType.RELEASE, "released"
        else:
            ack, what = AcknowledgeType.ACCEPT, "accepted"
        consumer.acknowledge(msg, ack)
        seen.append([msg.partition(), msg.offset(), msg.delivery_count(), what, msg.value().decode()])
    if not batch.is_empty():
        results = consumer.commit_sync()
        assert all(r is None for r in results.values()), results
        assert all(tp.topic == topic for tp in results), results
        if "committed" not in refused:
            try:
                consumer.acknowledge(batch[0])  # settled and committed already
            except IllegalStateException:
                refused["committed"] = "IllegalStateException"
consumer.close()
try:
    consumer.poll(0)
except IllegalStateException:
    refused["closed"] = "IllegalStateException"

# A second member, implicit mode: the released record comes back to it,
# the accepted and rejected ones never do.
second = ShareConsumer({"bootstrap.servers": brokers, "group.id": group})
second.subscribe([topic])
later = []
end = time.monotonic() + 60
while not later and time.monotonic() < end:
    later.extend([m.partition(), m.offset(), m.delivery_count()] for m in second.poll(0.5))
end = time.monotonic() + 3
while time.monotonic() < end:
    later.extend([m.partition(), m.offset(), m.delivery_count()] for m in second.poll(0.5))
subscription = second.subscription()
second.close()

print(json.dumps({
    "records": sorted({(s[0], s[1], s[4]) for s in seen}),
    "released": [[s[2], s[3]] for s in seen if (s[0], s[1]) == released],
    "released_later": later == [[released[0], released[1], 2]],
    "rejected": [[s[2], s[3]] for s in seen if (s[0], s[1]) == rejected],
    "others_delivered": sorted({s[2] for s in seen if (s[0], s[1]) not in (released, rejected)}),
    "reported": {k: sorted(v) for k, v in sorted(reported.items())},
    "failures": failures,
    "refused": refused,
    "subscription": subscription == [topic],
}))
