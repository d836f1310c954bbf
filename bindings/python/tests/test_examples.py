import os
import subprocess
import sys

import pytest

import kfk
from conftest import broker_env, create_topic, share_group, unique

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "python")
# Examples that take arguments, each tested below.
WITH_ARGUMENTS = {"share_consumer.py"}


def example_env():
    return {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..")}


@pytest.mark.parametrize("script", sorted(f for f in os.listdir(EXAMPLES)
                                          if f.endswith(".py") and f not in WITH_ARGUMENTS))
def test_example_runs(script):
    env = {**example_env(), "KAFKA_BROKER": broker_env("KFK_TEST_BROKERS").split(",")[0],
           "KAFKA_TOPIC": unique("pyexample"), "SECONDS": "3"}
    out = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_share_consumer_prints_each_accepted_record_once(conn):
    brokers = broker_env("KFK_TEST_BROKERS")
    topic = create_topic(conn, partitions=2)
    group = share_group(conn, topic)
    with kfk.Client(brokers=brokers) as p:
        p.connect()
        p.produce_many([{"topic": topic, "partition": i % 2, "value": b"%d" % i} for i in range(40)]).result()
    script = os.path.join(EXAMPLES, "share_consumer.py")

    def run(count):
        out = subprocess.run([sys.executable, script, brokers, topic, group, "--count", str(count)],
                             env=example_env(), capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    first = run(30)  # stops after 30 and releases the rest
    rest = run(100)  # takes the other 10, then stops when idle
    assert len(first) == 30
    assert sorted(first + rest) == sorted(f"{p}:{o}" for p in (0, 1) for o in range(20))
