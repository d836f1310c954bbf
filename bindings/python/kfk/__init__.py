"""kfk: a Kafka client. Python binding over libkfk (ctypes).

The library is loaded on first use, never at import, so a process may
import kfk and fork before creating any client.
"""

from __future__ import annotations

import logging

from . import _ffi
from ._ffi import (ACK_ACCEPT, ACK_REJECT, ACK_RELEASE, OFFSET_EARLIEST, OFFSET_LATEST, TIMESTAMP_CREATE_TIME,
                   TIMESTAMP_LOG_APPEND_TIME, TIMESTAMP_NOT_AVAILABLE)
from .client import Client
from .conn import Conn, Request
from .errors import ForkedError, KafkaError, error_name, error_string
from .queue import EventQueue

# A library leaves output to the application: without logging configured,
# kfk's lines go nowhere (not to logging's last-resort stderr handler).
logging.getLogger("kfk").addHandler(logging.NullHandler())

__all__ = ["ACK_ACCEPT", "ACK_REJECT", "ACK_RELEASE", "Client", "Conn", "EventQueue", "ForkedError", "KafkaError", "OFFSET_EARLIEST", "OFFSET_LATEST", "Request",
           "TIMESTAMP_CREATE_TIME", "TIMESTAMP_LOG_APPEND_TIME", "TIMESTAMP_NOT_AVAILABLE", "crc32c", "error_name",
           "error_string", "murmur2", "version"]


def version() -> str:
    """The loaded libkfk's version."""
    return _ffi.lib().kfk_version_str().decode()


def murmur2(key: bytes) -> int:
    """Kafka's (Java client) murmur2 of key, as a non-negative 31-bit int."""
    return _ffi.lib().kfk_murmur2(key, len(key))


def crc32c(data: bytes) -> int:
    """CRC32C (Castagnoli) of data."""
    return _ffi.lib().kfk_crc32c(data, len(data))
