"""Conversion of result trees (kfk_val_t) into Python values."""

from __future__ import annotations

import ctypes

from . import _ffi


def to_python(v: "_ffi.Val") -> object:
    """Convert one kfk_val_t (and everything below it) to dict/list/int/str/bytes."""
    t = v.type
    if t == _ffi.VAL_INT:
        return v.i
    if t == _ffi.VAL_STR:
        return ctypes.string_at(v.s, v.n).decode("utf-8", "replace")
    if t == _ffi.VAL_BYTES:
        return ctypes.string_at(v.s, v.n)
    if t == _ffi.VAL_BOOL:
        return bool(v.i)
    if t == _ffi.VAL_LIST:
        items = v.items
        return [to_python(items[i]) for i in range(v.n)]
    if t == _ffi.VAL_MAP:
        items = v.items
        return {to_python(items[2 * i]): to_python(items[2 * i + 1]) for i in range(v.n)}
    return None
