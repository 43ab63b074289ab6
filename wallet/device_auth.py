"""Who is calling: a device proof on every request, and a session for the vault.

Requests carry a DPoP proof (RFC 9449 §4) signed by the device key the account is bound to:
method, URL, time and a fresh ``jti``. The URL checked is this service's *public* URL plus the
request path, never one rebuilt from the Host header. A ``jti`` is remembered (as a digest)
until the proof is too old to be accepted anyway, so a captured proof cannot be replayed
(§11.1). Requests that need the vault also carry the session token from the PIN unlock as
``Authorization: DPoP <token>`` (§7.1), and the proof's ``ath`` binds it: a stolen session
token is useless without the device key, and a session opened by one device does not work
with another's proofs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from specs.dpop import VerifiedDpopProof, normalize_htu, verify_dpop_proof
from specs.errors import DpopReason, Rejected
from wallet.context import WalletContext
from wallet.session_tokens import MAX_SESSION_TOKEN_CHARS, SessionRefused
from wallet.session_tokens import Session as OpenedSession
from wallet.tables import accounts, proof_jtis
from wallet.vault import Vault
from wallet.wire_errors import InvalidDpopProof, InvalidSession

SESSION_SCHEME = "dpop "
CLOCK_SKEW_SECONDS = 5


async def wallet_context(request: Request) -> WalletContext:
    """``async`` on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a
    thread hop on every request for one attribute read."""
    context: WalletContext = request.app.state.context
    return context


Context = Annotated[WalletContext, Depends(wallet_context)]


@dataclass(frozen=True, slots=True)
class Session:
    """An unlocked account: its id, its vault, and the device that opened it."""

    account_id: str
    vault: Vault
    device_thumbprint: str


def _checked_proof(
    request: Request, context: WalletContext, *, access_token: str | None, now: int
) -> VerifiedDpopProof:
    """The proof's signature and claims (RFC 9449 §4.3); its ``jti`` is not yet spent."""
    values = request.headers.getlist("dpop")
    if len(values) != 1:  # RFC 9449 §4.3 check 1: exactly one DPoP header
        raise InvalidDpopProof
    url = context.url(request.url.path)
    if normalize_htu(url) is None:
        # The path is percent-decoded: an id with %00 or a space is no URI any more, so no
        # proof can name it (RFC 9449 §4.3 point 9); refused, not a ValueError and a 500.
        raise InvalidDpopProof(DpopReason.HTU_MISMATCH.value)
    try:
        return verify_dpop_proof(
            values[0],
            method=request.method,
            url=url,
            now=now,
            max_age=context.settings.proof_max_age_seconds,
            max_skew=CLOCK_SKEW_SECONDS,
            access_token=access_token,
        )
    except Rejected as refused:
        raise InvalidDpopProof(refused.reason.value) from None


async def _remember(
    connection: AsyncConnection, context: WalletContext, proof: VerifiedDpopProof, now: int
) -> None:
    """Spend the proof's ``jti`` (§11.1); a second spend fails on the primary key, across
    workers too. The caller maps ``IntegrityError`` to a replayed proof."""
    seen = hashlib.sha256(f"{proof.thumbprint}\x00{proof.jti}".encode()).hexdigest()
    expires_at = now + context.settings.proof_max_age_seconds + CLOCK_SKEW_SECONDS
    await connection.execute(insert(proof_jtis).values(digest=seen, expires_at=expires_at))


async def _verified_proof(
    request: Request, context: WalletContext, *, access_token: str | None
) -> VerifiedDpopProof:
    now = context.clock()
    proof = _checked_proof(request, context, access_token=access_token, now=now)
    try:
        async with context.database.write() as connection:
            await _remember(connection, context, proof, now)
    except IntegrityError:
        raise InvalidDpopProof(DpopReason.PROOF_REPLAYED.value) from None
    return proof


_dpop_header = APIKeyHeader(
    name="DPoP",
    scheme_name="DeviceProof",
    auto_error=False,
    description="A DPoP proof (RFC 9449 §4.2) signed by the account's device key: typ "
    "dpop+jwt, ES256, jwk header; htm, htu (this service's public URL + path), iat, jti; "
    "ath (hash of the session token) when a session is sent.",
)
_session_header = APIKeyHeader(
    name="Authorization",
    scheme_name="Session",
    auto_error=False,
    description="`DPoP <session_token>` from POST /v1/sessions (RFC 9449 §7.1).",
)


async def device_proof(
    request: Request,
    context: Context,
    _documented: Annotated[str | None, Depends(_dpop_header)] = None,
) -> VerifiedDpopProof:
    """The device key behind a request that needs no session (register, unlock)."""
    return await _verified_proof(request, context, access_token=None)


async def session(
    request: Request,
    context: Context,
    _proof: Annotated[str | None, Depends(_dpop_header)] = None,
    _session: Annotated[str | None, Depends(_session_header)] = None,
) -> Session:
    """An unlocked session whose device signed this very request."""
    authorization = request.headers.get("authorization", "")
    if not authorization.lower().startswith(SESSION_SCHEME):
        raise InvalidSession
    token = authorization[len(SESSION_SCHEME) :].strip()
    if not token or len(token) > MAX_SESSION_TOKEN_CHARS or not token.isascii():
        raise InvalidSession
    now = context.clock()
    proof = _checked_proof(request, context, access_token=token, now=now)
    try:
        opened: OpenedSession | None = context.sessions.open(token, now=now)
    except SessionRefused:
        opened = None
    if opened is not None and opened.device_thumbprint != proof.thumbprint:
        opened = None
    row = None
    try:  # the jti and the account in one transaction: one round trip per request, not two
        async with context.database.write() as connection:
            await _remember(connection, context, proof, now)
            if opened is not None:
                row = (
                    await connection.execute(
                        select(accounts.c.id).where(
                            accounts.c.id == opened.account_id,
                            accounts.c.device_thumbprint == proof.thumbprint,
                            accounts.c.locked_at.is_(None),
                        )
                    )
                ).one_or_none()
    except IntegrityError:  # a replay is refused as one, whatever the session
        raise InvalidDpopProof(DpopReason.PROOF_REPLAYED.value) from None
    if opened is None or row is None:  # refused, deleted or locked since it was opened
        raise InvalidSession
    return Session(opened.account_id, Vault(opened.vault_key, opened.account_id), proof.thumbprint)


DeviceProof = Annotated[VerifiedDpopProof, Depends(device_proof)]
Unlocked = Annotated[Session, Depends(session)]
