"""Raw ctypes declarations mirroring include/kfk.h (tests/test_abi.py
compares them with what the C compiler sees).

Nothing here is loaded at import time: a Go runtime does not survive fork(),
so libkfk is opened on first use (``lib()``), letting pre-forking servers
import this package and fork before touching Kafka. ``KFK_LIBRARY`` names
the library file explicitly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from ctypes import (POINTER, Structure, c_char, c_char_p, c_int, c_int16, c_int32,
                    c_int64, c_size_t, c_uint32, c_uint64, c_void_p)
from typing import Any, Optional

kfk_err_t = c_int32

# The header's constants, named without KFK_. tests/test_abi.py checks
# every value here, and that each family used here is complete.
VERSION = 0x000400  # the kfk.h these declarations follow (0xMMmmpp)
OK = 0
ERR_INVALID_ARG = -101
ERR_INVALID_HANDLE = -102
ERR_FORKED = -103
ERR_REENTRANT = -104
ERR_TIMED_OUT = -105
ERR_DISCONNECTED = -106
ERR_NOT_CONNECTED = -107
ERR_CONNECT = -108
ERR_TLS = -109
ERR_SASL = -110
ERR_PROTOCOL = -111
ERR_UNSUPPORTED = -112
ERR_CONFIG = -113
ERR_CLOSED = -114
ERR_INTERNAL = -115
ERR_QUEUE_FULL = -116
ERR_STATE = -117
ERR_NO_BUFFER_SPACE = -118
ERR_PURGED_QUEUE = -119
ERR_PURGED_INFLIGHT = -120

# kfk_purge's flags
PURGE_QUEUE = 0x1
PURGE_INFLIGHT = 0x2

# kfk_val_type_t
VAL_NULL = 0
VAL_INT = 1
VAL_STR = 2
VAL_LIST = 3
VAL_MAP = 4
VAL_BOOL = 5
VAL_BYTES = 6

# kfk_event_type_t
EVENT_NONE = 0
EVENT_RESULT = 1
EVENT_CONNECT = 2
EVENT_ERROR = 3
EVENT_DISCONNECT = 4
EVENT_DELIVERY = 5
EVENT_MESSAGE = 6
EVENT_ASSIGN = 7
EVENT_REVOKE = 8
EVENT_LOG = 9
EVENT_STATS = 10
EVENT_LOST = 11
EVENT_OAUTHBEARER_TOKEN_REFRESH = 12

# kfk_message_t.timestamp_type
TIMESTAMP_NOT_AVAILABLE = 0
TIMESTAMP_CREATE_TIME = 1
TIMESTAMP_LOG_APPEND_TIME = 2

# Log levels of LOG events (syslog's numbers)
LOG_ERROR = 3
LOG_WARN = 4
LOG_INFO = 6
LOG_DEBUG = 7

# A null key or value in kfk_produce_values' length columns
NULL_LENGTH = -1

# Special offsets for assign and seek
OFFSET_LATEST = -1
OFFSET_EARLIEST = -2

# What becomes of a share group record (kfk_share_acknowledge)
ACK_ACCEPT = 1
ACK_RELEASE = 2
ACK_REJECT = 3

# Connection states (kfk_conn_state)
CONN_DISCONNECTED = 0
CONN_RESOLVING = 1
CONN_CONNECTING = 2
CONN_TLS = 3
CONN_HANDSHAKE = 4
CONN_AUTH = 5
CONN_READY = 6

# Kafka's own error codes that the binding raises itself (not in kfk.h;
# tests/test_abi.py checks them against the library's names)
UNKNOWN_TOPIC_OR_PARTITION = 3
INVALID_TOPIC_EXCEPTION = 17


class Val(Structure):
    c_name = "kfk_val_t"


Val._fields_ = [
    ("type", c_int32),
    ("reserved", c_int32),
    ("i", c_int64),
    ("s", c_void_p),
    ("n", c_size_t),
    ("items", POINTER(Val)),
]


class Event(Structure):
    c_name = "kfk_event_t"
    _fields_ = [
        ("type", c_int32),
        ("err", kfk_err_t),
        ("errstr", c_char_p),
        ("opaque", c_void_p),
        ("source", c_void_p),
        ("result", POINTER(Val)),
        ("msg", c_void_p),
    ]


# kfk_header_t and kfk_message_t are declared twice, once per direction.
# What the library hands out is read through c_void_p fields: keys, values
# and header keys are pointer + length, may hold NULs and need not end in
# one, and a c_char_p field would stop at the first NUL. What the binding
# passes in goes through c_char_p fields, which take a bytes object in
# place (no copy) and keep it alive with the struct.


class Header(Structure):
    """A kfk_header_t read from an event."""
    c_name = "kfk_header_t"
    _fields_ = [
        ("key", c_void_p),
        ("key_len", c_size_t),
        ("value", c_void_p),
        ("value_len", c_size_t),
    ]


class HeaderIn(Structure):
    """A kfk_header_t the binding fills to produce."""
    c_name = "kfk_header_t"
    _fields_ = [
        ("key", c_char_p),
        ("key_len", c_size_t),
        ("value", c_char_p),
        ("value_len", c_size_t),
    ]


class Record(Structure):
    c_name = "kfk_record_t"
    _fields_ = [
        ("key", c_char_p),
        ("key_len", c_size_t),
        ("value", c_char_p),
        ("value_len", c_size_t),
        ("headers", POINTER(HeaderIn)),
        ("header_count", c_size_t),
        ("timestamp", c_int64),
    ]


class TopicPartition(Structure):
    c_name = "kfk_topic_partition_t"
    _fields_ = [
        ("topic", c_char_p),
        ("partition", c_int32),
        ("leader_epoch", c_int32),
        ("offset", c_int64),
        ("metadata", c_char_p),
    ]


class Message(Structure):
    """A kfk_message_t read from an event (DELIVERY, MESSAGE)."""
    c_name = "kfk_message_t"
    _fields_ = [
        ("topic", c_char_p),  # NUL-terminated
        ("partition", c_int32),
        ("err", kfk_err_t),
        ("offset", c_int64),
        ("timestamp", c_int64),
        ("key", c_void_p),
        ("key_len", c_size_t),
        ("value", c_void_p),
        ("value_len", c_size_t),
        ("headers", POINTER(Header)),
        ("header_count", c_size_t),
        ("opaque", c_void_p),
        ("timestamp_type", c_int32),
        ("reserved", c_int32),
    ]


class MessageIn(Structure):
    """A kfk_message_t the binding fills to produce."""
    c_name = "kfk_message_t"
    _fields_ = [
        ("topic", c_char_p),
        ("partition", c_int32),
        ("err", kfk_err_t),
        ("offset", c_int64),
        ("timestamp", c_int64),
        ("key", c_char_p),
        ("key_len", c_size_t),
        ("value", c_char_p),
        ("value_len", c_size_t),
        ("headers", POINTER(HeaderIn)),
        ("header_count", c_size_t),
        ("opaque", c_void_p),
        ("timestamp_type", c_int32),
        ("reserved", c_int32),
    ]


class ProduceOpts(Structure):
    c_name = "kfk_produce_opts_t"
    _fields_ = [
        ("acks", c_int32),
        ("timeout_ms", c_int32),
        ("compression", c_char_p),
        ("producer_id", c_int64),
        ("producer_epoch", c_int16),
        ("reserved", c_int16),
        ("base_sequence", c_int32),
        ("transactional_id", c_char_p),
    ]


class FetchOpts(Structure):
    c_name = "kfk_fetch_opts_t"
    _fields_ = [
        ("max_bytes", c_int32),
        ("max_wait_ms", c_int32),
        ("min_bytes", c_int32),
        ("isolation_level", c_int32),
    ]


class NewTopic(Structure):
    c_name = "kfk_new_topic_t"
    _fields_ = [
        ("name", c_char_p),
        ("num_partitions", c_int32),
        ("replication_factor", c_int16),
        ("reserved", c_int16),
        ("config", POINTER(c_char_p)),
        ("config_n", c_size_t),
    ]


class MemberAssignment(Structure):
    c_name = "kfk_member_assignment_t"
    _fields_ = [
        ("member_id", c_char_p),
        ("partitions", POINTER(TopicPartition)),
        ("n", c_size_t),
    ]


class ScramCredential(Structure):
    c_name = "kfk_scram_credential_t"
    _fields_ = [
        ("user", c_char_p),
        ("mechanism", c_int32),
        ("iterations", c_int32),
        ("password", c_void_p),
        ("password_len", c_size_t),
        ("salt", c_void_p),
        ("salt_len", c_size_t),
    ]


_H = c_void_p  # every handle is an opaque pointer
_CB = c_void_p  # callbacks are not used from Python: events are pulled in batches

_PROTOTYPES = {
    "kfk_version": (c_int, []),
    "kfk_version_str": (c_char_p, []),
    "kfk_err_name": (c_char_p, [kfk_err_t]),
    "kfk_err_string": (c_char_p, [kfk_err_t]),
    "kfk_err_retriable": (c_int, [kfk_err_t]),
    "kfk_err_codes": (c_size_t, [POINTER(kfk_err_t), c_size_t]),
    "kfk_murmur2": (c_int32, [c_char_p, c_size_t]),
    "kfk_crc32c": (c_uint32, [c_char_p, c_size_t]),
    "kfk_queue_new": (kfk_err_t, [POINTER(_H)]),
    "kfk_queue_destroy": (kfk_err_t, [_H]),
    "kfk_queue_fd": (c_int, [_H]),
    "kfk_poll": (c_int, [_H, c_int, c_int]),
    "kfk_poll_batch": (c_int, [_H, c_void_p, c_int, c_int]),  # an address: see _PER_RECORD
    "kfk_wake": (kfk_err_t, [_H]),
    "kfk_queue_length": (c_int64, [_H]),
    "kfk_conn_new": (kfk_err_t, [_H, POINTER(_H)]),
    "kfk_conn_destroy": (kfk_err_t, [_H]),
    "kfk_conn_set_event_handler": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_conn_set_client_id": (kfk_err_t, [_H, c_char_p]),
    "kfk_conn_set_tls": (kfk_err_t, [_H, c_int, c_char_p, c_int, c_char_p]),
    "kfk_conn_set_sasl": (kfk_err_t, [_H, c_char_p, c_char_p, c_char_p]),
    "kfk_conn_set_kerberos": (kfk_err_t, [_H, c_char_p, c_char_p, c_char_p]),
    "kfk_conn_set_auto_reconnect": (kfk_err_t, [_H, c_int, c_int]),
    "kfk_conn_set_request_timeout": (kfk_err_t, [_H, c_int]),
    "kfk_conn_connect": (kfk_err_t, [_H, c_char_p, c_int, c_int]),
    "kfk_conn_disconnect": (kfk_err_t, [_H]),
    "kfk_conn_connected": (c_int, [_H]),
    "kfk_conn_state": (c_int, [_H]),
    "kfk_conn_pending": (c_int64, [_H]),
    "kfk_conn_api_versions": (c_int, [_H, POINTER(c_int16), c_size_t]),
    "kfk_conn_metadata": (kfk_err_t, [_H, POINTER(c_char_p), c_int, _CB, c_void_p]),
    "kfk_conn_produce_batch": (kfk_err_t, [_H, c_char_p, c_int32, POINTER(Record), c_size_t,
                                           POINTER(ProduceOpts), _CB, c_void_p]),
    "kfk_conn_fetch": (kfk_err_t, [_H, POINTER(TopicPartition), c_size_t, POINTER(FetchOpts),
                                   _CB, c_void_p]),
    "kfk_conn_list_offsets": (kfk_err_t, [_H, c_char_p, c_int32, c_int64, _CB, c_void_p]),
    "kfk_conn_find_coordinator": (kfk_err_t, [_H, c_char_p, c_int, _CB, c_void_p]),
    "kfk_conn_join_group": (kfk_err_t, [_H, c_char_p, c_char_p, POINTER(c_char_p), c_size_t,
                                        c_int, c_int, c_char_p, _CB, c_void_p]),
    "kfk_conn_sync_group": (kfk_err_t, [_H, c_char_p, c_int32, c_char_p, POINTER(MemberAssignment),
                                        c_size_t, c_char_p, _CB, c_void_p]),
    "kfk_conn_heartbeat": (kfk_err_t, [_H, c_char_p, c_int32, c_char_p, c_char_p, _CB, c_void_p]),
    "kfk_conn_leave_group": (kfk_err_t, [_H, c_char_p, c_char_p, c_char_p, _CB, c_void_p]),
    "kfk_conn_offset_commit": (kfk_err_t, [_H, c_char_p, c_int32, c_char_p, POINTER(TopicPartition),
                                           c_size_t, _CB, c_void_p]),
    "kfk_conn_offset_fetch": (kfk_err_t, [_H, c_char_p, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_conn_create_topics": (kfk_err_t, [_H, POINTER(NewTopic), c_size_t, c_int, _CB, c_void_p]),
    "kfk_conn_delete_topics": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, c_int, _CB, c_void_p]),
    "kfk_conn_init_producer_id": (kfk_err_t, [_H, c_char_p, c_int, _CB, c_void_p]),
    "kfk_conn_add_partitions_to_txn": (kfk_err_t, [_H, c_char_p, c_int64, c_int16,
                                                   POINTER(TopicPartition), c_size_t, _CB, c_void_p]),
    "kfk_conn_add_offsets_to_txn": (kfk_err_t, [_H, c_char_p, c_int64, c_int16, c_char_p, _CB,
                                                c_void_p]),
    "kfk_conn_end_txn": (kfk_err_t, [_H, c_char_p, c_int64, c_int16, c_int, _CB, c_void_p]),
    "kfk_conn_txn_offset_commit": (kfk_err_t, [_H, c_char_p, c_char_p, c_int64, c_int16, c_int32,
                                               c_char_p, POINTER(TopicPartition), c_size_t, _CB,
                                               c_void_p]),
    "kfk_conn_raw_request": (kfk_err_t, [_H, c_int16, c_int16, c_char_p, c_size_t, _CB, c_void_p]),
    "kfk_produce_opts_init": (None, [POINTER(ProduceOpts)]),
    "kfk_conf_new": (kfk_err_t, [POINTER(_H)]),
    "kfk_conf_set": (kfk_err_t, [_H, c_char_p, c_char_p, c_char_p, c_size_t]),
    "kfk_conf_destroy": (kfk_err_t, [_H]),
    "kfk_client_new": (kfk_err_t, [_H, _H, POINTER(_H), c_char_p, c_size_t]),
    "kfk_client_set_event_handler": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_client_connect": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_client_metadata": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_client_partition_count": (c_int32, [_H, c_char_p]),
    "kfk_client_producer_id": (kfk_err_t, [_H, POINTER(c_int64), POINTER(c_int16)]),
    "kfk_produce": (kfk_err_t, [_H, POINTER(MessageIn), _CB]),
    "kfk_produce_batch": (kfk_err_t, [_H, POINTER(MessageIn), c_size_t, _CB, POINTER(c_size_t)]),
    "kfk_produce_many": (kfk_err_t, [_H, POINTER(MessageIn), c_size_t, _CB, c_void_p, POINTER(c_size_t)]),
    "kfk_produce_values": (kfk_err_t, [_H, c_char_p, c_int32, c_char_p, c_void_p, c_char_p, c_void_p, c_size_t,
                                       POINTER(HeaderIn), c_size_t, _CB, c_void_p, POINTER(c_size_t)]),
    "kfk_oauthbearer_set_token": (kfk_err_t, [_H, c_char_p, c_int64, c_char_p, POINTER(c_char_p), c_size_t,
                                              c_char_p, c_size_t]),
    "kfk_oauthbearer_set_token_failure": (kfk_err_t, [_H, c_char_p]),
    "kfk_flush": (kfk_err_t, [_H, c_int, _CB, c_void_p]),
    "kfk_purge": (kfk_err_t, [_H, c_int, POINTER(c_size_t)]),
    "kfk_client_set_sasl_credentials": (kfk_err_t, [_H, c_char_p, c_char_p]),
    "kfk_client_close": (kfk_err_t, [_H, c_int, _CB, c_void_p]),
    "kfk_client_destroy": (kfk_err_t, [_H]),
    "kfk_assign": (kfk_err_t, [_H, POINTER(TopicPartition), c_size_t]),
    "kfk_seek": (kfk_err_t, [_H, c_char_p, c_int32, c_int64, _CB, c_void_p]),
    "kfk_incremental_assign": (kfk_err_t, [_H, POINTER(TopicPartition), c_size_t]),
    "kfk_incremental_unassign": (kfk_err_t, [_H, POINTER(TopicPartition), c_size_t]),
    "kfk_pause": (kfk_err_t, [_H, POINTER(TopicPartition), c_size_t]),
    "kfk_resume": (kfk_err_t, [_H, POINTER(TopicPartition), c_size_t]),
    "kfk_consume": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_consume_max": (kfk_err_t, [_H, c_size_t, _CB, c_void_p]),
    "kfk_offsets_for": (kfk_err_t, [_H, c_char_p, _CB, c_void_p]),
    "kfk_lag": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_admin_create_topics": (kfk_err_t, [_H, c_void_p, c_size_t, c_int, _CB, c_void_p]),
    "kfk_admin_delete_topics": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, c_int, _CB, c_void_p]),
    "kfk_admin_describe_cluster": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_admin_list_groups": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_admin_describe_groups": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_describe_topic_configs": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_alter_topic_configs": (kfk_err_t, [_H, c_char_p, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_create_partitions": (kfk_err_t, [_H, c_char_p, c_int32, c_int, _CB, c_void_p]),
    "kfk_admin_delete_records": (kfk_err_t, [_H, c_void_p, c_size_t, c_int, _CB, c_void_p]),
    "kfk_admin_group_lag": (kfk_err_t, [_H, c_char_p, _CB, c_void_p]),
    "kfk_admin_delete_groups": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_list_share_groups": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_describe_share_groups": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_share_group_offsets": (kfk_err_t, [_H, c_char_p, _CB, c_void_p]),
    "kfk_admin_alter_share_group_offsets": (kfk_err_t, [_H, c_char_p, c_void_p, c_size_t, _CB, c_void_p]),
    "kfk_admin_delete_share_group_offsets": (kfk_err_t, [_H, c_char_p, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_validate_create_topics": (kfk_err_t, [_H, c_void_p, c_size_t, c_int, _CB, c_void_p]),
    "kfk_admin_validate_create_partitions": (kfk_err_t, [_H, c_char_p, c_int32, c_int, _CB, c_void_p]),
    "kfk_admin_create_topics_placed": (kfk_err_t, [_H, c_void_p, c_size_t, POINTER(c_int32), c_size_t, c_int, c_int,
                                                   _CB, c_void_p]),
    "kfk_admin_create_partitions_placed": (kfk_err_t, [_H, c_char_p, c_int32, POINTER(c_int32), c_size_t, c_int,
                                                       c_int, c_int, _CB, c_void_p]),
    "kfk_admin_describe_cluster_operations": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_admin_describe_groups_operations": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_alter_group_offsets": (kfk_err_t, [_H, c_char_p, c_void_p, c_size_t, _CB, c_void_p]),
    "kfk_admin_list_offsets": (kfk_err_t, [_H, c_void_p, c_size_t, c_int, _CB, c_void_p]),
    "kfk_admin_describe_topics": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, c_int, _CB, c_void_p]),
    "kfk_admin_elect_leaders": (kfk_err_t, [_H, c_int, c_void_p, c_size_t, c_int, _CB, c_void_p]),
    "kfk_admin_create_acls": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_describe_acls": (kfk_err_t, [_H, POINTER(c_char_p), _CB, c_void_p]),
    "kfk_admin_delete_acls": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_describe_user_scram_credentials": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_alter_user_scram_credentials": (kfk_err_t, [_H, POINTER(ScramCredential), c_size_t, _CB, c_void_p]),
    "kfk_admin_describe_configs": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_admin_incremental_alter_configs": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, c_int, _CB, c_void_p]),
    "kfk_subscribe": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, POINTER(c_char_p), c_size_t, _CB, c_void_p]),
    "kfk_commit": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_commit_offsets": (kfk_err_t, [_H, POINTER(TopicPartition), c_size_t, _CB, c_void_p]),
    "kfk_store_offsets": (kfk_err_t, [_H, POINTER(TopicPartition), c_size_t]),
    "kfk_group_member_id": (kfk_err_t, [_H, c_char_p, c_size_t]),
    "kfk_revoke_done": (kfk_err_t, [_H]),
    "kfk_unsubscribe": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_share_subscribe": (kfk_err_t, [_H, POINTER(c_char_p), c_size_t, POINTER(c_char_p), c_size_t]),
    "kfk_share_consume": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_share_acknowledge": (kfk_err_t, [_H, c_char_p, c_int32, c_int64, c_int]),
    "kfk_share_commit": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_share_unsubscribe": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_message_delivery_count": (c_int32, [POINTER(Message)]),
    "kfk_txn_begin": (kfk_err_t, [_H]),
    "kfk_txn_send_offsets": (kfk_err_t, [_H, c_char_p, POINTER(TopicPartition), c_size_t, _CB, c_void_p]),
    "kfk_txn_commit": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_txn_abort": (kfk_err_t, [_H, _CB, c_void_p]),
    "kfk_fetch_opts_init": (None, [POINTER(FetchOpts)]),
}

# The calls made per record or per batch of events (Client.produce,
# EventQueue.poll, kfk.confluent's stores after each poll): their
# prototypes with every pointer an address, so that each argument is an
# int (0 for NULL, not None). PyPy's ctypes converts anything else on a
# slow path, 5x the call. On PyPy they go through cffi, which it ships,
# declared from this same table: a call costs about 21 ns there against
# 1.2-1.7 µs through ctypes (docs/BENCHMARKS.md, Session 27).
_PER_RECORD = {
    name: (_PROTOTYPES[name][0],
           [c_void_p if t is c_void_p or issubclass(t, ctypes._Pointer) else t for t in _PROTOTYPES[name][1]])
    for name in ("kfk_produce", "kfk_poll_batch", "kfk_store_offsets")
}
_C_TYPES = {c_int: "int", c_void_p: "uintptr_t", c_size_t: "size_t"}
produce: Any = None
poll_batch: Any = None
store_offsets: Any = None
_cffi_held: Any = None

_lib = None
_lib_pid = None
_lock = threading.Lock()


def _find_library() -> str:
    explicit = os.environ.get("KFK_LIBRARY")
    if explicit:
        return explicit
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "libkfk.so"),
                      os.path.join(here, "..", "..", "..", "build", "libkfk.so")):
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    found = ctypes.util.find_library("kfk")
    if found:
        return found
    raise OSError("libkfk.so not found: build it with `make lib` or set KFK_LIBRARY")


def check_version(found: int, path: str) -> None:
    """Refuse a library these declarations do not fit, by kfk.h's rule:
    the same major version, and a minor one not older (structs grow)."""
    def major_minor(v: int) -> tuple[int, int]:
        return v >> 16, (v >> 8) & 0xFF

    (major, minor), (want_major, want_minor) = major_minor(found), major_minor(VERSION)
    if major != want_major or minor < want_minor:
        raise OSError(f"{path} is libkfk {major}.{minor}; this binding needs {want_major}.{want_minor} "
                      f"or a later {want_major}.x")


def _per_record_calls(handle: ctypes.CDLL, path: str) -> list:
    """The _PER_RECORD functions, through cffi on PyPy (when it has it),
    else through ctypes."""
    global _cffi_held
    if sys.implementation.name == "pypy":
        try:
            import cffi
        except ImportError:
            cffi = None
        if cffi is not None:
            ffi = cffi.FFI()
            ffi.cdef("".join(f"{_C_TYPES[restype]} {name}({', '.join(_C_TYPES[t] for t in argtypes)});"
                             for name, (restype, argtypes) in _PER_RECORD.items()))
            functions = ffi.dlopen(path)
            _cffi_held = (ffi, functions)  # for as long as the process runs, as ctypes' handle
            return [getattr(functions, name) for name in _PER_RECORD]
    calls = []
    for name, (restype, argtypes) in _PER_RECORD.items():
        fn = handle[name]  # a function object of its own, apart from the prototype's
        fn.restype, fn.argtypes = restype, argtypes
        calls.append(fn)
    return calls


def lib() -> ctypes.CDLL:
    """Open libkfk on first use, check its version and declare every
    prototype."""
    global _lib, _lib_pid, produce, poll_batch, store_offsets
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            path = _find_library()
            handle = ctypes.CDLL(path)
            check_version(handle.kfk_version(), path)
            for name, (restype, argtypes) in _PROTOTYPES.items():
                fn = getattr(handle, name)
                fn.restype = restype
                fn.argtypes = argtypes
            produce, poll_batch, store_offsets = _per_record_calls(handle, path)
            _lib, _lib_pid = handle, pid
    return _lib


# On PyPy, data this long or longer reaches the library through a ctypes
# array of its own (see fixed); shorter data, and all of it on CPython, as
# it is.
_FIXED_COPY_FROM = 512

if sys.implementation.name == "cpython":
    def fixed(data: Optional[bytes]) -> Any:
        """data ready for a c_char_p field or argument: CPython points it
        at the bytes object's own memory."""
        return data
else:
    def fixed(data: Optional[bytes]) -> Any:
        """data ready for a c_char_p field or argument. PyPy copies a bytes
        object there into memory that does not move at about 50 ns a byte
        (50 ms per MB); a ctypes array takes one copy (0.3 ms per MB) after
        a fixed 5 us, so short data goes as it is."""
        if data is None or len(data) < _FIXED_COPY_FROM:
            return data
        return (c_char * len(data)).from_buffer_copy(data)


# This process's id, refreshed in a forked child: a fork check is a
# comparison with it, not a getpid() call.
pid = os.getpid()


def _forked() -> None:
    global pid
    pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def current_pid() -> int:
    return pid


def loaded_in_parent() -> bool:
    """True when the library was opened by a parent process before fork()."""
    return _lib is not None and _lib_pid != pid
