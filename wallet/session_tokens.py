"""Session tokens: an unlocked vault that any worker can serve (``wallet.vault`` explains
the keys). The token carries the account's vault key sealed under a server key, so no worker
keeps vault keys in memory; it is bound to the device key whose proofs must accompany it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from runtime.sealing import KEY_BYTES, SealBroken, Sealer
from specs.errors import Rejected
from specs.jose import b64url_decode, b64url_encode
from wallet.vault import canonical, check_key

MAX_SESSION_TOKEN_CHARS = 1_024
SESSION_CONTEXT = b"wallet:session"


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
        check_key(server_key, "a session key")
        self._sealer = Sealer(server_key)

    def issue(
        self, *, account_id: str, vault_key: bytes, device_thumbprint: str, expires_at: int
    ) -> str:
        """A token valid until ``expires_at`` (exclusive) for the device with that thumbprint."""
        check_key(vault_key, "a vault key")
        if not account_id or not device_thumbprint or type(expires_at) is not int:
            raise ValueError("a session needs an account, a device thumbprint and an expiry")
        body = {
            "account_id": account_id,
            "vault_key": b64url_encode(vault_key),
            "device_thumbprint": device_thumbprint,
            "expires_at": expires_at,
        }
        token = b64url_encode(self._sealer.seal(canonical(body), context=SESSION_CONTEXT))
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
