"""The authorization side of the code flow: pushed requests, the citizen's login, the code.

OpenID4VCI 1.0 §5 on OAuth 2.0 as HAIP 1.0 §4.3 profiles it:

1. ``push`` (the PAR endpoint, RFC 9126 §2): the request's ``scope`` must name exactly one
   credential configuration (``invalid_scope`` otherwise, HAIP §4.3); the request is kept
   under the digest of a fresh random reference, returned as ``request_uri``, for
   ``authorization_request_ttl_seconds``.
2. ``begin_login`` (the authorization endpoint, RFC 9126 §4): the ``request_uri`` is spent by
   one conditional UPDATE that also requires the same ``client_id`` and an unexpired request,
   so it works once, briefly, and only for the client that pushed it. The citizen then has
   ``LOGIN_TTL_SECONDS`` to log in with the authenticator.
3. ``finish_login`` (at the end of the login): the login handle is spent by deleting the
   request's row; the subject source must know the subject for the configuration (else
   ``access_denied``); the grant is created as a row of ``offers`` in state ``authorized``
   with the code's digest, the client, the redirect URI, the PKCE challenge and the sealed
   subject, but no claims (DESIGN §5: the credential endpoint asks the subject source when
   it issues). The browser goes back to the redirect URI with ``code``, ``state`` and ``iss``
   (RFC 9207).

A PAR that carries ``issuer_state`` (OpenID4VCI 1.0 §5.1.3) answers a Credential Offer with
the ``authorization_code`` grant (HAIP 1.0 §4.2, ``issuer.offers``): it must name a live
offer of this issuer (``invalid_request``) whose configuration is the request's ``scope``
(``invalid_scope``), and it spends the offer (``offered`` -> ``used``) by a conditional
UPDATE in the same transaction that stores the request, so of two wallets with the same
offer exactly one gets on. After the login the offer's own row becomes the grant, so the
back office follows it, and revokes its credentials, under the offer id it knows; when the
offer names a subject and someone else logged in, the answer is ``access_denied`` and the
offer is ``denied`` for good. Without ``issuer_state`` the flow is the wallet's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from issuer.authenticators import Login
from issuer.codes import digest, new_bearer, new_id
from issuer.context import IssuerContext
from issuer.offers import code_flow_enabled, open_subject, seal_subject, subject_claims
from issuer.storage import for_update
from issuer.tables import authorization_requests, offers
from runtime.wire import InvalidRequest, InvalidScope, WireError
from specs.jose import constant_time_equals
from specs.oauth import (
    AuthorizationReference,
    PushedAuthorizationRequest,
    build_authorization_error_response,
    build_authorization_response,
    build_request_uri,
)

# code_flow_enabled and the subject sealing live in issuer.offers (an offer may name a
# subject too) and stay importable from here, where the code flow is.
__all__ = [
    "LOGIN_TTL_SECONDS",
    "PushedRequest",
    "begin_login",
    "code_flow_enabled",
    "finish_login",
    "open_subject",
    "push",
    "seal_subject",
]

LOGIN_TTL_SECONDS = 600
"""How long the citizen may take to log in once the browser reached /authorize."""


@dataclass(frozen=True, slots=True)
class PushedRequest:
    """The PAR endpoint's answer (RFC 9126 §2.2)."""

    request_uri: str
    expires_in: int


async def push(
    context: IssuerContext, request: PushedAuthorizationRequest, *, dpop_jkt: str | None = None
) -> PushedRequest:
    """Keep the pushed request; ``dpop_jkt`` is the DPoP key its code will be bound to (RFC
    9449 §10: the ``dpop_jkt`` parameter, or the key of a DPoP proof sent to this endpoint)."""
    if not code_flow_enabled(context):
        raise InvalidRequest("the authorization code flow is not enabled")
    configuration = context.configurations.by_scope(request.scopes)
    if configuration is None:
        raise InvalidScope("the scope must name exactly one credential configuration")
    reference, now = new_bearer(), context.clock()
    ttl = context.settings.authorization_request_ttl_seconds
    async with context.write() as connection:
        offer_id = None
        if request.issuer_state is not None:
            offer_id = await _use_offer(
                connection, request.issuer_state, configuration_id=configuration.id, now=now
            )
        await connection.execute(
            authorization_requests.insert().values(
                digest=digest(reference),
                status="pushed",
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                configuration_id=configuration.id,
                code_challenge=request.code_challenge,
                state=request.state,
                login_hint=request.login_hint,
                expires_at=now + ttl,
                offer_id=offer_id,
                dpop_jkt=dpop_jkt,
            )
        )
    return PushedRequest(build_request_uri(reference), ttl)


async def _use_offer(
    connection: AsyncConnection, issuer_state: str, *, configuration_id: str, now: int
) -> str:
    """Spend the offer that ``issuer_state`` names (OpenID4VCI 1.0 §5.1.3): live, of the
    request's configuration, and once; the caller's transaction stores the request with it."""
    key = digest(issuer_state)
    live = (
        offers.c.issuer_state_digest == key,
        offers.c.state == "offered",
        offers.c.expires_at > now,
    )
    row = (
        await connection.execute(select(offers.c.id, offers.c.configuration_id).where(*live))
    ).first()
    if row is None:
        raise InvalidRequest("issuer_state does not name a live credential offer")
    if row.configuration_id != configuration_id:
        raise InvalidScope("the scope is not the credential configuration of the offer")
    used = await connection.execute(
        update(offers).where(offers.c.id == row.id, *live).values(state="used", sealed_offer=None)
    )
    if used.rowcount != 1:  # another request took it first
        raise InvalidRequest("issuer_state does not name a live credential offer")
    return str(row.id)


async def begin_login(context: IssuerContext, reference: AuthorizationReference) -> Login:
    """Spend the ``request_uri`` (once, unexpired, same client) and open a login."""
    if not code_flow_enabled(context):
        raise InvalidRequest("the authorization code flow is not enabled")
    handle, now = new_bearer(), context.clock()
    key = digest(reference.reference)
    async with context.write() as connection:
        spent = await connection.execute(
            update(authorization_requests)
            .where(
                authorization_requests.c.digest == key,
                authorization_requests.c.status == "pushed",
                authorization_requests.c.client_id == reference.client_id,
                authorization_requests.c.expires_at > now,
            )
            .values(status="login", login_digest=digest(handle), expires_at=now + LOGIN_TTL_SECONDS)
        )
        if spent.rowcount != 1:
            raise InvalidRequest("the request_uri is unknown, expired or already used")
        row = (
            await connection.execute(
                select(
                    authorization_requests.c.configuration_id,
                    authorization_requests.c.login_hint,
                ).where(authorization_requests.c.digest == key)
            )
        ).one()
    return Login(handle, row.configuration_id, row.login_hint, context.url("/authorize/callback"))


async def finish_login(context: IssuerContext, handle: str, subject: str | None) -> str:
    """Where the browser goes next: the client's redirect URI with a code, or an error."""
    now = context.clock()
    async with context.write() as connection:
        query = select(authorization_requests).where(
            authorization_requests.c.login_digest == digest(handle),
            authorization_requests.c.status == "login",
        )
        if for_update(connection):
            query = query.with_for_update()
        row = (await connection.execute(query)).first()
        if row is None or row.expires_at <= now:
            raise InvalidRequest("the login is unknown or expired")
        ended = await connection.execute(
            delete(authorization_requests).where(
                authorization_requests.c.digest == row.digest,
                authorization_requests.c.status == "login",
            )
        )
        if ended.rowcount != 1:
            raise InvalidRequest("the login is unknown or expired")
    code: str | None = None
    if row.offer_id is not None:
        code = await _grant_from_offer(context, row, subject)
    elif subject is not None and await _subject_known(context, subject, row.configuration_id):
        code = await _create_grant(context, row, subject)
    if code is None:
        return build_authorization_error_response(
            row.redirect_uri, error="access_denied", state=row.state, issuer=context.issuer_id
        )
    return build_authorization_response(
        row.redirect_uri, code=code, state=row.state, issuer=context.issuer_id
    )


async def _subject_known(context: IssuerContext, subject: str, configuration_id: str) -> bool:
    """Whether the subject source has claims the configuration can carry for ``subject``."""
    try:
        await subject_claims(context, subject, configuration_id)
    except WireError:
        return False
    return True


async def _grant_from_offer(
    context: IssuerContext, request: Row[Any], subject: str | None
) -> str | None:
    """The used offer's row becomes the grant, with a code, when the login named the offer's
    subject (if it names one) and the source knows it; otherwise the offer is ``denied``
    (someone else holds the citizen's link, or the citizen gave up) and ``None`` comes back.
    The UPDATEs are conditional: a withdrawn or expired offer grants nothing."""
    offer_id = request.offer_id
    async with context.read() as connection:
        offer = (
            await connection.execute(
                select(offers.c.sealed_subject).where(
                    offers.c.id == offer_id, offers.c.state == "used"
                )
            )
        ).first()
    expected = None
    if offer is not None and offer.sealed_subject is not None:
        expected = open_subject(context, offer_id, offer.sealed_subject)
    accepted = (
        offer is not None
        and subject is not None
        and (expected is None or constant_time_equals(expected, subject))
        and await _subject_known(context, subject, request.configuration_id)
    )
    code, now = new_bearer(), context.clock()
    used = (offers.c.id == offer_id, offers.c.state == "used")
    async with context.write() as connection:
        if not accepted or subject is None:
            await connection.execute(
                update(offers).where(*used).values(state="denied", sealed_subject=None)
            )
            return None
        granted = await connection.execute(
            update(offers)
            .where(*used, offers.c.expires_at > now)
            .values(
                state="authorized",
                code_digest=digest(code),
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge,
                dpop_jkt=request.dpop_jkt,
                sealed_subject=seal_subject(context, offer_id, subject),
                expires_at=now + context.settings.authorization_code_ttl_seconds,
            )
        )
    return code if granted.rowcount == 1 else None


async def _create_grant(context: IssuerContext, request: Row[Any], subject: str) -> str:
    """The grant row (no claims) and its single-use code, valid for a short while."""
    code, offer_id, now = new_bearer(), new_id(), context.clock()
    settings = context.settings
    async with context.write() as connection:
        await connection.execute(
            offers.insert().values(
                id=offer_id,
                api_key_id=None,
                configuration_id=request.configuration_id,
                batch_size=settings.max_batch_size,
                code_digest=digest(code),
                tx_code_digest=None,
                tx_attempts=0,
                state="authorized",
                deferred=False,
                approved=True,
                sealed_claims=None,
                sealed_offer=None,
                created_at=now,
                expires_at=now + settings.authorization_code_ttl_seconds,
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge,
                dpop_jkt=request.dpop_jkt,
                sealed_subject=seal_subject(context, offer_id, subject),
            )
        )
    return code
