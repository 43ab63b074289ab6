"""Sealing at rest: AES-256-GCM bound to a context, and a key file only its owner can read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from runtime.sealing import InsecureKeyFile, SealBroken, Sealer, load_or_create_key

CONTEXT = b"issuer:offer-claims:offer-1"


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(bytes(range(32)))


def test_round_trip(sealer: Sealer) -> None:
    sealed = sealer.seal(b'{"income": 1234500}', context=CONTEXT)
    assert b"1234500" not in sealed
    assert sealed[0] == 1
    assert len(sealed) == 1 + 12 + len(b'{"income": 1234500}') + 16
    assert sealer.open(sealed, context=CONTEXT) == b'{"income": 1234500}'


def test_empty_plaintext(sealer: Sealer) -> None:
    assert sealer.open(sealer.seal(b"", context=CONTEXT), context=CONTEXT) == b""


def test_nonces_differ(sealer: Sealer) -> None:
    first = sealer.seal(b"same", context=CONTEXT)
    second = sealer.seal(b"same", context=CONTEXT)
    assert first[1:13] != second[1:13]
    assert first != second


@pytest.mark.parametrize("position", [0, 1, 12, 13, -1])
def test_tampering_breaks_the_seal(sealer: Sealer, position: int) -> None:
    sealed = bytearray(sealer.seal(b"payload", context=CONTEXT))
    sealed[position] ^= 0x01
    with pytest.raises(SealBroken, match=r"^sealed value could not be opened$"):
        sealer.open(bytes(sealed), context=CONTEXT)


@pytest.mark.parametrize("sealed", [b"", b"\x01", b"\x01" + bytes(27)])
def test_truncated_values_break(sealer: Sealer, sealed: bytes) -> None:
    with pytest.raises(SealBroken):
        sealer.open(sealed, context=CONTEXT)


def test_wrong_context_breaks_the_seal(sealer: Sealer) -> None:
    sealed = sealer.seal(b"payload", context=CONTEXT)
    with pytest.raises(SealBroken):
        sealer.open(sealed, context=b"issuer:offer-claims:offer-2")


def test_wrong_key_breaks_the_seal(sealer: Sealer) -> None:
    sealed = sealer.seal(b"payload", context=CONTEXT)
    with pytest.raises(SealBroken):
        Sealer(bytes(32)).open(sealed, context=CONTEXT)


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_key_must_be_32_bytes(length: int) -> None:
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        Sealer(bytes(length))


def test_key_file_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "sealing.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == key
    assert load_or_create_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["sealing.key"]  # no temporary left


def test_key_files_differ(tmp_path: Path) -> None:
    assert load_or_create_key(tmp_path / "a.key") != load_or_create_key(tmp_path / "b.key")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "sealing.key"
    path.write_bytes(os.urandom(32))
    path.chmod(mode)
    with pytest.raises(InsecureKeyFile, match="mode must be 0600"):
        load_or_create_key(path)


def test_key_file_of_wrong_length_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sealing.key"
    path.write_bytes(bytes(31))
    path.chmod(0o600)
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        load_or_create_key(path)


def test_key_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sealing.key").mkdir(mode=0o700)
    with pytest.raises(ValueError, match="regular file"):
        load_or_create_key(tmp_path / "sealing.key")
