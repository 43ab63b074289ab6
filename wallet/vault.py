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

Sessions (``wallet.session_tokens``) are stateless so any worker can serve an account
without keeping vault keys in memory: the token carries the vault key sealed under a server
key. Whoever holds that server key and a live token can open that account's vault, hence
short lifetimes and the device-key binding (checked against each request's DPoP proof).

Exports (``wallet.export_file``: backup, a new device) leave the server, so they carry no
pepper: their only guard is the passphrase under Argon2id, with the parameters in the file.

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
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from runtime.sealing import KEY_BYTES, SealBroken, Sealer

SALT_BYTES = 16
PEPPER_BYTES = 32
MAX_SALT_BYTES = 64
_MAX_LANES = 2**24 - 1  # RFC 9106 §3.1
_MAX_MEMORY_KIB = 2**32 - 1
_PIN_KEY_LABEL = b"aanspraak wallet pin key v1"


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


def stretch(secret: str, *, salt: bytes, params: PinKdfParams) -> bytes:
    """Argon2id of the NFKC-normalised secret: the memory-hard step of PINs and exports."""
    if not SALT_BYTES <= len(salt) <= MAX_SALT_BYTES:
        raise ValueError(f"a salt has {SALT_BYTES} to {MAX_SALT_BYTES} bytes")
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
    stretched = stretch(pin, salt=salt, params=params)
    return hmac.new(pepper, _PIN_KEY_LABEL + stretched, hashlib.sha256).digest()


def _context(purpose: str, *parts: str) -> bytes:
    """``wallet:<purpose>:`` and the parts as a JSON array: unambiguous whatever they hold."""
    return f"wallet:{purpose}:".encode() + canonical(list(parts))


def canonical(value: object) -> bytes:
    """Sorted keys, no whitespace, UTF-8; NaN and Infinity refused (``ValueError``)."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def check_key(key: bytes, name: str) -> None:
    """``ValueError`` unless ``key`` is a 32-byte AES-256 key."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"{name} is exactly {KEY_BYTES} bytes")


def wrap_vault_key(vault_key: bytes, *, pin_key: bytes, account_id: str) -> bytes:
    """The vault key sealed under the PIN key, for this account only."""
    check_key(vault_key, "a vault key")
    check_key(pin_key, "a PIN key")
    return Sealer(pin_key).seal(vault_key, context=_context("vault-key", account_id))


def unwrap_vault_key(wrapped: bytes, *, pin_key: bytes, account_id: str) -> bytes:
    """The vault key, or ``WrongPin``: a wrong PIN, pepper or account look the same."""
    check_key(pin_key, "a PIN key")
    try:
        return Sealer(pin_key).open(wrapped, context=_context("vault-key", account_id))
    except SealBroken:
        raise WrongPin from None


class Vault:
    """Seals and opens the records of one account under its vault key."""

    __slots__ = ("_sealer", "account_id")

    def __init__(self, vault_key: bytes, account_id: str) -> None:
        check_key(vault_key, "a vault key")
        if not account_id:
            raise ValueError("an account id is not empty")
        self._sealer = Sealer(vault_key)
        self.account_id = account_id

    def seal(self, kind: str, record_id: str, payload: Mapping[str, Any]) -> bytes:
        """Canonical JSON of ``payload`` (UTF-8), sealed for this account, kind and id."""
        plaintext = canonical(dict(payload))
        return self._sealer.seal(plaintext, context=self._context(kind, record_id))

    def open(self, kind: str, record_id: str, sealed: bytes) -> dict[str, Any]:
        """The payload, or ``SealBroken`` when ``sealed`` was not sealed for exactly these."""
        plaintext = self._sealer.open(sealed, context=self._context(kind, record_id))
        payload: dict[str, Any] = json.loads(plaintext)
        return payload

    def _context(self, kind: str, record_id: str) -> bytes:
        return _context("record", self.account_id, kind, record_id)
