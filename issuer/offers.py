"""Creating offers for the back office (OID4VCI 1.0 §4.1, pre-authorized code flow).

An offer binds one credential configuration, its claims (sealed at rest under the storage
key, with the offer id as associated data so sealed values cannot be swapped between
offers), a batch size, a pre-authorized code and, by default, a tx_code the agency sends
to the citizen out of band (§4.1.1: it protects against a stolen QR code or link).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import segno

from issuer.codes import digest, new_bearer, new_id, new_tx_code, tx_code_digest
from issuer.configurations import MAX_CLAIMS_BYTES, UnknownConfiguration, check_claims
from issuer.context import IssuerContext
from issuer.subjects import SubjectNotFound
from issuer.tables import offers
from runtime.wire import Forbidden, InvalidRequest
from specs.jose import dumps_compact
from specs.oid4vci import TxCode, build_credential_offer, offer_link, offer_link_by_reference

MAX_OFFER_TTL = 30 * 86_400


@dataclass(frozen=True, slots=True)
class OfferRequest:
    configuration_id: str
    claims: Mapping[str, Any] | None
    subject: str | None
    batch_size: int
    deferred: bool
    tx_code: bool
    expires_in: int | None


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
    if len(dumps_compact(dict(claims)).encode()) > MAX_CLAIMS_BYTES:
        raise InvalidRequest("claims are too large")
    problem = check_claims(configuration, claims)
    if problem is not None:
        raise InvalidRequest(problem)
    return dict(claims)


async def _claims_of(context: IssuerContext, request: OfferRequest) -> dict[str, Any] | None:
    if request.claims is not None and request.subject is not None:
        raise InvalidRequest("give either claims or subject, not both")
    if request.subject is not None:
        if context.subjects is None:
            raise InvalidRequest("no subject source is configured")
        try:
            found = await context.subjects.claims_for(
                request.subject, configuration_id=request.configuration_id
            )
        except SubjectNotFound:
            raise InvalidRequest("the subject source has no claims for this subject") from None
        return checked_claims(context, request.configuration_id, found)
    if request.claims is None:
        if not request.deferred:
            raise InvalidRequest("claims or subject are required")
        return None
    return checked_claims(context, request.configuration_id, request.claims)


async def create_offer(
    context: IssuerContext,
    request: OfferRequest,
    *,
    api_key_id: str | None,
    allowed: frozenset[str],
) -> CreatedOffer:
    """Validate, seal and store an offer; the codes are returned once and stored as digests."""
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
    claims = await _claims_of(context, request)
    now = context.clock()
    offer_id, code = new_id(), new_bearer()
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
    offer_uri = context.url(f"/offers/{offer_id}")
    async with context.write() as connection:
        await connection.execute(
            offers.insert().values(
                id=offer_id,
                api_key_id=api_key_id,
                configuration_id=request.configuration_id,
                batch_size=request.batch_size,
                code_digest=digest(code),
                tx_code_digest=tx_code_digest(tx_code, key=context.tx_code_key, offer_id=offer_id)
                if tx_code
                else None,
                tx_attempts=0,
                state="offered",
                deferred=request.deferred,
                approved=not request.deferred,
                sealed_claims=seal_claims(context, offer_id, claims) if claims else None,
                sealed_offer=context.sealer.seal(
                    dumps_compact(offer).encode(), context=b"offer:" + offer_id.encode()
                ),
                created_at=now,
                expires_at=now + ttl,
            )
        )
    return CreatedOffer(
        offer_id,
        offer,
        offer_uri,
        offer_link(offer),
        offer_link_by_reference(offer_uri),
        tx_code,
        now + ttl,
    )


def png_bytes(created: dict[str, Any]) -> bytes:
    """The PNG of a created offer's QR code (for the command line's ``--qr`` file)."""
    return base64.b64decode(created["qr"]["png_base64"])
