"""The authorization code flow and refresh for an account whose keys live on the device
(HAIP 1.0 §4, §4.3, §4.4; the holder library's ``authorization_flow``).

::

    POST /v1/authorizations                issuer + configuration, or an offer
        └─ issuer checks, trust registry, PAR (PKCE, DPoP key, wallet attestation)
           ─> {id, authorization_url}: the app opens it in the browser
    POST /v1/authorizations/{id}/redirect  the redirect URL the app received, device keys
        └─ state and iss checked (RFC 9207), token request (PKCE, DPoP, attestation),
           c_nonce ─> the issuance's ``signatures_needed`` step (``receiving``)
    POST /v1/credentials/{id}/refresh      device keys
        └─ refresh token (rotated; the new one kept at once) ─> ``signatures_needed``;
           the new batch replaces the old one, which the issuer revoked

The pending authorization (its PKCE verifier, DPoP key and client instance key) waits
sealed under the account's vault key (``records.AUTHORIZATION``) for
``pending_ttl_seconds``, and is spent by the first redirect that names it, whatever comes of
it: a replayed redirect finds nothing (404). The service is the OAuth client: its
``client_id`` is the wallet provider's (the attestation's ``sub``, HAIP §4.3), or its public
URL without a provider, and its redirect URI is the app's claimed link (``redirect_uri``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runtime.wire import NotFound
from wallet import grants, receiving, records
from wallet.context import WalletContext
from wallet.device_auth import Session
from wallet.issuance import IssuanceFailed, PendingAuthorization
from wallet.issuance_errors import IssuanceReason
from wallet.wire_errors import InvalidRequest


def _redirect_uri(context: WalletContext) -> str:
    redirect_uri = context.settings.redirect_uri
    if redirect_uri is None:
        raise InvalidRequest("the authorization code flow is not configured (redirect_uri)")
    return redirect_uri


def client_id(context: WalletContext) -> str:
    """The provider's ``client_id`` (HAIP §4.3), else the service's public URL."""
    provider = context.provider
    return provider.client_id if provider is not None else context.settings.public_url


async def start(
    context: WalletContext,
    session: Session,
    *,
    issuer: str | None,
    configuration_id: str | None,
    offer: str | Mapping[str, Any] | None,
    login_hint: str | None = None,
) -> dict[str, Any]:
    """Check the issuer, push the authorization request, keep what the redirect needs."""
    redirect_uri = _redirect_uri(context)
    if (issuer is None) == (offer is None) or (issuer is not None and configuration_id is None):
        raise InvalidRequest("give an issuer and a configuration_id, or an offer")
    context.snapshot(now=context.clock())  # 503 now, not "issuer not trusted", if it is down
    async with receiving.client(context) as wallet:
        try:
            started = await wallet.start_authorization(
                client_id=client_id(context),
                redirect_uri=redirect_uri,
                issuer=issuer,
                configuration_id=configuration_id,
                offer=offer,
                login_hint=login_hint,
            )
        except IssuanceFailed as failed:
            raise receiving.to_wire(failed) from None
    now = context.clock()
    async with context.database.write() as connection:
        authorization_id = await records.add(
            connection,
            session,
            records.AUTHORIZATION,
            started.pending.as_dict(),
            expires_at=now + context.settings.pending_ttl_seconds,
        )
    return {
        "id": authorization_id,
        "status": "authorization_needed",
        "issuer": started.pending.issuer,
        "vct": started.pending.vct,
        "authorization_url": started.authorization_url,
    }


async def finish(
    context: WalletContext,
    session: Session,
    authorization_id: str,
    *,
    redirect_url: str,
    jwks: Sequence[Any],
) -> dict[str, Any]:
    """The redirect the app received: checked, redeemed, then the device's key proofs."""
    keys = receiving.device_keys(jwks)
    now = context.clock()
    async with context.database.write() as connection:
        payload = await records.load_one(
            connection, session, records.AUTHORIZATION, authorization_id, now=now
        )
        # The conditional DELETE decides: of two redirects posted at once, one removes the
        # record and goes on; the other finds nothing, so one code is redeemed once.
        removed = await records.remove(connection, session, records.AUTHORIZATION, authorization_id)
        if payload is None or removed != 1:
            raise NotFound
    pending = PendingAuthorization.from_dict(payload)
    async with receiving.client(context) as wallet:
        try:
            redeemed = await wallet.finish_authorization(pending, redirect_url)
        except IssuanceFailed as failed:
            raise receiving.to_wire(failed) from None
        return await receiving.await_signatures(context, session, wallet, redeemed, keys)


async def refresh(
    context: WalletContext, session: Session, batch_id: str, *, jwks: Sequence[Any]
) -> dict[str, Any]:
    """A fresh batch for ``batch_id``'s grant (OpenID4VCI §13.5); 404 without one."""
    keys = receiving.device_keys(jwks)
    async with context.database.write() as connection:
        grant = await grants.take(connection, session, batch_id)
    if grant is None:  # none, or a refresh of this batch is under way: one token, one use
        raise NotFound
    async with receiving.client(context) as wallet:
        try:
            renewed = await wallet.refresh(grant)
        except IssuanceFailed as failed:
            if failed.reason is not IssuanceReason.REFRESH_REFUSED:  # not spent: keep it
                async with context.database.write() as connection:
                    await grants.keep(connection, session, batch_id, grant)
            raise receiving.to_wire(failed) from None
        async with context.database.write() as connection:  # the old token is spent now
            await grants.keep(connection, session, batch_id, renewed)
        return await receiving.await_signatures(
            context, session, wallet, renewed, keys, replaces=batch_id
        )
