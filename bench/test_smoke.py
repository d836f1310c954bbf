"""Smoke test of the benchmark (part of `make test`): every program runs
with tiny counts through bench/run.py's smoke profile, against the broker
of KFK_TEST_BROKERS or one the harness starts, and must report every
message and a positive rate; the C programs also produce over 4
partitions, as the partitions profile does, and rebalance_bench.py times
one cooperative rebalance for kfk's binding and for confluent-kafka."""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def test_every_bench_program_reports_its_messages(tmp_path):
    subprocess.run([sys.executable, os.path.join(HERE, "run.py"), "--profile", "smoke", "--out", str(tmp_path)],
                   check=True, timeout=600)
    results = json.load(open(tmp_path / "results.json"))
    assert results["failures"] == []

    produced = {r["client"] for r in results["throughput"] if r["kind"] == "produce"}
    consumed = {r["client"] for r in results["throughput"] if r["kind"] == "consume"}
    # librdkafka-wheel-c: rdkafka_bench.c on confluent-kafka's librdkafka,
    # built when confluent-kafka is installed.
    wheel = os.path.exists(os.path.join(os.path.dirname(HERE), "build", "bench", "rdkafka_bench_wheel"))
    expected = {"kfk-c", "librdkafka-c", "franz-go", "java", "kfk-python", "confluent-python", "kfk-confluent",
                "kafka-python", "kfk-ruby"} | ({"kfk-pypy"} if shutil.which("pypy3") else set()) | (
                    {"librdkafka-wheel-c"} if wheel else set())
    assert produced == expected | {"kfk-python-values", "kfk-python-many", "kfk-ruby-many"} and consumed == expected
    # The compressed rows with text-like values: the C programs, each codec.
    text = {(r["client"], r["compression"]) for r in results["throughput"] if r["kind"] == "produce-text"}
    c_programs = {"kfk-c", "librdkafka-c"} | ({"librdkafka-wheel-c"} if wheel else set())
    assert text == {(c, codec) for c in c_programs for codec in ("lz4", "zstd")}
    for r in results["throughput"]:
        assert r["msgs_per_s"] > 0 and r["mb_per_s"] > 0, r
        assert r["runs"] == 1 and r["count"] == 300 and r["lost"] == 0, r
    assert {r["client"] for r in results["latency"]} == expected - {"java"}
    for r in results["latency"]:
        assert 0 < r["min_us"] <= r["p50_us"] <= r["p99_us"] <= r["max_us"], r
    assert all(r["load_ms"] > 0 for r in results["load_time"])
    perl = {r["line"]: r["msgs_per_s"] for r in results["perl"]["rows"]}
    assert {"Pipeline produce (acks=1)", "Client produce (acks=1)", "100 bytes"} <= set(perl)
    assert all(rate > 0 for rate in perl.values())
    # one produce, one consume and one latency row, and two produce-text rows
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("| kfk-c |") == 5

    # The C programs' topics and partitions arguments: 300 records over
    # one topic of 4 partitions and over two of 2, every record delivered
    # (run.py checks the topics' end offsets for an even spread) and read
    # back, the CPU per record reported; and an idle consumer's CPU.
    parts = results["partitions"]
    moving = [r for r in parts if r["kind"] != "idle"]
    assert {(r["kind"], r["client"], r["topics"], r["partitions"]) for r in moving} == {
        (kind, client, t, p) for kind in ("produce", "consume") for client in ("kfk-c", "librdkafka-c")
        for t, p in ((1, 4), (2, 2))}
    for r in moving:
        assert r["runs"] == 1 and r["count"] == 300 and r["lost"] == 0 and r["msgs_per_s"] > 0, r
        assert r["cpu_us_per_msg"] > 0 and r["rss_peak_kb"] > 0, r
    idle = [r for r in parts if r["kind"] == "idle"]
    assert {(r["client"], r["topics"], r["partitions"]) for r in idle} == {("kfk-c", 1, 4), ("librdkafka-c", 1, 4)}
    for r in idle:
        assert r["runs"] == 1 and r["idle_cpu_ms_per_10s"] > 0 and r["rss_peak_kb"] > 0, r
    for title in ("## Producing to many partitions", "## Consuming from many partitions", "## Idle consumer"):
        assert title in summary
    assert "\n| 4 | " in summary and "\n| 2 x 2 | " in summary

    # rebalance_bench.py: one cooperative join per client. Only that it
    # finished is asserted (every partition consumed again, a time
    # measured), never how long it took.
    rebalance = results["rebalance"]
    assert {(r["client"], r["protocol"]) for r in rebalance} == {("kfk-python", "cooperative"),
                                                                 ("confluent-python", "cooperative")}
    for r in rebalance:
        assert r["runs"] == 1 and r["resumed_partitions"] == r["partitions"] == 6, r
        assert r["resume_ms"] > 0 and r["max_pause_ms"] > 0, r
    assert "## Rebalancing" in summary and "| cooperative | kfk-python |" in summary
