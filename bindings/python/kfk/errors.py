"""Exceptions carrying kfk / Kafka error codes."""

from __future__ import annotations

import operator

from . import _ffi

_ERR_MIN, _ERR_MAX = -2**31, 2**31 - 1  # kfk_err_t is an int32


def _err_t(code: int) -> int:
    """code as a kfk_err_t. ctypes would silently cut a larger int down to
    another code (2**32 + 3 to 3) and so name the wrong error."""
    code = operator.index(code)  # TypeError for what is not an integer
    if not _ERR_MIN <= code <= _ERR_MAX:
        raise OverflowError(f"error code {code} does not fit a kfk_err_t (int32)")
    return code


def error_name(code: int) -> str:
    """Symbolic name of a kfk or Kafka error code, e.g. 'UNKNOWN_TOPIC_OR_PARTITION';
    the library names codes it does not know too."""
    return _ffi.lib().kfk_err_name(_err_t(code)).decode()


def error_string(code: int) -> str:
    """One-line description of an error code."""
    return _ffi.lib().kfk_err_string(_err_t(code)).decode()


class KafkaError(Exception):
    """An error from libkfk or a broker.

    ``code`` is the kfk_err_t (Kafka's own codes keep their numbers; local
    errors are -100 and below), ``name`` its symbolic name.
    """

    def __init__(self, code: int, message: str | None = None):
        self.code = _err_t(code)
        self.name = error_name(self.code)
        self.message = message or error_string(self.code)
        super().__init__(f"{self.name}: {self.message}")

    def __reduce__(self) -> tuple:
        # Rebuilt from code and message (pickle, copy, multiprocessing):
        # the default would pass the formatted text back as the code.
        return type(self), (self.code, self.message)

    @property
    def retriable(self) -> bool:
        return bool(_ffi.lib().kfk_err_retriable(self.code))


class ForkedError(KafkaError):
    """The object was created before fork(); create a new one in the child."""


def check(code: int, what: str = "") -> None:
    """Raise KafkaError for a non-zero return code."""
    if code != 0:
        raise KafkaError(code, f"{what}: {error_string(code)}" if what else None)
