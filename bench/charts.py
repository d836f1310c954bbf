"""The PNG charts of a benchmark run (needs matplotlib): produce throughput
by value size per client, consume throughput, round-trip latency
percentiles, and throughput and peak RSS by partition count (for the
sections the profile ran)."""
import os

import matplotlib

import report

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def draw(results, out):
    if "throughput" in results:
        draw_throughput(results, out)
    if "latency" in results:
        draw_latency(results, out)
    if "partitions" in results:
        draw_partitions(results, out)


def draw_throughput(results, out):
    produce = [r for r in results["throughput"]
               if r["kind"] == "produce" and r["acks"] == "1" and r["compression"] == "none"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for client in dict.fromkeys(r["client"] for r in produce):
        rows = sorted((r for r in produce if r["client"] == client), key=lambda r: r["size"])
        sizes = [r["size"] for r in rows]
        left.plot(sizes, [r["msgs_per_s"] for r in rows], marker="o", label=client)
        cpu = [(r["size"], r["cpu_us_per_msg"]) for r in rows if r.get("cpu_us_per_msg")]
        if cpu:
            right.plot(*zip(*cpu), marker="o", label=client)
    for ax, unit in ((left, "messages/s"), (right, "CPU µs per record (lower is better)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("value size (bytes)")
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle(f"Produce throughput, acks=1, no compression ({report.runs_label(results)})")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "produce_throughput.png"), dpi=100)
    plt.close(fig)

    consume = [r for r in results["throughput"] if r["kind"] == "consume"]
    if consume:
        fig, (ax, cpu_ax) = plt.subplots(1, 2, figsize=(14, 4.5))
        labels = [f"{r['client']}\n{r['size']} B" for r in consume]
        ax.bar(range(len(consume)), [r["msgs_per_s"] for r in consume])
        ax.set_xticks(range(len(consume)), labels, fontsize=7, rotation=45, ha="right")
        ax.set_ylabel("messages/s")
        ax.set_title("Consume throughput from a pre-filled topic")
        cpu_ax.bar(range(len(consume)), [r.get("cpu_us_per_msg") or 0 for r in consume])
        cpu_ax.set_xticks(range(len(consume)), labels, fontsize=7, rotation=45, ha="right")
        cpu_ax.set_ylabel("CPU µs per record (0: not measured)")
        cpu_ax.set_title("CPU per record consumed")
        fig.tight_layout()
        fig.savefig(os.path.join(out, "consume_throughput.png"), dpi=100)
        plt.close(fig)


def draw_latency(results, out):
    latency = results["latency"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.2
    for i, key in enumerate(("min_us", "p50_us", "p90_us", "p99_us")):
        ax.bar([x + i * width for x in range(len(latency))], [r[key] for r in latency], width,
               label=key.replace("_us", ""))
    ax.set_xticks([x + 1.5 * width for x in range(len(latency))], [r["client"] for r in latency], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("µs")
    ax.set_title("Produce round-trip latency (100 B, acks=1, linger 0, one in flight)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency.png"), dpi=100)
    plt.close(fig)


def draw_partitions(results, out):
    # The single-topic produce rows: partitions on a log scale.
    rows = [r for r in results["partitions"] if r["kind"] == "produce" and r.get("topics", 1) == 1]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for client in dict.fromkeys(r["client"] for r in rows):
        mine = sorted((r for r in rows if r["client"] == client), key=lambda r: r["partitions"])
        parts = [r["partitions"] for r in mine]
        left.plot(parts, [r["msgs_per_s"] for r in mine], marker="o", label=client)
        right.plot(parts, [r["rss_peak_kb"] / 1024 for r in mine], marker="o", label=client)
    for ax, unit in ((left, "messages/s"), (right, "peak RSS (MiB)")):
        ax.set_xscale("log")
        ax.set_xlabel("partitions")
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        ax.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle(f"Producing to many partitions, {results['settings']['partition_size']} B, acks=1 "
                 f"(median of {results['runs']} runs)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "partitions.png"), dpi=100)
    plt.close(fig)
