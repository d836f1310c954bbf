"""SASL/GSSAPI (Kerberos) through the Python binding, against the test
broker's GSSAPI listener and the test KDC: kfk.Client with a keytab and
with a password, a low-level connection, and a confluent-kafka program."""
import os
import subprocess
import sys
import time

import pytest

import kfk
from conftest import broker_env, host_port, unique


def kerberos_options(**kv):
    return {"brokers": broker_env("KFK_TEST_GSSAPI_BROKERS"), "security.protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "GSSAPI", "sasl.kerberos.service.name": broker_env("KFK_TEST_KRB5_SERVICE"),
            "sasl_kerberos_config": broker_env("KFK_TEST_KRB5_CONFIG"), **kv}


def read_back(c, topic, want):
    c.assign([{"topic": topic, "partition": 0, "offset": kfk.OFFSET_EARLIEST}])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for m in c.consume(timeout=1):
            if m.value == want:
                return m
    pytest.fail(f"{want!r} was not read back through GSSAPI")


@pytest.mark.parametrize("login", ["keytab", "password"])
def test_client_produces_and_consumes(login):
    if login == "keytab":
        kv = {"sasl.kerberos.keytab": broker_env("KFK_TEST_KRB5_KEYTAB"),
              "sasl.kerberos.principal": broker_env("KFK_TEST_KRB5_PRINCIPAL")}
    else:
        kv = {"sasl_username": broker_env("KFK_TEST_KRB5_USER"), "sasl_password": broker_env("KFK_TEST_KRB5_PASS")}
    topic = unique("gssapi-py")
    value = b"\x00kerberos\xff" + login.encode()
    with kfk.Client(kerberos_options(**kv)) as c:
        c.connect()
        c.produce(topic, value, key=b"k", partition=0).result()
        m = read_back(c, topic, value)
        assert m.key == b"k"


def test_client_wrong_password_fails_the_connect():
    kv = {"sasl_username": broker_env("KFK_TEST_KRB5_USER"), "sasl_password": "not-the-password",
          "request_timeout_ms": 5000}
    with kfk.Client(kerberos_options(**kv)) as c:
        with pytest.raises(kfk.KafkaError) as e:
            c.connect()
    assert e.value.name == "KFK_ERR_SASL" and "Kerberos login" in str(e.value)
    assert "not-the-password" not in str(e.value)


def test_conn_authenticates_with_a_keytab():
    host, port = host_port(broker_env("KFK_TEST_GSSAPI_BROKERS"))
    conn = kfk.Conn()
    try:
        with pytest.raises(kfk.KafkaError) as e:
            conn.kerberos(keytab="/nowhere")  # before sasl("GSSAPI")
        assert e.value.name == "KFK_ERR_STATE"
        conn.sasl("GSSAPI", broker_env("KFK_TEST_KRB5_PRINCIPAL"))
        conn.kerberos(broker_env("KFK_TEST_KRB5_SERVICE"), broker_env("KFK_TEST_KRB5_KEYTAB"),
                      broker_env("KFK_TEST_KRB5_CONFIG"))
        conn.connect(host, port, timeout=10).result(30)
        assert conn.connected
        meta = conn.metadata([]).result(30)
        assert meta["brokers"]
    finally:
        conn.close()


# A confluent-kafka program with librdkafka's Kerberos properties, run as
# such programs are: the krb5.conf comes from KRB5_CONFIG in its
# environment (the library reads the environment it starts with).
CONFLUENT_PROGRAM = r'''
import os, sys, time
from kfk.confluent import Consumer, Producer, TopicPartition
topic = sys.argv[1]
conf = {"bootstrap.servers": os.environ["KFK_TEST_GSSAPI_BROKERS"], "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "GSSAPI", "sasl.kerberos.service.name": os.environ["KFK_TEST_KRB5_SERVICE"],
        "sasl.kerberos.keytab": os.environ["KFK_TEST_KRB5_KEYTAB"],
        "sasl.kerberos.principal": os.environ["KFK_TEST_KRB5_PRINCIPAL"],
        "sasl.kerberos.kinit.cmd": "kinit -R", "sasl.kerberos.min.time.before.relogin": 60000}
p = Producer(conf)
p.produce(topic, value=b"\x00through kfk.confluent\xff", partition=0)
assert p.flush(30) == 0
c = Consumer({**conf, "group.id": "gssapi-" + topic, "auto.offset.reset": "earliest"})
c.assign([TopicPartition(topic, 0, 0)])
deadline = time.monotonic() + 30
msg = None
while msg is None and time.monotonic() < deadline:
    msg = c.poll(1.0)
c.close()
assert msg is not None and msg.error() is None, msg and msg.error()
print(msg.value().hex())
'''


def test_confluent_program_with_kerberos_properties():
    broker_env("KFK_TEST_GSSAPI_BROKERS")
    # The program imports the kfk under test, as this process does.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(kfk.__file__)))
    env = {**os.environ, "KRB5_CONFIG": broker_env("KFK_TEST_KRB5_CONFIG"),
           "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", CONFLUENT_PROGRAM, unique("gssapi-confluent")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == b"\x00through kfk.confluent\xff".hex()
