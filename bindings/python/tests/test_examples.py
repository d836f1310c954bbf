import os
import subprocess
import sys

import pytest

from conftest import broker_env, unique

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "python")


@pytest.mark.parametrize("script", sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".py")))
def test_example_runs(script):
    env = {**os.environ, "KAFKA_BROKER": broker_env("KFK_TEST_BROKERS").split(",")[0],
           "KAFKA_TOPIC": unique("pyexample"), "SECONDS": "3",
           "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..")}
    out = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()
