"""Strict base64url and strict JSON: every lax spelling other libraries accept is refused."""

from __future__ import annotations

import pytest

from specs.errors import JoseReason
from specs.jose import b64url_decode, b64url_encode, dumps_compact, loads_strict
from tests.support import assert_rejected


@pytest.mark.parametrize(
    "text",
    [
        "YQ==",  # padding
        "Y Q",  # whitespace
        "YQ\n",  # newline
        "+/8",  # standard alphabet
        "YR",  # non-canonical: unused bits set (decodes to b"a" leniently)
        "YWJ",  # non-canonical with two unused bits
        "Y",  # impossible length
        "%7E",  # percent-encoded
        "yé",  # non-ASCII
    ],
)
def test_lax_base64url_is_refused(text: str) -> None:
    assert_rejected(JoseReason.BAD_BASE64URL, b64url_decode, text)


@pytest.mark.parametrize("data", [b"", b"a", b"ab", b"abc", bytes(range(256))])
def test_base64url_round_trips_canonically(data: bytes) -> None:
    encoded = b64url_encode(data)
    assert "=" not in encoded
    assert b64url_decode(encoded) == data


def test_duplicate_member_is_refused_not_last_wins() -> None:
    assert_rejected(JoseReason.DUPLICATE_JSON_KEY, loads_strict, '{"age": 17, "age": 21}')
    assert_rejected(JoseReason.DUPLICATE_JSON_KEY, loads_strict, '{"a": {"b": 1, "b": 1}}')


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e400", "[-1e999]"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    assert_rejected(JoseReason.NON_FINITE_NUMBER, loads_strict, text)


def test_huge_integers_are_refused_before_conversion() -> None:
    assert_rejected(JoseReason.NUMBER_TOO_LARGE, loads_strict, "9" * 5000)
    assert_rejected(JoseReason.NUMBER_TOO_LARGE, loads_strict, "[-" + "1" * 21 + "]")
    assert loads_strict("-" + "9" * 20) == -int("9" * 20)


def test_lone_surrogates_are_refused_but_pairs_are_fine() -> None:
    assert_rejected(JoseReason.INVALID_UNICODE, loads_strict, '"\\ud800"')
    assert_rejected(JoseReason.INVALID_UNICODE, loads_strict, '{"\\udfff": 1}')
    assert_rejected(JoseReason.INVALID_UNICODE, loads_strict, b'"\xff"')
    assert loads_strict('"\\ud83d\\ude00"') == "\U0001f600"


def test_depth_is_capped_without_recursion_error() -> None:
    assert_rejected(JoseReason.JSON_TOO_DEEP, loads_strict, "[" * 33 + "]" * 33)
    assert_rejected(JoseReason.JSON_TOO_DEEP, loads_strict, "[" * 100_000 + "]" * 100_000)
    assert loads_strict("[" * 32 + "]" * 32) is not None
    # Brackets inside strings do not count towards depth.
    assert loads_strict('["' + "[" * 100 + '"]') == ["[" * 100]


@pytest.mark.parametrize("text", ["", "{", "[1,]", "{'a': 1}", '{"a": 1} x', "tru"])
def test_malformed_json_is_refused(text: str) -> None:
    assert_rejected(JoseReason.BAD_JSON, loads_strict, text)


def test_surrounding_whitespace_is_allowed_by_rfc_8259() -> None:
    assert loads_strict(' \n{"a": [1, 2.5, null, true]}\t') == {"a": [1, 2.5, None, True]}


def test_compact_dump_refuses_nan() -> None:
    with pytest.raises(ValueError, match="Out of range"):
        dumps_compact({"a": float("nan")})


def test_deep_nesting_is_refused_even_with_a_raised_recursion_limit() -> None:
    """py-evm raises the interpreter's recursion limit at import; the C JSON scanner would then
    overflow the C stack and crash the process. Depth is measured before decoding, so it
    cannot. Run in a subprocess: a regression must fail this test, not kill the test run."""
    import subprocess
    import sys

    program = (
        "import sys; sys.setrecursionlimit(10**6)\n"
        "from specs.jose import loads_strict\n"
        "from specs.errors import Rejected\n"
        "try:\n"
        "    loads_strict('[' * 1_000_000 + ']' * 1_000_000)\n"
        "except Rejected as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "json-too-deep")
