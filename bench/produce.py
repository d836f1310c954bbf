#!/usr/bin/env python3
"""Produce throughput, kfk vs librdkafka, side by side on one broker.

Runs each client's C program (bench/c/) on the same workload, alternating
clients, RUNS times per row, and prints msgs/s and the ratio of medians
(kfk / librdkafka). A broker comes from KFK_TEST_BROKERS or is started by
the harness (tests/with-broker).

    bench/produce.py [--count N] [--runs R] [--sizes 10,100,1000] [--acks 1] [--compression none]

This is the first part of the benchmark suite (issue: benchmarks); the
full suite adds consumers, other clients, latency and charts.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "bench")


def build():
    os.makedirs(BUILD, exist_ok=True)
    subprocess.run(["make", "-s", "-C", ROOT, "lib"], check=True)
    subprocess.run(["cc", "-O2", "-I" + os.path.join(ROOT, "include"), "-o", os.path.join(BUILD, "kfk_produce"),
                    os.path.join(ROOT, "bench", "c", "kfk_produce.c"), "-L" + os.path.join(ROOT, "build"),
                    "-lkfk", "-Wl,-rpath," + os.path.join(ROOT, "build")], check=True)
    subprocess.run(["cc", "-O2", "-o", os.path.join(BUILD, "rdkafka_produce"),
                    os.path.join(ROOT, "bench", "c", "rdkafka_produce.c"), "-lrdkafka"], check=True)


def run(program, brokers, topic, count, size, acks, compression):
    out = subprocess.run([os.path.join(BUILD, program), brokers, topic, str(count), str(size), str(acks), compression],
                         check=True, capture_output=True, text=True).stdout
    fields = dict(kv.split("=") for kv in out.split())
    return int(fields["msgs"]) / float(fields["seconds"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--acks", default="1")
    ap.add_argument("--compression", default="none")
    args = ap.parse_args()
    brokers = os.environ.get("KFK_TEST_BROKERS")
    if not brokers:
        os.execv(os.path.join(ROOT, "tests", "with-broker"),
                 [os.path.join(ROOT, "tests", "with-broker"), sys.executable] + sys.argv)
    build()
    print(f"produce, acks={args.acks}, compression={args.compression}, {args.count} messages, median of {args.runs}")
    print(f"{'size':>6} {'kfk msg/s':>12} {'librdkafka msg/s':>17} {'ratio':>6}")
    for size in (int(s) for s in args.sizes.split(",")):
        results = {"kfk_produce": [], "rdkafka_produce": []}
        for r in range(args.runs):
            for program in ("kfk_produce", "rdkafka_produce") if r % 2 == 0 else ("rdkafka_produce", "kfk_produce"):
                topic = f"bench-{program}-{size}-{int(time.time() * 1000)}"
                results[program].append(run(program, brokers, topic, args.count, size, args.acks, args.compression))
        k, l = statistics.median(results["kfk_produce"]), statistics.median(results["rdkafka_produce"])
        print(f"{size:>6} {k:>12.0f} {l:>17.0f} {k / l:>6.2f}")


if __name__ == "__main__":
    main()
