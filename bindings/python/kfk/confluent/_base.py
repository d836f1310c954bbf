"""What Producer, Consumer and AdminClient share: the kfk client behind
them, the callbacks of the configuration (error_cb, stats_cb, oauth_cb, logger),
list_topics() and connections of their own to single brokers."""

from __future__ import annotations

import json
import time
from typing import Any, Optional

from .. import _ffi
from ..client import Client
from ..conn import Conn
from ..errors import KafkaError as _KfkError
from ..queue import EventQueue
from ._config import Settings
from ._errors import KafkaError, KafkaException, code_of, from_kfk
from ._model import ClusterMetadata, cluster_metadata


def deadline_of(timeout: Optional[float]) -> Optional[float]:
    """confluent-kafka's timeouts: seconds, None or a negative number for
    no limit."""
    if timeout is None or timeout < 0:
        return None
    return time.monotonic() + timeout


def left(deadline: Optional[float]) -> Optional[float]:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _client_error(err: _KfkError) -> KafkaError:
    """A client-level error (error_cb) in librdkafka's terms: every broker
    failing is _ALL_BROKERS_DOWN, a lost connection _TRANSPORT. None is
    retriable(): confluent-kafka makes error_cb's errors from the code
    alone."""
    if err.code == _ffi.ERR_NOT_CONNECTED:
        code = KafkaError._ALL_BROKERS_DOWN  # type: ignore[attr-defined]
    elif err.code in (_ffi.ERR_DISCONNECTED, _ffi.ERR_CONNECT):
        code = KafkaError._TRANSPORT  # type: ignore[attr-defined]
    else:
        code = code_of(err)
    return KafkaError(code, err.message)


class Base:
    """A kfk.Client configured from a confluent-kafka configuration."""

    _kind = ""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        options = settings.client_options()
        self._error_cb = settings.py.get("error_cb")
        self._stats_cb = settings.py.get("stats_cb")
        self._queue = EventQueue()
        try:
            self._client = Client(options, queue=self._queue, on_error=self._on_error,
                                  logger=settings.logger(),
                                  on_stats=self._on_stats if self._stats_cb else None,
                                  oauth_cb=settings.py.get("oauth_cb"))
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Failed to create " + self._kind)) from None
        for name in settings.ignored:
            self._client.logger.warning("configuration property %s is not a %s property: it does nothing here",
                                        name, self._kind)
        self._closed = False

    # -- callbacks from the configuration ----------------------------------

    def _on_error(self, err: _KfkError) -> None:
        if self._error_cb is not None:
            self._error_cb(_client_error(err))

    def _on_stats(self, stats: dict) -> None:
        self._stats_cb(json.dumps(stats))

    # -- shared calls --------------------------------------------------------

    def _serve(self, timeout: Optional[float]) -> int:
        """Serve the queue's events for up to timeout seconds (None: no
        limit), returning once some were served."""
        return self._queue.poll(timeout)

    def list_topics(self, topic: Optional[str] = None, timeout: float = -1) -> ClusterMetadata:
        """Cluster metadata: every topic, or just topic."""
        self._check_open()
        wait = None if timeout is None or timeout < 0 else timeout
        try:
            if topic is not None:
                if not isinstance(topic, str):
                    raise TypeError("topic must be a str")
                tree = self._client.metadata([topic]).result(wait)
                return cluster_metadata(tree, [topic])
            conn = self._bootstrap_conn(wait)
            try:
                return cluster_metadata(conn.metadata(None).result(wait))
            finally:
                conn.close()
        except _KfkError as exc:
            raise KafkaException(from_kfk(exc, "Failed to get metadata")) from None

    def cluster_id(self, timeout: float = -1) -> Optional[str]:
        """The cluster's id, waiting up to timeout seconds (negative: no
        limit) for a broker to tell it; KafkaException(_TIMED_OUT) when
        none does in time. Asked on a connection of its own, so that no
        callback runs meanwhile."""
        self._check_open()
        if not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be a number, not {type(timeout).__name__}")
        deadline = deadline_of(timeout)
        while True:
            try:
                conn = self._bootstrap_conn(left(deadline))
                try:
                    return conn.metadata([]).result(left(deadline)).get("cluster_id")
                finally:
                    conn.close()
            except _KfkError:
                pass  # no broker answered (yet)
            wait = left(deadline)
            if wait == 0:
                raise KafkaException(KafkaError(KafkaError._TIMED_OUT,  # type: ignore[attr-defined]
                                                "no broker told the cluster id in time"))
            time.sleep(0.1 if wait is None else min(wait, 0.1))  # before trying the brokers again

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"{self._kind.capitalize()} closed")

    def set_sasl_credentials(self, username: str, password: str) -> None:
        """Replace the SASL PLAIN or SCRAM username and password for the
        connections and re-authentications to come; connections already
        made stay. As in librdkafka, a client without SASL PLAIN or SCRAM
        takes them and never uses them."""
        self._check_open()
        for i, value in enumerate((username, password), 1):
            if not isinstance(value, str):
                raise TypeError(f"argument {i} must be str, not {type(value).__name__}")
        try:
            self._client.set_sasl_credentials(username, password)
        except _KfkError as exc:
            if exc.code != _ffi.ERR_STATE:
                raise KafkaException(from_kfk(exc, "Failed to set SASL credentials")) from None
        # The connections of this layer's own (_conn_to) take them too.
        self._settings.kfk["sasl_username"], self._settings.kfk["sasl_password"] = username, password

    # -- connections of our own ---------------------------------------------

    def _conn_to(self, host: str, port: int, timeout: Optional[float]) -> Conn:
        """A connection to one broker, with the client's TLS and SASL
        settings, on a queue of its own (so waiting for it serves none of
        the client's callbacks)."""
        o = self._settings.kfk
        conn = Conn(EventQueue(), client_id=o.get("client_id", "rdkafka"))
        protocol = o.get("security.protocol", "PLAINTEXT").upper()
        if protocol in ("SSL", "SASL_SSL"):
            verify = o.get("enable.ssl.certificate.verification", "true") == "true"
            conn.tls(True, o.get("tls_ca_file"), not verify)
        if protocol.startswith("SASL"):
            conn.sasl(o.get("sasl_mechanism", "PLAIN").upper(), o.get("sasl_username"), o.get("sasl_password"))
        try:
            conn.connect(host, port, 10.0 if timeout is None else max(timeout, 0.1)).result(timeout)
        except BaseException:
            conn.close()
            raise
        return conn

    def _bootstrap_conn(self, timeout: Optional[float]) -> Conn:
        last: Optional[BaseException] = None
        for addr in self._settings.kfk.get("brokers", "127.0.0.1:9092").split(","):
            addr = addr.strip()
            if not addr:
                continue
            host, _, port = addr.rpartition(":") if ":" in addr else (addr, "", "9092")
            try:
                return self._conn_to(host.strip("[]"), int(port), timeout)
            except _KfkError as exc:
                last = exc
        if isinstance(last, _KfkError):
            raise last
        raise _KfkError(_ffi.ERR_NOT_CONNECTED, "no bootstrap broker")

    def _close_client(self, timeout: float) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._client.close(timeout)
        except _KfkError:
            pass
        finally:
            self._queue.close()


def kafka_exception(err: _KfkError, what: Optional[str] = None, **kw: Any) -> KafkaException:
    return KafkaException(from_kfk(err, what, **kw))


__all__ = ["Base", "code_of", "deadline_of", "kafka_exception", "left"]
