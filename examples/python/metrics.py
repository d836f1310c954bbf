"""A live one-line summary from kfk's statistics: one client produces and
consumes (as a group member) for a few seconds, and each statistics
document becomes a line with the produce and consume rates, the lag and
the broker round trip.

    KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-metrics SECONDS=10 python3 metrics.py
"""
import os
import time

import kfk

brokers = os.environ.get("KAFKA_BROKER", "127.0.0.1:9092")
topic = os.environ.get("KAFKA_TOPIC", "kfk-metrics")
seconds = float(os.environ.get("SECONDS", "5"))
previous = {}


def summary(stats):
    """Prints the rates since the previous document."""
    global previous
    if previous:
        dt = (stats["ts_ms"] - previous["ts_ms"]) / 1000
        produced = (stats["msgs_produced"] - previous["msgs_produced"]) / dt
        consumed = (stats["msgs_consumed"] - previous["msgs_consumed"]) / dt
        lag = sum(p["consumer_lag"] for t in stats["topics"].values() for p in t["partitions"].values()
                  if p["consumer_lag"] >= 0)
        p99 = max((b["rtt_us"]["p99"] for b in stats["brokers"].values()), default=0)
        print(f"produced {produced:9.0f} msg/s  consumed {consumed:9.0f} msg/s  lag {lag:6d}  "
              f"queue {stats['queue_msgs']:6d}  rtt p99 {p99 / 1000:.1f} ms", flush=True)
    previous = stats


with kfk.Client(brokers=brokers, linger_ms=5, statistics_interval_ms=1000, on_stats=summary) as client:
    client.connect()
    client.subscribe([topic], topic + "-metrics", auto_offset_reset="earliest")
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        for _ in range(1000):
            try:
                client.produce(topic, b"reading %d" % i)
                i += 1
            except kfk.KafkaError:  # queue full: let deliveries catch up
                break
        client.consume(timeout=0.01)  # also runs the statistics callback
print(f"produced {i} records in {seconds:.0f} s")
