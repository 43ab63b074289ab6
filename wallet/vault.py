"""The wallet service's encryption at rest: a vault key per account, opened by the PIN.

Every record of an account is sealed (AES-256-GCM, ``runtime.sealing``) under the account's
*vault key*, 32 random bytes. The context of each seal names the account, the record kind and
the record id, so a row copied to another account or another record does not open (DESIGN §4,
§5: a database dump reveals no claims).

The database keeps the vault key only *wrapped* under a key derived from the citizen's PIN::

    pin_key = HMAC-SHA256(pepper, "aanspraak wallet pin key v1" || Argon2id(PIN, salt))

A PIN has about a million values, so no KDF alone makes a dump safe: Argon2id at any cost we
can afford per unlock is searched in hours. The *pepper*, a 32-byte server secret the database
never holds, is what protects a dump: without it no PIN guess can be tested. Argon2id (RFC
9106) is what is left when the pepper leaks as well, and the online attempt limit is the
service's job (``wallet.accounts``). Why HMAC after Argon2id rather than Argon2's own
``secret`` input: HMAC-SHA256 keyed with the pepper is HKDF-Extract with the pepper as salt
(RFC 5869 §2.2), a standard PRF that an HSM or KMS can compute without ever releasing the
pepper, and the memory-hard step stays the same as for exports, which have no pepper.

Sessions are stateless so any worker can serve an account without keeping vault keys in
memory: the token carries the vault key sealed under a server key (``SessionTokens``). Whoever
holds that server key and a live token can open that account's vault, hence short lifetimes
and the device-key binding (``device_thumbprint``, checked against each request's DPoP proof).

Exports (backup, a new device) leave the server, so they carry no pepper: their only guard is
the passphrase (at least ``MIN_PASSPHRASE_CHARS``) under Argon2id, with parameters in the file.
A file is attacker-supplied input, so its KDF cost is checked before anything is derived.

PINs and passphrases are NFKC-normalised first (NIST SP 800-63B §5.1.1.2), so the same digits
or words typed on another keyboard give the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from runtime.sealing import KEY_BYTES, NONCE_BYTES, TAG_BYTES, SealBroken, Sealer
from specs.errors import Rejected
from specs.jose import b64url_decode, b64url_encode, loads_strict

SALT_BYTES = 16
PEPPER_BYTES = 32
MIN_PASSPHRASE_CHARS = 12
MAX_SESSION_TOKEN_CHARS = 1_024
SESSION_CONTEXT = b"wallet:session"
EXPORT_FORMAT = "aanspraak-wallet-export"
EXPORT_VERSION = 1
MAX_EXPORT_ITERATIONS = 16
MAX_EXPORT_LANES = 16
_MAX_SALT_BYTES = 64
_MAX_LANES = 2**24 - 1  # RFC 9106 §3.1
_MAX_MEMORY_KIB = 2**32 - 1
_PIN_KEY_LABEL = b"aanspraak wallet pin key v1"
_KDF_FIELDS = frozenset({"alg", "memory_kib", "iterations", "lanes", "salt"})
_EXPORT_FIELDS = frozenset({"format", "version", "kdf", "nonce", "ciphertext"})


@dataclass(frozen=True, slots=True)
class PinKdfParams:
    """Argon2id cost (RFC 9106 §3.1): memory in KiB, passes, lanes.

    The defaults are OWASP's minimum for Argon2id (Password Storage Cheat Sheet: 19 MiB, two
    passes, one lane), about 30 ms on a server core: the service derives one key per unlock
    and must stay responsive under load. RFC 9106 §4 recommends more where that is affordable.
    """

    memory_kib: int = 19_456
    iterations: int = 2
    lanes: int = 1

    def __post_init__(self) -> None:
        if any(type(v) is not int for v in (self.memory_kib, self.iterations, self.lanes)):
            raise ValueError("Argon2id parameters are integers")
        if not 1 <= self.lanes <= _MAX_LANES:
            raise ValueError(f"lanes is 1 to {_MAX_LANES}")
        if self.iterations < 1:
            raise ValueError("iterations is at least 1")
        if not 8 * self.lanes <= self.memory_kib <= _MAX_MEMORY_KIB:
            raise ValueError("memory_kib is at least 8 * lanes and below 2**32")


class WrongPin(Exception):
    """The PIN-derived key does not unwrap the vault key (or the pepper is not the one used)."""

    def __init__(self) -> None:
        super().__init__("the PIN does not open the vault")


def new_vault_key() -> bytes:
    return os.urandom(KEY_BYTES)


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def _stretch(secret: str, *, salt: bytes, params: PinKdfParams) -> bytes:
    if not SALT_BYTES <= len(salt) <= _MAX_SALT_BYTES:
        raise ValueError(f"a salt has {SALT_BYTES} to {_MAX_SALT_BYTES} bytes")
    kdf = Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(unicodedata.normalize("NFKC", secret).encode("utf-8"))


def derive_pin_key(pin: str, *, salt: bytes, pepper: bytes, params: PinKdfParams) -> bytes:
    """The 32-byte key that wraps the vault key (the module docstring says why two steps)."""
    if not pin:
        raise ValueError("a PIN is not empty")
    if len(pepper) != PEPPER_BYTES:
        raise ValueError(f"the pepper is exactly {PEPPER_BYTES} bytes")
    stretched = _stretch(pin, salt=salt, params=params)
    return hmac.new(pepper, _PIN_KEY_LABEL + stretched, hashlib.sha256).digest()


def _context(purpose: str, *parts: str) -> bytes:
    """``wallet:<purpose>:`` and the parts as a JSON array: unambiguous whatever they hold."""
    return f"wallet:{purpose}:".encode() + _canonical(list(parts))


def _canonical(value: object) -> bytes:
    """Sorted keys, no whitespace, UTF-8; NaN and Infinity refused (``ValueError``)."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _check_key(key: bytes, name: str) -> None:
    if len(key) != KEY_BYTES:
        raise ValueError(f"{name} is exactly {KEY_BYTES} bytes")


def wrap_vault_key(vault_key: bytes, *, pin_key: bytes, account_id: str) -> bytes:
    """The vault key sealed under the PIN key, for this account only."""
    _check_key(vault_key, "a vault key")
    _check_key(pin_key, "a PIN key")
    return Sealer(pin_key).seal(vault_key, context=_context("vault-key", account_id))


def unwrap_vault_key(wrapped: bytes, *, pin_key: bytes, account_id: str) -> bytes:
    """The vault key, or ``WrongPin``: a wrong PIN, pepper or account look the same."""
    _check_key(pin_key, "a PIN key")
    try:
        return Sealer(pin_key).open(wrapped, context=_context("vault-key", account_id))
    except SealBroken:
        raise WrongPin from None


class Vault:
    """Seals and opens the records of one account under its vault key."""

    __slots__ = ("_sealer", "account_id")

    def __init__(self, vault_key: bytes, account_id: str) -> None:
        _check_key(vault_key, "a vault key")
        if not account_id:
            raise ValueError("an account id is not empty")
        self._sealer = Sealer(vault_key)
        self.account_id = account_id

    def seal(self, kind: str, record_id: str, payload: Mapping[str, Any]) -> bytes:
        """Canonical JSON of ``payload`` (UTF-8), sealed for this account, kind and id."""
        plaintext = _canonical(dict(payload))
        return self._sealer.seal(plaintext, context=self._context(kind, record_id))

    def open(self, kind: str, record_id: str, sealed: bytes) -> dict[str, Any]:
        """The payload, or ``SealBroken`` when ``sealed`` was not sealed for exactly these."""
        plaintext = self._sealer.open(sealed, context=self._context(kind, record_id))
        payload: dict[str, Any] = json.loads(plaintext)
        return payload

    def _context(self, kind: str, record_id: str) -> bytes:
        return _context("record", self.account_id, kind, record_id)


# --- sessions ----------------------------------------------------------------------------

SessionRefusal = Literal["malformed", "expired"]


@dataclass(frozen=True, slots=True)
class Session:
    """An unlocked account as a session token carries it; check the device on every request."""

    account_id: str
    vault_key: bytes = field(repr=False)
    device_thumbprint: str
    expires_at: int


class SessionRefused(Exception):
    """The session token does not open (``malformed``: tampered too) or has ``expired``."""

    def __init__(self, reason: SessionRefusal) -> None:
        super().__init__(reason)
        self.reason: SessionRefusal = reason


class SessionTokens:
    """Stateless session tokens: the session sealed under a server key, base64url."""

    __slots__ = ("_sealer",)

    def __init__(self, server_key: bytes) -> None:
        _check_key(server_key, "a session key")
        self._sealer = Sealer(server_key)

    def issue(
        self, *, account_id: str, vault_key: bytes, device_thumbprint: str, expires_at: int
    ) -> str:
        """A token valid until ``expires_at`` (exclusive) for the device with that thumbprint."""
        _check_key(vault_key, "a vault key")
        if not account_id or not device_thumbprint or type(expires_at) is not int:
            raise ValueError("a session needs an account, a device thumbprint and an expiry")
        body = {
            "account_id": account_id,
            "vault_key": b64url_encode(vault_key),
            "device_thumbprint": device_thumbprint,
            "expires_at": expires_at,
        }
        token = b64url_encode(self._sealer.seal(_canonical(body), context=SESSION_CONTEXT))
        if len(token) > MAX_SESSION_TOKEN_CHARS:
            raise ValueError("account id or thumbprint too long for a session token")
        return token

    def open(self, token: str, *, now: int) -> Session:
        """The session, or ``SessionRefused``; the length is capped before anything else."""
        if not isinstance(token, str) or len(token) > MAX_SESSION_TOKEN_CHARS:
            raise SessionRefused("malformed")
        try:
            plaintext = self._sealer.open(b64url_decode(token), context=SESSION_CONTEXT)
        except (Rejected, SealBroken):
            raise SessionRefused("malformed") from None
        session = _session_of(plaintext)
        if now >= session.expires_at:
            raise SessionRefused("expired")
        return session


def _session_of(plaintext: bytes) -> Session:
    """Only our own sealed bodies get here; a shape we did not write is still refused."""
    try:
        body = json.loads(plaintext)
        session = Session(
            account_id=body["account_id"],
            vault_key=b64url_decode(body["vault_key"]),
            device_thumbprint=body["device_thumbprint"],
            expires_at=body["expires_at"],
        )
    except (Rejected, KeyError, TypeError, ValueError):
        raise SessionRefused("malformed") from None
    texts = (session.account_id, session.device_thumbprint)
    if not all(type(text) is str and text for text in texts) or (
        type(session.expires_at) is not int or len(session.vault_key) != KEY_BYTES
    ):
        raise SessionRefused("malformed")
    return session


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
    plaintext = _canonical(dict(payload))
    try:
        loads_strict(plaintext)  # what open_export would refuse must not be sealed
    except Rejected as exc:
        raise ValueError(f"payload cannot be exported: {exc.reason}") from None
    salt, nonce = new_salt(), os.urandom(NONCE_BYTES)
    header = _export_header(params, salt)
    key = _stretch(passphrase, salt=salt, params=params)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _canonical(header))
    return _canonical(
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
    key = _stretch(passphrase, salt=salt, params=params)
    try:
        plaintext = AESGCM(key).decrypt(nonce, sealed, _canonical(_export_header(params, salt)))
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
    if not SALT_BYTES <= len(salt) <= _MAX_SALT_BYTES:
        raise ExportRefused("malformed")
    return params, salt


def _bytes_field(value: object) -> bytes:
    if type(value) is not str:
        raise ExportRefused("malformed")
    try:
        return b64url_decode(value)
    except Rejected:
        raise ExportRefused("malformed") from None
