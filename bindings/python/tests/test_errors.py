"""Error codes and their names: every code a kfk_err_t can hold gets the
library's name and description, the same through error_name() and
KafkaError; anything else is refused, never misnamed. No broker needed."""
import copy
import ctypes
import pickle

import pytest

import kfk
from kfk import _ffi

# Codes no table knows: local ones, gaps, Kafka's int16 range and its ends.
UNKNOWN = [-121, -100, -99, -50, -2, 999, 32767, -32768, -2**31]


def known_codes():
    lib = _ffi.lib()
    n = lib.kfk_err_codes(None, 0)
    codes = (ctypes.c_int32 * n)()
    assert lib.kfk_err_codes(codes, n) == n
    return list(codes)


def test_every_code_has_one_name_everywhere():
    codes = known_codes()
    assert _ffi.ERR_CLOSED in codes and _ffi.UNKNOWN_TOPIC_OR_PARTITION in codes
    assert kfk.error_name(_ffi.UNKNOWN_TOPIC_OR_PARTITION) == "UNKNOWN_TOPIC_OR_PARTITION"
    assert kfk.error_name(_ffi.INVALID_TOPIC_EXCEPTION) == "INVALID_TOPIC_EXCEPTION"
    for code in [0] + codes + UNKNOWN:
        name, text = kfk.error_name(code), kfk.error_string(code)
        assert isinstance(name, str) and name and isinstance(text, str) and text, code
        err = kfk.KafkaError(code)
        assert (err.code, err.name, err.message, str(err)) == (code, name, text, f"{name}: {text}")
        assert isinstance(err.retriable, bool)
        assert kfk.KafkaError(code, "context").name == name


def test_local_codes_are_named_as_in_the_header():
    local = {name: value for name, value in vars(_ffi).items() if name.startswith("ERR_")}
    assert {kfk.error_name(value) for value in local.values()} == {"KFK_" + name for name in local}


def test_unknown_codes_share_one_name_and_keep_their_number():
    # As EV::Kafka's _error_name: every code nobody knows is UNKNOWN.
    assert kfk.error_name(999) == kfk.error_name(-121) == kfk.error_name(2**31 - 1) == "UNKNOWN"
    assert kfk.error_string(999) == kfk.error_string(-121)
    err = kfk.KafkaError(999)
    assert err.code == 999 and not err.retriable


def test_errors_survive_pickle_and_copy():
    for err in (kfk.KafkaError(3, "context"), kfk.ForkedError(_ffi.ERR_FORKED), kfk.KafkaError(999)):
        for again in (pickle.loads(pickle.dumps(err)), copy.copy(err)):
            assert type(again) is type(err) and again.args == err.args
            assert (again.code, again.name, again.message) == (err.code, err.name, err.message)


@pytest.mark.parametrize("bad", ["3", None, 2.5, b"3", [3]])
def test_non_integers_are_a_type_error(bad):
    for call in (kfk.error_name, kfk.error_string, kfk.KafkaError):
        with pytest.raises(TypeError):
            call(bad)


@pytest.mark.parametrize("bad", [2**31, -2**31 - 1, 2**32 + 3, 2**40, 2**70])
def test_codes_beyond_int32_are_refused_not_misnamed(bad):
    # ctypes would cut 2**32 + 3 down to 3 and name it UNKNOWN_TOPIC_OR_PARTITION.
    for call in (kfk.error_name, kfk.error_string, kfk.KafkaError):
        with pytest.raises(OverflowError):
            call(bad)


def test_codes_beyond_int16_are_not_taken_for_others():
    assert kfk.error_name(65539) != kfk.error_name(3)
    assert not kfk.KafkaError(65539).retriable
