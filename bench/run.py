#!/usr/bin/env python3
"""The benchmark: every client (bench/clients.py) does the same work against
one local broker, in alternating order, RUNS times per row; the medians,
their spread and each row's ratio to librdkafka go to bench/results/.

    bench/run.py [--profile smoke|quick|full|partitions|rebalance|share] [--runs N] [--out DIR] [--only NAME,...]

The partitions profile runs only the many-partition rows (kfk-c and
librdkafka-c producing to T topics of P partitions, consuming them back,
and idle while assigned many partitions). The
full profile (and the smoke one, for one protocol) also times rebalances:
rebalance_bench.py, kfk's Python binding beside confluent-kafka; the
rebalance profile runs only those rows. The full profile and the share
profile (only these rows) also time share group consumption (KIP-932):
kfk's Python binding, confluent-kafka's ShareConsumer and Java's
ShareConsumerPerformance each read a topic as the one member of a new
share group.

A broker comes from KFK_TEST_BROKERS, or one is started for the run (full
JIT, 1 GiB heap) and stopped at the end. See bench/README.md.
"""
import argparse
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import clients
import report
from broker_heap import BrokerHeap

PERL_DIR = os.path.join(clients.ROOT, "bindings", "perl")

# Per profile: which rows run and how much work each does. A run's message
# count is budget_bytes / size, clamped to [min_count, max_count]; the
# scripting clients (Python, Ruby) get 1/scripting_share of that (a
# tenth unless the profile says). "text_sizes" are the sizes of the
# produce-text rows (produce_text). "partitions" lists
# the layouts (topics, partitions each) of the many-partition produce and
# consume rows (C clients only, partition_count messages of partition_size
# bytes, acks=1), "idle_partitions" those of the idle rows (idle_seconds
# measured each); "rebalance"
# the group protocols of the rebalance rows (rebalance_bench.py);
# "share_count" the records of each share consume run (share_rows); "sections"
# what else the profile runs.
ALL_SECTIONS = ("produce", "consume", "latency", "load_time", "perl")
PARTITION_CLIENTS = ("kfk-c", "librdkafka-c")
# The rebalance rows: client row name -> rebalance_bench.py's CLIENT. Both
# are Python programs, so the clients differ only below the binding.
REBALANCE_CLIENTS = {"kfk-python": "kfk", "confluent-python": "confluent"}
REBALANCE_PARTITIONS = 6
REBALANCE_INTERVAL_MS = 10  # a record to every partition this often
# The classic heartbeat interval rebalance_bench.py gives both clients: a
# row's runs have the second member join at phases spread evenly over it,
# after a second in which the first one gets steady.
REBALANCE_HEARTBEAT_MS = 3000
REBALANCE_STEADY_MS = 1000
PROFILES = {
    "smoke": dict(runs=1, sizes=[100], scripting_sizes=[100], variants=[("1", "none")], text_sizes=[100],
                  consume_sizes=[100],
                  budget_bytes=0, min_count=300, max_count=300, latency_count=20, perl_messages=30, load_runs=1,
                  partitions=[(1, 4), (2, 2)], partition_count=300, partition_size=100,
                  idle_partitions=[(1, 4)], idle_seconds=1, rebalance=["cooperative"]),
    "quick": dict(runs=3, sizes=[100, 1000], scripting_sizes=[100], variants=[("1", "none")], consume_sizes=[100],
                  budget_bytes=15_000_000, min_count=5_000, max_count=150_000, latency_count=300,
                  perl_messages=500, load_runs=3),
    "full": dict(runs=3, sizes=[10, 100, 1000, 10000], scripting_sizes=[10, 100, 1000, 10000],
                 variants=[("1", "none"), ("0", "none"), ("-1", "none"), ("1", "lz4"), ("1", "zstd")],
                 text_sizes=[1000, 10000], consume_sizes=[100, 1000], budget_bytes=100_000_000,
                 min_count=4_000, max_count=300_000,
                 latency_count=2_000, perl_messages=10_000, load_runs=5, compared_runs=5,
                 # A third: at a tenth (30,000 records) kfk's bulk calls ran for
                 # 17 ms, a third of it the last batch's linger that every
                 # client waits out, so the rows measured their start-up.
                 scripting_share=3,
                 rebalance=["eager", "cooperative", "consumer"], share_count=100_000),
    "partitions": dict(runs=3, sections=(), partitions=[(1, 1), (1, 16), (1, 256), (1, 1024), (64, 16)],
                       partition_count=300_000, partition_size=100, idle_partitions=[(1, 1024), (64, 16)],
                       idle_seconds=10, budget_bytes=0, min_count=300_000, max_count=300_000),
    # The full profile's rebalance rows alone (about 2 minutes).
    "rebalance": dict(runs=3, sections=(), rebalance=["eager", "cooperative", "consumer"], budget_bytes=0,
                      min_count=100_000, max_count=100_000),
    # The full profile's share consume rows alone.
    "share": dict(runs=3, sections=(), share_count=100_000, budget_bytes=0, min_count=100_000, max_count=100_000),
}
SHARE_SIZE = 100  # bytes per record of the share consume rows


def message_count(profile, size, scripting):
    p = profile
    n = min(p["max_count"], max(p["min_count"], p["budget_bytes"] // max(size, 1)))
    share = p.get("scripting_share", 10)
    return max(n // share, p["min_count"] // share) if scripting and p["budget_bytes"] else n


# The broker's log goes to memory when there is room: the bench measures
# the clients, and a log on disk made the broker's pace swing tenfold from
# run to run once the page cache was full (at 1,024 partitions, 0.4 s to
# 40 s for the same 300,000 records).
MEMORY_DIR, MEMORY_NEEDED = "/dev/shm", 8 << 30


def broker_parent():
    """Where the started broker keeps its state: memory if it has room."""
    try:
        st = os.statvfs(MEMORY_DIR)
    except OSError:
        return None
    return MEMORY_DIR if st.f_bavail * st.f_frsize >= MEMORY_NEEDED else None


class Broker:
    """The broker under test: KFK_TEST_BROKERS, or one started here."""

    def __init__(self):
        self.dir = None
        self.env = {}

    def __enter__(self):
        if os.environ.get("KFK_TEST_BROKERS"):
            self.env = {k: v for k, v in os.environ.items() if k.startswith("KFK_TEST_")}
            return self
        self.dir = tempfile.mkdtemp(prefix="kfk-bench-broker-", dir=broker_parent())
        env = dict(os.environ)
        env.setdefault("KFK_BROKER_JVM_OPTS", "-XX:TieredStopAtLevel=4")
        env.setdefault("KFK_BROKER_HEAP", "1g")
        out = subprocess.run([clients.KAFKA, "start", "--dir", self.dir, "--owner-pid", str(os.getpid())],
                             env=env, check=True, capture_output=True, text=True).stdout
        self.env = dict(ln.split("=", 1) for ln in out.splitlines() if "=" in ln)
        return self

    def __exit__(self, *exc):
        # The clean shutdown takes seconds and nothing waits for it (then
        # the state dir and its logs go); the watcher started with
        # --owner-pid stops the broker too, should this stop not get to it.
        if self.dir:
            subprocess.Popen(["sh", "-c", '"$0" stop --dir "$1"; rm -rf "$1"', clients.KAFKA, self.dir],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    @property
    def brokers(self):
        return self.env["KFK_TEST_BROKERS"]


class Topics:
    """Creates and deletes the benchmark's topics (one partition each
    unless asked for more) through kfk's Python binding."""

    def __init__(self, brokers):
        os.environ.setdefault("KFK_LIBRARY", clients.LIB)
        sys.path.insert(0, os.path.join(clients.ROOT, "bindings", "python"))
        import kfk
        self.kfk = kfk
        self.brokers = brokers
        self.client = kfk.Client(brokers=brokers)
        self.client.connect()
        self.serial = 0

    def create(self, prefix, n, partitions=1):
        self.serial += 1
        names = [f"{prefix}-{self.serial}-{i}-{int(time.time())}" for i in range(n)]
        res = self.client.create_topics([{"name": t, "num_partitions": partitions, "replication_factor": 1}
                                         for t in names])
        bad = [t for t in res["topics"] if t["error_code"]]
        if bad:
            raise RuntimeError(f"create_topics: {bad}")
        for t in names:  # wait for leaders, so no client times its metadata wait
            while not self.has_leaders(t, partitions):
                time.sleep(0.05)
        return names

    def has_leaders(self, topic, partitions):
        try:
            offsets = self.client.offsets_for(topic)
        except Exception:  # noqa: BLE001 - not created yet on the broker
            return False
        return all(offsets.get(p) is not None for p in range(partitions))

    def records_per_partition(self, topic):
        """{partition: records written}, from the end offsets."""
        return {p: o["latest"] - o["earliest"] for p, o in self.client.offsets_for(topic).items()}

    def delete(self, names):
        self.client.delete_topics(names)

    def share_group(self, topic):
        """A new share group name, configured to start at the earliest
        record (share groups start at the latest): IncrementalAlterConfigs
        v0 of a GROUP resource, share.auto.offset.reset=earliest."""
        incremental_alter_configs, group_resource, config_set = 44, 32, 0

        def string(s):
            return struct.pack(">h", len(s)) + s.encode()

        self.serial += 1
        group = f"{topic}-share-{self.serial}"
        body = (struct.pack(">i", 1) + bytes([group_resource]) + string(group) + struct.pack(">i", 1)
                + string("share.auto.offset.reset") + bytes([config_set]) + string("earliest") + b"\0")
        # A connection of its own, made now: one made at the start sat idle
        # for longer than the broker keeps idle connections (10 minutes).
        host, port = self.brokers.split(",")[0].rsplit(":", 1)
        conn = self.kfk.Conn()
        try:
            conn.connect(host, int(port)).result()
            res = conn.raw_request(incremental_alter_configs, 0, body).result()["body"]
        finally:
            conn.close()
        code = struct.unpack_from(">h", res, 8)[0]  # after throttle_time_ms and the resource count
        if code:
            raise RuntimeError(f"configuring share group {group}: error {code}")
        return group


def rotated(items, r):
    """items starting at the r-th: each run alternates who goes first."""
    r %= len(items)
    return items[r:] + items[:r]


def median_of(results, key):
    values = [r[key] for r in results if r.get(key, -1) >= 0]
    return statistics.median(values) if values else None


def throughput_row(kind, client, size, acks, compression, count, results, runs):
    rates = [r["msgs"] / r["seconds"] for r in results]
    mbs = [r["bytes"] / r["seconds"] / 1e6 for r in results]
    med = statistics.median(rates)
    return {"kind": kind, "size": size, "acks": acks, "compression": compression, "client": client.name,
            "language": client.language, "count": count, "runs": len(rates), "failed_runs": runs - len(rates),
            "msgs_per_s": med, "mb_per_s": statistics.median(mbs),
            "spread_pct": (max(rates) - min(rates)) / med * 100, "rates": rates,
            "lost": sum(r["lost"] for r in results), "rss_idle_kb": median_of(results, "rss_idle_kb"),
            "rss_peak_kb": median_of(results, "rss_peak_kb"),
            # user + system CPU of the client's process per record, where the program reports it
            "cpu_us_per_msg": median_of(results, "cpu_us_per_msg")}


def runs_produce_row(profile, client, size, variant):
    """The scripting clients run only the first variant (acks=1, no
    compression), at their own sizes: the rest would measure the broker."""
    if "produce" not in client.modes:
        return False
    return not client.scripting or (size in profile["scripting_sizes"] and variant == profile["variants"][0])


class Bench:
    """The measured rows, against one broker. A run that fails is left out
    of its row (its output is kept under failures/ in the results
    directory and listed in self.failures); the benchmark goes on."""

    def __init__(self, profile, runs, compared_runs, cs, brokers, topics, out, log, heap):
        self.profile, self.runs, self.compared_runs, self.clients = profile, runs, compared_runs, cs
        self.brokers, self.topics, self.out, self.log = brokers, topics, out, log
        self.heap = heap  # collected before each run (broker_heap.py says why)
        self.failures = []

    def execute(self, client, cmd, mode, tag, env=None):
        """Runs one program: the finished process, or None when it failed
        (its output is then kept as failures/CLIENT-MODE-TAG.log)."""
        self.heap.collect()
        proc = subprocess.run(cmd, env={**os.environ, **client.env, **(env or {})}, capture_output=True, text=True,
                              timeout=300)
        if proc.returncode == 0:
            return proc
        path = os.path.join(self.out, "failures", f"{client.name}-{mode}-{tag}.log")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f"$ {' '.join(cmd)}\nexit status {proc.returncode}\n--- stdout\n{proc.stdout}\n"
                    f"--- stderr\n{proc.stderr}")
        self.failures.append({"client": client.name, "mode": mode, "rc": proc.returncode, "log": path})
        self.log(f"{client.name} {mode} FAILED (exit status {proc.returncode}), output in {path}")
        return None

    def run(self, client, mode, topic, count, size, acks="1", compression="none", partitions=None, payload=None):
        """One run's parsed report, or None when the program failed. payload
        "text" gives each record a value of its own (bench_util.h)."""
        cmd = client.command(mode, self.brokers, topic, count, size, acks, compression, partitions)
        proc = self.execute(client, cmd, mode, topic, {"BENCH_PAYLOAD": payload} if payload else None)
        if proc is None:
            return None
        result = client.parse(mode, proc.stdout)
        # A run that lost messages is rated on what it delivered, and
        # counted in the row's "lost" column.
        result["lost"] = max(0, count - result["msgs"]) if mode in ("produce", "consume") else 0
        if result["lost"]:
            last = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or [""])[-1]
            self.log(f"{client.name} {mode}: {result['msgs']:.0f} of {count} messages: {last[:300]}")
        result.setdefault("bytes", result["msgs"] * size)
        return result

    def runs_of(self, client):
        """Runs per row for client. The clients whose rows the targets
        compare (the C programs; kfk's Python produce calls and
        confluent-kafka) get more, so their medians swing less; see the
        profile's compared_runs."""
        return self.compared_runs if client.compared else self.runs

    def each_run(self, row_clients):
        """The row's clients, once per run each, in the order they go: who
        goes first alternates, and each stops after its own runs."""
        for r in range(max(self.runs_of(c) for c in row_clients)):
            for c in rotated(row_clients, r):
                if r < self.runs_of(c):
                    yield c

    def count(self, size, client):
        return message_count(self.profile, size, client.scripting)

    def warm_up(self):
        """Untimed produce and consume through the C programs, so the
        broker's JIT and page cache are warm before the first row."""
        [topic] = self.topics.create("warm-up", 1)
        count = self.profile["max_count"]
        for c in self.clients:
            if c.language == "c":
                self.run(c, "produce", topic, count, 100)
                self.run(c, "consume", topic, count, 100)
        self.topics.delete([topic])
        self.log("broker warmed up")

    def rows_of(self, kind, row_clients, size, acks, compression, results):
        rows = []
        for c in row_clients:
            done = [r for r in results[c.name] if r is not None]
            if not done:
                self.log(f"{kind} {size:>5} B {c.name:<17} every run failed")
                continue
            row = throughput_row(kind, c, size, acks, compression, self.count(size, c), done, self.runs_of(c))
            rows.append(row)
            self.log(f"{kind:<7} {size:>5} B acks={acks:>2} {compression:<4} {c.name:<17} "
                     f"{row['msgs_per_s']:>10.0f} msg/s  ±{row['spread_pct']:.0f}%")
        return rows

    def produce(self):
        rows = []
        for size in self.profile["sizes"]:
            for acks, compression in self.profile["variants"]:
                row_clients = [c for c in self.clients
                               if runs_produce_row(self.profile, c, size, (acks, compression))]
                if not row_clients:  # (--only scripting clients: they run fewer rows)
                    continue
                names = self.topics.create(f"produce-{size}", sum(self.runs_of(c) for c in row_clients))
                fresh = list(names)  # every run writes to a topic of its own
                results = {c.name: [] for c in row_clients}
                for c in self.each_run(row_clients):
                    results[c.name].append(self.run(c, "produce", fresh.pop(), self.count(size, c), size,
                                                    acks, compression))
                rows += self.rows_of("produce", row_clients, size, acks, compression, results)
                self.topics.delete(names)
        return rows + self.produce_text()

    def produce_text(self):
        """The compressed rows again with text-like values, each record its
        own (bench_util.h): the 'x' values of the other rows compress to
        almost nothing, so there the codec's own speed hardly counts. The C
        programs run them."""
        rows = []
        row_clients = [c for c in self.clients if c.language == "c" and "produce" in c.modes]
        for size in self.profile.get("text_sizes", []) if row_clients else []:
            for compression in ("lz4", "zstd"):
                names = self.topics.create(f"produce-text-{size}", sum(self.runs_of(c) for c in row_clients))
                fresh = list(names)
                results = {c.name: [] for c in row_clients}
                for c in self.each_run(row_clients):
                    results[c.name].append(self.run(c, "produce", fresh.pop(), self.count(size, c), size, "1",
                                                    compression, payload="text"))
                rows += self.rows_of("produce-text", row_clients, size, "1", compression, results)
                self.topics.delete(names)
        return rows

    def consume(self):
        rows = []
        fill = next(c for c in clients.all_clients() if c.name == "librdkafka-c")
        for size in self.profile["consume_sizes"]:
            row_clients = [c for c in self.clients if "consume" in c.modes]
            [topic] = self.topics.create(f"consume-{size}", 1)
            if self.run(fill, "produce", topic, message_count(self.profile, size, False), size) is None:
                raise RuntimeError(f"could not fill {topic}; see {self.failures[-1]['log']}")
            results = {c.name: [] for c in row_clients}
            for c in self.each_run(row_clients):
                results[c.name].append(self.run(c, "consume", topic, self.count(size, c), size))
            rows += self.rows_of("consume", row_clients, size, "", "none", results)
            self.topics.delete([topic])
        return rows

    def partitions(self):
        """Rows for each layout (T topics of P partitions): the C clients
        produce partition_count records, record i to topic i % T and
        partition (i / T) % P, to new topics each run (after each run the
        end offsets must show every record, evenly spread, or the run
        counts as failed); then consume them all back from the topics of
        one good run. Then, for each idle layout, the CPU of a consumer
        assigned every partition at its end while nothing arrives."""
        p = self.profile
        size, count = p["partition_size"], p["partition_count"]
        row_clients = [c for c in self.clients if c.name in PARTITION_CLIENTS]
        if not row_clients:  # --only left them out: no topics to create
            return []
        rows = []
        for n_topics, n in p["partitions"]:
            layout = {"topics": n_topics, "partitions": n}
            names = self.topics.create(f"partitions-{n_topics}x{n}", n_topics * len(row_clients) * self.runs,
                                       partitions=n)
            sets = [names[i:i + n_topics] for i in range(0, len(names), n_topics)]
            results = {c.name: [] for c in row_clients}
            filled = None  # the topics of a run that wrote every record
            for r in range(self.runs):
                for c in rotated(row_clients, r):
                    topics = sets.pop()
                    result = self.run(c, "produce", ",".join(topics), count, size, "1", "none", partitions=n)
                    if result is not None and not self.spread_evenly(c, topics, n, result["msgs"]):
                        result = None
                    if result is not None and not result["lost"]:
                        filled = filled or topics
                    results[c.name].append(result)
            rows += self.partition_rows("produce", layout, row_clients, results)
            if filled:
                results = {c.name: [] for c in row_clients}
                for r in range(self.runs):
                    for c in rotated(row_clients, r):
                        results[c.name].append(self.run(c, "consume", ",".join(filled), count, size, "1", "none",
                                                        partitions=n))
                rows += self.partition_rows("consume", layout, row_clients, results)
            self.topics.delete(names)
        for n_topics, n in p.get("idle_partitions", []):
            topics = self.topics.create(f"idle-{n_topics}x{n}", n_topics, partitions=n)
            results = {c.name: [] for c in row_clients}
            for r in range(self.runs):
                for c in rotated(row_clients, r):
                    results[c.name].append(self.run(c, "idle", ",".join(topics), p["idle_seconds"], size,
                                                    partitions=n))
            for c in row_clients:
                done = [x for x in results[c.name] if x is not None]
                if not done:
                    self.log(f"idle {n_topics} x {n:>5} {c.name:<13} every run failed")
                    continue
                row = {"kind": "idle", "topics": n_topics, "partitions": n, "client": c.name, "runs": len(done),
                       "failed_runs": self.runs - len(done), "seconds": p["idle_seconds"],
                       "idle_cpu_ms_per_10s": median_of(done, "idle_cpu_ms_per_10s"),
                       "idle_cpu_runs": [x["idle_cpu_ms_per_10s"] for x in done],
                       "rss_peak_kb": median_of(done, "rss_peak_kb")}
                rows.append(row)
                self.log(f"idle {n_topics} x {n:>5} {c.name:<13} {row['idle_cpu_ms_per_10s']:.0f} ms CPU per 10 s  "
                         f"peak {row['rss_peak_kb'] / 1024:.0f} MiB")
            self.topics.delete(topics)
        return rows

    def spread_evenly(self, client, topics, n, msgs):
        """Whether the topics' end offsets show msgs records over all n
        partitions of each, evenly; logged and counted as a failure if not."""
        written = [w for t in topics for w in self.topics.records_per_partition(t).values()]
        if sum(written) == msgs and len(written) == n * len(topics) and max(written) - min(written) <= 1:
            return True
        self.log(f"{client.name} {len(topics)} x {n}: records per partition uneven or missing: "
                 f"{sum(written)} in {len(written)} partitions, {min(written, default=0)}..{max(written, default=0)} "
                 "each")
        self.failures.append({"client": client.name, "mode": f"produce {len(topics)} x {n}", "rc": 0, "log": None,
                              "why": "records missing or unevenly spread over partitions"})
        return False

    def partition_rows(self, kind, layout, row_clients, results):
        p = self.profile
        rows = []
        for c in row_clients:
            done = [r for r in results[c.name] if r is not None]
            label = f"{kind} {layout['topics']} x {layout['partitions']:>5} {c.name:<13}"
            if not done:
                self.log(f"{label} every run failed")
                continue
            row = throughput_row(kind, c, p["partition_size"], "1", "none", p["partition_count"], done, self.runs)
            row.update(layout)
            row["cpu_us_runs"] = [r.get("cpu_us_per_msg") for r in done]
            row["rss_peak_runs_kb"] = [r.get("rss_peak_kb") for r in done]
            rows.append(row)
            self.log(f"{label} {row['msgs_per_s']:>10.0f} msg/s  ±{row['spread_pct']:.0f}%  "
                     f"{row['cpu_us_per_msg']:.2f} µs CPU/msg  peak {row['rss_peak_kb'] / 1024:.0f} MiB")
        return rows

    def rebalance(self):
        """Per group protocol, rebalance_bench.py for kfk's binding and
        confluent-kafka, RUNS times each on one topic of 6 partitions (a new
        group every run). In run r the second member joins 1 s + (r + 0.5)
        / RUNS of a heartbeat interval after the first one got its
        partitions, the same for both clients: how long a join waits
        depends mostly on where in the first member's heartbeat cycle it
        falls."""
        row_clients = [c for c in self.clients if c.name in REBALANCE_CLIENTS]
        if not row_clients:
            return []
        [topic] = self.topics.create("rebalance", 1, partitions=REBALANCE_PARTITIONS)
        program = [os.environ.get("PYTHON", "python3"), os.path.join(clients.ROOT, "bench", "rebalance_bench.py")]
        rows = []
        for protocol in self.profile["rebalance"]:
            results = {c.name: [] for c in row_clients}
            phases = [REBALANCE_STEADY_MS + (r + 0.5) / self.runs * REBALANCE_HEARTBEAT_MS
                      for r in range(self.runs)]
            for r, phase in enumerate(phases):
                for c in rotated(row_clients, r):
                    cmd = program + [REBALANCE_CLIENTS[c.name], protocol, self.brokers, topic,
                                     "--phase-ms", f"{phase:.0f}", "--interval-ms", str(REBALANCE_INTERVAL_MS)]
                    proc = self.execute(c, cmd, f"rebalance-{protocol}", str(r))
                    results[c.name].append(clients.parse_pairs(proc.stdout) if proc else None)
            for c in row_clients:
                done = [x for x in results[c.name] if x is not None]
                if not done:
                    self.log(f"rebalance {protocol:<11} {c.name:<17} every run failed")
                    continue
                row = {"protocol": protocol, "client": c.name, "language": c.language, "runs": len(done),
                       "failed_runs": self.runs - len(done), "partitions": REBALANCE_PARTITIONS,
                       "phases_ms": phases, "interval_ms": REBALANCE_INTERVAL_MS}
                for key in ("resume_ms", "max_pause_ms", "assigned_ms", "phase_ms", "revoked", "moved"):
                    row[key] = statistics.median(x[key] for x in done)
                    row[key + "_runs"] = [x[key] for x in done]
                for key in ("duplicates", "lost", "produce_failed"):
                    row[key] = sum(x[key] for x in done)  # over all runs
                row["resumed_partitions"] = min(x["partitions"] for x in done)
                rows.append(row)
                self.log(f"rebalance {protocol:<11} {c.name:<17} resume {row['resume_ms']:>6.0f} ms  "
                         f"pause {row['max_pause_ms']:>6.0f} ms  revoked {row['revoked']:.0f}  "
                         f"duplicates {row['duplicates']:.0f}  lost {row['lost']:.0f}")
        self.topics.delete([topic])
        return rows

    def share(self):
        """Share consume rows: each client reads share_count records of one
        pre-filled topic as the one member of a new share group per run
        (implicit acknowledgement), timed from the first record to the last
        (joining the group takes seconds). Beside the programs' own CPU per
        record (Python: the timed part), every row has the whole process's
        (getrusage of the child, start-up and join included; the only
        figure for Java)."""
        row_clients = [c for c in self.clients if "share" in c.modes]
        if not row_clients:
            return []
        count = self.profile["share_count"]
        fill = next(c for c in clients.all_clients() if c.name == "librdkafka-c")
        [topic] = self.topics.create("share", 1)
        if self.run(fill, "produce", topic, count, SHARE_SIZE) is None:
            raise RuntimeError(f"could not fill {topic}; see {self.failures[-1]['log']}")
        results = {c.name: [] for c in row_clients}
        for r in range(self.runs):
            for c in rotated(row_clients, r):
                group = self.topics.share_group(topic)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                proc = self.execute(c, c.share_command(self.brokers, topic, group, count), "share", str(r))
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if proc is None:
                    results[c.name].append(None)
                    continue
                result = c.parse("share", proc.stdout)
                result["lost"] = max(0, count - result["records"])
                cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                result["process_cpu_us_per_msg"] = cpu * 1e6 / max(result["records"], 1)
                results[c.name].append(result)
        rows = []
        for c in row_clients:
            done = [x for x in results[c.name] if x is not None]
            if not done:
                self.log(f"share consume {c.name:<17} every run failed")
                continue
            row = throughput_row("share consume", c, SHARE_SIZE, "", "none", count, done, self.runs)
            row["process_cpu_us_per_msg"] = median_of(done, "process_cpu_us_per_msg")
            rows.append(row)
            self.log(f"share consume {c.name:<17} {row['msgs_per_s']:>10.0f} msg/s  ±{row['spread_pct']:.0f}%  "
                     f"{row['process_cpu_us_per_msg']:.2f} µs CPU/msg (process)")
        self.topics.delete([topic])
        return rows

    def latency(self, size=100):
        rows = []
        row_clients = [c for c in self.clients if "latency" in c.modes]
        names = self.topics.create("latency", len(row_clients))
        topic_of = dict(zip((c.name for c in row_clients), names))
        results = {c.name: [] for c in row_clients}
        count = self.profile["latency_count"]
        for c in self.each_run(row_clients):
            results[c.name].append(self.run(c, "latency", topic_of[c.name], count, size))
        for c in row_clients:
            done = [r for r in results[c.name] if r is not None]
            if not done:
                self.log(f"latency {c.name:<17} every run failed")
                continue
            row = {"client": c.name, "language": c.language, "size": size, "count": count, "runs": len(done),
                   "failed_runs": self.runs_of(c) - len(done)}
            for key in ("min_us", "p50_us", "p90_us", "p99_us", "max_us"):
                row[key] = statistics.median(r[key] for r in done)
            p50s = [r["p50_us"] for r in done]
            row["p50_spread_pct"] = (max(p50s) - min(p50s)) / row["p50_us"] * 100
            rows.append(row)
            self.log(f"latency {c.name:<17} p50 {row['p50_us']:>7.0f} us  p99 {row['p99_us']:>7.0f} us")
        self.topics.delete(names)
        return rows


def run_load_time(profile, log):
    libs = {"kfk": (clients.LIB, "kfk_version_str"), "librdkafka": ("librdkafka.so.1", "rd_kafka_version_str")}
    times = {name: [] for name in libs}
    for r in range(profile["load_runs"]):
        for name in rotated(list(libs), r):
            out = subprocess.run([os.path.join(clients.BUILD, "load_time"), *libs[name]], check=True,
                                 capture_output=True, text=True).stdout
            times[name].append(float(out.split("=")[1]))
    rows = [{"library": name, "load_ms": statistics.median(t), "runs": t} for name, t in times.items()]
    for row in rows:
        log(f"load    {row['library']:<17} {row['load_ms']:.2f} ms")
    return rows


# EV::Kafka's published figures (its BENCHMARKS section: Redpanda,
# 100-byte values, 20K messages); the Perl drop-in's target is twice these.
PERL_SEED = {"Pipeline produce (acks=1)": 100_000, "Fire-and-forget (acks=0)": 120_000,
             "Sequential round-trip": 24_000, "Metadata request": 21_000, "10 bytes": 105_000,
             "100 bytes": 100_000, "1000 bytes": 70_000, "10000 bytes": 20_000}
PERL_SEED_LATENCY_US = {"median": 39, "p90": 59, "p95": 75, "p99": 122}


# throughput.pl's lines (acks=1, 100 B, CPU per record beside msgs/s).
THROUGHPUT_LINES = {"produce": "Client produce, a callback each", "produce_many": "Client produce_many",
                    "consume": "Client consume (on_message)"}


def perl_script(script, env):
    return subprocess.run(["perl", "-I" + os.path.join(PERL_DIR, "lib"), os.path.join(PERL_DIR, "bench", script)],
                          env=env, check=True, capture_output=True, text=True, timeout=600).stdout


def run_perl(profile, runs, brokers, topics, log):
    """bindings/perl/bench/benchmark.pl, latency.pl and throughput.pl, as shipped."""
    [topic] = topics.create("perl", 1)
    env = {**os.environ, "KFK_LIBRARY": clients.LIB, "BENCH_BROKER": brokers, "BENCH_TOPIC": topic,
           "BENCH_MESSAGES": str(profile["perl_messages"]), "BENCH_VALUE_SIZE": "100"}
    rates, latency, cpu = {}, {}, {}
    for _ in range(runs):
        # "produce msgs_per_s=N cpu_us_per_msg=N": the cluster client (issue #20),
        # with 20 times the messages so that CPU time (10 ms ticks) means something
        for line in perl_script("throughput.pl", {**env, "BENCH_MESSAGES": str(20 * profile["perl_messages"])}).splitlines():
            name, _, pairs = line.partition(" ")
            values = dict(pair.split("=") for pair in pairs.split() if "=" in pair)
            if "msgs_per_s" in values:
                label = THROUGHPUT_LINES[name]
                rates.setdefault(label, []).append(float(values["msgs_per_s"]))
                cpu.setdefault(label, []).append(float(values["cpu_us_per_msg"]))
        for line in perl_script("benchmark.pl", env).splitlines():
            name, sep, _ = line.strip().partition(" msg/sec")
            if sep:
                label, _, rate = name.rpartition(" ")
                rates.setdefault(label.strip(), []).append(float(rate))
        # "min: 201 us  avg: 436 us  median: 337 us  p90: ..."
        last = perl_script("latency.pl", env).strip().splitlines()[-1]
        for pair in last.split("  "):
            key, _, value = pair.partition(": ")
            latency.setdefault(key.strip(), []).append(float(value.split()[0]))
    rows = [{"line": label, "msgs_per_s": statistics.median(v), "runs": v, "seed_msgs_per_s": PERL_SEED.get(label),
             "vs_seed": statistics.median(v) / PERL_SEED[label] if label in PERL_SEED else None,
             "cpu_us_per_msg": statistics.median(cpu[label]) if label in cpu else None}
            for label, v in rates.items()]
    lat = {k: statistics.median(v) for k, v in latency.items()}
    for row in rows:
        log(f"perl    {row['line']:<28} {row['msgs_per_s']:>10.0f} msg/s")
    log(f"perl    latency p50 {lat.get('median', 0):.0f} us  p99 {lat.get('p99', 0):.0f} us")
    topics.delete([topic])
    return {"rows": rows, "latency_us": lat, "seed_latency_us": PERL_SEED_LATENCY_US,
            "messages": profile["perl_messages"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=PROFILES, default="quick")
    ap.add_argument("--runs", type=int, help="runs per row, for every client (default: the profile's)")
    ap.add_argument("--out", help="results directory (default bench/results/PROFILE)")
    ap.add_argument("--only", help="comma-separated client names (default: all); 'perl' for the Perl scripts")
    args = ap.parse_args()
    profile = PROFILES[args.profile]
    runs = args.runs or profile["runs"]
    compared_runs = args.runs or profile.get("compared_runs", runs)  # see Bench.runs_of
    out = args.out or os.path.join(clients.ROOT, "bench", "results", args.profile)
    only = set(args.only.split(",")) if args.only else None
    started = time.time()
    log = lambda msg: print(f"[{time.time() - started:6.1f}s] {msg}", flush=True)  # noqa: E731
    clients.build()  # first: which rows exist depends on what was built
    log("built")
    cs = [c for c in clients.all_clients() if only is None or c.name in only]
    results = {"profile": args.profile, "runs": runs, "compared_runs": compared_runs,
               "compared_clients": [c.name for c in cs if c.compared], "settings": profile}
    with Broker() as broker:
        log(f"broker {broker.brokers}")
        results["machine"] = report.machine()
        topics = Topics(broker.brokers)
        shutil.rmtree(os.path.join(out, "failures"), ignore_errors=True)  # an earlier run's
        heap = BrokerHeap(broker.brokers)
        log(f"broker heap {heap.describe()}")
        bench = Bench(profile, runs, compared_runs, cs, broker.brokers, topics, out, log, heap)
        bench.warm_up()
        sections = profile.get("sections", ALL_SECTIONS)
        if "produce" in sections or "consume" in sections:
            results["throughput"] = ((bench.produce() if "produce" in sections else [])
                                     + (bench.consume() if "consume" in sections else []))
        if "latency" in sections:
            results["latency"] = bench.latency()
        if "load_time" in sections:
            results["load_time"] = run_load_time(profile, log)
        if "perl" in sections and (only is None or "perl" in only):
            results["perl"] = run_perl(profile, runs, broker.brokers, topics, log)
        if profile.get("partitions"):
            results["partitions"] = bench.partitions()
        if profile.get("rebalance"):
            results["rebalance"] = bench.rebalance()
        if profile.get("share_count"):
            results["share"] = bench.share()
        results["versions"] = report.versions(broker.env)
        results["machine"]["loadavg_end"] = os.getloadavg()
        results["failures"] = bench.failures
        results["broker_heap"] = heap.describe()
        topics.client.close()
    results["seconds"] = time.time() - started
    report.write(results, out)
    log(f"results in {os.path.relpath(out)}")


if __name__ == "__main__":
    main()
