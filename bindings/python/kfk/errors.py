"""Exceptions carrying kfk / Kafka error codes."""

from __future__ import annotations

from . import _ffi


def error_name(code: int) -> str:
    """Symbolic name of a kfk or Kafka error code, e.g. 'UNKNOWN_TOPIC_OR_PARTITION'."""
    return _ffi.lib().kfk_err_name(code).decode()


def error_string(code: int) -> str:
    """One-line description of an error code."""
    return _ffi.lib().kfk_err_string(code).decode()


class KafkaError(Exception):
    """An error from libkfk or a broker.

    ``code`` is the kfk_err_t (Kafka's own codes keep their numbers; local
    errors are -100 and below), ``name`` its symbolic name.
    """

    def __init__(self, code: int, message: str | None = None):
        self.code = code
        self.name = error_name(code)
        self.message = message or error_string(code)
        super().__init__(f"{self.name}: {self.message}")

    @property
    def retriable(self) -> bool:
        return bool(_ffi.lib().kfk_err_retriable(self.code))


class ForkedError(KafkaError):
    """The object was created before fork(); create a new one in the child."""


def check(code: int, what: str = "") -> None:
    """Raise KafkaError for a non-zero return code."""
    if code != 0:
        raise KafkaError(code, f"{what}: {error_string(code)}" if what else None)
