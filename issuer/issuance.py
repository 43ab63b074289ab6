"""The credential, deferred credential and notification endpoints' work (OID4VCI 1.0 §8, §9, §11).

One database transaction per protocol step: spend the c_nonce, check the offer still holds
its claims, supersede an earlier response that may never have arrived, allocate the status
indices, sign, and record the issuance (no content).

When is a response delivered? A server cannot know that its bytes reached the wallet: they
can be written to the socket and still be lost with the connection. So the claims stay
sealed for ``redelivery_window_seconds`` after issuance and are deleted as soon as the wallet
sends a notification (§11: any event proves it has the response) or the window ends (the
sweeper). A retry inside the window (same access token, fresh proofs) is served from the
sealed claims with new status indices, and the lost response's indices are revoked. So no
status index ever belongs to two credentials, no offer is redeemed twice, and a response
lost in transit is not lost for good (THREATS I-11).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from issuer.authorization import open_subject
from issuer.codes import digest, new_bearer, new_id
from issuer.configurations import UnknownConfiguration
from issuer.context import IssuerContext
from issuer.credentials import Validity, credential_payload, sign_batch
from issuer.nonces import spend_nonce
from issuer.offers import checked_claims, open_claims
from issuer.status_lists import allocate, invalidate_issuance, status_list_uri
from issuer.storage import for_update
from issuer.subjects import SubjectNotFound
from issuer.tables import deferred, issuances, offers
from issuer.webhooks import enqueue
from issuer.wire_tables import PROOF_ERRORS
from runtime.wire import (
    CredentialRequestDenied,
    InvalidNonce,
    InvalidTransactionId,
    UnknownCredentialConfiguration,
    UnknownCredentialIdentifier,
    WireError,
)
from specs.errors import Oid4vciReason, Rejected
from specs.jose import JwsAlg, PublicJwk, parse_public_jwk
from specs.oid4vci import CredentialRequest, VerifiedProof, check_proof_batch, verify_jwt_proof
from specs.oid4vci.proof import verify_attestation_proof

_LIVE = ("redeemed", "issued")
_GRANT_LIVE = ("redeemed", "issued", "delivered")
OfferRow = Row[Any]  # a row of ``offers``


@dataclass(frozen=True, slots=True)
class Issued:
    credentials: list[str]
    notification_id: str
    issuance_id: str
    offer_id: str


@dataclass(frozen=True, slots=True)
class Deferred:
    transaction_id: str
    interval: int


def verify_proofs(
    context: IssuerContext, jwt_proofs: Sequence[str], *, attestation_proof: str | None = None
) -> list[VerifiedProof]:
    """Appendix F.4: every proof, then the batch rules (one nonce, distinct keys).

    ``jwt`` proofs (F.1) go through the key attestation policy (HAIP §4.5.1: required in
    strict mode, checked whenever sent and roots are configured); an ``attestation`` proof
    (F.3) stands for one proof per attested key. Either way the nonce is the ``c_nonce`` the
    caller then spends.
    """
    settings = context.settings
    now = context.clock()
    policy = context.key_attestation
    try:
        if attestation_proof is not None:
            if policy is None:  # the parser accepts the type only with a policy; never skip it
                raise Rejected(Oid4vciReason.UNSUPPORTED_PROOF_TYPE)
            proofs = list(
                verify_attestation_proof(
                    attestation_proof,
                    policy=policy,
                    now=now,
                    require_nonce=True,
                    max_keys=settings.max_batch_size,
                )
            )
        else:
            proofs = [
                verify_jwt_proof(
                    token,
                    audience=context.issuer_id,
                    now=now,
                    max_age=settings.proof_max_age_seconds,
                    leeway=settings.clock_leeway_seconds,
                    algorithms={JwsAlg.ES256},
                    require_nonce=True,
                    key_attestation=policy,
                )
                for token in jwt_proofs
            ]
        check_proof_batch(proofs)
    except Rejected as rejected:
        raise PROOF_ERRORS(rejected) from None
    return proofs


async def _locked_offer(connection: AsyncConnection, offer_id: str) -> OfferRow | None:
    """The offer's row, locked for the rest of the transaction on PostgreSQL."""
    query = select(offers).where(offers.c.id == offer_id)
    if for_update(connection):
        query = query.with_for_update()
    return (await connection.execute(query)).first()


def _still_live(offer: OfferRow | None, now: int) -> OfferRow:
    """The offer, or the authorization code grant, if it can still issue.

    A grant may issue again after delivery (a refresh fetches a fresh batch), so for a grant
    ``delivered`` is live too, until the grant expires.
    """
    live = _GRANT_LIVE if offer is not None and offer.sealed_subject is not None else _LIVE
    if offer is None or offer.state not in live or offer.expires_at <= now:
        raise CredentialRequestDenied("this offer has been issued, expired or withdrawn")
    return offer


async def _live_offer(connection: AsyncConnection, offer_id: str, now: int) -> OfferRow:
    return _still_live(await _locked_offer(connection, offer_id), now)


async def _grant_claims(context: IssuerContext, offer_id: str, grant: OfferRow) -> dict[str, Any]:
    """For an authorization code grant, the subject's claims as the source has them now (so a
    refreshed batch reflects changed data). Asked outside any transaction, so no lock waits
    on the agency's register."""
    if context.subjects is None:
        raise CredentialRequestDenied("the subject source is not available")
    try:
        subject = open_subject(context, offer_id, grant.sealed_subject)
        found = await context.subjects.claims_for(subject, configuration_id=grant.configuration_id)
        return checked_claims(context, grant.configuration_id, found)
    except (SubjectNotFound, WireError):
        raise CredentialRequestDenied("the subject source has no claims for this grant") from None


async def request_credentials(
    context: IssuerContext, offer_id: str, request: CredentialRequest
) -> Issued | Deferred:
    """One transaction for an offer, which holds its own claims: lock the offer, spend the
    c_nonce, issue. An authorization code grant takes two: the first only finds that the
    claims must come from the subject source (asked between the two, outside any
    transaction), the second is the step itself; nothing is written until then."""
    if request.credential_identifier is not None:
        raise UnknownCredentialIdentifier("credential identifiers are not issued by this issuer")
    assert request.configuration_id is not None  # parse_credential_request: exactly one of both
    try:
        context.configurations.get(request.configuration_id)
    except UnknownConfiguration:
        raise UnknownCredentialConfiguration("unknown credential configuration") from None
    proofs = verify_proofs(context, request.jwt_proofs, attestation_proof=request.attestation_proof)
    async with context.write() as connection:
        offer = await _locked_offer(connection, offer_id)
        if offer is None or offer.sealed_subject is None:
            return await _spend_and_issue(connection, context, offer, request, proofs, claims=None)
    claims = await _grant_claims(context, offer_id, offer)
    async with context.write() as connection:
        offer = await _locked_offer(connection, offer_id)
        return await _spend_and_issue(connection, context, offer, request, proofs, claims=claims)


async def _spend_and_issue(
    connection: AsyncConnection,
    context: IssuerContext,
    offer: OfferRow | None,
    request: CredentialRequest,
    proofs: list[VerifiedProof],
    *,
    claims: dict[str, Any] | None,
) -> Issued | Deferred:
    """The c_nonce first (§7.2: an unknown or spent nonce is ``invalid_nonce`` whatever the
    offer's state), then the offer's state as read at the start of this step, then the batch.

    The offer was read in this same write step: on PostgreSQL ``FOR UPDATE`` locks its row,
    on SQLite the step began with ``BEGIN IMMEDIATE`` (``runtime.database``), so no revoke,
    expiry or notification of another worker can come between that read and this write."""
    now = context.clock()
    nonce = proofs[0].nonce
    if nonce is None or not await spend_nonce(connection, nonce, key=context.nonce_key, now=now):
        raise InvalidNonce("the c_nonce is unknown, expired or already used")
    offer = _still_live(offer, now)
    if offer.configuration_id != request.configuration_id:
        raise CredentialRequestDenied("the access token does not cover this configuration")
    keys = [proof.holder_key for proof in proofs][: offer.batch_size]
    if offer.deferred and not offer.approved:
        return await _defer(connection, context, offer.id, keys)
    return await _issue(connection, context, offer, keys, claims=claims)


async def _defer(
    connection: AsyncConnection, context: IssuerContext, offer_id: str, keys: list[PublicJwk]
) -> Deferred:
    transaction_id = new_bearer()
    await connection.execute(delete(deferred).where(deferred.c.offer_id == offer_id))
    await connection.execute(
        deferred.insert().values(
            digest=digest(transaction_id),
            offer_id=offer_id,
            holder_keys=json.dumps([key.to_jwk() for key in keys]),
            created_at=context.clock(),
        )
    )
    return Deferred(transaction_id, context.settings.deferred_interval_seconds)


async def _issue(
    connection: AsyncConnection,
    context: IssuerContext,
    offer: OfferRow,
    keys: list[PublicJwk],
    *,
    claims: dict[str, Any] | None = None,
) -> Issued:
    """Sign a batch from ``claims`` (a grant's, just read) or the offer's sealed claims."""
    offer_id: str = offer.id
    sealed = offer.sealed_claims
    if claims is None and sealed is None:
        raise CredentialRequestDenied("this offer has been issued, expired or withdrawn")
    earlier = (
        await connection.execute(
            select(issuances.c.id).where(
                issuances.c.offer_id == offer_id, issuances.c.superseded.is_(False)
            )
        )
    ).scalars()
    for issuance_id in list(earlier):
        await invalidate_issuance(connection, issuance_id=issuance_id)
        await connection.execute(
            update(issuances).where(issuances.c.id == issuance_id).values(superseded=True)
        )
    configuration = context.configurations.get(offer.configuration_id)
    issuance_id, notification_id = new_id(), new_bearer()
    now = context.clock()
    await connection.execute(
        issuances.insert().values(
            id=issuance_id,
            offer_id=offer_id,
            notification_id=notification_id,
            count=len(keys),
            issued_at=now,
            superseded=False,
        )
    )
    allocations = await allocate(
        connection, context, issuance_id=issuance_id, offer_id=offer_id, count=len(keys)
    )
    settings = context.settings
    credentials = sign_batch(
        credential_payload(configuration, claims or open_claims(context, offer_id, sealed)),
        vct=configuration.vct,
        issuer_id=context.issuer_id,
        signer=context.keys.active,
        holder_keys=keys,
        allocations=allocations,
        status_uri=lambda list_id: status_list_uri(context, list_id),
        validity=Validity.rounded(
            now,
            granularity=settings.timestamp_granularity_seconds,
            days=settings.credential_validity_days,
        ),
        random_bytes=context.random_bytes,
        allow_http=context.development,
    )
    await connection.execute(update(offers).where(offers.c.id == offer_id).values(state="issued"))
    return Issued(credentials, notification_id, issuance_id, offer_id)


async def fetch_deferred(
    context: IssuerContext, offer_id: str, transaction_id: str
) -> Issued | Deferred:
    """§9.2: the credentials once the back office approved; until then the same
    ``transaction_id`` again with the ``interval`` to wait (HTTP 202 at the edge).

    The transaction stays valid until the wallet confirms or the redelivery window ends, so
    a deferred answer lost in transit is served again (re-issued, the lost one revoked).
    """
    now = context.clock()
    async with context.write() as connection:
        row = (
            await connection.execute(
                select(deferred).where(
                    deferred.c.digest == digest(transaction_id), deferred.c.offer_id == offer_id
                )
            )
        ).first()
        if row is None:
            raise InvalidTransactionId("unknown transaction_id")
        try:
            offer = await _live_offer(connection, offer_id, now)
        except CredentialRequestDenied:
            raise InvalidTransactionId("unknown transaction_id") from None
        if not offer.approved:
            return Deferred(transaction_id, context.settings.deferred_interval_seconds)
        keys = [parse_public_jwk(jwk) for jwk in json.loads(row.holder_keys)]
        return await _issue(connection, context, offer, keys)


async def mark_delivered(
    connection: AsyncConnection, context: IssuerContext, offer_id: str
) -> None:
    """The wallet confirmed (a notification): forget the claims and the offer's secrets."""
    result = await connection.execute(
        update(offers)
        .where(offers.c.id == offer_id, offers.c.state == "issued")
        .values(state="delivered", sealed_claims=None)
    )
    if result.rowcount == 1:
        await connection.execute(delete(deferred).where(deferred.c.offer_id == offer_id))
        await enqueue(connection, context, "offer.delivered", {"offer_id": offer_id})
