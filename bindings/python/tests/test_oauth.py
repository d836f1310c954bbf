"""SASL/OAUTHBEARER through the Python binding: tokens from oauth_cb (in
kfk.Client and kfk.confluent), from the test token endpoint (OIDC), and
the errors when there is none."""
import base64
import json
import time

import pytest

import kfk
from conftest import broker_env, unique
from kfk.confluent import Consumer, Producer, TopicPartition


def unsigned_token(principal, life_s=600):
    """An unsigned JWT, as the test broker's OAUTHBEARER listener accepts."""
    def enc(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    claims = {"sub": principal, "iat": int(time.time()), "exp": int(time.time()) + life_s}
    return enc(b'{"alg":"none"}') + "." + enc(json.dumps(claims).encode()) + "."


def oauth_options():
    return {"brokers": broker_env("KFK_TEST_OAUTH_BROKERS"), "security.protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "OAUTHBEARER"}


def test_oauth_cb_tokens_produce_and_consume():
    asked = []

    def token(config):
        asked.append(config)
        return unsigned_token("kfk-py"), time.time() + 600, "kfk-py", {"traceId": "py-1"}

    topic = unique("oauth-py")
    with kfk.Client(oauth_options(), oauth_cb=token, sasl_oauthbearer_config="principal=ignored") as c:
        c.connect()
        c.produce(topic, b"\x00via oauth_cb\xff", key=b"k").result()
        assert asked and asked[0] == "principal=ignored"


def test_oauth_cb_failure_fails_the_connect():
    def broken(config):
        raise RuntimeError("the vault is sealed")

    with kfk.Client(oauth_options(), oauth_cb=broken, request_timeout_ms=5000) as c:
        with pytest.raises(kfk.KafkaError) as e:
            c.connect()
    assert e.value.name == "KFK_ERR_SASL" and "the vault is sealed" in str(e.value)


def test_oidc_options_produce():
    brokers = broker_env("KFK_TEST_OIDC_BROKERS")
    topic = unique("oidc-py")
    with kfk.Client({
            "brokers": brokers, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "OAUTHBEARER",
            "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.token.endpoint.url": broker_env("KFK_TEST_OIDC_TOKEN_URL"),
            "sasl.oauthbearer.client.id": broker_env("KFK_TEST_OIDC_CLIENT_ID"),
            "sasl.oauthbearer.client.secret": broker_env("KFK_TEST_OIDC_CLIENT_SECRET")}) as c:
        c.connect()
        assert c.produce(topic, b"signed").result()["offset"] == 0


def test_confluent_oauth_cb_round_trip():
    brokers = broker_env("KFK_TEST_OAUTH_BROKERS")
    topic = unique("oauth-confluent")
    conf = {"bootstrap.servers": brokers, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "OAUTHBEARER",
            "oauth_cb": lambda config: (unsigned_token("kfk-confluent"), time.time() + 600)}
    p = Producer(conf)
    p.produce(topic, value=b"through kfk.confluent", partition=0)
    assert p.flush(30) == 0
    c = Consumer({**conf, "group.id": unique("g"), "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, 0, 0)])
    deadline = time.monotonic() + 30
    msg = None
    while msg is None and time.monotonic() < deadline:
        msg = c.poll(1.0)
    c.close()
    assert msg is not None and msg.error() is None and msg.value() == b"through kfk.confluent"


def test_confluent_oauth_cb_must_be_callable():
    with pytest.raises(TypeError, match="oauth_cb"):  # as confluent-kafka says it
        Producer({"bootstrap.servers": "127.0.0.1:1", "oauth_cb": "not a function"})
