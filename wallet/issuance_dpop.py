"""DPoP for the wallet's OpenID4VCI requests: sender-constrained tokens (RFC 9449; HAIP §4).

A ``DpopSession`` is one client key and the server's latest nonce. Every request to the
issuer's token, credential, deferred and notification endpoints carries a fresh proof
(§4.2: ``htm``, ``htu``, a new ``jti``, ``iat``; ``ath`` when an access token goes with it;
``nonce`` once the server gave one). The access token is sent as ``Authorization: DPoP``
(§7.1), never as Bearer, so a token bound to the key is useless without it.

Server nonces (§8, §9): an answer may carry ``DPoP-Nonce``; the session keeps the newest and
uses it from then on. A request refused with ``use_dpop_nonce`` (400 at the token endpoint,
401 with ``WWW-Authenticate: DPoP error="use_dpop_nonce"`` at a resource) is sent once more
with the new nonce, never more: a server that keeps asking is an error, not a loop.

The key is a ``JwsSigner``; in the wallet service it is a key the service made for this
issuance (it binds the issuer's tokens, not credentials: holder keys stay on the device).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from specs.dpop import build_dpop_proof, new_jti
from specs.jose import JwsSigner

USE_DPOP_NONCE = "use_dpop_nonce"
MAX_NONCE_CHARS = 512
"""A nonce longer than this is not kept (§8: opaque, but a server has no reason for more)."""


class DpopSession:
    """One DPoP key and the server's current nonce (see the module docstring)."""

    def __init__(
        self,
        key: JwsSigner,
        *,
        clock: Callable[[], int],
        nonce: str | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.key = key
        self.nonce = nonce
        self._clock = clock
        self._random_bytes = random_bytes

    @property
    def thumbprint(self) -> str:
        """RFC 7638 thumbprint of the key: what a bound token's ``cnf.jkt`` names."""
        return self.key.public.thumbprint()

    def headers(self, method: str, url: str, *, access_token: str | None = None) -> dict[str, str]:
        """The ``DPoP`` header for one request, and ``Authorization: DPoP`` with a token."""
        proof = build_dpop_proof(
            key=self.key,
            method=method,
            url=url,
            now=self._clock(),
            jti=new_jti(self._random_bytes),
            access_token=access_token,
            nonce=self.nonce,
        )
        headers = {"DPoP": proof}
        if access_token is not None:
            headers["Authorization"] = f"DPoP {access_token}"
        return headers

    def remember(self, response_headers: Mapping[str, str]) -> bool:
        """Keep a ``DPoP-Nonce`` the server sent; True when it is new."""
        nonce = response_headers.get("dpop-nonce")
        if not nonce or len(nonce) > MAX_NONCE_CHARS or not nonce.isascii() or nonce == self.nonce:
            return False
        self.nonce = nonce
        return True


def asks_for_nonce(status: int, body: object, response_headers: Mapping[str, str]) -> bool:
    """The server refused for want of a (newer) nonce (§8 at the token endpoint, §9 at a
    resource server)."""
    if status == 400 and isinstance(body, Mapping) and body.get("error") == USE_DPOP_NONCE:
        return True
    challenge = response_headers.get("www-authenticate", "")
    return status == 401 and challenge.lower().startswith("dpop") and USE_DPOP_NONCE in challenge
