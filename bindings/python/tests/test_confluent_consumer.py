"""kfk.confluent's Consumer against confluent-kafka (the `lib` fixture
runs a test with each): what a commit commits and lists after polls,
seeks and new assignments, what on_commit is told (of the automatic
commits too), the rebalance callbacks with empty partition lists,
assignment() inside on_assign, end-of-partition events, the error
events of subscribed topics the cluster lacks and the errors of calls
on partitions not assigned."""

import time

import pytest

from conftest import create_topic, unique, wait_for

import kfk
import kfk.confluent as kc


def filled(brokers, conn, partitions, counts):
    """A new topic with counts[p] messages in partition p."""
    topic = create_topic(conn, partitions=partitions)
    with kfk.Client(brokers=brokers) as k:
        for p, n in enumerate(counts):
            for i in range(n):
                k.produce(topic, f"p{p}-{i}", partition=p).result()
    return topic


def consumer(lib, brokers, **conf):
    return lib.Consumer({"bootstrap.servers": brokers, "group.id": unique("cons"), "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, **conf})


def read(c, n):
    """The next n messages, events aside."""
    got = []

    def step():
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            got.append(m)
    wait_for(lambda: len(got) >= n, step)
    return got


def offsets(tps):
    return [(tp.partition, tp.offset) for tp in tps]


def no_position(lib, c, tp):
    """position() of tp comes to know none (librdkafka resets it on its
    own thread a moment after the call that asks for it)."""
    wait_for(lambda: offsets(c.position([tp])) == [(tp.partition, lib.OFFSET_INVALID)], lambda: time.sleep(0.01))


def failure(lib, call):
    with pytest.raises(lib.KafkaException) as e:
        call()
    return e.value.args[0].code()


# -- what commits commit and list -----------------------------------------------------------------

def test_commit_lists_every_assigned_partition(lib, brokers, conn):
    """A commit without offsets lists every assigned partition, OFFSET_INVALID
    where nothing new is committed; one with offsets lists all of them,
    invalid ones too; nothing new to commit is _NO_OFFSET."""
    topic = filled(brokers, conn, 3, [3, 3, 0])
    results = []
    c = consumer(lib, brokers, on_commit=lambda err, parts: results.append((err, offsets(parts))))
    c.subscribe([topic])
    got = read(c, 6)
    p0 = max((m for m in got if m.partition() == 0), key=lambda m: m.offset())
    assert offsets(c.commit(message=p0, asynchronous=False)) == [(0, 3)]
    assert offsets(c.commit(asynchronous=False)) == [(0, -1001), (1, 3), (2, -1001)]
    assert failure(lib, lambda: c.commit(asynchronous=False)) == lib.KafkaError._NO_OFFSET
    done = c.commit(offsets=[lib.TopicPartition(topic, 0, 2), lib.TopicPartition(topic, 1, -1001)],
                    asynchronous=False)
    assert offsets(done) == [(0, 2), (1, -1001)]
    assert c.commit(offsets=[lib.TopicPartition(topic, 0, 3), lib.TopicPartition(topic, 2, -1001)]) is None
    wait_for(lambda: results, lambda: c.poll(0.1))
    assert results == [(None, [(0, 3), (2, -1001)])]  # synchronous commits tell on_commit nothing
    assert offsets(c.committed([lib.TopicPartition(topic, p) for p in range(3)], timeout=10)) == [
        (0, 3), (1, 3), (2, -1001)]
    c.close()


def test_commit_of_stored_offsets_lists_every_assigned_partition(lib, brokers, conn):
    topic = filled(brokers, conn, 2, [3, 3])
    c = consumer(lib, brokers, **{"enable.auto.offset.store": False})
    c.subscribe([topic])
    got = read(c, 6)
    c.store_offsets(message=next(m for m in got if m.partition() == 0 and m.offset() == 1))
    assert offsets(c.commit(asynchronous=False)) == [(0, 2), (1, -1001)]
    c.store_offsets(offsets=[lib.TopicPartition(topic, 1, 3)])
    assert offsets(c.commit(asynchronous=False)) == [(0, -1001), (1, 3)]
    c.close()


def test_asynchronous_commit_of_nothing_tells_on_commit(lib, brokers, conn):
    """An asynchronous commit with nothing to commit does not raise:
    on_commit gets _NO_OFFSET and what the commit lists."""
    topic = filled(brokers, conn, 3, [3, 3, 0])
    results, got = [], []

    def on_commit(err, parts):
        results.append((err.code() if err is not None else None, offsets(parts)))

    def told(c, call):
        """What on_commit is told of call(); the messages polled meanwhile go to got."""
        results.clear()
        assert call() is None
        wait_for(lambda: results, lambda: got.extend(m for m in [c.poll(0.1)] if m is not None))
        return results.pop(0)

    c = consumer(lib, brokers, on_commit=on_commit)
    no_offset = lib.KafkaError._NO_OFFSET
    assert told(c, lambda: c.commit()) == (no_offset, [])  # nothing assigned
    c.subscribe([topic])
    read(c, 6)
    assert offsets(c.commit(asynchronous=False)) == [(0, 3), (1, 3), (2, -1001)]
    assert told(c, lambda: c.commit()) == (no_offset, [(0, -1001), (1, -1001), (2, -1001)])
    assert told(c, lambda: c.commit(offsets=[lib.TopicPartition(topic, 0, -1001)])) == (no_offset, [(0, -1001)])
    assert told(c, lambda: c.commit(offsets=[])) == (no_offset, [])
    c.close()

    d = consumer(lib, brokers, on_commit=on_commit)  # one that assigns partitions itself
    d.assign([lib.TopicPartition(topic, 0, 0), lib.TopicPartition(topic, 2, 0)])
    got.clear()
    assert told(d, lambda: d.commit()) == (no_offset, [(0, -1001), (2, -1001)])
    wait_for(lambda: len(got) == 3, lambda: got.extend(m for m in [d.poll(0.2)] if m is not None))
    assert told(d, lambda: d.commit()) == (None, [(0, 3), (2, -1001)])
    assert told(d, lambda: d.commit()) == (no_offset, [(0, -1001), (2, -1001)])
    d.close()


@pytest.mark.parametrize("how", ["assign", "subscribe"])
def test_seek_changes_nothing_commit_commits(lib, brokers, conn, how):
    """A seek moves the position, not what commits take: a commit never
    goes back to an offset below the committed one, and a partition
    committed lower goes forward again."""
    topic = filled(brokers, conn, 1, [5])
    c = consumer(lib, brokers)
    tp = lib.TopicPartition(topic, 0)
    if how == "assign":
        c.assign([lib.TopicPartition(topic, 0, 0)])
    else:
        c.subscribe([topic])
    read(c, 3)
    assert offsets(c.commit(asynchronous=False)) == [(0, 3)]
    c.seek(lib.TopicPartition(topic, 0, 1))
    assert failure(lib, lambda: c.commit(asynchronous=False)) == lib.KafkaError._NO_OFFSET
    no_position(lib, c, tp)
    assert [m.offset() for m in read(c, 1)] == [1]
    assert offsets(c.position([tp])) == [(0, 2)]
    assert failure(lib, lambda: c.commit(asynchronous=False)) == lib.KafkaError._NO_OFFSET
    assert offsets(c.committed([tp], timeout=10)) == [(0, 3)]
    c.commit(offsets=[lib.TopicPartition(topic, 0, 1)], asynchronous=False)
    assert offsets(c.commit(asynchronous=False)) == [(0, 2)]
    assert offsets(c.committed([tp], timeout=10)) == [(0, 2)]
    c.close()


@pytest.mark.parametrize("how", ["subscribe", "assign"])
def test_commit_never_goes_below_what_was_committed_before_the_assignment(lib, brokers, conn, how):
    """A member assigned a partition its group committed 5 in, sought back
    to 1, commits nothing of it; as does a consumer assigning the
    partition at its committed offset."""
    topic = filled(brokers, conn, 1, [8])
    group = unique("before")
    first = consumer(lib, brokers, **{"group.id": group})
    first.commit(offsets=[lib.TopicPartition(topic, 0, 5)], asynchronous=False)
    first.close()
    c = consumer(lib, brokers, **{"group.id": group})
    if how == "subscribe":
        c.subscribe([topic])
    else:
        c.assign([lib.TopicPartition(topic, 0, lib.OFFSET_STORED)])
    assert [m.offset() for m in read(c, 1)] == [5]
    c.seek(lib.TopicPartition(topic, 0, 1))
    assert [m.offset() for m in read(c, 1)] == [1]
    assert failure(lib, lambda: c.commit(asynchronous=False)) == lib.KafkaError._NO_OFFSET
    assert offsets(c.committed([lib.TopicPartition(topic, 0)], timeout=10)) == [(0, 5)]
    c.close()


def test_commit_after_an_automatic_commit(lib, brokers, conn):
    """With enable.auto.commit, commit() finds nothing new once the
    automatic commit took the offsets, nor after a seek back."""
    topic = filled(brokers, conn, 1, [3])
    tp = lib.TopicPartition(topic, 0)
    c = consumer(lib, brokers, **{"enable.auto.commit": True, "auto.commit.interval.ms": 100})
    c.subscribe([topic])
    read(c, 3)
    wait_for(lambda: offsets(c.committed([tp], timeout=10)) == [(0, 3)], lambda: c.poll(0.1))
    assert failure(lib, lambda: c.commit(asynchronous=False)) == lib.KafkaError._NO_OFFSET
    c.seek(lib.TopicPartition(topic, 0, 0))
    assert [m.offset() for m in read(c, 1)] == [0]
    assert failure(lib, lambda: c.commit(asynchronous=False)) == lib.KafkaError._NO_OFFSET
    assert offsets(c.committed([tp], timeout=10)) == [(0, 3)]
    c.close()


def test_assigning_again_starts_afresh(lib, brokers, conn):
    """A second assign() of a partition starts with no position and nothing
    to commit, and never commits below what was committed."""
    topic = filled(brokers, conn, 1, [5])
    tp = lib.TopicPartition(topic, 0)
    c = consumer(lib, brokers)
    c.assign([lib.TopicPartition(topic, 0, 0)])
    read(c, 3)
    c.assign([lib.TopicPartition(topic, 0, 1)])
    assert failure(lib, lambda: c.commit(asynchronous=False)) == lib.KafkaError._NO_OFFSET
    no_position(lib, c, tp)
    assert offsets(c.committed([tp], timeout=10)) == [(0, -1001)]
    assert [m.offset() for m in read(c, 2)] == [1, 2]
    assert offsets(c.commit(asynchronous=False)) == [(0, 3)]
    c.assign([tp])  # at the committed offset: OFFSET_STORED in assignment()
    assert offsets(c.assignment()) == [(0, lib.OFFSET_STORED)]
    c.assign([lib.TopicPartition(topic, 0, 0)])
    assert [m.offset() for m in read(c, 1)] == [0]
    assert failure(lib, lambda: c.commit(asynchronous=False)) == lib.KafkaError._NO_OFFSET
    assert offsets(c.committed([tp], timeout=10)) == [(0, 3)]
    c.close()


# -- automatic commits ----------------------------------------------------------------------------

def committed_by(lib, brokers, group, topic, partitions):
    """The offsets group committed, asked by a consumer of its own."""
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": group})
    try:
        return offsets(c.committed([lib.TopicPartition(topic, p) for p in range(partitions)], timeout=10))
    finally:
        c.close()


@pytest.mark.parametrize("how", ["subscribe", "assign"])
def test_automatic_commits_tell_on_commit(lib, brokers, conn, how):
    """enable.auto.commit: on_commit hears of each periodic commit that
    commits something (every assigned partition listed, OFFSET_INVALID
    where nothing new), from poll(), and of the one made as the partitions
    are given up, which lists the offsets stored, after on_revoke."""
    topic = filled(brokers, conn, 2, [3, 0])
    events = []
    c = consumer(lib, brokers, **{"enable.auto.commit": True, "auto.commit.interval.ms": 100,
                                  "on_commit": lambda err, parts: events.append(("commit", err, offsets(parts)))})
    if how == "subscribe":
        c.subscribe([topic], on_revoke=lambda _, parts: events.append(("revoke", offsets(parts))))
    else:
        c.assign([lib.TopicPartition(topic, 0, 0), lib.TopicPartition(topic, 1, 0)])
    read(c, 3)
    wait_for(lambda: ("commit", None, [(0, 3), (1, -1001)]) in events, lambda: c.poll(0.1))
    with kfk.Client(brokers=brokers) as k:
        k.produce(topic, "late", partition=1).result()
    read(c, 1)
    wait_for(lambda: ("commit", None, [(0, -1001), (1, 1)]) in events, lambda: c.poll(0.1))
    assert all(e[1] is None for e in events if e[0] == "commit"), events  # (no _NO_OFFSET: rounds with nothing new)
    events.clear()
    if how == "assign":
        c.unassign()
        wait_for(lambda: events, lambda: c.poll(0.1))  # librdkafka tells it from a poll
    c.close()
    left = [("revoke", [(0, -1001), (1, -1001)])] if how == "subscribe" else []
    assert events == left + [("commit", None, [(0, 3), (1, 1)])]


@pytest.mark.parametrize("how", ["subscribe", "assign"])
def test_automatic_commit_on_leaving_takes_the_stored_offsets(lib, brokers, conn, how):
    """The automatic commit as the partitions are given up commits the
    offsets stored as they are, below the committed ones too (after a seek
    back), where commit() would find nothing new."""
    topic = filled(brokers, conn, 2, [6, 0])
    group, told = unique("leaving"), []
    c = consumer(lib, brokers, **{"group.id": group, "enable.auto.commit": True, "auto.commit.interval.ms": 3600000,
                                  "on_commit": lambda err, parts: told.append((err, offsets(parts)))})
    if how == "subscribe":
        c.subscribe([topic])
    else:
        c.assign([lib.TopicPartition(topic, 0, 0), lib.TopicPartition(topic, 1, 0)])
    read(c, 3)
    assert offsets(c.commit(asynchronous=False)) == [(0, 3), (1, -1001)]
    c.seek(lib.TopicPartition(topic, 0, 0))
    assert [m.offset() for m in read(c, 1)] == [0]
    assert failure(lib, lambda: c.commit(asynchronous=False)) == lib.KafkaError._NO_OFFSET
    c.close()
    assert told == [(None, [(0, 1), (1, -1001)])]
    assert committed_by(lib, brokers, group, topic, 2) == [(0, 1), (1, -1001)]


def test_automatic_commit_after_a_commit_in_on_revoke(lib, brokers, conn):
    """A commit made in on_revoke does not stand in for the automatic one
    that follows: on_commit hears of that too, with the same offsets."""
    topic = filled(brokers, conn, 2, [3, 0])
    events = []

    def on_revoke(c, parts):
        events.append(("revoke", offsets(parts)))
        events.append(("committed", offsets(c.commit(asynchronous=False))))

    c = consumer(lib, brokers, **{"enable.auto.commit": True, "auto.commit.interval.ms": 3600000,
                                  "on_commit": lambda err, parts: events.append(("commit", err, offsets(parts)))})
    c.subscribe([topic], on_revoke=on_revoke)
    read(c, 3)
    c.close()
    assert events == [("revoke", [(0, -1001), (1, -1001)]), ("committed", [(0, 3), (1, -1001)]),
                      ("commit", None, [(0, 3), (1, -1001)])]


# -- subscriptions and rebalance callbacks ---------------------------------------------------------

def test_subscribing_again_revokes_the_old_topics(lib, brokers, conn):
    first, second = filled(brokers, conn, 1, [0]), filled(brokers, conn, 1, [0])
    names = {first: "first", second: "second"}
    events = []

    def on_assign(c, parts):
        events.append(("assign", [names[p.topic] for p in parts]))

    def on_revoke(c, parts):
        events.append(("revoke", [names[p.topic] for p in parts]))

    c = consumer(lib, brokers)
    c.subscribe([first], on_assign=on_assign, on_revoke=on_revoke)
    wait_for(lambda: c.assignment(), lambda: c.poll(0.2))
    c.subscribe([second], on_assign=on_assign, on_revoke=on_revoke)
    wait_for(lambda: any(tp.topic == second for tp in c.assignment()), lambda: c.poll(0.2))
    assert [(tp.topic, tp.partition) for tp in c.assignment()] == [(second, 0)]
    with kfk.Client(brokers=brokers) as k:
        k.produce(first, "old", partition=0).result()
        k.produce(second, "new", partition=0).result()
    assert [m.value() for m in read(c, 1)] == [b"new"]
    c.unsubscribe()
    wait_for(lambda: len(events) == 4, lambda: c.poll(0.2))  # librdkafka revokes from a poll
    assert events == [("assign", ["first"]), ("revoke", ["first"]), ("assign", ["second"]), ("revoke", ["second"])]
    c.close()


def two_members(lib, brokers, topic, conf):
    """Consumers a and b of conf's group subscribed to topic, b once a has
    its assignment, and each one's callbacks as they run: events[name] is
    a list of ("assign" | "revoke", offsets)."""
    events = {"a": [], "b": []}

    def member(name):
        c = consumer(lib, brokers, **conf)
        c.subscribe([topic], on_assign=lambda _, parts: events[name].append(("assign", offsets(parts))),
                    on_revoke=lambda _, parts: events[name].append(("revoke", offsets(parts))))
        return c

    a = member("a")
    wait_for(lambda: a.assignment(), lambda: a.poll(0.2))
    return a, member("b"), events


def test_eager_member_with_nothing_assigned(lib, brokers, conn):
    """Two members, one partition: the one left without gets on_assign([]),
    and when it closes on_revoke([]); each member's callbacks alternate."""
    topic = filled(brokers, conn, 1, [0])
    conf = {"group.id": unique("empty"), "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
    a, b, events = two_members(lib, brokers, topic, conf)

    def settled():
        return all(e and e[-1][0] == "assign" for e in events.values()) and len(a.assignment() + b.assignment()) == 1

    wait_for(settled, lambda: (a.poll(0.1), b.poll(0.1)))
    empty, other = ("a", "b") if not a.assignment() else ("b", "a")
    assert events[empty][-1] == ("assign", [])
    {"a": a, "b": b}[empty].close()
    assert events[empty][-2:] == [("assign", []), ("revoke", [])]
    {"a": a, "b": b}[other].close()
    for name in events:
        kinds = [kind for kind, _ in events[name]]
        assert kinds == ["assign", "revoke"] * (len(kinds) // 2), events


def test_cooperative_member_with_nothing_assigned(lib, brokers, conn):
    """Two cooperative members, one partition: the one left without gets
    on_assign([]) (librdkafka calls it after every incremental rebalance),
    and never a revocation of partitions it did not have."""
    topic = filled(brokers, conn, 1, [0])
    conf = {"group.id": unique("coop-empty"), "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
            "partition.assignment.strategy": "cooperative-sticky"}
    a, b, events = two_members(lib, brokers, topic, conf)
    wait_for(lambda: ("assign", []) in events["b"] and len(a.assignment() + b.assignment()) == 1,
             lambda: (a.poll(0.1), b.poll(0.1)))
    assert not b.assignment() and a.assignment()
    assert ("revoke", []) not in events["b"] and all(kind == "assign" for kind, _ in events["b"]), events
    a.close()
    b.close()


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_pattern_matching_nothing_calls_no_callback(lib, brokers, conn, strategy):
    """A subscription matching no topic joins no group in librdkafka: the
    first callback is on_assign of the topic that comes to match."""
    prefix = unique("nomatch")
    events = []
    c = consumer(lib, brokers, **{"topic.metadata.refresh.interval.ms": 1000,
                                  "partition.assignment.strategy": strategy})
    c.subscribe(["^" + prefix + "-.*"], on_assign=lambda _, parts: events.append(("assign", offsets(parts))),
                on_revoke=lambda _, parts: events.append(("revoke", offsets(parts))))
    if lib is kc:
        # kfk's member joins with no topic and is assigned nothing: wait until
        # that assignment has been judged, so the topic below comes after.
        judged = []
        judge = c._subscribes_to_nothing
        c._subscribes_to_nothing = lambda: judged.append(judge()) or judged[-1]
        wait_for(lambda: judged, lambda: c.poll(0.2))
        assert judged == [True]
    res = conn.create_topics([{"name": prefix + "-a", "num_partitions": 1, "replication_factor": 1}], 10000).result()
    assert res["topics"][0]["error_code"] == 0, res
    wait_for(lambda: events, lambda: c.poll(0.2))
    c.close()
    assert events == [("assign", [(0, -1001)]), ("revoke", [(0, -1001)])]


def test_assignment_inside_on_assign(lib, brokers, conn):
    """In on_assign assignment() lists nothing new until the callback
    assigns; what it assigns, offsets given, is what assignment() lists
    from then on, and where consumption starts."""
    topic = filled(brokers, conn, 2, [3, 3])
    seen = []

    def on_assign(c, parts):
        seen.append(offsets(c.assignment()))
        for tp in parts:
            tp.offset = lib.OFFSET_BEGINNING if tp.partition == 0 else 1
        c.assign(parts)
        seen.append(sorted(offsets(c.assignment())))

    c = consumer(lib, brokers)
    c.commit(offsets=[lib.TopicPartition(topic, 0, 2), lib.TopicPartition(topic, 1, 2)], asynchronous=False)
    c.subscribe([topic], on_assign=on_assign)
    got = read(c, 5)
    assert seen == [[], [(0, lib.OFFSET_BEGINNING), (1, 1)]]
    assert sorted(offsets(c.assignment())) == [(0, lib.OFFSET_BEGINNING), (1, 1)]
    assert sorted((m.partition(), m.offset()) for m in got) == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2)]
    c.close()


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_assignment_inside_on_assign_that_leaves_it(lib, brokers, conn, strategy):
    """An on_assign that does not assign sees nothing new in assignment();
    the partitions are assigned at the committed offsets once it returns."""
    topic = filled(brokers, conn, 2, [0, 0])
    seen = []
    c = consumer(lib, brokers, **{"partition.assignment.strategy": strategy})
    c.subscribe([topic], on_assign=lambda cons, parts: seen.append(offsets(cons.assignment())))
    wait_for(lambda: c.assignment(), lambda: c.poll(0.2))
    assert seen == [[]]
    assert sorted(offsets(c.assignment())) == [(0, lib.OFFSET_STORED), (1, lib.OFFSET_STORED)]
    c.close()


# -- events and errors -----------------------------------------------------------------------------

def test_partition_eof_message(lib, brokers, conn):
    """An end-of-partition event is a message whose value is its error's
    text (so it is not empty), with no timestamp."""
    topic = filled(brokers, conn, 1, [3])
    c = consumer(lib, brokers, **{"enable.partition.eof": True})
    c.assign([lib.TopicPartition(topic, 0, lib.OFFSET_END)])
    got = []
    wait_for(lambda: got, lambda: got.extend(m for m in [c.poll(0.2)] if m is not None))
    m = got[0]
    assert m.error().code() == lib.KafkaError._PARTITION_EOF
    assert (m.topic(), m.partition(), m.offset(), m.key(), m.headers()) == (topic, 0, 3, None, None)
    assert m.value() == m.error().str().encode() and len(m) == len(m.value()) > 0 and m
    assert m.timestamp() == (lib.TIMESTAMP_NOT_AVAILABLE, -1)
    c.close()


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_subscribed_topic_missing_is_reported_once(lib, brokers, conn, strategy):
    """A subscription naming a topic the cluster lacks, or with a pattern
    matching none, gets one error event from poll() for each
    (UNKNOWN_TOPIC_OR_PART; topic() is the name or the pattern); the other
    topics are read meanwhile, and the missing one once it is created."""
    topic = filled(brokers, conn, 1, [1])
    missing = unique("missing")
    pattern = "^" + unique("nomatch") + "-.*"
    c = consumer(lib, brokers, **{"partition.assignment.strategy": strategy,
                                  "topic.metadata.refresh.interval.ms": 1000})
    c.subscribe([topic, missing, pattern])
    errors, values = [], []

    def step():
        m = c.poll(0.2)
        if m is not None:
            (errors if m.error() else values).append(m)

    wait_for(lambda: len(errors) == 2 and values, step)
    assert sorted(m.topic() for m in errors) == sorted([missing, pattern])
    for m in errors:
        err = m.error()
        assert (err.code(), err.fatal(), err.retriable()) == (lib.KafkaError.UNKNOWN_TOPIC_OR_PART, False, False)
        assert (m.partition(), m.offset(), m.key(), m.headers()) == (0, None, None, None)
        assert m.value() == err.str().encode() and m.timestamp() == (lib.TIMESTAMP_NOT_AVAILABLE, -1)
    res = conn.create_topics([{"name": missing, "num_partitions": 1, "replication_factor": 1}], 10000).result()
    assert res["topics"][0]["error_code"] == 0, res
    with kfk.Client(brokers=brokers) as k:
        k.produce(missing, "created", partition=0).result()
    wait_for(lambda: any(m.topic() == missing for m in values), step)
    assert len(errors) == 2
    c.close()


def test_calls_on_partitions_not_assigned(lib, brokers, conn):
    """seek() and store_offsets() of a partition not assigned fail with
    _STATE in a topic the consumer has partitions of, else with
    _UNKNOWN_PARTITION; offsets_for_times() of no existing partition
    raises, and lists an error for one among others."""
    topic, other = filled(brokers, conn, 2, [2, 0]), filled(brokers, conn, 1, [0])
    missing = unique("missing")
    c = consumer(lib, brokers, **{"enable.auto.offset.store": False})
    tp = lib.TopicPartition
    assert failure(lib, lambda: c.seek(tp(topic, 0, 0))) == lib.KafkaError._UNKNOWN_PARTITION
    c.assign([tp(topic, 0, 0)])
    state, unknown = lib.KafkaError._STATE, lib.KafkaError._UNKNOWN_PARTITION
    assert failure(lib, lambda: c.seek(tp(topic, 1, 0))) == state
    assert failure(lib, lambda: c.seek(tp(topic, 9, 0))) == state
    assert failure(lib, lambda: c.seek(tp(other, 0, 0))) == unknown
    assert failure(lib, lambda: c.store_offsets(offsets=[tp(topic, 1, 1)])) == state
    assert failure(lib, lambda: c.store_offsets(offsets=[tp(other, 0, 1)])) == unknown
    assert failure(lib, lambda: c.store_offsets(offsets=[tp(other, 0, 1), tp(topic, 1, 1)])) == state
    assert c.store_offsets(offsets=[tp(topic, 0, 1), tp(topic, 1, 1)]) is None
    assert offsets(c.commit(asynchronous=False)) == [(0, 1)]
    assert failure(lib, lambda: c.offsets_for_times([tp(topic, 7, 0)], timeout=10)) == unknown
    assert failure(lib, lambda: c.offsets_for_times([tp(missing, 0, 0)], timeout=10)) == unknown
    listed = c.offsets_for_times([tp(topic, 0, 0), tp(topic, 7, 123), tp(missing, 0, 456)], timeout=10)
    assert [(x.partition, x.offset, x.error and x.error.code()) for x in listed] == [
        (0, 0, None), (7, 123, unknown), (0, 456, lib.KafkaError.UNKNOWN_TOPIC_OR_PART)]
    assert failure(lib, lambda: c.get_watermark_offsets(tp(missing, 0), timeout=10)) == unknown
    assert failure(lib, lambda: c.get_watermark_offsets(tp(topic, 9), timeout=10)) == unknown
    c.close()
