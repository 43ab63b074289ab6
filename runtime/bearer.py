"""Bearer secrets a service hands out, and how they are stored.

Codes, tokens, nonces and ids are 256-bit (ids 128-bit) random values: unguessable, as every
single-use value must be (OID4VCI 1.0 §13.6, OpenID4VP 1.0 §14.1). Only their SHA-256 digests
reach a database, so a copy of it redeems nothing; comparisons are constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

BEARER_BYTES = 32
ID_BYTES = 16


def new_bearer() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(BEARER_BYTES)).rstrip(b"=").decode()


def new_id() -> str:
    """128 random bits as hex: safe in paths, and never mistaken for a command-line option."""
    return secrets.token_hex(ID_BYTES)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_digest(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode("ascii"), right.encode("ascii"))
