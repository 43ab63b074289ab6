"""A transaction's bearer values, derived from its id under a key only the service holds.

The ``request_id`` in the link, the ``state`` and the ``nonce`` are HMAC-SHA256 of the
transaction id under the token key (derived from the storage key for this one purpose): 256
bits each, unguessable without the key, and recomputed whenever the request object is
served. The database keeps only SHA-256 digests of the two it looks up (``request_id``,
``state``) and never the ``nonce``, so a copy of the database can neither fetch a pending
request nor answer one (``runtime.bearer``: only digests reach a database).

Values a wallet sends back are looked up only when they have the shape these values have
(base64url, bounded): anything else, such as a NUL byte PostgreSQL text cannot hold, is
refused before it reaches a query.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TypeGuard

from specs.jose import b64url_encode

_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}")
_ID = re.compile(r"[0-9a-f]{32}")


def _derive(key: bytes, purpose: bytes, transaction_id: str) -> str:
    mac = hmac.new(key, purpose + b"\x00" + transaction_id.encode("ascii"), hashlib.sha256)
    return b64url_encode(mac.digest())


def request_id_of(key: bytes, transaction_id: str) -> str:
    return _derive(key, b"request_uri", transaction_id)


def state_of(key: bytes, transaction_id: str) -> str:
    return _derive(key, b"state", transaction_id)


def nonce_of(key: bytes, transaction_id: str) -> str:
    return _derive(key, b"nonce", transaction_id)


def is_token(value: object) -> TypeGuard[str]:
    """Shaped like a value the service hands out (base64url, at most 128 characters)."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def is_id(value: object) -> TypeGuard[str]:
    """Shaped like a transaction or decision id (``runtime.bearer.new_id``: 32 hex digits)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None
