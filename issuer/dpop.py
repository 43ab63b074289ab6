"""DPoP at the issuer (RFC 9449): the proof that comes with a request, its nonce, its ``jti``.

* **Nonces** (§8, §9) are stateless: ``DPoP-Nonce`` is the time it was made and an HMAC under
  a key derived from the storage key, so any replica checks any nonce without a database
  round trip, and handing one out writes nothing. A nonce is current for
  ``dpop_nonce_ttl_seconds``; a proof without a current one gets ``use_dpop_nonce`` and a
  fresh nonce in the ``DPoP-Nonce`` header, and the wallet signs a new proof with it. A nonce
  may serve several proofs: what makes each proof single use is its ``jti``.
* **Replay** (§11.1): the digest of (key thumbprint, ``jti``) of every accepted proof is
  kept in ``dpop_proofs`` for as long as its ``iat`` could still be accepted
  (``DPOP_MAX_AGE_SECONDS`` plus the clock leeway); the primary key refuses a second one,
  across workers too.
* **Which URL** a proof must name (``htu``): the issuer's public URL plus the request path,
  never one rebuilt from the ``Host`` header.

The token endpoint answers 400 (``InvalidDpopProof``, ``UseDpopNonce``, §5 and §8); the
credential, deferred and notification endpoints 401 with a ``DPoP`` challenge (§7.1, §9).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from starlette.requests import Request

from issuer.context import IssuerContext
from issuer.storage import insert_if_absent
from issuer.tables import dpop_proofs
from issuer.wire_tables import DPOP_PROOF_ERRORS, DPOP_RESOURCE_PROOF_ERRORS
from runtime.wire import (
    InvalidDpopProof,
    InvalidDpopProofChallenge,
    UseDpopNonce,
    UseDpopNonceChallenge,
)
from specs.dpop import MAX_PROOF_BYTES, VerifiedDpopProof, verify_dpop_proof
from specs.errors import DpopReason, Rejected
from specs.jose import parse_compact_jws

NONCE_HEADER = "DPoP-Nonce"
DPOP_MAX_AGE_SECONDS = 60
"""How old a proof's ``iat`` may be: a proof is made for one request, right before it."""
_TIME_BYTES = 8
_MAC_BYTES = 16
_MAX_NONCE_CHARS = 64


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, b"dpop_nonce\x00" + body, hashlib.sha256).digest()[:_MAC_BYTES]


def new_dpop_nonce(context: IssuerContext) -> str:
    """A ``DPoP-Nonce`` value: the current time and its HMAC, base64url."""
    body = context.clock().to_bytes(_TIME_BYTES, "big")
    mac = _mac(context.dpop_nonce_key, body)
    return base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode("ascii")


def nonce_is_current(context: IssuerContext, nonce: str) -> bool:
    """Made by this issuer no longer than ``dpop_nonce_ttl_seconds`` ago."""
    if len(nonce) > _MAX_NONCE_CHARS:
        return False
    try:
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    except (binascii.Error, ValueError):
        return False
    if len(raw) != _TIME_BYTES + _MAC_BYTES:
        return False
    body, mac = raw[:_TIME_BYTES], raw[_TIME_BYTES:]
    if not hmac.compare_digest(mac, _mac(context.dpop_nonce_key, body)):
        return False
    made, now = int.from_bytes(body, "big"), context.clock()
    settings = context.settings
    return now - settings.dpop_nonce_ttl_seconds < made <= now + settings.clock_leeway_seconds


def _claimed_nonce(proof: str) -> str | None:
    """The ``nonce`` claim before verification, only to choose the nonce to verify against:
    ``verify_dpop_proof`` then requires the signed claim to equal it."""
    try:
        payload = parse_compact_jws(proof, max_bytes=MAX_PROOF_BYTES).payload
    except Rejected:
        return None
    nonce = payload.get("nonce")
    return nonce if type(nonce) is str and nonce else None


async def check_dpop_proof(
    context: IssuerContext,
    request: Request,
    *,
    access_token: str | None,
    at_resource: bool,
) -> VerifiedDpopProof:
    """The request's one DPoP proof (§4.3), with a current nonce, never seen before."""
    invalid = InvalidDpopProofChallenge if at_resource else InvalidDpopProof
    values = request.headers.getlist("dpop")
    if len(values) != 1:  # §4.3 check 1: exactly one DPoP header
        raise invalid()
    proof_text = values[0]
    claimed = _claimed_nonce(proof_text)
    current = claimed if claimed is not None and nonce_is_current(context, claimed) else None
    now = context.clock()
    leeway = context.settings.clock_leeway_seconds
    try:
        proof = verify_dpop_proof(
            proof_text,
            method=request.method,
            url=context.url(request.url.path),
            now=now,
            max_age=DPOP_MAX_AGE_SECONDS,
            max_skew=leeway,
            access_token=access_token,
            nonce=current,
        )
    except Rejected as rejected:
        errors = DPOP_RESOURCE_PROOF_ERRORS if at_resource else DPOP_PROOF_ERRORS
        raise errors(rejected) from None
    if current is None:
        use_nonce = UseDpopNonceChallenge if at_resource else UseDpopNonce
        raise use_nonce(headers={NONCE_HEADER: new_dpop_nonce(context)})
    seen = hashlib.sha256(f"{proof.thumbprint}\x00{proof.jti}".encode()).hexdigest()
    async with context.write() as connection:
        fresh = await insert_if_absent(
            connection,
            dpop_proofs,
            {"digest": seen, "expires_at": now + DPOP_MAX_AGE_SECONDS + leeway},
        )
    if not fresh:
        raise invalid(DpopReason.PROOF_REPLAYED.value)
    return proof


async def token_request_key(context: IssuerContext, request: Request) -> str | None:
    """The thumbprint of the key a token request's proof binds the tokens to (§5), or
    ``None`` without a proof, which only a non-HAIP issuer accepts (Bearer tokens)."""
    if "dpop" not in request.headers:
        if context.settings.haip:
            raise InvalidDpopProof("a DPoP proof is required")
        return None
    proof = await check_dpop_proof(context, request, access_token=None, at_resource=False)
    return proof.thumbprint
