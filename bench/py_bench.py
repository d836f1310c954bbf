#!/usr/bin/env python3
"""The Python side of the benchmark: kfk's binding, confluent-kafka and
kafka-python doing kfk_bench.c's work, one client and mode per process.

    py_bench.py CLIENT produce|consume|latency brokers topic count size acks compression
    py_bench.py CLIENT share brokers topic count group

CLIENT is kfk (Client.produce with a callback per record), kfk-values
(Client.produce_values, 10,000 records a call), kfk-many
(Client.produce_many, 10,000 records a call), confluent or kafka-python.
share (kfk and confluent) reads count records of the topic's share group
`group` (KIP-932; the group must start at the earliest record), each
accepted implicitly. Joining the group takes seconds (the heartbeat
interval), so it is left out: msgs= are the records after the first, timed
from the first one's arrival to the last's, as ShareConsumerPerformance's
intervals allow for Java; records= are all of them.

Prints kfk_bench's report line, with cpu_us_per_msg: the process's user +
system CPU (every thread's) over the timed part, per record. Settings match
kfk_bench: linger 5 ms (0 and one request in flight for latency), batches
up to 1 MB, partition 0, the consumer reads from the earliest offset
without a group commit.
"""
import importlib
import os
import sys
import time


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


class Tally:
    """A produce run's delivery reports: done counts the records reported,
    failed those reported with an error. Each client counts them from a
    callback in its own API's signature, made once per run, the way an
    application passes one: every client pays one Python call per report
    and no callable made per record."""

    def __init__(self):
        self.done = self.failed = 0

    def add(self, n, errors):
        """A bulk call's report: n records, errors those that failed."""
        self.done += n
        self.failed += len(errors or ())


class Kfk:
    def __init__(self, brokers, mode, acks, compression):
        import kfk
        linger = 0 if mode == "latency" else 5
        self.client = kfk.Client(brokers=brokers, acks=1 if mode == "latency" else acks, linger_ms=linger,
                                 compression=compression, batch_size=1000000, max_in_flight=5)
        self.client.connect()

    def produce(self, topic, value, count, tally):
        def on_done(_report, err):
            tally.done += 1
            if err is not None:
                tally.failed += 1

        produce = self.client.produce
        for i in range(count):
            produce(topic, value, partition=0, callback=on_done)
            if i & 1023 == 0:
                self.client.poll(0)

    def wait(self, pending):
        while pending():
            self.client.poll(0.05)

    def round_trip(self, topic, value):
        self.client.produce(topic, value, partition=0).result()

    def consume(self, topic, count):
        self.client.assign([{"topic": topic, "partition": 0, "offset": -2}])
        got = nbytes = 0
        while got < count:
            for m in self.client.consume():
                got += 1
                nbytes += len(m.value)
        return got, nbytes

    def share(self, topic, group, count, on_first):
        self.client.share_subscribe([topic], group)
        got = nbytes = 0
        while got < count:
            for m in self.client.share_consume():
                if not got:
                    on_first()
                got += 1
                nbytes += len(m.value)
        return got, nbytes

    def share_done(self):
        self.client.share_commit()


CHUNK = 10000


class KfkValues(Kfk):
    """Client.produce_values: one call into the library per CHUNK records."""

    def produce(self, topic, value, count, tally):
        produce_values = self.client.produce_values
        for start in range(0, count, CHUNK):
            n = min(CHUNK, count - start)
            produce_values(topic, [value] * n, partition=0, callback=lambda errors, n=n: tally.add(n, errors))
            self.client.poll(0)


class KfkMany(Kfk):
    """Client.produce_many: one call into the library per CHUNK records."""

    def produce(self, topic, value, count, tally):
        produce_many = self.client.produce_many
        for start in range(0, count, CHUNK):
            n = min(CHUNK, count - start)
            produce_many([{"topic": topic, "value": value, "partition": 0}] * n,
                         callback=lambda errors, n=n: tally.add(n, errors))
            self.client.poll(0)


class Confluent:
    module = "confluent_kafka"

    def __init__(self, brokers, mode, acks, compression):
        confluent_kafka = importlib.import_module(self.module)
        self.ck = confluent_kafka
        common = {"bootstrap.servers": brokers, "socket.nagle.disable": True}
        if mode == "consume":
            self.consumer = confluent_kafka.Consumer({**common, "group.id": "py-bench", "enable.auto.commit": False})
            return
        if mode == "share":
            self.common = common
            return
        latency = mode == "latency"
        self.producer = confluent_kafka.Producer({
            **common, "acks": 1 if latency else int(acks), "linger.ms": 0 if latency else 5,
            "compression.type": compression, "batch.size": 1000000, "queue.buffering.max.messages": 1000000,
            "max.in.flight": 1 if latency else 5})
        self.producer.list_topics(timeout=10)

    def produce(self, topic, value, count, tally):
        def on_delivery(err, _msg):
            tally.done += 1
            if err is not None:
                tally.failed += 1

        produce, poll = self.producer.produce, self.producer.poll
        for i in range(count):
            while True:
                try:
                    produce(topic, value, partition=0, on_delivery=on_delivery)
                    break
                except BufferError:
                    poll(0.01)
            if i & 1023 == 0:
                poll(0)

    def wait(self, pending):
        while pending():
            self.producer.poll(0.05)

    def round_trip(self, topic, value):
        done = []
        self.producer.produce(topic, value, partition=0, on_delivery=lambda err, msg: done.append(err))
        while not done:
            self.producer.poll(1)
        if done[0] is not None:
            raise RuntimeError(done[0])

    def consume(self, topic, count):
        self.consumer.assign([self.ck.TopicPartition(topic, 0, self.ck.OFFSET_BEGINNING)])
        got = nbytes = 0
        while got < count:
            for m in self.consumer.consume(num_messages=10000, timeout=0.1):
                if m.error() is None:
                    got += 1
                    nbytes += len(m.value())
        return got, nbytes

    def share(self, topic, group, count, on_first):
        self.consumer = self.ck.ShareConsumer({**self.common, "group.id": group})
        self.consumer.subscribe([topic])
        got = nbytes = 0
        while got < count:
            for m in self.consumer.poll(0.1):
                if m.error() is None:
                    if not got:
                        on_first()
                    got += 1
                    nbytes += len(m.value())
        return got, nbytes

    def share_done(self):
        self.consumer.commit_sync()


class KafkaPython:
    def __init__(self, brokers, mode, acks, compression):
        import kafka
        self.kafka = kafka
        if mode == "consume":
            self.consumer = kafka.KafkaConsumer(bootstrap_servers=brokers, enable_auto_commit=False)
            return
        latency = mode == "latency"
        acks = 1 if latency else ("all" if acks == "-1" else int(acks))
        self.producer = kafka.KafkaProducer(
            bootstrap_servers=brokers, acks=acks, linger_ms=0 if latency else 5, batch_size=1000000,
            compression_type=None if compression == "none" else compression,
            max_in_flight_requests_per_connection=1 if latency else 5)

    def produce(self, topic, value, count, tally):
        send = self.producer.send
        ok, failed = (lambda _meta: tally.add(1, None)), (lambda exc: tally.add(1, [exc]))
        for _ in range(count):
            send(topic, value, partition=0).add_callback(ok).add_errback(failed)

    def wait(self, pending):
        self.producer.flush()
        while pending():
            time.sleep(0.01)

    def round_trip(self, topic, value):
        self.producer.send(topic, value, partition=0).get(timeout=30)

    def consume(self, topic, count):
        tp = self.kafka.TopicPartition(topic, 0)
        self.consumer.assign([tp])
        self.consumer.seek_to_beginning(tp)
        got = nbytes = 0
        while got < count:
            for records in self.consumer.poll(timeout_ms=100, max_records=10000).values():
                got += len(records)
                nbytes += sum(len(r.value) for r in records)
        return got, nbytes


class KfkConfluent(Confluent):
    """The confluent-kafka program with only the import changed: kfk.confluent."""
    module = "kfk.confluent"


CLIENTS = {"kfk": Kfk, "kfk-values": KfkValues, "kfk-many": KfkMany, "confluent": Confluent,
           "kfk-confluent": KfkConfluent, "kafka-python": KafkaPython}


def share_main(name, brokers, topic, count, group):
    client = CLIENTS[name](brokers, "share", "1", "none")
    idle_kb = status_kb("VmRSS")
    first = []

    def on_first():
        first.extend((time.monotonic(), time.process_time()))

    got, nbytes = client.share(topic, group, int(count), on_first)
    secs, cpu = time.monotonic() - first[0], time.process_time() - first[1]
    client.share_done()  # untimed: accepts the last records handed over
    timed = max(got - 1, 1)
    print(f"msgs={got - 1} records={got} bytes={nbytes * (got - 1) // max(got, 1)} seconds={secs:.6f} failed=0 "
          f"cpu_us_per_msg={cpu * 1e6 / timed:.3f} rss_idle_kb={idle_kb} rss_peak_kb={status_kb('VmHWM')}")
    sys.stdout.flush()
    os._exit(0)


def main():
    if len(sys.argv) == 7 and sys.argv[2] == "share" and sys.argv[1] in CLIENTS:
        share_main(sys.argv[1], *sys.argv[3:7])
    if len(sys.argv) < 9 or sys.argv[1] not in CLIENTS:
        sys.exit(__doc__)
    name, mode, brokers, topic, count, size, acks, compression = sys.argv[1:9]
    count, size = int(count), int(size)
    client = CLIENTS[name](brokers, mode, acks, compression)
    idle_kb = status_kb("VmRSS")
    value = b"x" * size
    if mode == "produce":
        tally = Tally()
        start, cpu = time.monotonic(), time.process_time()
        client.produce(topic, value, count, tally)
        client.wait(lambda: tally.done < count)
        secs, cpu = time.monotonic() - start, time.process_time() - cpu
        ok = count - tally.failed
        print(f"msgs={ok} bytes={ok * size} seconds={secs:.6f} failed={tally.failed} "
              f"cpu_us_per_msg={cpu * 1e6 / count:.3f} "
              f"rss_idle_kb={idle_kb} rss_peak_kb={status_kb('VmHWM')}")
        sys.exit(1 if tally.failed else 0)
    elif mode == "consume":
        start, cpu = time.monotonic(), time.process_time()
        got, nbytes = client.consume(topic, count)
        secs, cpu = time.monotonic() - start, time.process_time() - cpu
        print(f"msgs={got} bytes={nbytes} seconds={secs:.6f} failed=0 cpu_us_per_msg={cpu * 1e6 / max(got, 1):.3f} "
              f"rss_idle_kb={idle_kb} rss_peak_kb={status_kb('VmHWM')}")
    elif mode == "latency":
        client.round_trip(topic, value)  # untimed warm-up
        us = []
        for _ in range(count):
            t0 = time.perf_counter()
            client.round_trip(topic, value)
            us.append((time.perf_counter() - t0) * 1e6)
        us.sort()
        at = lambda q: us[int(q * (len(us) - 1) + 0.5)]  # noqa: E731
        print(f"msgs={len(us)} min_us={us[0]:.1f} p50_us={at(0.5):.1f} p90_us={at(0.9):.1f} "
              f"p99_us={at(0.99):.1f} max_us={us[-1]:.1f}")
    else:
        sys.exit(__doc__)
    # Skip interpreter teardown: some clients block in their finalizers.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
