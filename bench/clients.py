"""The clients of the benchmark: how each program is built, started and
read. Every program does one mode (produce, consume, latency) per process
and reports key=value pairs; the Java perf tools print their own lines,
which are converted to the same keys here."""
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "bench")
LIB = os.path.join(ROOT, "build", "libkfk.so")
KAFKA = os.path.join(ROOT, "tests", "kafka", "kafka")


@dataclass
class Client:
    name: str            # row label, e.g. "kfk-c"
    language: str        # c, go, java, python, ruby
    argv: list           # program and fixed leading arguments
    modes: tuple = ("produce", "consume", "latency")
    scripting: bool = False  # slower per message: runs get fewer messages (run.py)
    compared: bool = False   # the issues' targets compare its rows: it runs more (run.py: runs_of)
    env: dict = field(default_factory=dict)
    produce_as: str = ""     # the program's own name for its produce mode, if not "produce"

    def command(self, mode, brokers, topic, count, size, acks, compression, partitions=None):
        """partitions (the C programs' optional 8th argument): produce
        spreads record i over partition i % partitions."""
        if mode == "produce" and self.produce_as:
            mode = self.produce_as
        args = [mode, brokers, topic, str(count), str(size), str(acks), compression]
        return self.argv + args + ([str(partitions)] if partitions else [])

    def share_command(self, brokers, topic, group, count):
        """Reading count records of topic as a member of share group group."""
        return self.argv + ["share", brokers, topic, str(count), group]

    def parse(self, mode, out):
        return parse_pairs(out)


def parse_pairs(out):
    """The last line with key=value pairs, as a dict of numbers."""
    for line in reversed(out.strip().splitlines()):
        pairs = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if "msgs" in pairs:
            return {k: float(v) for k, v in pairs.items()}
    raise ValueError(f"no report line in: {out[-500:]!r}")


class JavaPerf(Client):
    """Kafka's own ProducerPerformance, ConsumerPerformance and
    ShareConsumerPerformance, run through tests/kafka/kafka run-class. Rates
    are the tools' own (JVM start-up is not timed); the consumer's is
    fetch.nMsg.sec, which leaves out the group rebalance that
    ConsumerPerformance's subscribe needs; the share consumer's comes from
    its reporting intervals: the records after the first, over the time
    from the first one to the end, leaving out joining the share group as
    py_bench.py does."""

    def share_command(self, brokers, topic, group, count):
        return [KAFKA, "run-class", "org.apache.kafka.tools.ShareConsumerPerformance", "--bootstrap-server", brokers,
                "--topic", topic, "--group", group, "--num-records", str(count), "--timeout", "60000",
                # an interval ends at the first record (it cannot end before one)
                "--show-detailed-stats", "--reporting-interval", str(SHARE_REPORT_MS)]

    def command(self, mode, brokers, topic, count, size, acks, compression, partitions=None):
        if mode == "produce":
            return [KAFKA, "run-class", "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                    "--num-records", str(count), "--record-size", str(size), "--throughput", "-1",
                    "--command-property", f"bootstrap.servers={brokers}", f"acks={acks}", "linger.ms=5",
                    "batch.size=1000000", f"compression.type={compression}"]
        return [KAFKA, "run-class", "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", brokers,
                "--topic", topic, "--num-records", str(count),
                "--group", f"java-bench-{time.time_ns()}",  # a new group: no committed offsets from an earlier run
                "--timeout", "60000"]  # a fresh broker creates __consumer_offsets first

    def parse(self, mode, out):
        if mode == "produce":
            # Progress lines every 5 s have the same shape; the summary is last.
            found = re.findall(r"^(\d+) records sent, ([\d.]+) records/sec", out, re.M)
            if not found:
                raise ValueError(f"no ProducerPerformance summary in: {out[-500:]!r}")
            n, rate = int(found[-1][0]), float(found[-1][1])
            return {"msgs": n, "seconds": n / rate}
        if mode == "share":
            # start.time, end.time, data.consumed.in.MB, MB.sec, nMsg.sec, data.consumed.in.nMsg,
            # fetch.time.ms: per interval ("... for share consumer 1"), then the total
            lines = [[c.strip() for c in ln.split(",")] for ln in out.splitlines()
                     if ln.count(",") == 6 and not ln.startswith("start.time")]
            if len(lines) < 2:
                raise ValueError(f"no ShareConsumerPerformance intervals in: {out[-500:]!r}")
            first, total = lines[0], lines[-1]
            records = float(total[5])
            msgs = records - float(first[5])
            return {"msgs": msgs, "records": records, "bytes": float(total[2]) * 1024 * 1024 * msgs / records,
                    "seconds": (java_time(total[1]) - java_time(first[1])) / 1e3}
        lines = [ln for ln in out.splitlines() if ln.count(",") >= 9 and not ln.startswith("start.time")]
        if not lines:
            raise ValueError(f"no ConsumerPerformance line in: {out[-500:]!r}")
        cols = [c.strip() for c in lines[-1].split(",")]
        mb, n, fetch_ms = float(cols[2]), float(cols[4]), float(cols[7])
        return {"msgs": n, "bytes": mb * 1024 * 1024, "seconds": fetch_ms / 1e3}


# ShareConsumerPerformance's reporting interval: shorter than the join, so
# the first interval ends with the first record.
SHARE_REPORT_MS = 500


def java_time(stamp):
    """ShareConsumerPerformance's "yyyy-MM-dd HH:mm:ss:SSS" in ms since the epoch (local time)."""
    day, ms = stamp.rsplit(":", 1)
    return time.mktime(time.strptime(day, "%Y-%m-%d %H:%M:%S")) * 1e3 + int(ms)


def wheel_librdkafka():
    """(path, version) of the librdkafka inside confluent-kafka's wheel
    (newer than Debian's), or None when confluent-kafka is not installed."""
    try:
        out = subprocess.run([os.environ.get("PYTHON", "python3"), "-c",
                              "import confluent_kafka, glob, os; d = os.path.dirname(confluent_kafka.__file__); "
                              "print(confluent_kafka.libversion()[0]); "
                              "print(*glob.glob(os.path.join(d + '.libs', 'librdkafka*.so*')))"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.split("\n")
    if out.returncode != 0 or len(lines) < 2 or not lines[1].strip():
        return None
    return lines[1].split()[0], lines[0].strip()


WHEEL_BENCH = os.path.join(BUILD, "rdkafka_bench_wheel")
RUBY_BENCH = ["ruby", "-I" + os.path.join(ROOT, "bindings", "ruby", "lib"), os.path.join(ROOT, "bench", "ruby_bench.rb")]


def all_clients():
    pylib = {"KFK_LIBRARY": LIB, "PYTHONPATH": os.path.join(ROOT, "bindings", "python")}
    py = [os.environ.get("PYTHON", "python3"), os.path.join(ROOT, "bench", "py_bench.py")]
    return [
        Client("kfk-c", "c", [os.path.join(BUILD, "kfk_bench")], compared=True),
        Client("librdkafka-c", "c", [os.path.join(BUILD, "rdkafka_bench")], compared=True),
    ] + ([
        # The same program on the newest librdkafka here (confluent-kafka's).
        Client("librdkafka-wheel-c", "c", [WHEEL_BENCH], compared=True),
    ] if os.path.exists(WHEEL_BENCH) else []) + [
        Client("franz-go", "go", [os.path.join(BUILD, "franzbench")]),
        JavaPerf("java", "java", [], modes=("produce", "consume", "share")),
        Client("kfk-python", "python", py + ["kfk"], modes=("produce", "consume", "latency", "share"), scripting=True,
               env=pylib, compared=True),
        # Client.produce_values and produce_many, 10,000 records a call.
        Client("kfk-python-values", "python", py + ["kfk-values"], modes=("produce",), scripting=True, env=pylib,
               compared=True),
        Client("kfk-python-many", "python", py + ["kfk-many"], modes=("produce",), scripting=True, env=pylib,
               compared=True),
    ] + ([
        # The same binding under PyPy (Debian's pypy3), where installed.
        Client("kfk-pypy", "python", ["pypy3", py[1], "kfk"], modes=("produce", "consume", "latency", "share"),
               scripting=True, env=pylib),
    ] if shutil.which("pypy3") else []) + [
        Client("confluent-python", "python", py + ["confluent"], modes=("produce", "consume", "latency", "share"),
               scripting=True, compared=True),
        # The same confluent-kafka program with only the import changed.
        Client("kfk-confluent", "python", py + ["kfk-confluent"], scripting=True, env=pylib),
        Client("kafka-python", "python", py + ["kafka-python"], scripting=True),
        Client("kfk-ruby", "ruby", RUBY_BENCH, scripting=True, env={"KFK_LIBRARY": LIB}),
        # Client#produce_many, 1,000 record hashes a call.
        Client("kfk-ruby-many", "ruby", RUBY_BENCH, modes=("produce",), scripting=True,
               env={"KFK_LIBRARY": LIB}, produce_as="produce_many"),
    ]


def build():
    """libkfk.so, the C programs and the franz-go program, into build/bench."""
    os.makedirs(BUILD, exist_ok=True)
    subprocess.run(["make", "-s", "-C", ROOT, "lib"], check=True)
    cflags = ["cc", "-O2", "-Wall", "-Wextra", "-std=c11", "-D_GNU_SOURCE"]
    c = os.path.join(ROOT, "bench", "c")
    subprocess.run(cflags + ["-I" + os.path.join(ROOT, "include"), "-o", os.path.join(BUILD, "kfk_bench"),
                             os.path.join(c, "kfk_bench.c"), "-L" + os.path.dirname(LIB), "-lkfk",
                             "-Wl,-rpath," + os.path.dirname(LIB)], check=True)
    subprocess.run(cflags + ["-o", os.path.join(BUILD, "rdkafka_bench"), os.path.join(c, "rdkafka_bench.c"),
                             "-lrdkafka"], check=True)
    wheel = wheel_librdkafka()
    if wheel:
        lib, _ = wheel
        subprocess.run(cflags + ["-o", WHEEL_BENCH, os.path.join(c, "rdkafka_bench.c"), lib,
                                 "-Wl,-rpath," + os.path.dirname(lib)], check=True)
    subprocess.run(cflags + ["-o", os.path.join(BUILD, "load_time"), os.path.join(c, "load_time.c"), "-ldl"],
                   check=True)
    go = os.environ.get("GO") or shutil.which("go") or "/usr/local/go/bin/go"
    subprocess.run([go, "build", "-o", os.path.join(BUILD, "franzbench"), "."],
                   cwd=os.path.join(ROOT, "bench", "go"), check=True)
