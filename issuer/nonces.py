"""c_nonces (OID4VCI 1.0 §7): stateless to hand out, single use when spent.

The nonce endpoint is open to anyone, so handing out a nonce must not write to the
database: a nonce carries its own expiry and an HMAC under the issuer's key. Spending one
inserts its digest into ``nonces``; the primary key makes a second spend fail, across
workers too (§7.2: a c_nonce is used by one Credential Request only). Spent digests are
swept once the nonce has expired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from sqlalchemy.ext.asyncio import AsyncConnection

from issuer.codes import digest
from issuer.storage import insert_if_absent
from issuer.tables import nonces

_RANDOM_BYTES = 16
_MAC_BYTES = 16
_EXPIRY_BYTES = 8
_TOTAL = _EXPIRY_BYTES + _RANDOM_BYTES + _MAC_BYTES
MAX_NONCE_CHARS = 128


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, b"c_nonce\x00" + body, hashlib.sha256).digest()[:_MAC_BYTES]


def new_nonce(*, key: bytes, now: int, ttl: int) -> str:
    body = (now + ttl).to_bytes(_EXPIRY_BYTES, "big") + secrets.token_bytes(_RANDOM_BYTES)
    return base64.urlsafe_b64encode(body + _mac(key, body)).rstrip(b"=").decode("ascii")


def _expiry_of(nonce: str, *, key: bytes) -> int | None:
    if len(nonce) > MAX_NONCE_CHARS:
        return None
    try:
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _TOTAL:
        return None
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, body)):
        return None
    return int.from_bytes(body[:_EXPIRY_BYTES], "big")


async def spend_nonce(connection: AsyncConnection, nonce: str, *, key: bytes, now: int) -> bool:
    """True exactly once per genuine, unexpired nonce."""
    expires_at = _expiry_of(nonce, key=key)
    if expires_at is None or expires_at <= now:
        return False
    return await insert_if_absent(
        connection, nonces, {"digest": digest(nonce), "expires_at": expires_at, "used": True}
    )
