"""The binding's declarations against include/kfk.h as the C compiler sees
it (tests/abi/kfk_abi.py): each ctypes Structure's size and field offsets,
and each constant's value. A mismatch would corrupt memory silently."""
import ctypes
import json
import os
import re
import struct
import subprocess
import sys

import pytest

import kfk
from kfk import _ffi

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")


@pytest.fixture(scope="module")
def abi():
    probe = os.path.join(ROOT, "tests", "abi", "kfk_abi.py")
    out = subprocess.run([sys.executable, probe], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def declared_structs():
    return [v for v in vars(_ffi).values()
            if isinstance(v, type) and issubclass(v, ctypes.Structure) and v is not ctypes.Structure]


def declared_constants():
    """The binding's constants: _ffi's public upper-case integers."""
    return {k: v for k, v in vars(_ffi).items() if k.isupper() and not k.startswith("_") and type(v) is int}


def family(c_name):
    """KFK_ERR_CLOSED -> ERR, KFK_OK -> OK."""
    return c_name[len("KFK_"):].split("_")[0]


@pytest.mark.parametrize("cls", declared_structs(), ids=lambda cls: cls.__name__)
def test_struct_layout_matches_header(abi, cls):
    c = abi["structs"].get(cls.c_name)
    assert c is not None, f"{cls.__name__} declares {cls.c_name}, which kfk.h lacks"
    offsets = {name: getattr(cls, name).offset for name, *_ in cls._fields_}
    assert (ctypes.sizeof(cls), offsets) == (c["size"], c["fields"])


def field_offsets(fmt):
    """The offsets of a struct format's fields (native alignment), pad
    bytes skipped."""
    offsets, prefix = [], ""
    for count, code in re.findall(r"(\d*)(\D)", fmt):
        if code != "x":
            offsets.append(struct.calcsize(prefix + code) - struct.calcsize(code))
        prefix += count + code
    return offsets


def test_unpacked_layouts_match_header(abi):
    # The queue reads kfk_message_t and kfk_header_t with struct formats:
    # each format's fields at the header's offsets.
    from kfk import queue
    message = ["topic", "partition", "err", "offset", "timestamp", "key", "key_len", "value", "value_len", "headers",
               "header_count", "opaque", "timestamp_type", "reserved"]
    for fmt, c_name, fields in (
            (queue._MESSAGE_FIELDS, "kfk_message_t", message),
            (queue._REPORT_FIELDS, "kfk_message_t", ["topic", "partition", "offset", "timestamp", "timestamp_type"]),
            (queue._HEADER_FIELDS, "kfk_header_t", ["key", "key_len", "value", "value_len"])):
        c = abi["structs"][c_name]
        assert fmt.size <= c["size"]
        assert dict(zip(fields, field_offsets(fmt.format))) == {f: c["fields"][f] for f in fields}
    assert queue._MESSAGE_FIELDS.size == abi["structs"]["kfk_message_t"]["size"]
    assert sorted(abi["structs"]["kfk_message_t"]["fields"]) == sorted(message)


def test_every_header_struct_is_declared(abi):
    assert sorted(set(abi["structs"]) - {cls.c_name for cls in declared_structs()}) == []


def test_constants_match_header(abi):
    header = abi["constants"]
    wrong = {}
    for name, value in declared_constants().items():
        if "KFK_" + name in header:
            if value != header["KFK_" + name]:
                wrong[name] = (value, header["KFK_" + name])
        elif kfk.error_name(value) != name:  # Kafka's own codes are not in kfk.h: the library names them
            wrong[name] = (value, kfk.error_name(value))
    assert wrong == {}


def test_families_in_use_are_complete(abi):
    # A family the binding uses (ERR_, EVENT_...) must have all its members:
    # a new error code or event type in kfk.h fails here until declared.
    ours = {"KFK_" + name for name in declared_constants()}
    used = {family(name) for name in ours}
    assert {"OK", "ERR", "EVENT", "VAL", "LOG", "CONN", "OFFSET", "TIMESTAMP", "ACK"} <= used
    assert sorted(name for name in abi["constants"] if family(name) in used and name not in ours) == []


def test_library_version_is_checked_on_load():
    v = _ffi.VERSION
    _ffi.check_version(_ffi.lib().kfk_version(), "the loaded library")
    for fits in (v, v + 1, v + 0x100):  # the same, a patch and a minor release later
        _ffi.check_version(fits, "libkfk.so")
    for refused in (v + 0x10000, v - 0x100):  # the next major, an older minor
        with pytest.raises(OSError, match="libkfk.so is libkfk"):
            _ffi.check_version(refused, "libkfk.so")


def test_per_record_calls_match_their_prototypes():
    """_PER_RECORD is _PROTOTYPES' entries for the calls made per record
    with every pointer an address (their own function objects, and PyPy's
    cffi declarations): the same result, arity and argument kinds."""
    for name, (restype, argtypes) in _ffi._PER_RECORD.items():
        proto_restype, proto_argtypes = _ffi._PROTOTYPES[name]
        assert restype is proto_restype, name
        assert len(argtypes) == len(proto_argtypes), name
        for i, (ours, declared) in enumerate(zip(argtypes, proto_argtypes)):
            pointer = declared is ctypes.c_void_p or issubclass(declared, ctypes._Pointer)
            assert ours is declared or (ours is ctypes.c_void_p and pointer), f"{name} argument {i}"


def test_per_record_calls_go_through_cffi_on_pypy():
    """PyPy calls the per-record functions through its cffi (21 ns a call
    against ctypes' 1.2-1.7 µs there); CPython through ctypes."""
    _ffi.lib()
    calls = (_ffi.produce, _ffi.poll_batch, _ffi.store_offsets)
    if sys.implementation.name == "pypy":
        import cffi
        assert all(isinstance(fn, cffi.FFI.CData) for fn in calls)
    else:
        assert all(isinstance(fn, ctypes._CFuncPtr) for fn in calls)
    # ints only, 0 for NULL: a NULL queue is refused, not dereferenced
    assert _ffi.poll_batch(0, 0, 1, 0) < 0
