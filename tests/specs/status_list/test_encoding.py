"""Status List encoding rules (§4.1, §4.2, §8.3 step 6, §11.1) and their rejections."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import pytest

from specs.errors import StatusListReason
from specs.jose import b64url_decode, b64url_encode
from specs.status_list import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    MAX_INDEX,
    StatusList,
    StatusType,
    decode_status_list,
    encode_status_list,
    is_application_specific,
    pack_statuses,
    parse_status_index,
    registered_status_type,
)
from tests.support import assert_rejected

MIB = 1024 * 1024


def _lst(raw: bytes) -> str:
    return b64url_encode(zlib.compress(raw, 9))


def _sixteen_entries() -> StatusList:
    """The §4.1 example: 0xB9 0xA3, i.e. statuses 1,0,0,1,1,1,0,1, 1,1,0,0,0,1,0,1."""
    return decode_status_list({"bits": 1, "lst": _lst(bytes([0xB9, 0xA3]))})


# --- bit order (§4.1, §11.1) -------------------------------------------------------------


def test_bits_are_packed_least_significant_first() -> None:
    assert pack_statuses([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], 1) == b"\xb9\xa3"
    assert pack_statuses([1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3], 2) == b"\xc9\x44\xf9"
    assert pack_statuses([0x5, 0xA], 4) == b"\xa5"
    assert pack_statuses([0x00, 0xFF, 0x7F], 8) == b"\x00\xff\x7f"


def test_last_byte_is_padded_with_valid_entries() -> None:
    status_list = decode_status_list(encode_status_list([1, 1, 1], 1))
    assert len(status_list) == 8
    assert [status_list.status_at(i) for i in range(8)] == [1, 1, 1, 0, 0, 0, 0, 0]


def test_empty_list_has_no_entries() -> None:
    status_list = decode_status_list(encode_status_list([], 2))
    assert len(status_list) == 0
    assert_rejected(StatusListReason.INDEX_OUT_OF_RANGE, status_list.status_at, 0)


def test_encoding_uses_the_highest_compression_level() -> None:
    """§4.1 step 4; the RFC 1950 header records the level (FLEVEL 3 = maximum), the
    compressed bytes themselves depend on the zlib build and are not compared."""
    encoded = encode_status_list([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], 1)
    assert b64url_decode(encoded["lst"])[:2] == b"\x78\xda"


# --- bits --------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [0, 3, 5, 16, -1, "1", True, 1.0, None])
def test_bad_bits_are_refused_when_decoding(bits: Any) -> None:
    assert_rejected(StatusListReason.BAD_BITS, decode_status_list, {"bits": bits, "lst": _lst(b"")})


def test_missing_bits_are_refused() -> None:
    assert_rejected(StatusListReason.BAD_BITS, decode_status_list, {"lst": _lst(b"\x00")})


@pytest.mark.parametrize("bits", [0, 3, 16, "1", True])
def test_bad_bits_are_refused_when_encoding(bits: Any) -> None:
    assert_rejected(StatusListReason.BAD_BITS, encode_status_list, [0, 1], bits)


@pytest.mark.parametrize(
    ("statuses", "bits"), [([2], 1), ([4], 2), ([16], 4), ([256], 8), ([-1], 8), ([True], 1)]
)
def test_status_that_does_not_fit_the_bits_is_refused(statuses: list[Any], bits: int) -> None:
    assert_rejected(StatusListReason.BAD_BITS, encode_status_list, statuses, bits)


def test_status_list_value_cannot_be_built_with_bad_bits() -> None:
    assert_rejected(StatusListReason.BAD_BITS, StatusList, 3, b"\x00")


# --- lst ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lst",
    [
        "eNrbuRgAAhcBXQ==",  # padding
        "eNrbuRgAAhcBXQ ",  # whitespace
        "eNrbuRgAAhcBXR",  # non-canonical trailing bits
        "eNrbuRgAAhcB+Q",  # standard base64 alphabet
        "e",  # impossible length
        "",  # no stream at all
        7,
        None,
        ["eNrbuRgAAhcBXQ"],
    ],
)
def test_lst_must_be_strict_base64url_text(lst: Any) -> None:
    assert_rejected(StatusListReason.BAD_LST, decode_status_list, {"bits": 1, "lst": lst})


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    "compressed",
    [
        b"\xb9\xa3",  # not compressed at all
        _raw_deflate(b"\xb9\xa3"),  # DEFLATE without the RFC 1950 wrapper
        gzip.compress(b"\xb9\xa3", mtime=0),  # gzip is not ZLIB
        zlib.compress(b"\xb9\xa3")[:-2],  # truncated: Adler-32 incomplete
        zlib.compress(b"\xb9\xa3") + b"\x00",  # trailing bytes after the stream
        zlib.compress(b"\xb9\xa3")[:-1] + b"\x00",  # wrong Adler-32
    ],
)
def test_lst_must_be_exactly_one_zlib_stream(compressed: bytes) -> None:
    obj = {"bits": 1, "lst": b64url_encode(compressed)}
    assert_rejected(StatusListReason.BAD_LST, decode_status_list, obj)


@pytest.mark.parametrize("obj", [None, [], "bits=1", {"bits": 1}])
def test_status_list_must_be_an_object_with_lst(obj: Any) -> None:
    assert_rejected(StatusListReason.BAD_LST, decode_status_list, obj)


def test_aggregation_uri_is_carried_and_must_be_text() -> None:
    encoded = encode_status_list([1, 0], 1, aggregation_uri="https://example.com/aggregation")
    assert encoded["aggregation_uri"] == "https://example.com/aggregation"
    assert decode_status_list(encoded).aggregation_uri == "https://example.com/aggregation"
    bad = {**encoded, "aggregation_uri": 7}
    assert_rejected(StatusListReason.BAD_LST, decode_status_list, bad)


# --- size limits -------------------------------------------------------------------------


def _zeros_bomb(mebibytes: int) -> str:
    """ZLIB of ``mebibytes`` MiB of zeros, built a MiB at a time (about 1 kB per MiB)."""
    compressor = zlib.compressobj(9)
    chunk = bytes(MIB)
    compressed = b"".join(compressor.compress(chunk) for _ in range(mebibytes))
    return b64url_encode(compressed + compressor.flush())


def test_compression_bomb_is_refused_with_the_default_cap() -> None:
    """64 MiB of zeros in ~87 kB of text: inflation stops at cap + 1 bytes by construction."""
    lst = _zeros_bomb(64)
    assert len(lst) < 100_000
    assert_rejected(StatusListReason.LIST_TOO_LARGE, decode_status_list, {"bits": 1, "lst": lst})


def test_four_megabyte_bomb_is_refused_with_a_small_cap() -> None:
    obj = {"bits": 8, "lst": _zeros_bomb(4)}
    assert_rejected(
        StatusListReason.LIST_TOO_LARGE, decode_status_list, obj, max_decompressed_bytes=MIB
    )


def test_decompressed_cap_is_inclusive() -> None:
    obj = {"bits": 8, "lst": _lst(bytes(1024))}
    assert len(decode_status_list(obj, max_decompressed_bytes=1024)) == 1024
    assert_rejected(
        StatusListReason.LIST_TOO_LARGE, decode_status_list, obj, max_decompressed_bytes=1023
    )


def test_compressed_text_is_capped_before_decoding() -> None:
    obj = {"bits": 1, "lst": "A" * 101}  # not even valid: the size check comes first
    assert_rejected(StatusListReason.LIST_TOO_LARGE, decode_status_list, obj, max_lst_chars=100)


def test_encoder_refuses_a_list_the_decoder_would_refuse() -> None:
    """The size follows from ``len()`` and is checked before packing, so this is cheap."""
    too_many = range(DEFAULT_MAX_DECOMPRESSED_BYTES + 1)
    assert_rejected(StatusListReason.LIST_TOO_LARGE, encode_status_list, too_many, 8)
    assert_rejected(StatusListReason.LIST_TOO_LARGE, pack_statuses, [0] * 9, 8, max_bytes=8)


# --- indices (§6.2, §8.3 step 6) ---------------------------------------------------------


@pytest.mark.parametrize("idx", [-1, 1.5, 3.0, "3", True, False, None, 2**64, MAX_INDEX + 1])
def test_bad_index_is_refused(idx: Any) -> None:
    assert_rejected(StatusListReason.BAD_INDEX, _sixteen_entries().status_at, idx)
    assert_rejected(StatusListReason.BAD_INDEX, parse_status_index, idx)


@pytest.mark.parametrize("idx", [16, 17, 1000, MAX_INDEX])
def test_index_beyond_the_list_is_refused(idx: int) -> None:
    assert_rejected(StatusListReason.INDEX_OUT_OF_RANGE, _sixteen_entries().status_at, idx)


def test_first_and_last_index_are_in_range() -> None:
    status_list = _sixteen_entries()
    assert status_list.status_at(0) == StatusType.INVALID
    assert status_list.status_at(15) == StatusType.INVALID
    assert status_list.status_at(14) == StatusType.VALID


# --- status types (§7.1) -----------------------------------------------------------------


def test_status_types() -> None:
    assert [int(t) for t in StatusType] == [0x00, 0x01, 0x02]
    assert registered_status_type(2) is StatusType.SUSPENDED
    assert registered_status_type(3) is None
    assert registered_status_type(0x42) is None
    assert [v for v in range(256) if is_application_specific(v)] == [3, 12, 13, 14, 15]
