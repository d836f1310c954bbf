"""What a benchmark run leaves in its results directory: results.json
(everything), throughput.csv, latency.csv, partitions.csv, rebalance.csv,
share.csv (for the sections the profile ran), summary.md (the tables, with ratios to
librdkafka) and, when matplotlib is installed, the charts."""
import csv
import json
import os
import platform
import re
import subprocess

import clients

BASELINE = "librdkafka-c"


def command_output(cmd, env=None):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        return (proc.stdout + proc.stderr).strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unavailable: {exc}"


def machine():
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    mem = next((ln.split()[1] for ln in open("/proc/meminfo") if ln.startswith("MemTotal")), "0")
    return {"host": platform.node(), "kernel": platform.release(), "cpu": cpu, "cores": os.cpu_count(),
            "mem_gib": round(int(mem) / 2**20, 1), "os": command_output(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
            "loadavg_start": os.getloadavg()}


def python_version_of(module_expr):
    return command_output(["python3", "-c", f"import sys; sys.stdout.write(str({module_expr}))"])


def java_version():
    java = command_output([clients.KAFKA, "java"]).splitlines()[-1]
    return command_output([java, "-version"]).splitlines()[0]


def versions(broker_env):
    go_mod = open(os.path.join(clients.ROOT, "bench", "go", "go.mod")).read()
    franz = re.search(r"github.com/twmb/franz-go v(\S+)", go_mod)
    return {
        "kfk": open(os.path.join(clients.ROOT, "include", "kfk.h")).read().split('KFK_VERSION_STR "')[1].split('"')[0],
        "librdkafka": command_output(["pkg-config", "--modversion", "rdkafka"]),
        "confluent-kafka": python_version_of("__import__('confluent_kafka').version() + ' (bundled librdkafka ' + "
                                             "__import__('confluent_kafka').libversion()[0] + ')'"),
        "kafka-python": python_version_of("__import__('kafka').__version__"),
        "franz-go": franz.group(1) if franz else "?",
        "kafka_broker": broker_env.get("KFK_TEST_KAFKA_VERSION", "unknown (KFK_TEST_BROKERS given)"),
        "java": java_version(),
        "go": command_output([os.environ.get("GO") or "go", "version"]).removeprefix("go version "),
        "python": platform.python_version(),
        "perl": command_output(["perl", "-e", "print $^V"]),
        "ruby": command_output(["ruby", "-e", "print RUBY_VERSION"]),
    }


def with_ratios(rows):
    """Adds vs_librdkafka: the row's msgs/s over librdkafka's in the same
    workload (same kind, size, acks, compression)."""
    base = {(r["kind"], r["size"], r["acks"], r["compression"]): r["msgs_per_s"]
            for r in rows if r["client"] == BASELINE}
    for r in rows:
        b = base.get((r["kind"], r["size"], r["acks"], r["compression"]))
        r["vs_librdkafka"] = r["msgs_per_s"] / b if b else None
    return rows


def partition_ratios(rows):
    """Adds vs_librdkafka to the many-partition produce and consume rows:
    msgs/s over librdkafka's in the same kind and layout."""
    base = {layout_of(r): r["msgs_per_s"] for r in rows if r["client"] == BASELINE and "msgs_per_s" in r}
    for r in rows:
        b = base.get(layout_of(r))
        r["vs_librdkafka"] = r["msgs_per_s"] / b if b and "msgs_per_s" in r else None
    return rows


def layout_of(row):
    """(kind, topics, partitions each): a many-partition row's workload."""
    return row["kind"], row.get("topics", 1), row["partitions"]


def layout_label(topics, partitions):
    return f"{partitions:,}" if topics == 1 else f"{topics} x {partitions:,}"


def fmt(v, spec):
    return "" if v is None else format(v, spec)


def mib(kb):
    return None if kb is None else kb / 1024


def partitions_section(results):
    """The many-partition tables, kfk-c against librdkafka-c per layout
    (producing, consuming back, idle), then the figures the issue's
    targets are stated in."""
    rows = results["partitions"]
    s = results["settings"]
    by = {layout_of(r) + (r["client"],): r for r in rows}
    kfk, rd = "kfk-c", BASELINE
    layouts = [tuple(x) for x in s["partitions"]]

    def rate(x):
        return fmt(x.get("msgs_per_s") and x["msgs_per_s"] / 1e3, ",.0f") + ("k" if x else "") + (
            f" ({x['lost']} lost)" if x.get("lost") else "")

    def cpu(x):
        return fmt(x.get("cpu_us_per_msg"), ".2f") + (" µs" if x.get("cpu_us_per_msg") is not None else "")

    def rss(x):
        return fmt(mib(x.get("rss_peak_kb")), ".0f") + (" MiB" if x.get("rss_peak_kb") is not None else "")

    lines = []
    for kind, title in (("produce", "Producing to many partitions"), ("consume", "Consuming from many partitions")):
        lines += [f"## {title} ({s['partition_count']:,} x {s['partition_size']} B, acks=1, linger 5 ms, record i "
                  "to topic i % T, partition (i / T) % P)", "",
                  "| partitions (T x P) | kfk msgs/s | librdkafka | ratio | kfk CPU/rec | librdkafka | kfk peak RSS "
                  "| librdkafka | spread kfk / librdkafka |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for t, n in layouts:
            k, r = by.get((kind, t, n, kfk), {}), by.get((kind, t, n, rd), {})
            spread = " / ".join(f"±{x['spread_pct']:.0f}%" if x else "" for x in (k, r))
            lines.append(f"| {layout_label(t, n)} | {rate(k)} | {rate(r)} | {fmt(k.get('vs_librdkafka'), '.2f')} "
                         f"| {cpu(k)} | {cpu(r)} | {rss(k)} | {rss(r)} | {spread} |")
        lines.append("")
    idle = [tuple(x) for x in s.get("idle_partitions", [])]
    if idle:
        lines += [f"## Idle consumer, every partition assigned at its end ({s['idle_seconds']} s measured after a "
                  "warm-up, consuming in a loop)", "",
                  "| partitions (T x P) | kfk CPU ms per 10 s | librdkafka | kfk peak RSS | librdkafka |",
                  "| ---: | ---: | ---: | ---: | ---: |"]
        for t, n in idle:
            k, r = by.get(("idle", t, n, kfk), {}), by.get(("idle", t, n, rd), {})
            lines.append(f"| {layout_label(t, n)} | {fmt(k.get('idle_cpu_ms_per_10s'), '.0f')} "
                         f"| {fmt(r.get('idle_cpu_ms_per_10s'), '.0f')} | {rss(k)} | {rss(r)} |")
        lines.append("")
    lines += ["Ratio: kfk's msgs/s over librdkafka's. CPU/rec: user + system CPU of the whole process "
              "(getrusage) over the timed part, per record. Peak RSS: VmHWM at the end. Each a median of "
              f"{results['runs']} runs.", ""]
    ks = {n: by[("produce", 1, n, kfk)] for t, n in layouts if t == 1 and ("produce", 1, n, kfk) in by}
    if ks:
        top = max(ks)
        k, r = ks[top], by.get(("produce", 1, top, rd))
        if r:
            lines.append(f"- At {top:,} partitions kfk makes {k['vs_librdkafka']:.2f}x librdkafka's msgs/s; its peak "
                         f"RSS is {mib(k['rss_peak_kb']) - mib(r['rss_peak_kb']):+.0f} MiB against librdkafka's.")
        flat = [n for n in ks if n <= 256]
        if len(flat) > 1:
            first = ks[min(flat)]
            rel = ", ".join(f"{ks[n]['msgs_per_s'] / first['msgs_per_s']:.2f} at {n:,}" for n in sorted(flat)[1:])
            cpu_rel = ", ".join(f"{ks[n]['cpu_us_per_msg'] / first['cpu_us_per_msg']:.2f} at {n:,}"
                                for n in sorted(flat)[1:])
            lines.append(f"- kfk's msgs/s relative to {min(flat):,} partition(s): {rel}; its CPU per record: "
                         f"{cpu_rel}.")
    for t, n in idle:
        k, r = by.get(("idle", t, n, kfk)), by.get(("idle", t, n, rd))
        if k and r:
            lines.append(f"- Idle at {layout_label(t, n)} partitions kfk uses {k['idle_cpu_ms_per_10s']:.0f} ms of CPU "
                         f"per 10 s, librdkafka {r['idle_cpu_ms_per_10s']:.0f} ms.")
    return lines


def rebalance_section(results):
    """The rebalance rows, each protocol's kfk row beside confluent-kafka's."""
    rows = results["rebalance"]
    if not rows:
        return []
    r0 = rows[0]
    lines = [f"## Rebalancing: a second member joins a group of one ({r0['partitions']} partitions, a record to "
             f"each every {r0['interval_ms']} ms)", "",
             "| protocol | client | every partition consumed again, ms | longest partition pause, ms "
             "| last assignment, ms | partitions revoked | duplicates | lost | resumed, each run, ms |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        each = ", ".join(f"{v:.0f}" for v in r["resume_ms_runs"])
        lines.append(f"| {r['protocol']} | {r['client']} | {r['resume_ms']:,.0f} | {r['max_pause_ms']:,.0f} "
                     f"| {r['assigned_ms']:,.0f} | {r['revoked']:.0f} | {r['duplicates']:.0f} | {r['lost']:.0f} "
                     f"| {each} |")
    lines += ["", "Times from the moment the second member subscribes. eager: classic protocol, range "
              "assignor; cooperative: classic, cooperative-sticky; consumer: KIP-848. Heartbeats every 3 s "
              "(classic, both clients) or the broker's interval (KIP-848). Medians of "
              f"{results['runs']} runs, the joins spread over a heartbeat interval; duplicates and lost "
              "are records over all runs. See bench/README.md."]
    return lines


def share_section(results):
    """The share consume rows: kfk's binding beside confluent-kafka and Java."""
    rows = results["share"]
    if not rows:
        return []
    lines = [f"## Share group consume (KIP-932): {rows[0]['count']:,} records of {rows[0]['size']} B, one member "
             "of a new share group, implicit acknowledgement", "",
             "| client | msgs/s | MB/s | spread | CPU/rec µs (timed part) | CPU/rec µs (whole process) "
             "| RSS idle/peak MiB |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        rss = "" if r["rss_peak_kb"] is None else f"{r['rss_idle_kb'] / 1024:.0f} / {r['rss_peak_kb'] / 1024:.0f}"
        client = r["client"] + (f" ({r['lost']} lost)" if r.get("lost") else "")
        lines.append(f"| {client} | {r['msgs_per_s']:,.0f} | {r['mb_per_s']:.1f} | ±{r['spread_pct']:.0f}% "
                     f"| {fmt(r.get('cpu_us_per_msg'), '.2f')} | {fmt(r.get('process_cpu_us_per_msg'), '.2f')} "
                     f"| {rss} |")
    lines += ["", "msgs/s: the records after the first, timed from the first one's arrival to the last's, so "
              "joining the group (seconds: the heartbeat interval) is left out (Java: from "
              "ShareConsumerPerformance's reporting intervals). CPU/rec (timed part): user + system CPU of the "
              "process over the timed part (Python programs only); (whole process): the child process's "
              "getrusage from start to exit over every record, start-up and join included (for Java the JVM's). "
              f"Medians of {results['runs']} runs."]
    return lines


def runs_label(results):
    """How many runs each row's figures are the median of."""
    runs, compared = results["runs"], results.get("compared_runs", results["runs"])
    if compared == runs or not results.get("compared_clients"):
        return f"median of {runs} runs"
    return f"median of {compared} runs for {', '.join(results['compared_clients'])}, {runs} for the others"


def summary(results):
    m, v = results["machine"], results.get("versions", {})
    lines = [f"# Benchmark results ({results['profile']} profile, {runs_label(results)})", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['mem_gib']} GiB, {m['os']}, kernel {m['kernel']}; "
             f"load average {m['loadavg_start'][0]:.2f} at the start, {m.get('loadavg_end', [0])[0]:.2f} at the end.",
             "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + "."]
    if "broker_heap" in results:
        lines += [f"The broker's heap was {results['broker_heap']} (bench/broker_heap.py)."]
    if "throughput" in results:
        lines += throughput_section(results)
    if "latency" in results:
        lines += latency_section(results)
    if "load_time" in results:
        lines += ["", "## Library load time (dlopen + first call, fresh process)", "", "| library | ms |",
                  "| --- | ---: |"]
        lines += [f"| {r['library']} | {r['load_ms']:.2f} |" for r in results["load_time"]]
    if "perl" in results:
        lines += perl_section(results)
    if "partitions" in results:
        lines += [""] + partitions_section(results)
    if results.get("rebalance"):
        lines += [""] + rebalance_section(results)
    if results.get("share"):
        lines += [""] + share_section(results)
    if results.get("failures"):
        lines += ["", "## Failed runs (left out of the tables above)", ""]
        lines += [f"- {f['client']} {f['mode']}: " + (f.get("why") or f"exit status {f['rc']}, output in "
                                                     f"`{os.path.basename(f['log'])}`")
                  for f in results["failures"]]
    lines.append(f"\nTotal time {results['seconds']:.0f} s.")
    return "\n".join(lines) + "\n"


def throughput_section(results):
    lines = ["", "## Throughput", "",
             "| workload | size | acks | compression | client | msgs/s | MB/s | spread | vs librdkafka "
             "| CPU/rec µs | RSS idle/peak MiB |",
             "| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results["throughput"]:
        rss = "" if r["rss_peak_kb"] is None else f"{r['rss_idle_kb'] / 1024:.0f} / {r['rss_peak_kb'] / 1024:.0f}"
        client = r["client"] + (f" ({r['lost']} lost)" if r.get("lost") else "")
        lines.append(f"| {r['kind']} | {r['size']} | {r['acks']} | {r['compression']} | {client} | "
                     f"{r['msgs_per_s']:,.0f} | {r['mb_per_s']:.1f} | ±{r['spread_pct']:.0f}% | "
                     f"{fmt(r['vs_librdkafka'], '.2f')} | {fmt(r.get('cpu_us_per_msg'), '.2f')} | {rss} |")
    lines += ["", "Spread is (max - min) / median of the runs' msgs/s. \"lost\": messages a client did not "
              "deliver or read in its runs (its rate counts only those it did). CPU/rec: user + system CPU of "
              "the client's whole process over the timed part (getrusage), per record, median of the runs; "
              "blank where the program does not measure it (franz-go, Java)."]
    return lines


def latency_section(results):
    lines = ["", "## Produce round-trip latency (100 B, acks=1, linger 0, one in flight), µs", "",
              "| client | min | p50 | p90 | p99 | max | p50 spread |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results["latency"]:
        lines.append(f"| {r['client']} | {r['min_us']:.0f} | {r['p50_us']:.0f} | {r['p90_us']:.0f} | "
                     f"{r['p99_us']:.0f} | {r['max_us']:.0f} | ±{r['p50_spread_pct']:.0f}% |")
    return lines


def perl_section(results):
    p = results["perl"]
    lines = ["", f"## Perl: the EV::Kafka drop-in ({p['messages']} messages, 100 B) vs EV::Kafka's published figures",
             "", "| line | msgs/s | CPU/rec µs | EV::Kafka (seed) | ratio |", "| --- | ---: | ---: | ---: | ---: |"]
    for r in p["rows"]:
        lines.append(f"| {r['line']} | {r['msgs_per_s']:,.0f} | {fmt(r.get('cpu_us_per_msg'), '.2f')} | "
                     f"{fmt(r['seed_msgs_per_s'], ',')} | {fmt(r['vs_seed'], '.2f')} |")
    lat = p["latency_us"]
    lines.append(f"\nRound-trip latency: p50 {lat.get('median', 0):.0f} µs (seed 39), "
                 f"p90 {lat.get('p90', 0):.0f} µs (seed 59), p99 {lat.get('p99', 0):.0f} µs (seed 122).")
    return lines


def write(results, out):
    os.makedirs(out, exist_ok=True)
    if "throughput" in results:
        with_ratios(results["throughput"])
    if "partitions" in results:
        partition_ratios(results["partitions"])
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    keys = ["kind", "size", "acks", "compression", "client", "language", "count", "runs", "msgs_per_s", "mb_per_s",
            "spread_pct", "vs_librdkafka", "lost", "failed_runs", "rss_idle_kb", "rss_peak_kb"]
    if "throughput" in results:
        with open(os.path.join(out, "throughput.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, keys, extrasaction="ignore")
            w.writeheader()
            w.writerows(results["throughput"])
    if "latency" in results:
        with open(os.path.join(out, "latency.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, ["client", "language", "size", "count", "runs", "failed_runs", "min_us", "p50_us",
                                   "p90_us", "p99_us", "max_us", "p50_spread_pct"])
            w.writeheader()
            w.writerows(results["latency"])
    if "partitions" in results:
        with open(os.path.join(out, "partitions.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, ["topics", "partitions"] + keys + ["cpu_us_per_msg", "idle_cpu_ms_per_10s"],
                               extrasaction="ignore")
            w.writeheader()
            w.writerows(results["partitions"])
    if results.get("rebalance"):
        with open(os.path.join(out, "rebalance.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, ["protocol", "client", "runs", "failed_runs", "partitions", "resume_ms",
                                   "max_pause_ms", "assigned_ms", "revoked", "moved", "duplicates", "lost"],
                               extrasaction="ignore")
            w.writeheader()
            w.writerows(results["rebalance"])
    if results.get("share"):
        with open(os.path.join(out, "share.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, keys + ["cpu_us_per_msg", "process_cpu_us_per_msg"], extrasaction="ignore")
            w.writeheader()
            w.writerows(results["share"])
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(summary(results))
    try:
        import charts
    except ImportError as exc:
        print(f"charts skipped: {exc} (install python3-matplotlib)")
        return
    charts.draw(results, out)
