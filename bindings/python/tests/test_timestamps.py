"""Record timestamps: 0 is a time like any other, None or a negative value
means now; delivery reports and consumed messages say what kind of
timestamp they carry (timestamp_type)."""
import time

import pytest

import kfk
from conftest import consume_n, create_topic, dispatched
from kfk import _ffi

GIVEN = [0, 1, 1700000000000, None, -1, -5]
PASSED = [0, 1, 1700000000000, -1, -1, -1]  # what the library must be handed

# Library changes these tests wait for; remove each mark once it is in.


def stored_as_given(got, given):
    """A record given ts carries ts, or the time it was produced (about now)."""
    if given is None or given < 0:
        return abs(got - time.time() * 1000) < 60_000
    return got == given


class RecordingLib:
    """libkfk, with kfk_produce and kfk_produce_many noting the timestamp
    of each message they are handed."""

    def __init__(self, lib, produce):
        self._lib, self._produce, self.timestamps = lib, produce, []

    def __getattr__(self, name):
        return getattr(self._lib, name)

    def kfk_produce(self, handle, msg_at, cb):  # _ffi.produce, handed the message's address
        self.timestamps.append(_ffi.MessageIn.from_address(msg_at).timestamp)
        return self._produce(handle, msg_at, cb)

    def kfk_produce_many(self, handle, msgs, n, cb, opaque, accepted):
        self.timestamps += [msgs[i].timestamp for i in range(n)]
        return self._lib.kfk_produce_many(handle, msgs, n, cb, opaque, accepted)


def test_client_hands_timestamps_to_the_library_as_documented(client, topic, monkeypatch):
    client._lib = lib = RecordingLib(client._lib, _ffi.produce)
    monkeypatch.setattr(_ffi, "produce", lib.kfk_produce)
    for ts in GIVEN:
        client.produce(topic, b"v", timestamp=ts)
    client.produce_many([{"topic": topic, "value": b"v", "timestamp": ts} for ts in GIVEN]).result()
    client.flush()
    assert lib.timestamps == PASSED + PASSED


def test_client_timestamps_round_trip(client, topic):
    given = GIVEN[1:]  # 0: see test_client_keeps_timestamp_zero
    reports = [client.produce(topic, b"v", partition=0, timestamp=ts) for ts in given]
    client.produce_many([{"topic": topic, "value": b"v", "partition": 0, "timestamp": ts} for ts in given]).result()
    client.flush()
    client.assign([{"topic": topic, "partition": 0, "offset": kfk.OFFSET_EARLIEST}])
    consumed = [m.timestamp for m in consume_n(client, 2 * len(given))]
    delivered = [r.result()["timestamp"] for r in reports]
    assert len(consumed) == 2 * len(given) and all(map(stored_as_given, consumed, given + given)), consumed
    assert len(delivered) == len(given) and all(map(stored_as_given, delivered, given)), delivered


def test_client_keeps_timestamp_zero(client, topic):
    report = client.produce(topic, b"v", partition=0, timestamp=0).result()
    client.assign([{"topic": topic, "partition": 0, "offset": kfk.OFFSET_EARLIEST}])
    assert report["timestamp"] == 0 and [m.timestamp for m in consume_n(client, 1)] == [0]


def test_conn_timestamps_round_trip(conn, topic):
    conn.produce_batch(topic, 0, [{"value": b"v", "timestamp": ts} for ts in GIVEN]).result()
    conn.produce(topic, 1, None, b"v", timestamp=0).result()
    records = conn.fetch(topic, 0, 0).result()["topics"][0]["partitions"][0]["records"]
    got = [r["timestamp"] for r in records]
    assert len(got) == len(GIVEN) and all(map(stored_as_given, got, GIVEN)), got
    assert conn.fetch(topic, 1, 0).result()["topics"][0]["partitions"][0]["records"][0]["timestamp"] == 0


def test_timestamp_type_is_read_from_messages_and_reports():
    # The binding's half, without a broker: the field kfk_message_t carries
    # reaches Message.timestamp_type and the delivery report's dict.
    for kind in (kfk.TIMESTAMP_NOT_AVAILABLE, kfk.TIMESTAMP_CREATE_TIME, kfk.TIMESTAMP_LOG_APPEND_TIME):
        m = _ffi.Message(topic=b"t", offset=7, timestamp=1234, timestamp_type=kind)
        assert dispatched(_ffi.EVENT_MESSAGE, m).timestamp_type == kind
        assert dispatched(_ffi.EVENT_DELIVERY, m) == {"topic": "t", "partition": 0, "offset": 7, "timestamp": 1234,
                                                     "timestamp_type": kind}


@pytest.mark.parametrize("topic_type,kind", [("CreateTime", kfk.TIMESTAMP_CREATE_TIME),
                                             ("LogAppendTime", kfk.TIMESTAMP_LOG_APPEND_TIME)])
def test_timestamp_type_reported(client, conn, topic_type, kind):
    name = create_topic(conn, 1, {"message.timestamp.type": topic_type})
    report = client.produce(name, b"v", timestamp=1).result()
    client.assign([{"topic": name, "partition": 0, "offset": kfk.OFFSET_EARLIEST}])
    (message,) = consume_n(client, 1)
    assert (report["timestamp_type"], message.timestamp_type) == (kind, kind)
    # LogAppendTime: the broker's time replaces the 1 given
    given = None if kind == kfk.TIMESTAMP_LOG_APPEND_TIME else 1
    assert report["timestamp"] == message.timestamp and stored_as_given(message.timestamp, given)
