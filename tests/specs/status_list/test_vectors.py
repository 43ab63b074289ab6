"""The draft's own examples (../shared/vectors/status_list, see its SOURCES.md).

Encoding vectors: §4.1 figures and the appendix 'Test vectors for Status List encoding'.
Token vector: the raw token of §8.2, signed with the example key (kid 12).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from specs.errors import StatusListReason
from specs.jose import parse_public_jwk
from specs.status_list import (
    StatusList,
    StatusReference,
    StatusType,
    decode_status_list,
    encode_status_list,
    parse_status_reference,
    verify_status_list_token,
)
from tests.specs.status_list.conftest import ALGORITHMS
from tests.support import assert_rejected, load_json, vectors_dir

ENCODING_VECTORS = (
    "1bit_16_entries.json",
    "2bit_12_entries.json",
    "1bit_2pow20_entries.json",
    "2bit_2pow20_entries.json",
    "4bit_2pow20_entries.json",
    "8bit_2pow20_entries.json",
)


def _encoding_vector(name: str) -> dict[str, Any]:
    vector: dict[str, Any] = load_json(vectors_dir("status_list", "encoding") / name)
    return vector


def _nonzero_entries(status_list: StatusList) -> dict[int, int]:
    """Every entry with a non-zero status, found by scanning the non-zero bytes only."""
    per_byte = 8 // status_list.bits
    found: dict[int, int] = {}
    for byte_index, byte in enumerate(status_list.byte_array):
        if byte:
            for idx in range(byte_index * per_byte, (byte_index + 1) * per_byte):
                if status := status_list.status_at(idx):
                    found[idx] = status
    return found


def _expected_statuses(vector: dict[str, Any]) -> dict[int, int]:
    return {entry["index"]: entry["status"] for entry in vector["statuses"]}


def test_every_encoding_vector_is_listed() -> None:
    folder = vectors_dir("status_list", "encoding")
    assert {p.name for p in folder.glob("*.json")} == set(ENCODING_VECTORS)


@pytest.mark.parametrize("name", ENCODING_VECTORS)
def test_decode_gives_exactly_the_listed_statuses(name: str) -> None:
    vector = _encoding_vector(name)
    status_list = decode_status_list(vector["status_list_json"])
    expected = _expected_statuses(vector)
    assert status_list.bits == vector["bits"]
    assert len(status_list) == vector["size"]
    for idx, status in expected.items():
        assert status_list.status_at(idx) == status, idx
    nonzero = {idx: status for idx, status in expected.items() if status}
    assert _nonzero_entries(status_list) == nonzero
    assert len(nonzero) == vector.get("nonzero_count", len(nonzero))


@pytest.mark.parametrize("name", ENCODING_VECTORS)
def test_decoded_bytes_match_length_hash_and_zero_sample(name: str) -> None:
    vector = _encoding_vector(name)
    status_list = decode_status_list(vector["status_list_json"])
    if "byte_array_hex" in vector:
        assert status_list.byte_array.hex() == vector["byte_array_hex"]
    if "decompressed_length" in vector:
        assert len(status_list.byte_array) == vector["decompressed_length"]
        digest = hashlib.sha256(status_list.byte_array).hexdigest()
        assert digest == vector["decompressed_sha256_hex"]
    for idx in vector.get("expected_zero_indices_sample", []):
        assert status_list.status_at(idx) == StatusType.VALID


@pytest.mark.parametrize("name", ENCODING_VECTORS)
def test_encode_round_trips_the_vector_statuses(name: str) -> None:
    vector = _encoding_vector(name)
    statuses = [0] * vector["size"]
    for idx, status in _expected_statuses(vector).items():
        statuses[idx] = status
    encoded = encode_status_list(statuses, vector["bits"])
    assert encoded["bits"] == vector["bits"]
    ours = decode_status_list(encoded)
    theirs = decode_status_list(vector["status_list_json"])
    # Compressed bytes may differ between zlib builds; the decoded arrays may not.
    assert ours.byte_array == theirs.byte_array


@pytest.mark.parametrize("name", ENCODING_VECTORS)
def test_out_of_range_index_of_each_vector(name: str) -> None:
    status_list = decode_status_list(_encoding_vector(name)["status_list_json"])
    assert_rejected(StatusListReason.INDEX_OUT_OF_RANGE, status_list.status_at, len(status_list))


def _token_folder() -> Path:
    return vectors_dir("status_list", "token_jwt")


# The spec's token was issued years before the fixed clock; its freshness is not the point.
VECTOR_MAX_AGE = 10 * 365 * 86_400


def test_token_vector_verifies_and_yields_expected_statuses(now: int) -> None:
    folder = _token_folder()
    expected = load_json(folder / "expected_status.json")
    key = parse_public_jwk(load_json(folder / expected["verification_key_file"]))
    token = (folder / expected["token_file"]).read_text(encoding="ascii").strip()
    verified = verify_status_list_token(
        token,
        key=key,
        expected_uri=expected["sub"],
        now=now,
        leeway=0,
        algorithms=ALGORITHMS,
        max_age=VECTOR_MAX_AGE,
    )
    assert verified.subject == expected["sub"]
    assert verified.issued_at == expected["iat"]
    assert verified.expires_at == expected["exp"]
    assert verified.ttl == expected["ttl"]
    assert verified.status_list.bits == expected["bits"]
    assert {i: verified.status_list.status_at(i) for i in range(len(verified.status_list))} == {
        entry["index"]: entry["status"] for entry in expected["statuses"]
    }
    assert_rejected(
        StatusListReason.INDEX_OUT_OF_RANGE,
        verified.status_list.status_at,
        expected["out_of_range_index_example"],
    )


def test_token_vector_is_refused_for_another_uri(now: int) -> None:
    folder = _token_folder()
    key = parse_public_jwk(load_json(vectors_dir("status_list", "keys") / "status_issuer_key.json"))
    token = (folder / "status_list_token.jwt").read_text(encoding="ascii").strip()
    assert_rejected(
        StatusListReason.SUBJECT_MISMATCH,
        verify_status_list_token,
        token,
        key=key,
        expected_uri="https://example.com/statuslists/2",
        now=now,
        leeway=0,
        algorithms=ALGORITHMS,
        max_age=VECTOR_MAX_AGE,
    )


def test_decoded_token_example_carries_the_16_entry_list() -> None:
    payload = load_json(_token_folder() / "status_list_token_payload.json")
    status_list = decode_status_list(payload["status_list"])
    assert [status_list.status_at(i) for i in range(len(status_list))] == [
        1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1,
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["jwt_payload.json", "sd_jwt_payload.json"])
def test_referenced_token_examples_parse(name: str) -> None:
    folder = vectors_dir("status_list", "referenced_token")
    expected = load_json(folder / "expected.json")["status_list"]
    reference = parse_status_reference(load_json(folder / name)["status"])
    assert reference == StatusReference(idx=expected["idx"], uri=expected["uri"])


def test_referenced_token_status_is_read_from_the_token_vector(now: int) -> None:
    """End to end (§8.3): reference -> Status List Token -> INVALID for index 0."""
    folder = vectors_dir("status_list", "referenced_token")
    reference = parse_status_reference(load_json(folder / "jwt_payload.json")["status"])
    token_folder = _token_folder()
    key = parse_public_jwk(load_json(vectors_dir("status_list", "keys") / "status_issuer_key.json"))
    token = (token_folder / "status_list_token.jwt").read_text(encoding="ascii").strip()
    verified = verify_status_list_token(
        token,
        key=key,
        expected_uri=reference.uri,
        now=now,
        leeway=0,
        algorithms=ALGORITHMS,
        max_age=VECTOR_MAX_AGE,
    )
    assert verified.status_of(reference) == StatusType.INVALID


def test_status_types_vector_matches_the_enum() -> None:
    types = load_json(vectors_dir("status_list") / "status_types.json")
    for member in StatusType:
        assert types[f"0x{member.value:02X}"] == member.name
