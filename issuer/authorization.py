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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, select, update

from issuer.authenticators import Login
from issuer.codes import digest, new_bearer, new_id
from issuer.context import IssuerContext
from issuer.offers import checked_claims
from issuer.storage import for_update
from issuer.subjects import SubjectNotFound
from issuer.tables import authorization_requests, offers
from runtime.wire import InvalidRequest, InvalidScope, WireError
from specs.oauth import (
    AuthorizationReference,
    PushedAuthorizationRequest,
    build_authorization_error_response,
    build_authorization_response,
    build_request_uri,
)

LOGIN_TTL_SECONDS = 600
"""How long the citizen may take to log in once the browser reached /authorize."""


@dataclass(frozen=True, slots=True)
class PushedRequest:
    """The PAR endpoint's answer (RFC 9126 §2.2)."""

    request_uri: str
    expires_in: int


def code_flow_enabled(context: IssuerContext) -> bool:
    """The flow needs someone to log citizens in and somewhere to find their claims."""
    return context.authenticator is not None and context.subjects is not None


def seal_subject(context: IssuerContext, offer_id: str, subject: str) -> bytes:
    return context.sealer.seal(subject.encode(), context=b"subject:" + offer_id.encode())


def open_subject(context: IssuerContext, offer_id: str, sealed: bytes) -> str:
    return context.sealer.open(sealed, context=b"subject:" + offer_id.encode()).decode()


async def push(context: IssuerContext, request: PushedAuthorizationRequest) -> PushedRequest:
    if not code_flow_enabled(context):
        raise InvalidRequest("the authorization code flow is not enabled")
    configuration = context.configurations.by_scope(request.scopes)
    if configuration is None:
        raise InvalidScope("the scope must name exactly one credential configuration")
    reference = new_bearer()
    ttl = context.settings.authorization_request_ttl_seconds
    async with context.write() as connection:
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
                expires_at=context.clock() + ttl,
            )
        )
    return PushedRequest(build_request_uri(reference), ttl)


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
    if subject is None or not await _subject_known(context, subject, row.configuration_id):
        return build_authorization_error_response(
            row.redirect_uri, error="access_denied", state=row.state, issuer=context.issuer_id
        )
    code = await _create_grant(context, row, subject)
    return build_authorization_response(
        row.redirect_uri, code=code, state=row.state, issuer=context.issuer_id
    )


async def _subject_known(context: IssuerContext, subject: str, configuration_id: str) -> bool:
    """Whether the subject source has claims the configuration can carry for ``subject``."""
    assert context.subjects is not None  # code_flow_enabled was checked at the start
    try:
        found = await context.subjects.claims_for(subject, configuration_id=configuration_id)
        checked_claims(context, configuration_id, found)
    except (SubjectNotFound, WireError):
        return False
    return True


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
                sealed_subject=seal_subject(context, offer_id, subject),
            )
        )
    return code
