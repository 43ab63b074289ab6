"""Bearer secrets the issuer hands out, and how they are stored.

Pre-authorized codes, access tokens, c_nonces and transaction ids are the bearer secrets of
``runtime.bearer`` (OID4VCI 1.0 §13.6: codes must be unguessable); only their SHA-256
digests reach the database, so a copy of it redeems nothing. The tx_code is short by design
(it is typed in by a person), so its digest is an HMAC under the storage key: without that
key a dump gives no way to try all 10^6 codes offline. Comparisons are constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from runtime.bearer import digest, new_bearer, new_id, same_digest

__all__ = ["digest", "new_bearer", "new_id", "new_tx_code", "same_digest", "tx_code_digest"]


def new_tx_code(length: int) -> str:
    """A numeric tx_code (OID4VCI 1.0 §4.1.1 ``input_mode`` numeric), uniformly drawn."""
    return "".join(str(secrets.randbelow(10)) for _ in range(length))


def tx_code_digest(tx_code: str, *, key: bytes, offer_id: str) -> str:
    """HMAC-SHA256 of the tx_code, bound to its offer so digests cannot be swapped."""
    message = f"{offer_id}\x00{tx_code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
