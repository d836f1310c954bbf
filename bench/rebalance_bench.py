#!/usr/bin/env python3
"""The rebalance benchmark: how long a consumer group stops consuming when a
second member joins, for one client and one group protocol per process.

    rebalance_bench.py CLIENT PROTOCOL BROKERS TOPIC [--interval-ms N] [--phase-ms N] [--timeout S]

CLIENT is kfk (kfk.Client, found through KFK_LIBRARY and PYTHONPATH like
py_bench.py's) or confluent (confluent-kafka, i.e. librdkafka). PROTOCOL is
eager (classic protocol, range assignor), cooperative (classic protocol,
cooperative-sticky, KIP-429) or consumer (KIP-848's group_protocol=consumer,
the coordinator assigns). TOPIC must exist, with a few partitions (run.py
uses 6).

What happens, in this process and two children (the group's members, this
same file run with --member):
1. a producer (the same client) writes one record to every partition every
   INTERVAL ms, from a thread of this process;
2. member A subscribes (a new group, auto.offset.reset=latest, auto commit
   on: both clients' defaults) and consumes until it owns every partition
   and has read from each; member B starts meanwhile, makes its client,
   connects and waits;
3. PHASE ms after A's first assignment (or once A is steady, if later), B
   subscribes: that moment is t0 (library loading and connecting are not
   counted);
4. once the group is settled (A and B both own partitions, together all of
   them) and every partition has been consumed again, half a second more
   is watched, then both members are killed.

The members report every assignment, revocation and consumed record with a
time.monotonic() stamp; CLOCK_MONOTONIC is one clock for every process of
the machine, so the stamps of A, B and this process compare directly.

Prints one line of key=value pairs (all numbers, for clients.parse_pairs):
  resume_ms     from t0 until every partition had a record consumed after
                its last revocation (a partition never revoked: after t0):
                consumption has resumed everywhere
  max_pause_ms  the longest time any partition went without a record
                consumed after t0 (counted from its last one before t0)
  assigned_ms   from t0 until the last assignment callback: the group
                protocol's share of resume_ms; the rest is fetching again
  revoked       partitions revoked from a member after t0 (eager revokes
                all, cooperative and consumer only those that move)
  moved         partitions B owns at the end
  phase_ms      t0 after A's first assignment (A's heartbeats keep time
                from about then)
  duplicates    records (partition, offset) consumed more than once
  lost          offsets never consumed between the first and the last one
                consumed of each partition (a hand-over that skipped records)
  partitions    partitions consumed again (every one: the run succeeded)
  msgs          records consumed by A and B in all
Exit status 1 (and no report line) when the group does not settle within
--timeout seconds.
"""
import argparse
import os
import queue
import subprocess
import sys
import threading
import time

PROTOCOLS = ("eager", "cooperative", "consumer")

# Classic-protocol timing, the same for both clients: librdkafka's defaults
# (kfk's session timeout defaults to 30 s). A member learns of a rebalance
# at its next heartbeat, so the heartbeat interval bounds how long an eager
# or cooperative join waits. KIP-848 takes both from the broker
# (group.consumer.heartbeat.interval.ms, 5 s by default) and refuses them.
CLASSIC = {"session_timeout_ms": 45000, "heartbeat_interval_ms": 3000}


# -- the two clients -----------------------------------------------------------

class Side:
    """What each client gives the benchmark: a producer (start_producer,
    partition_count, produce a record, poll for delivery reports, flush),
    counting failed deliveries, and a group member (member)."""

    failed = 0
    p = None  # the producer: a kfk.Client or a confluent_kafka.Producer

    def delivered(self, err):
        if err is not None:
            self.failed += 1

    def poll(self):
        self.p.poll(0)

    def flush(self):
        self.p.flush(10)


class Kfk(Side):
    def __init__(self, brokers):
        import kfk
        self.kfk, self.brokers = kfk, brokers

    def start_producer(self):
        self.p = self.kfk.Client(brokers=self.brokers, linger_ms=0)
        self.p.connect()

    def partition_count(self, topic):
        return self.p.partition_count(topic)

    def produce(self, topic, partition):
        self.p.produce(topic, b"r", partition=partition, callback=lambda _report, err: self.delivered(err))

    def member(self, protocol, topic, group, on_assign, on_revoke):
        """A generator: it makes and connects the member's client and
        yields None; resumed, it subscribes, then yields the (partition,
        offset) of the records each consume returns. on_assign and
        on_revoke get partition numbers."""
        options = {"auto_offset_reset": "latest", "auto_commit": True}
        if protocol == "consumer":
            options["group_protocol"] = "consumer"
        else:
            options.update(CLASSIC, partition_assignment_strategy="range" if protocol == "eager"
                           else "cooperative-sticky")
        client = self.kfk.Client(brokers=self.brokers)
        client.connect()
        parts = lambda ps: [p["partition"] for p in ps]  # noqa: E731
        yield
        client.subscribe([topic], group, on_assign=lambda ps: on_assign(parts(ps)),
                         on_revoke=lambda ps: on_revoke(parts(ps)), on_lost=lambda ps: on_revoke(parts(ps)),
                         **options)
        while True:
            yield [(m.partition, m.offset) for m in client.consume(0.1)]


class Confluent(Side):
    def __init__(self, brokers):
        import confluent_kafka
        self.ck, self.brokers = confluent_kafka, brokers
        # kfk sets TCP_NODELAY on every socket; so does the rest of the benchmark for librdkafka.
        self.common = {"bootstrap.servers": brokers, "socket.nagle.disable": True}

    def start_producer(self):
        self.p = self.ck.Producer({**self.common, "linger.ms": 0})

    def partition_count(self, topic):
        return len(self.p.list_topics(topic, timeout=10).topics[topic].partitions)

    def produce(self, topic, partition):
        self.p.produce(topic, b"r", partition=partition, on_delivery=lambda err, _msg: self.delivered(err))

    def member(self, protocol, topic, group, on_assign, on_revoke):
        """As Kfk.member, with confluent-kafka's Consumer."""
        conf = {**self.common, "group.id": group, "auto.offset.reset": "latest", "enable.auto.commit": True}
        if protocol == "consumer":
            conf["group.protocol"] = "consumer"
        else:
            conf.update({"session.timeout.ms": CLASSIC["session_timeout_ms"],
                         "heartbeat.interval.ms": CLASSIC["heartbeat_interval_ms"],
                         "partition.assignment.strategy": "range" if protocol == "eager" else "cooperative-sticky"})
        consumer = self.ck.Consumer(conf)
        consumer.list_topics(topic, timeout=10)  # connected, like kfk's member
        parts = lambda ps: [tp.partition for tp in ps]  # noqa: E731
        yield
        # The callbacks do not assign themselves: confluent-kafka then does
        # (incrementally under cooperative-sticky and KIP-848).
        consumer.subscribe([topic], on_assign=lambda c, ps: on_assign(parts(ps)),
                           on_revoke=lambda c, ps: on_revoke(parts(ps)), on_lost=lambda c, ps: on_revoke(parts(ps)))
        while True:
            # poll, one record at a time: consume(n, timeout) would wait for
            # n records or the whole timeout and blur the consumption times.
            m = consumer.poll(0.1)
            if m is None:
                yield []
            elif m.error() is not None:
                print(f"consume error: {m.error()}", file=sys.stderr, flush=True)
                yield []
            else:
                yield [(m.partition(), m.offset())]


CLIENTS = {"kfk": Kfk, "confluent": Confluent}


# -- a member (a child process) ------------------------------------------------

def member_main(client, protocol, brokers, topic, group, role):
    """Runs until killed, writing one line per event to stdout:
        ready T            (B) client made and connected; it subscribes
                           when a line comes on stdin
        start T            about to subscribe
        assign T p p ...   partitions given (incremental or the whole set)
        revoke T p p ...   partitions taken away (or lost)
        m T p:off p:off    records consumed, by a poll that returned at T
    """
    out = sys.stdout

    def event(kind, parts):
        out.write(f"{kind} {time.monotonic():.6f} {' '.join(map(str, parts))}\n")
        out.flush()

    batches = CLIENTS[client](brokers).member(protocol, topic, group, lambda ps: event("assign", ps),
                                              lambda ps: event("revoke", ps))
    next(batches)  # the client is made and connected
    if role == "B":
        event("ready", [])
        sys.stdin.readline()
    event("start", [])
    last_flush = time.monotonic()
    for batch in batches:
        now = time.monotonic()
        if batch:
            out.write(f"m {now:.6f} " + " ".join(f"{p}:{o}" for p, o in batch) + "\n")
        if now - last_flush > 0.05 or not batch:  # the parent reads within 50 ms
            out.flush()
            last_flush = now


# -- the run (this process) ----------------------------------------------------

class Group:
    """What the members reported, as the parent reads it."""

    def __init__(self, partitions):
        self.partitions = set(range(partitions))
        self.owned = {"A": set(), "B": set()}
        self.t0 = None                 # B's start
        self.b_ready = False           # B's client is made and connected
        self.a_assigned = None         # A's first assignment
        self.revoked_at = {}           # partition -> last revocation after t0
        self.revocations = 0           # partitions revoked after t0
        self.assigned_at = {}          # partition -> last assignment
        self.consumed = {p: [] for p in self.partitions}  # partition -> [(time, offset)]

    def read(self, role, line):
        kind, stamp, *rest = line.split()
        t = float(stamp)
        if kind == "ready":
            self.b_ready = True
        elif kind == "start":
            if role == "B":
                self.t0 = t
        elif kind == "assign":
            if role == "A" and self.a_assigned is None:
                self.a_assigned = t
            for p in map(int, rest):
                self.owned[role].add(p)
                self.assigned_at[p] = t
        elif kind == "revoke":
            for p in map(int, rest):
                self.owned[role].discard(p)
                if self.t0 is not None and t >= self.t0:
                    self.revoked_at[p] = t
                    self.revocations += 1
        elif kind == "m":
            for pair in rest:
                p, o = pair.split(":")
                self.consumed[int(p)].append((t, int(o)))

    def resumed_at(self, p):
        """When partition p was consumed again after t0 (or after its last
        revocation), or None. (The list holds A's and B's records in the
        order their lines arrived, not necessarily in time order.)"""
        since = max(self.t0, self.revoked_at.get(p, self.t0))
        return min((t for t, _ in self.consumed[p] if t >= since), default=None)

    def steady(self):
        """A alone owns and has consumed every partition."""
        return self.owned["A"] == self.partitions and all(self.consumed[p] for p in self.partitions)

    def settled(self):
        """Both members own partitions, every partition once, and every
        partition has been consumed since it last moved."""
        a, b = self.owned["A"], self.owned["B"]
        return (self.t0 is not None and a and b and not a & b and a | b == self.partitions
                and all(self.resumed_at(p) is not None for p in self.partitions))

    def report(self):
        t0 = self.t0
        resume = max(self.resumed_at(p) for p in self.partitions) - t0
        pauses, duplicates, lost = [], 0, 0
        for p, records in self.consumed.items():
            times = sorted({t for t, _ in records})
            before = [t for t in times if t < t0]
            window = ([before[-1]] if before else []) + [t for t in times if t >= t0]
            pauses += [b - a for a, b in zip(window, window[1:])]
            offsets = [o for _, o in records]
            duplicates += len(offsets) - len(set(offsets))
            lost += (max(offsets) - min(offsets) + 1) - len(set(offsets))
        assigned = max((t for t in self.assigned_at.values() if t >= t0), default=t0) - t0
        return {"msgs": sum(len(r) for r in self.consumed.values()), "partitions": len(self.partitions),
                "resume_ms": resume * 1e3, "max_pause_ms": max(pauses) * 1e3, "assigned_ms": assigned * 1e3,
                "phase_ms": (t0 - self.a_assigned) * 1e3, "revoked": self.revocations,
                "moved": len(self.owned["B"]), "duplicates": duplicates, "lost": lost}


class Failed(Exception):
    """The group did not get where it should."""


def start_member(role, args, group, events):
    """This file run with --member, its lines going to events as (role, line)."""
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--member", args.client, args.protocol,
                             args.brokers, args.topic, group, role], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)

    def read():
        for line in proc.stdout:
            events.put((role, line))
        events.put((role, None))  # exited

    threading.Thread(target=read, daemon=True).start()
    return proc


def wait_for(events, group, done, deadline, what):
    """Feed events to group until done() or the deadline (then exit 1)."""
    while not done():
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failed(f"not {what} within the timeout (owned: {group.owned})")
        try:
            role, line = events.get(timeout=min(left, 0.1))
        except queue.Empty:
            continue
        if line is None:
            raise Failed(f"member {role} exited before {what}")
        group.read(role, line)


def drain(events, group, seconds):
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            role, line = events.get(timeout=left)
        except queue.Empty:
            break
        if line is not None:
            group.read(role, line)


def run(args):
    producer = CLIENTS[args.client](args.brokers)
    producer.start_producer()
    partitions = producer.partition_count(args.topic)
    stop = threading.Event()

    def produce():
        """A record to every partition every interval, on a fixed schedule."""
        tick = time.monotonic()
        while not stop.is_set():
            for p in range(partitions):
                producer.produce(args.topic, p)
            producer.poll()
            tick += args.interval_ms / 1e3
            time.sleep(max(0.0, tick - time.monotonic()))

    producing = threading.Thread(target=produce, daemon=True)
    producing.start()
    group_id = f"rebalance-{args.client}-{args.protocol}-{time.time_ns()}"
    group, events = Group(partitions), queue.Queue()
    # B starts with A, so that its start-up is done when it is to join.
    members = [start_member(role, args, group_id, events) for role in ("A", "B")]
    try:
        deadline = time.monotonic() + args.timeout
        wait_for(events, group, lambda: group.steady() and group.b_ready, deadline,
                 "member A owned every partition and B was ready")
        # B subscribes --phase-ms after A's first assignment (later if A
        # took longer to be steady; phase_ms reports when). A member learns
        # of a rebalance at its next heartbeat, which comes on a schedule
        # kept since that assignment, so the phase decides much of
        # resume_ms: run.py spreads the phases of a row's runs over a
        # heartbeat interval, the same ones for both clients.
        drain(events, group, group.a_assigned + args.phase_ms / 1e3 - time.monotonic())
        members[1].stdin.write("go\n")
        members[1].stdin.flush()
        wait_for(events, group, group.settled, time.monotonic() + args.timeout, "the group settled")
        # Watch half a second more: later revocations would undo
        # "settled", and duplicates or gaps of the hand-over show up.
        drain(events, group, 0.5)
        if not group.settled():
            wait_for(events, group, group.settled, time.monotonic() + args.timeout, "the group settled again")
    finally:
        for proc in members:
            proc.kill()
        stop.set()
        producing.join()
    producer.flush()
    report = group.report()
    report["produce_failed"] = producer.failed
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in report.items()))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--member":
        member_main(*sys.argv[2:8])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("client", choices=CLIENTS)
    ap.add_argument("protocol", choices=PROTOCOLS)
    ap.add_argument("brokers")
    ap.add_argument("topic")
    ap.add_argument("--interval-ms", type=float, default=10, help="a record to every partition this often")
    ap.add_argument("--phase-ms", type=float, default=1500,
                    help="when B subscribes, in ms after A's first assignment")
    ap.add_argument("--timeout", type=float, default=60, help="seconds for each step to happen")
    status = 0
    try:
        run(ap.parse_args())
    except Failed as exc:
        print(f"rebalance_bench: {exc}", file=sys.stderr)
        status = 1
    # Skip interpreter teardown: some clients block in their finalizers.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
