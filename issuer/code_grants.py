"""The token endpoint's work for the ``authorization_code`` and ``refresh_token`` grants.

* **Code** (RFC 6749 §4.1.3, RFC 7636 §4.6): the code is the digest of a grant row in state
  ``authorized``; it must be unexpired, issued to this ``client_id`` for this
  ``redirect_uri``, and the ``code_verifier`` must hash to the stored challenge, all
  ``invalid_grant``. One conditional UPDATE (``authorized`` -> ``redeemed``) spends it. A
  code that was spent already is a replay: every token issued from it is revoked (§4.1.2
  "SHOULD revoke ... all tokens previously issued based on that authorization code") and
  the grant ends. A failed check does not spend the code: the right client can still use it.
* **Refresh** (§6, RFC 9700 §4.14.2): refresh tokens are issued only with DPoP-bound access
  tokens, bound to the same key (RFC 9449 §5), and rotated on every use: the presented one
  is spent by a conditional UPDATE and a new one issued. Presenting a spent one means two
  parties hold the family, so the whole grant ends (its access and refresh tokens go). The
  grant lives ``refresh_token_ttl_seconds`` from the login; rotation does not extend it
  (HAIP 1.0 §4.4 advises against refreshing long after the original issuance).

Errors that end the grant are raised after the commit, so the revocation stands.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from issuer.codes import digest, new_bearer, same_digest
from issuer.context import IssuerContext
from issuer.redemption import Grant
from issuer.storage import for_update
from issuer.tables import access_tokens, offers, refresh_tokens
from runtime.wire import InvalidGrant, InvalidScope
from specs.errors import Rejected
from specs.jose import constant_time_equals
from specs.oauth import AuthorizationCodeRequest, RefreshRequest, verify_code_verifier

_ENDED = ("withdrawn", "revoked", "expired", "locked")


async def redeem_code(
    context: IssuerContext, request: AuthorizationCodeRequest, *, jkt: str | None
) -> Grant:
    """Tokens for a code; ``jkt`` binds them to a DPoP key (and only then is there a
    refresh token)."""
    now = context.clock()
    settings = context.settings
    async with context.write() as connection:
        query = select(offers).where(
            offers.c.code_digest == digest(request.code), offers.c.sealed_subject.is_not(None)
        )
        if for_update(connection):
            query = query.with_for_update()
        grant = (await connection.execute(query)).first()
        if grant is None:
            raise InvalidGrant("the authorization code is invalid, used or expired")
        if grant.state == "authorized":
            _check_code(grant, request, now=now, jkt=jkt)
            lifetime = (
                settings.refresh_token_ttl_seconds if jkt else settings.access_token_ttl_seconds
            )
            claimed = await connection.execute(
                update(offers)
                .where(offers.c.id == grant.id, offers.c.state == "authorized")
                .values(state="redeemed", redeemed_at=now, expires_at=now + lifetime)
            )
            if claimed.rowcount == 1:
                return await _issue_tokens(
                    connection, context, grant, jkt=jkt, grant_expires_at=now + lifetime
                )
        await end_grant(connection, grant.id, now=now)
    raise InvalidGrant("the authorization code is invalid, used or expired")


def _check_code(
    grant: Row[Any], request: AuthorizationCodeRequest, *, now: int, jkt: str | None
) -> None:
    """The code's bindings; a mismatch does not spend the code (only a replay does)."""
    if grant.expires_at <= now:
        raise InvalidGrant("the authorization code is invalid, used or expired")
    if grant.dpop_jkt is not None and not (jkt and constant_time_equals(grant.dpop_jkt, jkt)):
        # RFC 9449 §10: the token request proves the key the authorization request named
        raise InvalidGrant("the authorization code is bound to another DPoP key")
    if not constant_time_equals(grant.client_id, request.client_id):
        raise InvalidGrant("the authorization code was issued to another client")
    if not constant_time_equals(grant.redirect_uri, request.redirect_uri):
        raise InvalidGrant("redirect_uri differs from the authorization request's")
    try:
        verify_code_verifier(request.code_verifier, challenge=grant.code_challenge)
    except Rejected:
        raise InvalidGrant("the code_verifier does not match the code_challenge") from None


async def refresh(context: IssuerContext, request: RefreshRequest, *, jkt: str) -> Grant:
    """A new access token and a new refresh token for a refresh token, rotated (above)."""
    now = context.clock()
    async with context.write() as connection:
        query = select(refresh_tokens).where(
            refresh_tokens.c.digest == digest(request.refresh_token)
        )
        if for_update(connection):
            query = query.with_for_update()
        token = (await connection.execute(query)).first()
        if token is None or token.expires_at <= now:
            raise InvalidGrant("the refresh token is invalid or expired")
        if not token.spent:
            if not same_digest(token.jkt, jkt):
                raise InvalidGrant("the refresh token is bound to another DPoP key")
            grant = await _live_grant(connection, token.offer_id, request, now=now)
            granted = context.configurations.get(grant.configuration_id).scope
            if request.scopes is not None and request.scopes != (granted,):  # §6: not wider
                raise InvalidScope("the scope is not the one granted")
            spent = await connection.execute(
                update(refresh_tokens)
                .where(refresh_tokens.c.digest == token.digest, refresh_tokens.c.spent.is_(False))
                .values(spent=True)
            )
            if spent.rowcount == 1:
                return await _issue_tokens(
                    connection, context, grant, jkt=jkt, grant_expires_at=grant.expires_at
                )
        await end_grant(connection, token.offer_id, now=now)
    raise InvalidGrant("the refresh token was used before: the grant is revoked")


async def _live_grant(
    connection: AsyncConnection, offer_id: str, request: RefreshRequest, *, now: int
) -> Row[Any]:
    grant = (await connection.execute(select(offers).where(offers.c.id == offer_id))).one()
    if grant.state in _ENDED or grant.expires_at <= now:
        raise InvalidGrant("the grant has ended; authorize again")
    if request.client_id is not None and not constant_time_equals(
        grant.client_id, request.client_id
    ):
        raise InvalidGrant("the refresh token was issued to another client")
    return grant


async def _issue_tokens(
    connection: AsyncConnection,
    context: IssuerContext,
    grant: Row[Any],
    *,
    jkt: str | None,
    grant_expires_at: int,
) -> Grant:
    now = context.clock()
    ttl = context.settings.access_token_ttl_seconds
    access_token = new_bearer()
    await connection.execute(
        access_tokens.insert().values(
            digest=digest(access_token), offer_id=grant.id, expires_at=now + ttl, jkt=jkt
        )
    )
    refresh_token = None
    if jkt is not None:
        refresh_token = new_bearer()
        await connection.execute(
            refresh_tokens.insert().values(
                digest=digest(refresh_token),
                offer_id=grant.id,
                jkt=jkt,
                spent=False,
                expires_at=grant_expires_at,
            )
        )
    return Grant(
        access_token,
        ttl,
        token_type="Bearer" if jkt is None else "DPoP",
        refresh_token=refresh_token,
        scope=context.configurations.get(grant.configuration_id).scope,
    )


async def end_grant(connection: AsyncConnection, offer_id: str, *, now: int) -> None:
    """Revoke every access and refresh token of a grant and end it (credentials already
    issued keep their status: revoking them is the back office's decision)."""
    await connection.execute(delete(access_tokens).where(access_tokens.c.offer_id == offer_id))
    await connection.execute(
        update(refresh_tokens).where(refresh_tokens.c.offer_id == offer_id).values(spent=True)
    )
    await connection.execute(
        update(offers)
        .where(offers.c.id == offer_id, offers.c.expires_at > now)
        .values(expires_at=now)
    )
