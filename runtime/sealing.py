"""Encryption at rest for what a service must keep but nobody should read from a disk copy.

A sealed value is ``version (1 byte) || nonce (12 bytes) || AES-256-GCM ciphertext and tag``
(NIST SP 800-38D; DESIGN §1 lets at-rest encryption use ``cryptography`` directly). The
associated data is the version byte followed by a *context* the caller chooses, such as
``b"issuer:offer-claims:" + offer_id``: a value sealed for one row or purpose does not open in
another, so rows cannot be swapped in the database unnoticed.

The nonce is 96 random bits from the operating system for every seal. It is deliberately not
injectable: GCM loses both confidentiality and integrity if a nonce repeats under one key, and
a test seam is how a fixed nonce reaches production. With random nonces, one key should seal
fewer than 2**32 values (SP 800-38D §8.3); rotate long before that.

The key lives in a file of exactly 32 bytes that only its owner may read; a file that group
or others can read is refused rather than silently fixed, since it may already have leaked.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
VERSION = b"\x01"
_MIN_SEALED = len(VERSION) + NONCE_BYTES + TAG_BYTES


class SealBroken(Exception):
    """The sealed value does not open: wrong key, altered bytes, or another context."""

    def __init__(self) -> None:
        super().__init__("sealed value could not be opened")


class InsecureKeyFile(PermissionError):
    """The key file can be read by group or others; fix its mode (0600) or replace the key."""


class Sealer:
    """AES-256-GCM sealing under one key; opening also under the retired keys.

    Rotation: the new key seals, the retired keys still open what they sealed, and a
    re-seal pass (the issuer's ``aanspraak issuer reseal``) moves every value to the new key
    row by row; then the retired key can go, once nothing else keyed from it is still in
    use (docs/issuer.md). The sealed format names no key: the GCM tag
    tells which key opens a value, and a retired key is tried only when the active one
    fails, so the cost is paid during a rotation only.
    """

    def __init__(self, key: bytes, retired: tuple[bytes, ...] = ()) -> None:
        if any(len(k) != KEY_BYTES for k in (key, *retired)):
            raise ValueError("a sealing key is exactly 32 bytes")
        self._aead = AESGCM(key)
        self._retired = tuple(AESGCM(k) for k in retired)

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return VERSION + nonce + self._aead.encrypt(nonce, plaintext, VERSION + context)

    def open(self, sealed: bytes, *, context: bytes) -> bytes:
        """The plaintext, or :class:`SealBroken`; nothing about the failure is revealed."""
        return self.open_and_tell(sealed, context=context)[0]

    def open_and_tell(self, sealed: bytes, *, context: bytes) -> tuple[bytes, bool]:
        """The plaintext, and whether the active key sealed it (False: a retired one did)."""
        if len(sealed) < _MIN_SEALED or sealed[:1] != VERSION:
            raise SealBroken
        nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        for number, aead in enumerate((self._aead, *self._retired)):
            with contextlib.suppress(InvalidTag):
                return aead.decrypt(nonce, ciphertext, VERSION + context), number == 0
        raise SealBroken


def load_or_create_key(path: Path) -> bytes:
    """The 32-byte key at ``path``, created (mode 0600) if the file does not exist.

    Creation writes a temporary file and links it into place, so a concurrent starter either
    wins or reads the complete key the other one wrote; it never sees half a key.
    """
    with contextlib.suppress(FileNotFoundError):
        return _read_key(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def load_key(path: Path) -> bytes:
    """The 32-byte key at ``path``, which must exist (a retired key is never created)."""
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise ValueError(f"{path}: a sealing key must be a regular file")
    if mode & 0o077:
        raise InsecureKeyFile(f"{path}: open to group or others (mode must be 0600)")
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path}: a sealing key file holds exactly 32 bytes")
    return key
