"""Wrong types, impossible values and closed objects: every call either
works or raises a Python exception (TypeError, ValueError, KafkaError);
none crashes the interpreter or hangs. No broker is needed."""
import pytest

import kfk

OFFLINE = "127.0.0.1:1"

WRONG = [None, 3, 2.5, b"bytes", "text", [1], {"a": 1}, object(), -1, 2**70]


def raises_cleanly(fn):
    """Runs fn: it may work or raise one of the exceptions a caller can
    expect (KeyError for a record mapping without "topic"); any other
    (ctypes.ArgumentError, AttributeError...) fails the test, and so would
    a crash."""
    try:
        fn()
    except (TypeError, ValueError, OverflowError, KeyError, kfk.KafkaError):
        return True
    return False


def test_client_methods_with_wrong_types():
    c = kfk.Client(brokers=OFFLINE)
    try:
        tried = 0
        for bad in WRONG:
            raises_cleanly(lambda: c.produce(bad, b"v"))
            raises_cleanly(lambda: c.produce("t", bad))
            raises_cleanly(lambda: c.produce("t", b"v", key=bad))
            raises_cleanly(lambda: c.produce("t", b"v", partition=bad))
            raises_cleanly(lambda: c.produce("t", b"v", headers=bad))
            raises_cleanly(lambda: c.produce_many(bad))
            raises_cleanly(lambda: c.produce_many([bad]))
            raises_cleanly(lambda: c.assign(bad))
            raises_cleanly(lambda: c.assign([{"topic": bad, "partition": 0}]))
            raises_cleanly(lambda: c.seek("t", bad, 0))
            raises_cleanly(lambda: c.partition_count(bad))
            tried += 11
        # Values the library must refuse, not send.
        for topic in ["", ".", "..", "a/b", "x" * 300]:
            with pytest.raises(kfk.KafkaError):
                c.produce(topic, b"v")
        with pytest.raises((TypeError, ValueError, kfk.KafkaError)):
            c.produce("t", b"v", partition=-9)
        assert tried == 11 * len(WRONG)
    finally:
        raises_cleanly(lambda: c.close(0.1))  # records it took cannot be flushed: the broker is unreachable


def test_conn_methods_with_wrong_types():
    c = kfk.Conn()
    for bad in WRONG:
        raises_cleanly(lambda: c.connect(bad, 9092))
        raises_cleanly(lambda: c.connect("127.0.0.1", bad))
        raises_cleanly(lambda: c.metadata(bad))
        raises_cleanly(lambda: c.produce(bad, 0, None, b"v"))
        raises_cleanly(lambda: c.produce("t", bad, None, b"v"))
    c.close()


def test_closed_objects_refuse_calls():
    c = kfk.Client(brokers=OFFLINE)
    c.close(1)
    refused = sum(raises_cleanly(call) for call in [
        lambda: c.produce("t", b"v"), lambda: c.assign([{"topic": "t", "partition": 0}]),
        lambda: c.consume(0.1), lambda: c.begin_transaction(), lambda: c.flush(0.1)])
    assert refused >= 2  # produce and begin_transaction at least; the others may be no-ops
    with pytest.raises(kfk.KafkaError) as e:
        c.produce("t", b"v")
    assert e.value.name in ("KFK_ERR_CLOSED", "KFK_ERR_INVALID_HANDLE")
    c.close(1)  # closing twice is harmless

    conn = kfk.Conn()
    conn.close()
    with pytest.raises(kfk.KafkaError):
        conn.metadata().result()
    conn.close()
