"""Bearer secrets the issuer hands out, and how they are stored.

Pre-authorized codes, access tokens, c_nonces and transaction ids are 256-bit random values
(OID4VCI 1.0 §13.6: codes must be unguessable); only their SHA-256 digests reach the
database, so a copy of it redeems nothing. The tx_code is short by design (it is typed in by
a person), so its digest is an HMAC under the storage key: without that key a dump gives no
way to try all 10^6 codes offline. Comparisons use ``hmac.compare_digest`` (constant time).
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


def new_tx_code(length: int) -> str:
    """A numeric tx_code (OID4VCI 1.0 §4.1.1 ``input_mode`` numeric), uniformly drawn."""
    return "".join(str(secrets.randbelow(10)) for _ in range(length))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def tx_code_digest(tx_code: str, *, key: bytes, offer_id: str) -> str:
    """HMAC-SHA256 of the tx_code, bound to its offer so digests cannot be swapped."""
    message = f"{offer_id}\x00{tx_code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def same_digest(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode("ascii"), right.encode("ascii"))
