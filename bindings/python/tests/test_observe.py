"""Logs and statistics through the Python binding: log lines reach the
logging module, statistics arrive as dicts, and bad options are refused."""
import logging
import time

import pytest

import kfk
from conftest import broker_env


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_logs_and_statistics(topic):
    logger = logging.getLogger("kfk.test-observe")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    seen = Collect()
    logger.addHandler(seen)
    stats = []
    with kfk.Client(brokers=broker_env("KFK_TEST_BROKERS"), debug="broker", statistics_interval_ms=100,
                    client_id="py-observe", logger=logger, on_stats=stats.append) as client:
        client.connect()
        for i in range(25):
            client.produce(topic, b"0123456789", partition=i % 2)
        client.flush()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (stats and stats[-1]["msgs_produced"] == 25):
            client.poll(0.05)
    doc = stats[-1]
    assert doc["client_id"] == "py-observe" and doc["msgs_produced"] == 25 and doc["bytes_produced"] == 250
    assert doc["msgs_failed"] == 0 and doc["queue_msgs"] == 0
    assert all(b["state"] in ("up", "down") and b["requests"] > 0 for b in doc["brokers"].values())
    connected = [r for r in seen.records if "connected to" in r.getMessage()]
    assert connected and connected[0].levelno == logging.DEBUG and connected[0].kfk_context == "broker"
    assert connected[0].getMessage().startswith("broker: connected to ")


def test_default_logger_is_kfk(caplog):
    with caplog.at_level(logging.ERROR, logger="kfk"):
        with kfk.Client(brokers="127.0.0.1:1", metadata_refresh=0) as client:
            with pytest.raises(kfk.KafkaError):
                client.connect()
            client.poll(0.1)
    assert any(r.name == "kfk" and r.levelno == logging.ERROR and "127.0.0.1:1" in r.getMessage()
               for r in caplog.records)


def test_bad_observability_options():
    with pytest.raises(kfk.KafkaError) as e:
        kfk.Client(brokers="127.0.0.1:9092", log_level="loud")
    assert "log_level" in str(e.value)
    with pytest.raises(kfk.KafkaError) as e:
        kfk.Client(brokers="127.0.0.1:9092", debug="everything")
    assert "everything" in str(e.value)
