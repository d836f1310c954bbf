"""kfk.confluent's error paths and value types, most of them checked
against confluent-kafka itself (the `lib` fixture runs a test with each);
then what only kfk.confluent does: the properties and calls it refuses,
and its commit bookkeeping, against the broker."""

import importlib
import os
import random
import socket
import time

import pytest

from conftest import broker_env, create_topic, unique, wait_for

import kfk
import kfk.confluent as kc
from kfk.confluent import admin as kadmin

try:
    import confluent_kafka
    HAVE_CONFLUENT = True
except ImportError:
    HAVE_CONFLUENT = False

needs_confluent = pytest.mark.skipif(not HAVE_CONFLUENT, reason="confluent-kafka is not installed")
UNREACHABLE = "127.0.0.1:1"


# -- errors ----------------------------------------------------------------------

@needs_confluent
def test_error_codes_are_confluents():
    theirs = {n: v for n, v in vars(confluent_kafka.KafkaError).items() if isinstance(v, int) and n.isupper()
              or n.startswith("_") and not n.startswith("__") and isinstance(v, int)}
    assert len(theirs) > 150
    for name, value in theirs.items():
        assert getattr(kc.KafkaError, name, None) == value, name
        assert kc.KafkaError(value).name() == confluent_kafka.KafkaError(value).name()


def test_kafka_error(lib):
    e = lib.KafkaError(lib.KafkaError._PARTITION_EOF)
    assert e.code() == -191 and e.name() == "_PARTITION_EOF" and e.str()
    assert e == lib.KafkaError._PARTITION_EOF and e == lib.KafkaError(-191) and hash(e) == hash(-191)
    assert not (e.fatal() or e.retriable() or e.txn_requires_abort())
    assert not isinstance(e, Exception)
    f = lib.KafkaError(3, "custom reason", fatal=True, retriable=True, txn_requires_abort=True)
    assert (f.name(), f.str(), f.fatal(), f.retriable(), f.txn_requires_abort()) == (
        "UNKNOWN_TOPIC_OR_PART", "custom reason", True, True, True)
    assert "FATAL" in repr(f) and "UNKNOWN_TOPIC_OR_PART" in str(f)
    assert lib.KafkaError(12345).name() == "ERR_12345?"
    x = lib.KafkaException(f)
    assert x.args[0] is f and isinstance(x, Exception)
    assert lib.KafkaException(3, "hi").args == (3, "hi")
    assert lib.KafkaError(7) != lib.KafkaError(6)


def test_kfk_codes_become_librdkafkas():
    from kfk.confluent._errors import from_kfk
    assert from_kfk(kfk.KafkaError(kfk._ffi.ERR_TIMED_OUT)).code() == kc.KafkaError._TIMED_OUT
    assert from_kfk(kfk.KafkaError(kfk._ffi.ERR_TIMED_OUT), delivery=True).code() == kc.KafkaError._MSG_TIMED_OUT
    assert from_kfk(kfk.KafkaError(kfk._ffi.ERR_QUEUE_FULL)).code() == kc.KafkaError._QUEUE_FULL
    err = from_kfk(kfk.KafkaError(7, "slow"), "produce")
    assert err.code() == 7 and err.str() == "produce: slow" and err.retriable()
    assert from_kfk(kfk.KafkaError(kfk._ffi.ERR_CLOSED)).name() == "_DESTROY"


# -- value types -------------------------------------------------------------------

def test_topic_partition(lib):
    tp = lib.TopicPartition("t", 1, 5)
    assert (tp.topic, tp.partition, tp.offset, tp.metadata, tp.leader_epoch, tp.error) == ("t", 1, 5, None, None, None)
    d = lib.TopicPartition("t")
    assert (d.partition, d.offset) == (-1, lib.OFFSET_INVALID)
    assert tp == lib.TopicPartition("t", 1, 9) and hash(tp) == hash(lib.TopicPartition("t", 1, 9))
    assert tp != lib.TopicPartition("t", 2, 5)
    assert [(x.topic, x.partition) for x in sorted([lib.TopicPartition("b", 0), lib.TopicPartition("a", 3),
                                                    lib.TopicPartition("a", 1)])] == [("a", 1), ("a", 3), ("b", 0)]
    tp.offset, tp.partition = 7, 2
    assert (tp.offset, tp.partition) == (7, 2)
    for attr in ("topic", "metadata", "leader_epoch", "error"):
        with pytest.raises(AttributeError):
            setattr(tp, attr, None)
    with pytest.raises(TypeError):
        lib.TopicPartition(None)
    with pytest.raises(TypeError):
        lib.TopicPartition("t", "x")
    assert lib.TopicPartition("t", 1, 2, "meta", 4).leader_epoch == 4
    assert "topic=t" in repr(tp) and "partition=2" in repr(tp)


def test_message(lib):
    m = lib.Message(topic="t", partition=0, offset=3, key=b"k", value=b"vv", headers=[("a", b"b")],
                    timestamp=(lib.TIMESTAMP_CREATE_TIME, 123))
    assert (m.topic(), m.partition(), m.offset(), m.key(), m.value(), m.headers(), m.timestamp(), len(m),
            m.error(), m.latency(), m.leader_epoch()) == ("t", 0, 3, b"k", b"vv", [("a", b"b")], (1, 123), 2,
                                                          None, None, None)
    empty = lib.Message()
    assert (empty.topic(), empty.offset(), empty.timestamp(), empty.value(), len(empty)) == (None, None, (0, 0),
                                                                                              None, 0)
    m.set_value(b"zz")
    m.set_key(b"q")
    m.set_headers(None)
    m.set_topic("x")
    assert (m.value(), m.key(), m.headers(), m.topic()) == (b"zz", b"q", None, "x")
    assert (lib.TIMESTAMP_NOT_AVAILABLE, lib.TIMESTAMP_CREATE_TIME, lib.TIMESTAMP_LOG_APPEND_TIME) == (0, 1, 2)
    assert (lib.OFFSET_BEGINNING, lib.OFFSET_END, lib.OFFSET_STORED, lib.OFFSET_INVALID) == (-2, -1, -1000, -1001)


def test_versions(lib):
    assert isinstance(lib.version(), str)
    text, number = lib.libversion()
    assert isinstance(text, str) and isinstance(number, int) and number > 0


@needs_confluent
def test_partition_helpers_are_confluents():
    rnd = random.Random(7)
    for _ in range(3000):
        key = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 24)))
        n = rnd.randrange(1, 500)
        for name in ("murmur2", "consistent", "fnv1a"):
            assert getattr(kc, name)(key, n) == getattr(confluent_kafka, name)(key, n), (name, key, n)
    with pytest.raises(ValueError):
        kc.fnv1a(b"x", 0)
    with pytest.raises(TypeError):
        kc.murmur2("x", 3)


# -- configuration -------------------------------------------------------------------

def test_unknown_and_bad_properties(lib):
    for conf in ({"no.such.property": 1}, {"bootstrap.servers": UNREACHABLE, "linger.ms": "abc"},
                 {"compression.type": "brotli"}, {"partitioner": "nope"}, {"acks": "banana"}):
        with pytest.raises(lib.KafkaException) as e:
            lib.Producer(conf)
        assert e.value.args[0].code() == lib.KafkaError._INVALID_ARG
        name = next(iter(conf)) if "no.such" in next(iter(conf)) else None
        if name:
            assert name in e.value.args[0].str()
    with pytest.raises(lib.KafkaException) as e:
        lib.Consumer({"group.id": "g", "enable.auto.commit": "maybe"})
    assert e.value.args[0].code() == lib.KafkaError._INVALID_ARG
    with pytest.raises(lib.KafkaException):
        lib.Consumer({"group.id": "g", "auto.offset.reset": "sideways"})
    admin = importlib.import_module(lib.__name__ + ".admin")
    with pytest.raises(lib.KafkaException) as e:
        admin.AdminClient({"foo": 1})
    assert '"foo"' in e.value.args[0].str()


def test_construction_errors(lib):
    with pytest.raises(ValueError, match="group.id"):
        lib.Consumer({"bootstrap.servers": UNREACHABLE})
    # No dict (None too, with the properties as keywords), or not a dict
    for make in (lambda: lib.Consumer(), lambda: lib.Consumer(None),
                 lambda: lib.Consumer(None, **{"bootstrap.servers": UNREACHABLE, "group.id": "g"}),
                 lambda: lib.Consumer([("group.id", "g")]), lambda: lib.Consumer("group.id=g"),
                 lambda: lib.Consumer(5)):
        with pytest.raises(TypeError):
            make()
    lib.Consumer(**{"bootstrap.servers": UNREACHABLE, "group.id": "g"}).close()
    with pytest.raises(TypeError):
        lib.Producer({"bootstrap.servers": UNREACHABLE, "error_cb": 5})
    with pytest.raises(TypeError):
        lib.Producer("bootstrap.servers=x")
    with pytest.raises(TypeError):
        lib.Producer()
    # Keyword arguments work too. (len() is not checked: librdkafka counts its
    # own requests in it.)
    assert isinstance(lib.Producer(**{"bootstrap.servers": UNREACHABLE}), lib.Producer)
    # but not with None for the dict; AdminClient needs the dict
    with pytest.raises(TypeError):
        lib.Producer(None, **{"bootstrap.servers": UNREACHABLE})
    admin = importlib.import_module(lib.__name__ + ".admin")
    for args in ((None,), ()):
        with pytest.raises(TypeError):
            admin.AdminClient(*args, **{"bootstrap.servers": UNREACHABLE})


# Properties confluent-kafka programs set, with values they use: each kind
# of client takes them all (kfk translates them or accepts them without
# effect). Plaintext clients: the TLS ones do nothing there in either library.
PROGRAM_PROPERTIES = {
    "retries": 5, "message.send.max.retries": 3, "allow.auto.create.topics": True, "client.rack": "rack-1",
    "broker.address.family": "v4", "ssl.certificate.location": "/nonexistent/cert.pem",
    "ssl.key.location": "/nonexistent/key.pem", "ssl.key.password": "secret",
    "ssl.endpoint.identification.algorithm": "none", "ssl.ca.location": "probe", "ssl.cipher.suites": "HIGH",
    "ssl.providers": "default", "ssl.engine.id": "dynamic", "sasl.kerberos.service.name": "kafka",
    "receive.message.max.bytes": 100000000, "client.dns.lookup": "use_all_dns_ips",
    "api.version.request.timeout.ms": 10000, "enable.sparse.connections": True, "throttle_cb": lambda err: None,
    "topic.metadata.propagation.max.ms": 30000, "metadata.recovery.strategy": "rebootstrap",
    "coordinator.query.interval.ms": 600000, "socket.max.fails": 1, "log.queue": False, "log.thread.name": True,
    "message.copy.max.bytes": 65535, "queuing.strategy": "fifo", "produce.offset.report": True,
    "auto.commit.enable": True, "offset.store.method": "broker", "consume.callback.max.messages": 0,
    "client.software.name": "my-app", "client.software.version": "1.0.0", "enable.random.seed": True,
    "internal.termination.signal": 0, "queue.buffering.max.messages": 0, "delivery.timeout.ms": 0,
}


def test_properties_programs_set_are_accepted(lib):
    admin = importlib.import_module(lib.__name__ + ".admin")
    base = {"bootstrap.servers": UNREACHABLE, **PROGRAM_PROPERTIES}
    lib.Producer(base).close(0)
    lib.Consumer({**base, "group.id": "g"}).close()
    lib.Consumer({**base, "group.id": "g", "group.protocol": "consumer", "group.remote.assignor": "uniform"}).close()
    admin.AdminClient(base)
    # Any logger value is taken (confluent-kafka fails when it first logs).
    assert isinstance(lib.Producer({"bootstrap.servers": UNREACHABLE, "logger": 5}), lib.Producer)


def test_configurations_confluent_refuses(lib):
    """What librdkafka and confluent-kafka refuse, refused the same way."""
    base = {"bootstrap.servers": UNREACHABLE}
    group = {**base, "group.id": "g"}
    for cls, conf in [
        (lib.Consumer, {**group, "session.timeout.ms": 10000, "max.poll.interval.ms": 9000}),
        (lib.Consumer, {**group, "max.poll.interval.ms": 10000}),  # under the default session timeout
        (lib.Consumer, {**group, "group.protocol": "consumer", "session.timeout.ms": 10000}),
        (lib.Consumer, {**group, "group.protocol": "consumer", "heartbeat.interval.ms": 1000}),
        (lib.Consumer, {**group, "group.protocol": "consumer", "partition.assignment.strategy": "range"}),
        (lib.Consumer, {**group, "group.protocol": "streams"}),
        (lib.Consumer, {**group, "on_commit": 5}),
        (lib.Consumer, {**group, "on_delivery": lambda err, msg: None}),
        (lib.Producer, {**base, "debug": "bogus"}),
        (lib.Producer, {**base, "debug": ""}),
        (lib.Producer, {**base, "transactional.id": "t", "enable.idempotence": False}),
        (lib.Producer, {**base, "message.max.bytes": 10}),
        (lib.Producer, {**base, "delivery.timeout.ms": 1000, "linger.ms": 5000}),
        (lib.Producer, {**base, "message.timeout.ms": 1000, "queue.buffering.max.ms": 1000}),
        (lib.Producer, {**base, "on_delivery": 5}),
        (lib.Producer, {**base, "on_delivery": None}),
        (lib.Producer, {**base, "on_commit": lambda err, parts: None}),
        (lib.Producer, {**base, "retries": -1}),
        (lib.Producer, {**base, "broker.address.family": "v5"}),
        (lib.Producer, {**base, "auto.offset.reset": "sideways"}),  # a consumer's, still checked
    ]:
        with pytest.raises(lib.KafkaException) as e:
            cls(conf).close()
        assert e.value.args[0].code() == lib.KafkaError._INVALID_ARG, conf
    with pytest.raises(ValueError):
        lib.Producer({**base, "throttle_cb": 5})
    with pytest.raises(TypeError):
        lib.Producer({**base, "stats_cb": None})
    # The classic protocol's settings are fine with it.
    lib.Consumer({**group, "session.timeout.ms": 10000, "max.poll.interval.ms": 10000}).close()
    lib.Producer({**base, "debug": "msg,broker,cgrp,generic"}).close(0)


def test_properties_kfk_cannot_honour_are_refused():
    """Refused where accepting would change what the program gets: data
    it expected an error for, at-most-once delivery, order, and with TLS
    a client certificate, ciphers or a host name check kfk cannot match."""
    base = {"bootstrap.servers": UNREACHABLE}
    tls = {**base, "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}
    for kind, conf, prop in [("c", base, ("auto.offset.reset", "error")), ("p", base, ("retries", 0)),
                             ("p", base, ("message.send.max.retries", "0")),
                             ("p", base, ("enable.gapless.guarantee", True)), ("p", base, ("queuing.strategy", "lifo")),
                             ("c", base, ("offset.store.method", "file")),
                             ("p", tls, ("ssl.endpoint.identification.algorithm", "none")),
                             ("c", tls, ("ssl.certificate.location", "/x")), ("p", tls, ("ssl.key.pem", "x")),
                             ("p", tls, ("ssl.keystore.location", "/x")), ("p", tls, ("ssl.cipher.suites", "HIGH")),
                             ("p", tls, ("ssl.providers", "fips"))]:
        with pytest.raises(kc.KafkaException) as e:
            if kind == "c":
                kc.Consumer({**conf, "group.id": "g", prop[0]: prop[1]})
            else:
                kc.Producer({**conf, prop[0]: prop[1]})
        assert e.value.args[0].code() == kc.KafkaError._INVALID_ARG and prop[0] in e.value.args[0].str()
    # What kfk does anyway is accepted.
    kc.Consumer({**base, "group.id": "g", "enable.auto.offset.store": True, "enable.partition.eof": False,
                 "partition.assignment.strategy": "roundrobin,range", "api.version.request": True}).close()
    kc.Consumer({**base, "group.id": "g", "enable.auto.offset.store": False,
                 "partition.assignment.strategy": "cooperative-sticky"}).close()
    kc.Producer({**base, "retries": 2147483647, "socket.keepalive.enable": True,
                 "ssl.endpoint.identification.algorithm": "https"}).close()
    # With TLS: no certificate checks at all check no host name either.
    kc.Producer({**tls, "enable.ssl.certificate.verification": False,
                 "ssl.endpoint.identification.algorithm": "none", "ssl.ca.location": "probe"}).close(0)


def test_translated_configuration():
    from kfk.confluent._config import Settings
    s = Settings({"bootstrap.servers": "b:1", "group.id": "g", "session.timeout.ms": 10000,
                  "enable.auto.commit": "false", "auto.offset.reset": "smallest", "isolation.level": "read_uncommitted",
                  "fetch.wait.max.ms": 100, "linger.ms": 5, "debug": "cgrp,fetch,security"}, "consumer")
    assert s.group == {"group_id": "g", "session_timeout_ms": "10000", "auto_commit": "0",
                       "auto_offset_reset": "earliest", "rebalance_timeout_ms": "300000", "assignor": "range",
                       "auto_commit_interval_ms": "5000", "heartbeat_interval_ms": "3000"}
    assert s.kfk["brokers"] == "b:1" and s.kfk["isolation_level"] == "read_uncommitted"
    assert s.kfk["fetch_max_wait_ms"] == "100" and s.kfk["debug"] == "consumer,group"
    assert s.ignored == ["linger.ms"]  # a producer property, as librdkafka: accepted, no effect
    p = Settings({"bootstrap.servers": "b:1", "default.topic.config": {"message.timeout.ms": 1000}}, "producer")
    assert p.kfk["delivery_timeout_ms"] == "1000" and p.kfk["partitioner"] == "consistent_random"
    assert Settings({"bootstrap.servers": "b:1"}, "consumer").kfk["isolation_level"] == "read_committed"
    assert Settings({"bootstrap.servers": "b:1"}, "producer").kfk["delivery_timeout_ms"] == "300000"
    # batch.size: librdkafka's default, unless set
    assert Settings({"bootstrap.servers": "b:1"}, "producer").kfk["batch_size"] == "1000000"
    assert Settings({"bootstrap.servers": "b:1", "batch.size": 16384}, "producer").kfk["batch_size"] == "16384"
    # librdkafka's 0 for "no limit"
    p = Settings({"delivery.timeout.ms": 0, "queue.buffering.max.messages": 0, "linger.ms": 0.5}, "producer")
    assert (p.kfk["delivery_timeout_ms"], p.kfk["max_buffered_messages"], p.max_messages, p.kfk["linger_ms"]) == (
        "2147483647", "2147483647", 2147483647, "0.5")
    assert Settings({"compression.codec": "zstd", "compression.level": 19}, "producer").kfk["compression_level"] == "19"
    # check.crcs: kfk's check_crcs, on unless set (librdkafka's default is off)
    assert "check_crcs" not in Settings({"group.id": "g"}, "consumer").kfk
    assert Settings({"group.id": "g", "check.crcs": False}, "consumer").kfk["check_crcs"] == "0"
    assert Settings({"group.id": "g", "check.crcs": "true"}, "share consumer").kfk["check_crcs"] == "1"


def test_translated_group_protocol():
    from kfk.confluent._config import Settings
    s = Settings({"group.id": "g", "group.protocol": "CONSUMER", "group.remote.assignor": "uniform",
                  "max.poll.interval.ms": 1000}, "consumer")
    assert s.group == {"group_id": "g", "group_protocol": "consumer", "group_remote_assignor": "uniform",
                       "rebalance_timeout_ms": "1000", "auto_offset_reset": "latest", "auto_commit": "1",
                       "auto_commit_interval_ms": "5000"}
    # The classic protocol has no remote assignor.
    c = Settings({"group.id": "g", "group.protocol": "classic", "group.remote.assignor": "uniform"}, "consumer")
    assert c.group["group_protocol"] == "classic" and "group_remote_assignor" not in c.group


def test_translated_tls_settings():
    """The TLS settings take effect with TLS only, as in librdkafka; probe
    means the system's CAs, kfk's default."""
    from kfk.confluent._config import Settings
    plain = Settings({"ssl.ca.location": "/ca.pem", "ssl.certificate.location": "/c.pem"}, "producer")
    assert "tls_ca_file" not in plain.kfk
    tls = Settings({"ssl.ca.location": "/ca.pem", "security.protocol": "SSL"}, "producer")
    assert tls.kfk["tls_ca_file"] == "/ca.pem"
    assert "tls_ca_file" not in Settings({"ssl.ca.location": "probe", "security.protocol": "SSL"}, "producer").kfk


def test_consumers_create_no_topics(lib, brokers, conn):
    """A consumer's metadata requests have the broker create nothing (the
    topic it subscribes to, assigns or lists stays missing), as librdkafka's
    consumer default allow.auto.create.topics=false; with it true, and for
    a producer, the broker creates the topic."""
    from kfk.confluent._config import Settings
    assert Settings({"allow.auto.create.topics": True}, "consumer").kfk["allow_auto_create_topics"] == "1"
    admin = kadmin.AdminClient({"bootstrap.servers": brokers})

    def exists(topic):
        return topic in admin.list_topics(timeout=10).topics

    base = "no-create-%s-%d" % (lib.__name__.replace(".", "-"), os.getpid())
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": base})
    c.list_topics(base + "-listed", timeout=10)
    c.assign([lib.TopicPartition(base + "-assigned", 0)])
    c.poll(0.5)
    c.close()
    assert not exists(base + "-listed") and not exists(base + "-assigned")
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": base, "allow.auto.create.topics": True})
    c.list_topics(base + "-allowed", timeout=10)
    c.close()
    p = lib.Producer({"bootstrap.servers": brokers})
    p.list_topics(base + "-produced", timeout=10)
    deadline = time.monotonic() + 30  # the broker creates them as it answers: soon, not at once
    while not (exists(base + "-allowed") and exists(base + "-produced")):
        assert time.monotonic() < deadline, "the topics a producer and an allowing consumer asked for were not created"
        time.sleep(0.1)


def test_logger_that_cannot_log_is_kfks():
    """confluent-kafka takes any logger value; one without log() leaves
    kfk's own logger in place."""
    import logging
    from kfk.confluent._config import Settings
    assert Settings({"logger": 5}, "producer").logger() is logging.getLogger("kfk")
    mine = logging.getLogger("mine")
    assert Settings({"logger": mine}, "producer").logger() is mine


# -- calls kfk cannot make, and wrong calls ------------------------------------------------------

def test_set_sasl_credentials_arguments(lib):
    """Every client takes new credentials, strs only; one without SASL
    takes them and never uses them, as librdkafka."""
    admin = importlib.import_module(lib.__name__ + ".admin")
    clients = [lib.Producer({"bootstrap.servers": UNREACHABLE}),
               lib.Consumer({"bootstrap.servers": UNREACHABLE, "group.id": "g"}),
               admin.AdminClient({"bootstrap.servers": UNREACHABLE}),
               lib.ShareConsumer({"bootstrap.servers": UNREACHABLE, "group.id": "g"})]
    for c in clients:
        assert c.set_sasl_credentials("u", "p") is None
        with pytest.raises(TypeError):
            c.set_sasl_credentials("u", None)
        with pytest.raises(TypeError):
            c.set_sasl_credentials(1, "p")
    clients[0].flush(0)
    clients[1].close()
    clients[3].close()


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
def test_set_sasl_credentials_next_connection(lib, mechanism, conn):
    """A producer created with a wrong password delivers nothing; once
    set_sasl_credentials gives the right one, its next connection logs in
    and the message is delivered."""
    brokers = broker_env("KFK_TEST_SASL_BROKERS")
    prefix = "KFK_TEST_PLAIN" if mechanism == "PLAIN" else "KFK_TEST_SCRAM256"
    user, password = broker_env(prefix + "_USER"), broker_env(prefix + "_PASS")
    p = lib.Producer({"bootstrap.servers": brokers, "security.protocol": "SASL_PLAINTEXT",
                      "sasl.mechanism": mechanism, "sasl.username": user, "sasl.password": password + "-wrong",
                      "topic.metadata.refresh.interval.ms": 1000})
    reports = []
    p.produce(create_topic(conn), b"v", on_delivery=lambda err, msg: reports.append(err))
    assert p.flush(1) == 1 and reports == []  # nothing gets through with the wrong password
    p.set_sasl_credentials(user, password)
    assert p.flush(90) == 0
    assert reports == [None]


def test_admin_argument_errors(lib):
    """The admin calls refuse what confluent-kafka refuses, with the same
    exception types, before anything is sent."""
    adm = importlib.import_module(lib.__name__ + ".admin")
    a = adm.AdminClient({"bootstrap.servers": UNREACHABLE})
    tp, spec = lib.TopicPartition, adm.OffsetSpec
    group = lib.ConsumerGroupTopicPartitions
    binding = ("topic", "t", "literal", "User:a", "*", "read", "allow")
    calls = [
        (lambda: a.delete_consumer_groups("g"), TypeError),
        (lambda: a.delete_consumer_groups([]), ValueError),
        (lambda: a.alter_consumer_group_offsets(group("g", [tp("t", 0, 1)])), TypeError),
        (lambda: a.alter_consumer_group_offsets([group("g", [tp("t", 0, 1)]), group("h", [tp("t", 0, 1)])]),
         ValueError),
        (lambda: a.alter_consumer_group_offsets([group("g", [tp("t", 0, -5)])]), ValueError),
        (lambda: a.alter_consumer_group_offsets([group("g", [tp("t", -1, 1)])]), ValueError),
        (lambda: a.alter_consumer_group_offsets([group("", [tp("t", 0, 1)])]), ValueError),
        (lambda: a.list_offsets([tp("t", 0)]), TypeError),
        (lambda: a.list_offsets({tp("t", -1): spec.latest()}), ValueError),
        (lambda: a.list_offsets({tp("t", 0): -1}), TypeError),
        (lambda: a.list_offsets({tp("t", 0): spec.latest()}, isolation_level=1), TypeError),
        (lambda: a.describe_topics(["t"]), TypeError),
        (lambda: a.describe_topics(lib.TopicCollection("t")), TypeError),
        (lambda: a.elect_leaders("preferred"), TypeError),
        (lambda: a.elect_leaders(lib.ElectionType.PREFERRED, [("t", 0)]), TypeError),
        (lambda: a.elect_leaders(lib.ElectionType.PREFERRED, [tp("t", -1)]), ValueError),
        (lambda: adm.AclBinding("any", *binding[1:]), ValueError),
        (lambda: adm.AclBinding(binding[0], None, *binding[2:]), ValueError),
        (lambda: adm.AclBinding("queue", *binding[1:]), ValueError),
        (lambda: adm.AclBinding(*binding[:2], "match", *binding[3:]), ValueError),
        (lambda: adm.AclBinding(binding[0], 5, *binding[2:]), TypeError),
        (lambda: adm.AclBindingFilter("unknown", None, "any", None, None, "any", "any"), ValueError),
        (lambda: a.create_acls([adm.AclBinding(*binding), adm.AclBinding(*binding)]), ValueError),
        (lambda: a.describe_user_scram_credentials("u"), TypeError),
        (lambda: a.describe_user_scram_credentials([""]), ValueError),
        (lambda: a.alter_user_scram_credentials([]), ValueError),
        (lambda: a.alter_user_scram_credentials(["u"]), TypeError),
        (lambda: a.alter_user_scram_credentials([adm.UserScramCredentialUpsertion(
            "u", adm.ScramCredentialInfo(adm.ScramMechanism.SCRAM_SHA_256, 4096), "text")]), TypeError),
        (lambda: a.alter_user_scram_credentials([adm.UserScramCredentialUpsertion(
            "u", adm.ScramCredentialInfo(adm.ScramMechanism.SCRAM_SHA_256, 4096), b"pw", b"")]), ValueError),
        (lambda: a.alter_user_scram_credentials([adm.UserScramCredentialUpsertion(
            "u", adm.ScramCredentialInfo(adm.ScramMechanism.SCRAM_SHA_256, 0), b"pw")]), ValueError),
        (lambda: a.alter_user_scram_credentials([adm.UserScramCredentialDeletion("u", "SCRAM-SHA-256")]), TypeError),
    ]
    calls += [
        (lambda: a.create_topics(adm.NewTopic("t", 1, 1)), TypeError),
        (lambda: a.create_topics((adm.NewTopic("t", 1, 1),)), ValueError),
        (lambda: a.create_topics([]), ValueError),
        (lambda: a.delete_topics("t"), TypeError),
        (lambda: a.delete_topics(("t",)), TypeError),
        (lambda: a.create_partitions(adm.NewPartitions("t", 2)), TypeError),
        (lambda: a.create_partitions((adm.NewPartitions("t", 2),)), ValueError),
        (lambda: adm.NewTopic("t", config=5), TypeError),
        (lambda: a.cluster_id("soon"), TypeError),
    ]
    for i, (call, exc) in enumerate(calls):
        with pytest.raises(exc):
            call()
            pytest.fail(f"call #{i} was accepted")


def test_admin_value_types(lib):
    adm = importlib.import_module(lib.__name__ + ".admin")
    u = lib.Uuid(123, -456)
    assert (str(u), u.get_most_significant_bits(), u.get_least_significant_bits()) == (
        "AAAAAAAAAHv////////+OA", 123, -456)
    b = adm.AclBinding("TOPIC", "t", 3, "User:a", "*", "Read", adm.AclPermissionType.ALLOW)
    assert (b.restype, b.resource_pattern_type, b.operation) == (
        adm.ResourceType.TOPIC, adm.ResourcePatternType.LITERAL, adm.AclOperation.READ)
    assert b == adm.AclBinding("topic", "t", "literal", "User:a", "*", "read", "allow") and len({b, b}) == 1
    assert repr(b) == ("AclBinding(ResourceType.TOPIC,t,ResourcePatternType.LITERAL,User:a,*,AclOperation.READ,"
                       "AclPermissionType.ALLOW)")
    f = adm.AclBindingFilter("any", None, "match", None, None, "any", "any")
    assert (f.name, f.resource_pattern_type) == (None, adm.ResourcePatternType.MATCH)
    r = adm.ListOffsetsResultInfo(5, -1, -1)
    assert (r.offset, r.timestamp, r.leader_epoch) == (5, -1, None)
    assert adm.OffsetSpec.for_timestamp(1500).timestamp == 1500
    assert [s._value for s in (adm.OffsetSpec.earliest(), adm.OffsetSpec.latest(), adm.OffsetSpec.max_timestamp())] \
        == [-2, -1, -3]
    d = adm.TopicDescription("t", u, False, [], ["read", adm.AclOperation.WRITE])
    assert d.authorized_operations == [adm.AclOperation.READ, adm.AclOperation.WRITE]
    assert adm.TopicDescription("t", u, False, []).authorized_operations is None
    assert [e.value for e in lib.ElectionType] == [0, 1]
    assert [m.value for m in adm.ScramMechanism] == [0, 1, 2]
    assert adm.NewTopic("t").config is None and adm.NewTopic("t", 1, 1, config={"a": "b"}).config == {"a": "b"}


def test_admin_futures_and_context_manager(lib):
    """Futures start running (cancel() fails), as confluent-kafka's; an
    AdminClient is a context manager that closes it."""
    adm = importlib.import_module(lib.__name__ + ".admin")
    # A broker that takes connections and never answers: the request is
    # still running when looked at (one refused at once could already have
    # failed, in kfk).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        with adm.AdminClient({"bootstrap.servers": "127.0.0.1:%d" % silent.getsockname()[1]}) as a:
            [f] = a.create_topics([adm.NewTopic("t", 1, 1)], validate_only=True).values()
            assert f.running() and not f.cancel()
    with pytest.raises(RuntimeError):
        a.describe_cluster()


@pytest.mark.filterwarnings("ignore:list_groups:DeprecationWarning")
def test_client_cluster_id(lib, brokers, conn):
    """Consumer and Producer tell the cluster's id; with no broker
    answering, _TIMED_OUT once the timeout (a number) has passed."""
    cluster = conn.metadata([]).result()["cluster_id"]
    for c in (lib.Consumer({"bootstrap.servers": brokers, "group.id": unique("cid")}),
              lib.Producer({"bootstrap.servers": brokers})):
        assert c.cluster_id(30) == cluster and c.cluster_id(timeout=-1) == cluster
        for timeout in (None, "5"):
            with pytest.raises(TypeError):
                c.cluster_id(timeout)
        c.close()
        with pytest.raises(RuntimeError):
            c.cluster_id(1)
    down = lib.Consumer({"bootstrap.servers": UNREACHABLE, "group.id": "g"})
    with pytest.raises(lib.KafkaException) as e:
        down.cluster_id(0.5)
    assert e.value.args[0].code() == lib.KafkaError._TIMED_OUT
    down.close()


def test_admin_groups_and_cluster_id(lib, brokers, conn):
    """A group that does not exist is described as DEAD with no members;
    list_groups() spells states as Kafka does and lists no unknown group;
    cluster_id() is describe_cluster()'s."""
    adm = importlib.import_module(lib.__name__ + ".admin")
    with adm.AdminClient({"bootstrap.servers": brokers}) as a:
        missing = unique("missing-group")
        d = a.describe_consumer_groups([missing])[missing].result(30)
        assert (d.group_id, d.state, d.members, d.partition_assignor, d.is_simple_consumer_group, d.type) == (
            missing, lib.ConsumerGroupState.DEAD, [], "", True, lib.ConsumerGroupType.CLASSIC)
        assert a.list_groups(missing, timeout=30) == []
        topic, group = create_topic(conn, partitions=1), unique("listed")
        member = kfk.Client(brokers=brokers)
        assigned = []
        member.subscribe([topic], group, on_assign=assigned.append)
        try:
            wait_for(lambda: assigned, lambda: member.consume(0.2), timeout=60)
            [g] = a.list_groups(group, timeout=30)
            assert (g.id, g.state, g.protocol_type, len(g.members)) == (group, "Stable", "consumer", 1)
        finally:
            member.close()
        cluster = a.cluster_id(30)
        assert isinstance(cluster, str) and cluster == a.describe_cluster().result(30).cluster_id


def test_admin_broker_refusals_reach_the_futures(brokers):
    """What the broker refuses comes back through the futures, named as
    confluent-kafka names it; describe_acls raises what the broker says."""
    a = kadmin.AdminClient({"bootstrap.servers": brokers})
    f = a.describe_acls(kadmin.AclBindingFilter("any", None, "any", None, None, "any", "any"))
    with pytest.raises(kc.KafkaException) as e:
        f.result(30)
    assert e.value.args[0].code() == kc.KafkaError.SECURITY_DISABLED
    fs = a.describe_configs([kadmin.ConfigResource("broker", "no-node")])
    with pytest.raises(kc.KafkaException, match="not a node id"):
        fs[kadmin.ConfigResource("broker", "no-node")].result(30)
    fs = a.elect_leaders(kc.ElectionType.PREFERRED, [kc.TopicPartition(unique("missing"), 0)])
    [(tp, err)] = fs.result(30).items()
    assert err.code() == kc.KafkaError.UNKNOWN_TOPIC_OR_PART and tp.error == err
    a.close()


def test_pause_store_and_incremental_errors(lib):
    """Outside a group, before any broker answers: what confluent-kafka
    accepts, ignores or refuses in pause(), store_offsets(),
    incremental_*() and memberid()."""
    base = {"bootstrap.servers": UNREACHABLE, "group.id": "g"}
    c = lib.Consumer(base)
    tp = lib.TopicPartition("t", 0, 5)
    assert c.memberid() is None
    c.pause([tp])  # not assigned: ignored
    c.resume([tp])
    with pytest.raises(lib.KafkaException) as e:
        c.store_offsets(offsets=[tp])
    assert e.value.args[0].code() == lib.KafkaError._INVALID_ARG  # enable.auto.offset.store is true
    c.incremental_assign([tp])
    with pytest.raises(lib.KafkaException) as e:
        c.incremental_assign([tp])
    assert e.value.args[0].code() == lib.KafkaError._CONFLICT and "t [0]" in e.value.args[0].str()
    with pytest.raises(lib.KafkaException) as e:
        c.incremental_unassign([lib.TopicPartition("t", 1)])
    assert e.value.args[0].code() == lib.KafkaError._INVALID_ARG and "t [1]" in e.value.args[0].str()
    c.pause([tp])
    assert [(x.topic, x.partition) for x in c.assignment()] == [("t", 0)]
    c.incremental_unassign([tp])
    assert c.assignment() == []
    c.close()

    c = lib.Consumer({**base, "enable.auto.offset.store": False})
    with pytest.raises(lib.KafkaException) as e:
        c.store_offsets(offsets=[tp])
    assert e.value.args[0].code() == lib.KafkaError._UNKNOWN_PARTITION
    with pytest.raises(lib.KafkaException) as e:
        c.commit(asynchronous=False)
    assert e.value.args[0].code() == lib.KafkaError._NO_OFFSET
    c.assign([tp])
    c.store_offsets(offsets=[tp, lib.TopicPartition("t", 1, 3)])  # one of them assigned: no error
    with pytest.raises(ValueError):
        c.store_offsets(message=None, offsets=None)
    c.close()


def test_wrong_arguments(lib):
    c = lib.Consumer({"bootstrap.servers": UNREACHABLE, "group.id": "g"})
    for call, exc in [(lambda: c.consume(-1, 0.1), ValueError), (lambda: c.consume(2000000, 0.1), ValueError),
                      (lambda: c.consume("a", 0.1), TypeError), (lambda: c.subscribe("topic"), TypeError),
                      (lambda: c.subscribe(["t"], on_assign=5), TypeError),
                      (lambda: c.assign([("t", 0)]), TypeError), (lambda: c.commit(message="x"), TypeError),
                      (lambda: c.commit(offsets=["x"]), TypeError), (lambda: c.position("x"), TypeError),
                      (lambda: c.seek("x"), TypeError), (lambda: c.committed("x"), TypeError)]:
        with pytest.raises(exc):
            call()
    assert c.consume(0, 0.1) == [] and c.assignment() == []
    c.close()
    c.close()  # twice is fine
    for call in (lambda: c.poll(0), lambda: c.consume(1, 0), lambda: c.assignment(), lambda: c.commit(),
                 lambda: c.subscribe(["t"]), lambda: c.position([])):
        with pytest.raises(RuntimeError):
            call()
    p = lib.Producer({"bootstrap.servers": UNREACHABLE})
    for call in (lambda: p.produce(None, b"x"), lambda: p.produce("t", 12), lambda: p.produce("t", b"x", partition="a"),
                 lambda: p.produce("t", b"x", headers=5), lambda: p.produce("t", b"x", timestamp="a"),
                 lambda: p.send_offsets_to_transaction([], None), lambda: p.poll("x")):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(lib.KafkaException) as e:
        p.init_transactions(1)
    assert e.value.args[0].code() == lib.KafkaError._NOT_CONFIGURED


def test_client_and_conn_use_the_queue_given():
    q = kfk.EventQueue()
    assert len(q) == 0  # an empty queue is falsy: it must still be the one used
    c = kfk.Client(brokers=UNREACHABLE, queue=q)
    conn = kfk.Conn(q)
    assert c.queue is q and conn.queue is q
    conn.close()
    c.close(0.1)


# -- with a broker: what the library reports ------------------------------------------------------

def test_unreachable_broker_errors(lib):
    errors = []
    p = lib.Producer({"bootstrap.servers": UNREACHABLE, "message.timeout.ms": 1000,
                      "error_cb": errors.append})
    reports = []
    p.produce("t", b"x", on_delivery=lambda err, msg: reports.append(err))
    wait_for(lambda: reports and any(e.code() == lib.KafkaError._ALL_BROKERS_DOWN for e in errors),
             lambda: p.poll(0.2))
    assert reports[0].code() == lib.KafkaError._MSG_TIMED_OUT
    # (librdkafka counts the error events still queued in len())
    wait_for(lambda: len(p) == 0, lambda: p.poll(0.2))
    # error_cb's errors are never retriable(), as confluent-kafka makes them
    assert not any(e.retriable() or e.fatal() for e in errors)


def test_stats_cb_gets_json(lib, brokers):
    import json
    got = []
    p = lib.Producer({"bootstrap.servers": brokers, "statistics.interval.ms": 100, "stats_cb": got.append})
    wait_for(lambda: got, lambda: p.poll(0.2))
    assert isinstance(got[0], str) and isinstance(json.loads(got[0]), dict)
    p.flush(10)


def test_producer_poll_counts_what_it_served(lib, brokers, conn):
    """poll() returns how many events it served (librdkafka serves one
    produce response's reports as one event: not one per callback), so
    more than 0 when it ran a delivery callback and 0 when its timeout
    passed with nothing to serve; len() counts the messages whose
    callback has not run (librdkafka's counts its own requests in flight
    too, such as a metadata refresh: at least that many)."""
    topic = create_topic(conn, partitions=1)
    p = lib.Producer({"bootstrap.servers": brokers, "linger.ms": 0})
    p.list_topics(topic, 10)
    own_requests_too = lib.__name__ == "confluent_kafka"
    reports = []
    for i in range(20):
        p.produce(topic, b"v%d" % i, on_delivery=lambda err, msg: reports.append(err))
    assert len(p) >= 20 if own_requests_too else len(p) == 20
    while len(reports) < 20:
        before = len(reports)
        n = p.poll(0.5)
        assert n > 0 or len(reports) == before
        unserved = 20 - len(reports)
        assert len(p) >= unserved if own_requests_too else len(p) == unserved
    assert reports == [None] * 20
    assert p.poll(0.2) == 0


def test_producer_poll_counts_no_internal_events(lib, brokers, conn):
    """A producer that has served nothing of the application's returns 0
    (kfk's own requests, such as its first connection, are not counted);
    one batch's reports count one."""
    topic = create_topic(conn, partitions=1)
    p = lib.Producer({"bootstrap.servers": brokers, "linger.ms": 1000})
    p.list_topics(topic, 10)
    assert p.poll(0.5) == 0
    reports, counts = [], []
    for i in range(3):
        p.produce(topic, b"v%d" % i, on_delivery=lambda err, msg: reports.append(err))
    wait_for(lambda: len(reports) == 3, lambda: counts.append(p.poll(0.5)))
    assert reports == [None] * 3 and [n for n in counts if n] == [1]


def test_murmur2_partitioner_places_null_keys_as_librdkafka(lib, brokers, conn):
    topic = create_topic(conn, partitions=5)
    p = lib.Producer({"bootstrap.servers": brokers, "partitioner": "murmur2"})
    parts = []
    for key in (None, None, b"k1", b"k2"):
        p.produce(topic, b"v", key, on_delivery=lambda err, msg: parts.append(msg.partition()))
    assert p.flush(30) == 0
    assert sorted(parts) == sorted([kc.murmur2(b"", 5)] * 2 + [kc.murmur2(b"k1", 5), kc.murmur2(b"k2", 5)])


def test_fenced_transactional_producer(lib, brokers, conn):
    topic = create_topic(conn, partitions=1)
    txn = unique("fence")
    first = lib.Producer({"bootstrap.servers": brokers, "transactional.id": txn})
    first.init_transactions(30)
    first.begin_transaction()
    first.produce(topic, b"from the first")
    second = lib.Producer({"bootstrap.servers": brokers, "transactional.id": txn})
    second.init_transactions(30)
    with pytest.raises(lib.KafkaException) as e:
        first.commit_transaction(30)
    assert e.value.args[0].fatal() and e.value.args[0].code() == lib.KafkaError._FENCED
    second.begin_transaction()
    second.produce(topic, b"from the second")
    second.commit_transaction(30)


def test_offsets_for_times(lib, brokers, conn):
    topic = create_topic(conn, partitions=1)
    p = lib.Producer({"bootstrap.servers": brokers})
    for i, ts in enumerate((1000, 2000, 3000)):
        p.produce(topic, b"v%d" % i, partition=0, timestamp=1700000000000 + ts)
    assert p.flush(30) == 0
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": unique("times")})
    got = [c.offsets_for_times([lib.TopicPartition(topic, 0, 1700000000000 + t)], timeout=10)[0]
           for t in (500, 2000, 2500, 9000)]
    assert [(tp.partition, tp.offset, tp.error) for tp in got] == [(0, 0, None), (0, 1, None), (0, 2, None),
                                                                   (0, -1, None)]
    assert c.get_watermark_offsets(lib.TopicPartition(topic, 0), timeout=10) == (0, 3)
    c.close()


def test_auto_commit_takes_only_what_poll_returned(lib, brokers, conn):
    """enable.auto.commit commits the offsets of the messages poll()
    returned, never those of messages fetched ahead and not returned yet
    (kfk.confluent asks kfk for hundreds at a time)."""
    topic = create_topic(conn, partitions=1)
    with kfk.Client(brokers=brokers) as k:
        for i in range(10):
            k.produce(topic, f"m{i}", partition=0).result()
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": unique("autocommit"), "auto.offset.reset": "earliest",
                      "auto.commit.interval.ms": 100})
    c.subscribe([topic])
    tp = [lib.TopicPartition(topic, 0)]
    for want in (1, 2):
        got = []
        wait_for(lambda: got, lambda: got.extend(m for m in [c.poll(0.5)] if m is not None and m.error() is None))
        assert got[0].offset() == want - 1
        # A commit of anything fetched ahead would never equal want.
        wait_for(lambda: c.committed(tp, timeout=10)[0].offset == want, lambda: time.sleep(0.05))
    c.close()


def test_auto_commit_hands_over_exactly_at_a_rebalance(lib, brokers, conn):
    """Two members with enable.auto.commit, reading with poll(): when the
    second joins, the first gives its partitions up committing what it
    returned (not what it had fetched ahead), so together they read every
    message once."""
    topic = create_topic(conn, partitions=4)

    def fill(first, n):
        with kfk.Client(brokers=brokers) as k:
            for i in range(first, first + n):
                k.produce(topic, f"m{i}", partition=i % 4).result()

    conf = {"bootstrap.servers": brokers, "group.id": unique("handover"), "auto.offset.reset": "earliest",
            "auto.commit.interval.ms": 100}
    fill(0, 100)
    read = {"a": [], "b": []}

    def serve(name, c):
        m = c.poll(0.1)
        if m is not None and m.error() is None:
            read[name].append(m.value().decode())

    a = lib.Consumer(conf)
    a.subscribe([topic])
    wait_for(lambda: len(read["a"]) >= 50, lambda: serve("a", a))
    b = lib.Consumer(conf)
    b.subscribe([topic])
    wait_for(lambda: b.assignment() and a.assignment(), lambda: (serve("a", a), serve("b", b)), timeout=60)
    fill(100, 100)
    wait_for(lambda: len(set(read["a"] + read["b"])) == 200, lambda: (serve("a", a), serve("b", b)), timeout=60)
    a.close()
    b.close()
    assert sorted(read["a"] + read["b"]) == sorted(f"m{i}" for i in range(200))
    assert read["b"]


def test_manual_assignment_commits_any_offset(lib, brokers, conn):
    """A consumer that assigns partitions itself commits what it likes."""
    topic = create_topic(conn, partitions=2)
    with kfk.Client(brokers=brokers) as k:
        for i in range(6):
            k.produce(topic, f"m{i}", partition=i % 2).result()
    group = unique("manual")
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False})
    c.assign([lib.TopicPartition(topic, 0, lib.OFFSET_BEGINNING), lib.TopicPartition(topic, 1, 1)])
    got = []
    wait_for(lambda: len(got) == 5, lambda: got.extend(m for m in [c.poll(0.5)] if m is not None))
    assert sorted((m.partition(), m.offset()) for m in got) == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2)]
    done = c.commit(offsets=[lib.TopicPartition(topic, 0, 1)], asynchronous=False)
    assert [(tp.partition, tp.offset, tp.error) for tp in done] == [(0, 1, None)]
    assert [tp.offset for tp in c.committed([lib.TopicPartition(topic, p) for p in (0, 1)], timeout=10)] == [
        1, lib.OFFSET_INVALID]
    p1_last = max((m for m in got if m.partition() == 1), key=lambda m: m.offset())
    c.commit(message=p1_last, asynchronous=False)
    c.seek(lib.TopicPartition(topic, 0, 1))
    m = c.poll(10)
    assert (m.partition(), m.offset()) == (0, 1)
    assert c.position([lib.TopicPartition(topic, 0)])[0].offset == 2
    c.close()
    with kfk.Client(brokers=brokers) as k:
        k.produce(topic, "m6", partition=1).result()
    # A new consumer assigned at the stored offsets starts from the commits.
    d = lib.Consumer({"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest"})
    d.assign([lib.TopicPartition(topic, 0), lib.TopicPartition(topic, 1, lib.OFFSET_STORED)])
    firsts = {}
    wait_for(lambda: len(firsts) == 2, lambda: [firsts.setdefault(m.partition(), m.offset())
                                                for m in [d.poll(0.5)] if m is not None])
    assert firsts == {0: 1, 1: 3}
    d.close()


# -- kfk.confluent's commit bookkeeping ---------------------------------------------------------

def group_consumer(brokers, topic, **conf):
    c = kc.Consumer({"bootstrap.servers": brokers, "group.id": unique("commit"), "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, **conf})
    assigned = []
    c.subscribe([topic], on_assign=lambda cons, parts: assigned.extend(parts))
    return c, assigned


def test_a_message_handed_over_late_is_not_committed(brokers, conn):
    """poll() gives up while kfk still waits for a fetch; the message that
    fetch brings has been handed over by kfk but never returned, so a commit
    must not cover it, and the next poll() returns it."""
    topic = create_topic(conn, partitions=1)
    with kfk.Client(brokers=brokers) as k:
        k.produce(topic, "first", partition=0).result()
        c, assigned = group_consumer(brokers, topic, **{"fetch.wait.max.ms": 5000})
        got = []
        wait_for(lambda: got, lambda: got.extend(m for m in [c.poll(1.0)] if m is not None))
        assert got[0].value() == b"first"
        # The request that brought "first" ends with a RESULT event queued
        # just after its message, which that poll may not have served: until
        # it is served, a poll asks kfk for nothing new.
        wait_for(lambda: not c._consuming, lambda: c._queue.poll(0.01))
        assert c.poll(0) is None  # leaves a consume request waiting on a 5 s fetch
        k.produce(topic, "late", partition=0).result()
        # Until kfk has handed the late message over (its event is queued).
        wait_for(lambda: len(c._queue) > 0, lambda: time.sleep(0.01))
    done = c.commit(asynchronous=False)
    assert [(tp.partition, tp.offset) for tp in done] == [(0, 1)]
    assert c.committed([kc.TopicPartition(topic, 0)], timeout=10)[0].offset == 1
    late = c.poll(10)
    assert late is not None and late.value() == b"late" and late.offset() == 1
    assert c.commit(asynchronous=False)[0].offset == 2
    c.close()


def test_member_commits_any_offsets(lib, brokers, conn):
    """commit(message=) and commit(offsets=) commit exactly what they name,
    lower offsets too, and nothing else."""
    topic = create_topic(conn, partitions=2)
    with kfk.Client(brokers=brokers) as k:
        for i in range(4):
            k.produce(topic, f"m{i}", partition=i % 2).result()
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": unique("explicit"), "auto.offset.reset": "earliest",
                      "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    wait_for(lambda: len(got) == 4, lambda: got.extend(m for m in [c.poll(0.5)] if m is not None))
    last = {}
    for m in got:
        last[m.partition()] = m
    tps = [lib.TopicPartition(topic, p) for p in (0, 1)]
    older = next(m for m in got if m.offset() == 0 and m.partition() == 0)
    assert c.commit(message=older, asynchronous=False)[0].offset == 1
    assert [tp.offset for tp in c.committed(tps, timeout=10)] == [1, lib.OFFSET_INVALID]
    done = c.commit(offsets=[lib.TopicPartition(topic, 1, 2), lib.TopicPartition(topic, 0, 0)], asynchronous=False)
    assert sorted((tp.partition, tp.offset) for tp in done) == [(0, 0), (1, 2)]
    assert [tp.offset for tp in c.committed(tps, timeout=10)] == [0, 2]
    c.commit(message=last[0], asynchronous=False)
    assert [tp.offset for tp in c.committed(tps, timeout=10)] == [2, 2]
    c.close()


def poll_into(c, got, timeout=0.2):
    """One poll(), keeping a message (not an event) in got."""
    m = c.poll(timeout)
    if m is not None and not m.error():
        got.append(m)


def test_pause_holds_a_partition_while_others_flow(lib, brokers, conn):
    """A paused partition returns nothing while the other flows; resumed,
    it goes on from where it stopped: every message once."""
    topic = create_topic(conn, partitions=2)
    k = kfk.Client(brokers=brokers)
    for i in range(20):
        k.produce(topic, f"m{i}", partition=i % 2).result()
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": unique("pause"), "auto.offset.reset": "earliest",
                      "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    wait_for(lambda: any(m.partition() == 0 for m in got), lambda: poll_into(c, got))
    c.pause([lib.TopicPartition(topic, 0)])
    mark = len(got)
    for i in range(4):
        k.produce(topic, f"late{i}", partition=i % 2).result()
    wait_for(lambda: sum(m.partition() == 1 for m in got) == 12, lambda: poll_into(c, got))
    assert [m.partition() for m in got[mark:]] == [1] * len(got[mark:])
    c.resume([lib.TopicPartition(topic, 0)])
    wait_for(lambda: sum(m.partition() == 0 for m in got) == 12, lambda: poll_into(c, got))
    for part in (0, 1):
        assert [m.offset() for m in got if m.partition() == part] == list(range(12))
    assert c.position([lib.TopicPartition(topic, 0)])[0].offset == 12
    c.close()
    k.close()


def test_store_offsets_commits_what_was_stored(lib, brokers, conn):
    """enable.auto.offset.store=false: commit() and the automatic commit
    when leaving commit the offsets stored, not what was read."""
    topic = create_topic(conn, partitions=1)
    with kfk.Client(brokers=brokers) as k:
        for i in range(6):
            k.produce(topic, f"m{i}", partition=0).result()
    tp = lib.TopicPartition(topic, 0)
    for auto_commit in (False, True):
        group = unique("store")
        c = lib.Consumer({"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest",
                          "enable.auto.offset.store": False, "enable.auto.commit": auto_commit,
                          "auto.commit.interval.ms": 3600000})
        c.subscribe([topic])
        got = []
        wait_for(lambda: len(got) == 6, lambda: poll_into(c, got),
                 state=lambda: f"enable.auto.commit={auto_commit}, {len(got)} messages, assigned {c.assignment()}")
        if not auto_commit:
            with pytest.raises(lib.KafkaException) as e:
                c.commit(asynchronous=False)
            assert e.value.args[0].code() == lib.KafkaError._NO_OFFSET  # nothing stored
            c.store_offsets(message=got[2])
            assert [(x.partition, x.offset) for x in c.commit(asynchronous=False)] == [(0, 3)]
            assert c.committed([tp], timeout=10)[0].offset == 3
        c.store_offsets(offsets=[lib.TopicPartition(topic, 0, 5)])
        if not auto_commit:
            c.commit(asynchronous=False)
        c.close()
        d = lib.Consumer({"bootstrap.servers": brokers, "group.id": group})
        assert d.committed([tp], timeout=10)[0].offset == 5, f"enable.auto.commit={auto_commit}"
        d.close()


def test_incremental_assignment_outside_a_group(lib, brokers, conn):
    """incremental_assign() adds a partition, the others going on;
    incremental_unassign() removes one."""
    topic = create_topic(conn, partitions=2)
    k = kfk.Client(brokers=brokers)
    for i in range(10):
        k.produce(topic, f"m{i}", partition=i % 2).result()
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": unique("incr"), "enable.auto.commit": False})
    c.assign([lib.TopicPartition(topic, 0, 0)])
    got = []
    wait_for(lambda: got, lambda: poll_into(c, got))
    c.incremental_assign([lib.TopicPartition(topic, 1, 2)])
    assert sorted(x.partition for x in c.assignment()) == [0, 1]
    wait_for(lambda: len(got) == 8, lambda: poll_into(c, got))
    assert sorted((m.partition(), m.offset()) for m in got) == [(0, o) for o in range(5)] + [(1, o) for o in (2, 3, 4)]
    c.incremental_unassign([lib.TopicPartition(topic, 0)])
    assert [x.partition for x in c.assignment()] == [1]
    k.produce(topic, "p0", partition=0).result()
    k.produce(topic, "p1", partition=1).result()
    wait_for(lambda: len(got) == 9, lambda: poll_into(c, got))
    assert (got[8].partition(), got[8].offset()) == (1, 5)
    assert c.poll(1.0) is None  # and nothing of partition 0
    c.close()
    k.close()


@pytest.mark.parametrize("protocol", [{"partition.assignment.strategy": "cooperative-sticky"},
                                      {"group.protocol": "consumer"}], ids=["cooperative-sticky", "consumer"])
def test_cooperative_member_id_and_incremental_callbacks(lib, brokers, conn, protocol):
    """cooperative-sticky, and group.protocol=consumer (KIP-848), which
    librdkafka runs the same way: the callbacks name only what changes,
    and incremental_assign()/incremental_unassign() from them are
    accepted, assign() and unassign() refused; each member has its own
    member id."""
    topic = create_topic(conn, partitions=4)
    with kfk.Client(brokers=brokers) as k:
        for i in range(40):
            k.produce(topic, f"m{i}", partition=i % 4).result()
    conf = {"bootstrap.servers": brokers, "group.id": unique("coop"), "auto.offset.reset": "earliest",
            "enable.auto.commit": False, **protocol}
    owned, got = {"a": set(), "b": set()}, []

    def member(name):
        c = lib.Consumer(conf)

        def assign(consumer, parts):
            consumer.incremental_assign(parts)
            owned[name] |= {p.partition for p in parts}

        def revoke(consumer, parts):
            consumer.incremental_unassign(parts)
            owned[name] -= {p.partition for p in parts}

        c.subscribe([topic], on_assign=assign, on_revoke=revoke)
        return c

    a = member("a")
    wait_for(lambda: owned["a"] == {0, 1, 2, 3}, lambda: poll_into(a, got))
    assert a.memberid()
    b = member("b")
    wait_for(lambda: owned["b"] and len(owned["a"]) == 2,
             lambda: (poll_into(a, got), poll_into(b, got)), timeout=90)
    assert owned["a"] | owned["b"] == {0, 1, 2, 3} and not owned["a"] & owned["b"]
    assert b.memberid() and b.memberid() != a.memberid()
    wait_for(lambda: len({(m.partition(), m.offset()) for m in got}) == 40,
             lambda: (poll_into(a, got), poll_into(b, got)), timeout=60)
    for call in (lambda: a.assign(a.assignment()), a.unassign):
        with pytest.raises(lib.KafkaException) as e:
            call()
        assert e.value.args[0].code() == lib.KafkaError._STATE
    a.close()
    b.close()


def test_consumer_group_protocol(lib, brokers, conn):
    """group.protocol=consumer (KIP-848): the member joins a group of the
    consumer type, the coordinator assigns it every partition, and it reads
    every message."""
    topic = create_topic(conn, partitions=2)
    with kfk.Client(brokers=brokers) as k:
        for i in range(10):
            k.produce(topic, f"m{i}", partition=i % 2).result()
    group = unique("kip848")
    c = lib.Consumer({"bootstrap.servers": brokers, "group.id": group, "group.protocol": "consumer",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
    assigned, got = [], []
    c.subscribe([topic], on_assign=lambda consumer, parts: assigned.extend(p.partition for p in parts))
    wait_for(lambda: len(got) == 10, lambda: poll_into(c, got), timeout=60)
    assert sorted(assigned) == [0, 1]
    assert sorted(m.value() for m in got) == sorted(f"m{i}".encode() for i in range(10))
    adm = importlib.import_module(lib.__name__ + ".admin")
    with adm.AdminClient({"bootstrap.servers": brokers}) as a:
        listed = a.list_consumer_groups(types={lib.ConsumerGroupType.CONSUMER}).result(30)
        assert group in [g.group_id for g in listed.valid]
    c.close()


def test_async_commit_calls_on_commit(brokers, conn):
    topic = create_topic(conn, partitions=1)
    with kfk.Client(brokers=brokers) as k:
        k.produce(topic, "one", partition=0).result()
    results = []
    c, _ = group_consumer(brokers, topic, on_commit=lambda err, parts: results.append((err, parts)))
    got = []
    wait_for(lambda: got, lambda: got.extend(m for m in [c.poll(1.0)] if m is not None))
    assert c.commit() is None
    wait_for(lambda: results, lambda: c.poll(0.1))
    err, parts = results[0]
    assert err is None and [(tp.partition, tp.offset) for tp in parts] == [(0, 1)]
    c.close()


def test_group_rebalance_loses_nothing(lib, brokers, conn):
    """Two members of one group, the second joining half-way: every message
    is returned, the callbacks describe the assignments, and the group's
    commits end at the end of every partition."""
    topic = create_topic(conn, partitions=4)
    count = 200
    with kfk.Client(brokers=brokers, linger_ms=2) as k:
        for r in [k.produce(topic, f"v{i}", key=f"k{i}", partition=i % 4) for i in range(count)]:
            r.result()
    group = unique("rebalance")
    conf = {"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False}
    seen, owned = [], {"a": set(), "b": set()}

    def member(name):
        c = lib.Consumer(conf)

        def assign(consumer, parts):
            owned[name] |= {p.partition for p in parts}

        def revoke(consumer, parts):
            owned[name] -= {p.partition for p in parts}

        c.subscribe([topic], on_assign=assign, on_revoke=revoke)
        return c

    def step(c):
        m = c.poll(0.2)
        if m is not None and not m.error():
            seen.append((m.partition(), m.offset()))
            c.commit(message=m, asynchronous=False)

    a = member("a")
    wait_for(lambda: len(seen) >= count // 4, lambda: step(a), timeout=60)
    b = member("b")
    wait_for(lambda: owned["b"] and owned["a"] and len(set(seen)) == count,
             lambda: (step(a), step(b)), timeout=90)
    assert owned["a"] | owned["b"] == {0, 1, 2, 3} and not owned["a"] & owned["b"]
    assert set(seen) == {(p, o) for p in range(4) for o in range(count // 4)}
    committed = a.committed([lib.TopicPartition(topic, p) for p in range(4)], timeout=10)
    assert [tp.offset for tp in committed] == [count // 4] * 4
    a.close()
    b.close()


def test_commit_reports_partitions_lost_meanwhile(brokers, conn):
    """A commit made while a loss waits in the consumer to be reported
    (kfk no longer owns those partitions) cannot cover them: they come back
    with an error, not as committed. (A revocation waiting is different:
    kfk waits for on_revoke, and the partitions are still the member's.)"""
    topic = create_topic(conn, partitions=2)
    with kfk.Client(brokers=brokers) as k:
        for p in (0, 1):
            k.produce(topic, f"m{p}", partition=p).result()
    c, _ = group_consumer(brokers, topic)
    got = set()
    wait_for(lambda: len(got) == 2, lambda: got.update(m.partition() for m in [c.poll(0.5)] if m is not None))
    # As the group member would queue it: partition 0 lost, not yet reported.
    c._stream.append((kfk._ffi.EVENT_LOST, [{"topic": topic, "partition": 0, "offset": 1}]))
    done = {tp.partition: tp for tp in c.commit(asynchronous=False)}
    assert done[1].error is None and done[1].offset == 1
    assert done[0].error is not None and done[0].error.code() == kc.KafkaError.REBALANCE_IN_PROGRESS
    c.close()


def test_partition_eof(lib, brokers, conn):
    """enable.partition.eof: an event per partition once everything in it
    has been returned (an empty partition included), again after more."""
    topic = create_topic(conn, partitions=3)
    with kfk.Client(brokers=brokers) as k:
        for p, n in ((0, 5), (1, 3)):
            for i in range(n):
                k.produce(topic, f"p{p}-{i}", partition=p).result()
    events = []

    def step(c):
        m = c.poll(0.2)
        if m is None:
            return
        if m.error():
            assert m.error().code() == lib.KafkaError._PARTITION_EOF
            events.append(("eof", m.partition(), m.offset()))
        else:
            events.append(("msg", m.partition(), m.offset()))

    def ends():
        return {p: o for kind, p, o in events if kind == "eof"}

    def check(expected_ends):
        assert ends() == expected_ends
        for p, end in expected_ends.items():
            mine = [o for kind, q, o in events if q == p and kind == "msg"]
            last_eof = max(i for i, e in enumerate(events) if e == ("eof", p, end))
            assert all(i < last_eof for i, e in enumerate(events) if e[0] == "msg" and e[1] == p)
            assert mine == sorted(mine)

    conf = {"bootstrap.servers": brokers, "group.id": unique("eof"), "enable.partition.eof": True,
            "auto.offset.reset": "earliest"}
    c = lib.Consumer(conf)
    c.assign([lib.TopicPartition(topic, p, lib.OFFSET_BEGINNING) for p in range(3)])
    wait_for(lambda: len(ends()) == 3, lambda: step(c))
    check({0: 5, 1: 3, 2: 0})
    assert sorted((p, o) for kind, p, o in events if kind == "msg") == [(0, i) for i in range(5)] + [
        (1, i) for i in range(3)]
    with kfk.Client(brokers=brokers) as k:
        k.produce(topic, "more", partition=2).result()
    wait_for(lambda: ends().get(2) == 1, lambda: step(c))
    assert ("msg", 2, 0) in events
    c.close()

    events.clear()
    g = lib.Consumer(conf)
    g.subscribe([topic])
    wait_for(lambda: len(ends()) == 3, lambda: step(g))
    check({0: 5, 1: 3, 2: 1})
    g.close()


# -- ShareConsumer ----------------------------------------------------------------

def test_share_consumer_configuration_errors(lib):
    """group.id is required; the group consumer's properties are refused
    (a share group's settings are the broker's)."""
    with pytest.raises(ValueError, match="group.id"):
        lib.ShareConsumer({"bootstrap.servers": UNREACHABLE})
    for name, value in (("enable.auto.commit", False), ("auto.offset.reset", "earliest"),
                        ("session.timeout.ms", 45000), ("partition.assignment.strategy", "range"),
                        ("isolation.level", "read_committed")):
        with pytest.raises(ValueError, match=name.replace(".", r"\.")):
            lib.ShareConsumer({"bootstrap.servers": UNREACHABLE, "group.id": "g", name: value})
    with pytest.raises(lib.KafkaException) as info:
        lib.ShareConsumer({"bootstrap.servers": UNREACHABLE, "group.id": "g", "no.such.property": 1})
    assert info.value.args[0].code() == lib.KafkaError._INVALID_ARG
    c = lib.ShareConsumer({"bootstrap.servers": UNREACHABLE, "group.id": "g", "max.poll.records": 5,
                           "share.acknowledgement.mode": "explicit", "fetch.max.bytes": 100000,
                           "max.poll.interval.ms": 300000})
    c.close()


def test_share_consumer_state_errors(lib):
    """What a share consumer refuses before and after its subscription, as
    confluent-kafka refuses it."""
    assert [int(a) for a in lib.AcknowledgeType] == [1, 2, 3]
    assert issubclass(lib.IllegalStateException, RuntimeError)
    c = lib.ShareConsumer({"bootstrap.servers": UNREACHABLE, "group.id": "g"})
    with pytest.raises(lib.IllegalStateException):
        c.poll(0.1)  # not subscribed
    assert c.subscription() == [] and c.commit_sync() == {}
    with pytest.raises(lib.IllegalStateException):
        c.acknowledge_offset("t", 0, 0)  # implicit mode
    with pytest.raises(TypeError):
        c.acknowledge("not a message")
    with pytest.raises(TypeError):
        c.set_acknowledgement_commit_callback(42)
    with pytest.raises(ValueError):
        c.subscribe(["a", "a"])
    c.close()
    for call in (lambda: c.poll(0), c.subscription, c.unsubscribe, lambda: c.subscribe(["t"]),
                 c.commit_sync, c.commit_async):
        with pytest.raises(lib.IllegalStateException):
            call()
    c.close()  # a second close does nothing
    e = lib.ShareConsumer({"bootstrap.servers": UNREACHABLE, "group.id": "g",
                           "share.acknowledgement.mode": "explicit"})
    with pytest.raises(lib.IllegalStateException):
        e.acknowledge_offset("t", 0, 0)  # not in flight
    with pytest.raises(ValueError):
        e.acknowledge_offset("t", 0, -1)
    with pytest.raises(ValueError):
        e.acknowledge_offset("t", 0, 0, 7)
    e.close()


def test_share_consumer_delivery_count_and_messages(brokers, conn):
    """kfk.confluent's ShareConsumer: a released record comes back to the
    member with delivery_count 2; Messages behaves as a sequence."""
    from conftest import share_group
    topic = create_topic(conn, partitions=1)
    with kfk.Client(brokers=brokers) as p:
        p.produce(topic, b"only", partition=0).result(30)
    group = share_group(conn, topic)
    c = kc.ShareConsumer({"bootstrap.servers": brokers, "group.id": group, "share.acknowledgement.mode": "explicit"})
    c.subscribe([topic])
    counts = []
    deadline = time.monotonic() + 60
    while len(counts) < 2 and time.monotonic() < deadline:
        batch = c.poll(0.5)
        assert len(batch) == batch.count() and batch.records() == list(batch) and batch[:1].count() <= 1
        for m in batch:
            assert m.value() == b"only" and m.offset() == 0
            counts.append(m.delivery_count())
            c.acknowledge(m, kc.AcknowledgeType.RELEASE if len(counts) == 1 else kc.AcknowledgeType.ACCEPT)
    assert counts == [1, 2]
    assert c.commit_sync() == {kc.TopicPartition(topic, 0): None}
    c.close()


# -- purge ------------------------------------------------------------------------

def test_purge_with_the_broker_unreachable(lib):
    """Every message waiting for a broker that cannot be reached is
    reported _PURGE_QUEUE from the next poll, and flush() then returns 0."""
    p = lib.Producer({"bootstrap.servers": UNREACHABLE, "message.timeout.ms": 300000})
    reports = []
    for i in range(5):
        p.produce("purge-topic", value=f"v{i}".encode(), key=b"k",
                  on_delivery=lambda err, msg: reports.append((err.code() if err else None, msg.value())))
    assert len(p) >= 5  # librdkafka's count also has the unreachable broker's error events
    p.purge(in_flight=False)
    assert p.flush(30) == 0
    assert sorted(reports) == [(lib.KafkaError._PURGE_QUEUE, f"v{i}".encode()) for i in range(5)]
    p.purge()  # nothing left: nothing more reported
    # librdkafka's count includes the unreachable broker's error events,
    # which keep coming as it retries: serve them until none waits.
    deadline = time.monotonic() + 30
    while len(p) and time.monotonic() < deadline:
        p.poll(0.1)
    assert len(reports) == 5 and len(p) == 0


def test_waiting_records_leave_the_collector_nothing_to_scan():
    """kfk only: what a record keeps for its delivery report while it
    waits, besides its callback, is a tuple of strings, bytes and numbers,
    which CPython's collector stops tracking once it has seen it; the
    report still gets the record's topic, partition, key and value, and a
    per-call callback still wins over the configured one."""
    import gc

    configured, own = [], []
    p = kc.Producer({"bootstrap.servers": UNREACHABLE, "message.timeout.ms": 300000,
                     "on_delivery": lambda err, msg: configured.append(msg)})
    for i in range(100):
        p.produce("gc-topic", value=b"v\x00%d" % i, key=b"k%d" % i, partition=i % 3)
    p.produce("gc-topic", value=None, key=None, on_delivery=lambda err, msg: own.append(msg))
    gc.collect()
    states = [s for s in p._queue._states if s is not None]
    assert len(states) == 101
    if hasattr(gc, "is_tracked"):  # CPython's collector; PyPy's moves objects and tracks none
        assert not any(gc.is_tracked(s) for s in states)
    p.purge(in_flight=False)
    assert p.flush(30) == 0
    assert sorted((m.topic(), m.partition(), m.key(), m.value()) for m in configured) == sorted(
        ("gc-topic", i % 3, b"k%d" % i, b"v\x00%d" % i) for i in range(100))
    assert [(m.key(), m.value(), m.error().code()) for m in own] == [(None, None, kc.KafkaError._PURGE_QUEUE)]
    assert all(s is None for s in p._queue._states)
    p.close(0)
