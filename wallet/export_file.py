"""The encrypted export file: a backup, or a move to a new device (``wallet.vault`` explains
the keys). It leaves the server, so it carries no pepper: its only guard is the passphrase
(at least ``MIN_PASSPHRASE_CHARS``) under Argon2id, with the parameters in the file. A file
is attacker-supplied input, so its KDF cost is checked before anything is derived."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from runtime.sealing import NONCE_BYTES, TAG_BYTES
from specs.errors import Rejected
from specs.jose import b64url_decode, b64url_encode, loads_strict
from wallet.vault import MAX_SALT_BYTES, SALT_BYTES, PinKdfParams, canonical, new_salt, stretch

MIN_PASSPHRASE_CHARS = 12
EXPORT_FORMAT = "aanspraak-wallet-export"
EXPORT_VERSION = 1
MAX_EXPORT_ITERATIONS = 16
MAX_EXPORT_LANES = 16
_KDF_FIELDS = frozenset({"alg", "memory_kib", "iterations", "lanes", "salt"})
_EXPORT_FIELDS = frozenset({"format", "version", "kdf", "nonce", "ciphertext"})

# --- exports -----------------------------------------------------------------------------

ExportRefusal = Literal["too-large", "malformed", "kdf-too-costly", "wrong-passphrase"]


class ExportRefused(Exception):
    """An export file that is not opened; ``reason`` says why, nothing of the file is shown."""

    def __init__(self, reason: ExportRefusal) -> None:
        super().__init__(reason)
        self.reason: ExportRefusal = reason


def _export_header(params: PinKdfParams, salt: bytes) -> dict[str, Any]:
    """The envelope's cleartext description; its canonical JSON is the AEAD associated data."""
    kdf = {
        "alg": "argon2id",
        "memory_kib": params.memory_kib,
        "iterations": params.iterations,
        "lanes": params.lanes,
        "salt": b64url_encode(salt),
    }
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "kdf": kdf}


def seal_export(payload: Mapping[str, Any], *, passphrase: str, params: PinKdfParams) -> bytes:
    """A self-describing JSON envelope of ``payload``, encrypted under the passphrase."""
    if len(unicodedata.normalize("NFKC", passphrase)) < MIN_PASSPHRASE_CHARS:
        raise ValueError(f"a passphrase has at least {MIN_PASSPHRASE_CHARS} characters")
    plaintext = canonical(dict(payload))
    try:
        loads_strict(plaintext)  # what open_export would refuse must not be sealed
    except Rejected as exc:
        raise ValueError(f"payload cannot be exported: {exc.reason}") from None
    salt, nonce = new_salt(), os.urandom(NONCE_BYTES)
    header = _export_header(params, salt)
    key = stretch(passphrase, salt=salt, params=params)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, canonical(header))
    return canonical(
        {**header, "nonce": b64url_encode(nonce), "ciphertext": b64url_encode(ciphertext)}
    )


def open_export(
    blob: bytes,
    *,
    passphrase: str,
    max_bytes: int = 16 * 1024 * 1024,
    max_memory_kib: int = 262_144,
) -> dict[str, Any]:
    """The payload of an export, or ``ExportRefused``; the KDF cost is checked first."""
    if len(blob) > max_bytes:
        raise ExportRefused("too-large")
    try:
        envelope = loads_strict(blob)
    except Rejected:
        raise ExportRefused("malformed") from None
    params, salt = _export_kdf(envelope, max_memory_kib=max_memory_kib)
    nonce, sealed = _bytes_field(envelope["nonce"]), _bytes_field(envelope["ciphertext"])
    if len(nonce) != NONCE_BYTES or len(sealed) < TAG_BYTES:
        raise ExportRefused("malformed")
    key = stretch(passphrase, salt=salt, params=params)
    try:
        plaintext = AESGCM(key).decrypt(nonce, sealed, canonical(_export_header(params, salt)))
    except InvalidTag:
        raise ExportRefused("wrong-passphrase") from None
    try:
        payload = loads_strict(plaintext)
    except Rejected:
        payload = None
    if not isinstance(payload, dict):
        raise ExportRefused("malformed")
    return payload


def _export_kdf(envelope: Any, *, max_memory_kib: int) -> tuple[PinKdfParams, bytes]:
    """Shape of the envelope and its KDF parameters; cost refused before anything is derived."""
    if not isinstance(envelope, dict) or set(envelope) != _EXPORT_FIELDS:
        raise ExportRefused("malformed")
    kdf = envelope["kdf"]
    if (
        envelope["format"] != EXPORT_FORMAT
        or type(envelope["version"]) is not int
        or envelope["version"] != EXPORT_VERSION
        or not isinstance(kdf, dict)
        or set(kdf) != _KDF_FIELDS
        or kdf["alg"] != "argon2id"
    ):
        raise ExportRefused("malformed")
    memory, iterations, lanes = kdf["memory_kib"], kdf["iterations"], kdf["lanes"]
    if any(type(value) is not int for value in (memory, iterations, lanes)):
        raise ExportRefused("malformed")
    if memory > max_memory_kib or iterations > MAX_EXPORT_ITERATIONS or lanes > MAX_EXPORT_LANES:
        raise ExportRefused("kdf-too-costly")
    try:
        params = PinKdfParams(memory_kib=memory, iterations=iterations, lanes=lanes)
    except ValueError:
        raise ExportRefused("malformed") from None
    salt = _bytes_field(kdf["salt"])
    if not SALT_BYTES <= len(salt) <= MAX_SALT_BYTES:
        raise ExportRefused("malformed")
    return params, salt


def _bytes_field(value: object) -> bytes:
    if type(value) is not str:
        raise ExportRefused("malformed")
    try:
        return b64url_decode(value)
    except Rejected:
        raise ExportRefused("malformed") from None
