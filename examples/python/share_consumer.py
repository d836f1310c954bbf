"""Read a topic as one member of a share group (KIP-932): the group's
members share its partitions, the broker handing each record to one of
them. Each record is accepted explicitly, then printed as partition:offset.
Exits after --count records, or once nothing came for 10 seconds.

    python3 share_consumer.py 127.0.0.1:9092 TOPIC GROUP --count 100

A new share group starts at the latest record: produce after starting, or
set the group's share.auto.offset.reset to earliest first
(kafka-configs.sh --entity-type groups --entity-name GROUP --alter
--add-config share.auto.offset.reset=earliest).
"""
import argparse
import sys
import time

import kfk

IDLE_SECONDS = 10

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("brokers")
parser.add_argument("topic")
parser.add_argument("group")
parser.add_argument("--count", type=int, required=True, help="records to accept before exiting")
args = parser.parse_args()

with kfk.Client(brokers=args.brokers) as client:
    client.connect()
    client.share_subscribe([args.topic], args.group, acknowledgement_mode="explicit")
    accepted, last = 0, time.monotonic()
    while accepted < args.count and time.monotonic() - last < IDLE_SECONDS:
        for msg in client.share_consume():
            if accepted == args.count:
                # More than asked for: release it to the group's other members.
                client.share_acknowledge(msg, "release")
                continue
            client.share_acknowledge(msg, "accept")
            print(f"{msg.partition}:{msg.offset}")
            accepted += 1
            last = time.monotonic()
    # Settle now rather than with the next fetch; a partition whose
    # acknowledgement failed (its lock ran out) has its records delivered again.
    failed = [r for r in client.share_commit() if r["error_code"]]
    for r in failed:
        print(f"partition {r['partition']}: {kfk.error_name(r['error_code'])}", file=sys.stderr)
    client.share_unsubscribe()
    print(f"accepted {accepted} records", file=sys.stderr)
sys.exit(1 if failed else 0)
