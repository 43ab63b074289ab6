"""Creating offers for the back office (OID4VCI 1.0 §4.1), with either grant of §4.1.1.

A pre-authorized offer binds one credential configuration, its claims (sealed at rest under
the storage key, with the offer id as associated data so sealed values cannot be swapped
between offers), a batch size, a pre-authorized code and, by default, a tx_code the agency
sends to the citizen out of band (§4.1.1: it protects against a stolen QR code or link).

An offer with the ``authorization_code`` grant (HAIP 1.0 §4.2 requires the grant; §4.1.1
``issuer_state``) carries a fresh random ``issuer_state`` instead, stored as a digest, and
neither claims nor a tx_code: the citizen logs in at the agency, and the credential endpoint
asks the subject source for the claims of whoever logged in, as for every code-flow grant.
It may name the subject the agency expects to log in (sealed); ``issuer.authorization``
binds the offer to one pushed request and checks that subject after the login.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import segno

from issuer.codes import digest, new_bearer, new_id, new_tx_code, tx_code_digest
from issuer.configurations import MAX_CLAIMS_BYTES, UnknownConfiguration, check_claims
from issuer.context import IssuerContext
from issuer.subjects import SubjectNotFound
from issuer.tables import offers
from runtime.wire import Forbidden, InvalidRequest
from specs.jose import dumps_compact
from specs.oid4vci import (
    AUTHORIZATION_CODE_GRANT,
    TxCode,
    build_credential_offer,
    offer_link,
    offer_link_by_reference,
)

MAX_OFFER_TTL = 30 * 86_400


class OfferGrant(StrEnum):
    """The grant an offer carries (OID4VCI 1.0 §4.1.1 ``grants``), as the back office names it."""

    PRE_AUTHORIZED_CODE = "pre-authorized_code"
    AUTHORIZATION_CODE = "authorization_code"


@dataclass(frozen=True, slots=True)
class OfferRequest:
    configuration_id: str
    claims: Mapping[str, Any] | None
    subject: str | None
    batch_size: int
    deferred: bool
    tx_code: bool
    expires_in: int | None
    grant: OfferGrant = OfferGrant.PRE_AUTHORIZED_CODE


@dataclass(frozen=True, slots=True)
class CreatedOffer:
    offer_id: str
    credential_offer: dict[str, Any]
    credential_offer_uri: str
    link: str
    link_by_reference: str
    tx_code: str | None
    expires_at: int

    def as_json(self, *, with_qr: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "offer_id": self.offer_id,
            "credential_offer": self.credential_offer,
            "credential_offer_uri": self.credential_offer_uri,
            "link": self.link,
            "link_by_reference": self.link_by_reference,
            "tx_code": self.tx_code,
            "expires_at": self.expires_at,
        }
        if with_qr:
            body["qr"] = qr_codes(self.link_by_reference)
        return body


def code_flow_enabled(context: IssuerContext) -> bool:
    """The code flow needs someone to log citizens in and somewhere to find their claims."""
    return context.authenticator is not None and context.subjects is not None


def seal_subject(context: IssuerContext, offer_id: str, subject: str) -> bytes:
    """A grant's subject, sealed and bound to its row, like an offer's claims."""
    return context.sealer.seal(subject.encode(), context=b"subject:" + offer_id.encode())


def open_subject(context: IssuerContext, offer_id: str, sealed: bytes) -> str:
    return context.sealer.open(sealed, context=b"subject:" + offer_id.encode()).decode()


def qr_codes(link: str) -> dict[str, str]:
    """The link as QR code, SVG text and PNG (base64): the by-reference link keeps it small."""
    code = segno.make(link, error="m")
    png = code.png_data_uri(scale=4).split(",", 1)[1]
    return {"svg": code.svg_inline(scale=4), "png_base64": png}


def seal_claims(context: IssuerContext, offer_id: str, claims: Mapping[str, Any]) -> bytes:
    return context.sealer.seal(dumps_compact(dict(claims)).encode(), context=offer_id.encode())


def open_claims(context: IssuerContext, offer_id: str, sealed: bytes) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(context.sealer.open(sealed, context=offer_id.encode()))
    return claims


def checked_claims(context: IssuerContext, configuration_id: str, claims: Any) -> dict[str, Any]:
    """The back office's claims, if the configuration may carry them (fixed error texts)."""
    configuration = context.configurations.get(configuration_id)
    if not isinstance(claims, Mapping):
        raise InvalidRequest("claims must be a JSON object")
    try:
        size = len(dumps_compact(dict(claims)).encode())
    except ValueError:
        # A JSON body may decode to NaN, an overflowing number or a lone surrogate, none of
        # which a signed credential can carry (RFC 8259 §6, RFC 7493 §2.1): refuse, never 500.
        raise InvalidRequest("claims must be finite numbers and valid Unicode") from None
    if size > MAX_CLAIMS_BYTES:
        raise InvalidRequest("claims are too large")
    problem = check_claims(configuration, claims)
    if problem is not None:
        raise InvalidRequest(problem)
    return dict(claims)


async def subject_claims(
    context: IssuerContext, subject: str, configuration_id: str
) -> dict[str, Any]:
    """The subject source's claims for ``subject``, if the configuration may carry them."""
    if context.subjects is None:
        raise InvalidRequest("no subject source is configured")
    try:
        found = await context.subjects.claims_for(subject, configuration_id=configuration_id)
    except SubjectNotFound:
        raise InvalidRequest("the subject source has no claims for this subject") from None
    return checked_claims(context, configuration_id, found)


async def _claims_of(context: IssuerContext, request: OfferRequest) -> dict[str, Any] | None:
    if request.claims is not None and request.subject is not None:
        raise InvalidRequest("give either claims or subject, not both")
    if request.subject is not None:
        return await subject_claims(context, request.subject, request.configuration_id)
    if request.claims is None:
        if not request.deferred:
            raise InvalidRequest("claims or subject are required")
        return None
    return checked_claims(context, request.configuration_id, request.claims)


@dataclass(frozen=True, slots=True)
class _Grant:
    """What one grant type adds to an offer: its object, its columns, a tx_code to show."""

    offer: dict[str, Any]
    columns: dict[str, Any]
    tx_code: str | None = None


async def _pre_authorized_grant(
    context: IssuerContext, request: OfferRequest, offer_id: str
) -> _Grant:
    """§4.1.1 ``urn:ietf:params:oauth:grant-type:pre-authorized_code``: claims held sealed
    until redemption, a pre-authorized code and (by default) a tx_code, both as digests."""
    claims = await _claims_of(context, request)
    code = new_bearer()
    tx_code = new_tx_code(context.settings.tx_code_length) if request.tx_code else None
    tx_spec = None
    if tx_code is not None:
        tx_spec = TxCode(
            "numeric", len(tx_code), "Enter the code the agency sent you by letter or SMS"
        )
    offer = build_credential_offer(
        credential_issuer=context.issuer_id,
        configuration_ids=[request.configuration_id],
        pre_authorized_code=code,
        tx_code=tx_spec,
    )
    columns = {
        "code_digest": digest(code),
        "tx_code_digest": tx_code_digest(tx_code, key=context.tx_code_key, offer_id=offer_id)
        if tx_code
        else None,
        "deferred": request.deferred,
        "approved": not request.deferred,
        "sealed_claims": seal_claims(context, offer_id, claims) if claims else None,
    }
    return _Grant(offer, columns, tx_code)


async def _authorization_code_grant(
    context: IssuerContext, request: OfferRequest, offer_id: str
) -> _Grant:
    """§4.1.1 ``authorization_code`` with a fresh ``issuer_state`` (HAIP 1.0 §4.2).

    No ``authorization_server``: this issuer is its own authorization server. No claims and
    no tx_code: the citizen's login at the agency takes the tx_code's place, and the claims
    come from the subject source at issuance. A named subject must be known to the source
    now, so the agency hears of a typo at once rather than the citizen at the login.
    """
    if not code_flow_enabled(context):
        raise InvalidRequest("the authorization code flow is not enabled")
    if request.claims is not None:
        raise InvalidRequest("an authorization_code offer carries no claims; give subject")
    if request.tx_code:
        raise InvalidRequest("an authorization_code offer has no tx_code")
    if request.deferred:
        raise InvalidRequest("an authorization_code offer cannot be deferred")
    sealed_subject = None
    if request.subject is not None:
        await subject_claims(context, request.subject, request.configuration_id)
        sealed_subject = seal_subject(context, offer_id, request.subject)
    issuer_state = new_bearer()
    offer = {
        "credential_issuer": context.issuer_id,
        "credential_configuration_ids": [request.configuration_id],
        "grants": {AUTHORIZATION_CODE_GRANT: {"issuer_state": issuer_state}},
    }
    columns = {
        "code_digest": digest(new_bearer()),  # nobody holds it: no code until the login
        "tx_code_digest": None,
        "deferred": False,
        "approved": True,
        "sealed_claims": None,
        "sealed_subject": sealed_subject,
        "issuer_state_digest": digest(issuer_state),
    }
    return _Grant(offer, columns)


def _checked_ttl(context: IssuerContext, request: OfferRequest, allowed: frozenset[str]) -> int:
    try:
        context.configurations.get(request.configuration_id)
    except UnknownConfiguration:
        raise InvalidRequest("unknown credential configuration") from None
    if request.configuration_id not in allowed:
        raise Forbidden("this API key may not offer that credential configuration")
    if not 1 <= request.batch_size <= context.settings.max_batch_size:
        raise InvalidRequest("batch_size is out of range")
    ttl = request.expires_in or context.settings.offer_ttl_seconds
    if not 60 <= ttl <= MAX_OFFER_TTL:
        raise InvalidRequest("expires_in is out of range")
    return ttl


async def create_offer(
    context: IssuerContext,
    request: OfferRequest,
    *,
    api_key_id: str | None,
    allowed: frozenset[str],
) -> CreatedOffer:
    """Validate, seal and store an offer; its secrets are returned once and stored as
    digests (the pre-authorized code and tx_code, or the ``issuer_state``)."""
    ttl = _checked_ttl(context, request, allowed)
    offer_id = new_id()
    if request.grant is OfferGrant.AUTHORIZATION_CODE:
        grant = await _authorization_code_grant(context, request, offer_id)
    else:
        grant = await _pre_authorized_grant(context, request, offer_id)
    now = context.clock()
    offer_uri = context.url(f"/offers/{offer_id}")
    async with context.write() as connection:
        await connection.execute(
            offers.insert().values(
                id=offer_id,
                api_key_id=api_key_id,
                configuration_id=request.configuration_id,
                batch_size=request.batch_size,
                tx_attempts=0,
                state="offered",
                sealed_offer=context.sealer.seal(
                    dumps_compact(grant.offer).encode(), context=b"offer:" + offer_id.encode()
                ),
                created_at=now,
                expires_at=now + ttl,
                **grant.columns,
            )
        )
    return CreatedOffer(
        offer_id,
        grant.offer,
        offer_uri,
        offer_link(grant.offer),
        offer_link_by_reference(offer_uri),
        grant.tx_code,
        now + ttl,
    )


def png_bytes(created: dict[str, Any]) -> bytes:
    """The PNG of a created offer's QR code (for the command line's ``--qr`` file)."""
    return base64.b64decode(created["qr"]["png_base64"])
