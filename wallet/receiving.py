"""Accepting a credential offer for an account whose keys live on the device.

::

    POST /v1/issuances           offer, tx_code, device public keys
        └─ IssuanceClient.redeem: offer, issuer metadata (§12.2.4), trust registry, then
           the tx_code, the token and a c_nonce  ─> key-proof signing inputs to the device
    POST /v1/issuances/{id}/signatures
        └─ proofs built again with the device's signatures (``device_signing``) ─> the
           Credential Request ─> every credential verified (``received``) and its issuer key
           checked in the registry (a credential with ``x5c`` by the key reference of the
           root its chain ends in, HAIP §6.1.1) ─> batch stored sealed, discovery re-run,
           notices kept,
           all in one transaction ─> ``credential_accepted`` to the issuer

The access token and nonce wait between the two requests sealed under the account's vault
(``records.ISSUANCE``), for ``pending_ttl_seconds``. When the issuer refuses the nonce, the
device gets new signing inputs (``status: signatures_needed``) instead of an error.

The authorization code flow (``authorizing``) and refresh end in the same pending step
(:func:`await_signatures`); a batch that came with a refresh token keeps its grant
(``grants``), and a refreshed batch replaces the one it was refreshed from, in the same
transaction that stores it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography import x509
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.credential_types import credential_types
from runtime.wire import NotFound
from specs.errors import Rejected
from specs.jose import PublicJwk, b64url_decode, parse_public_jwk
from specs.rules import HeldCredential
from specs.sd_jwt_vc import x5c_key_refs
from specs.trust import TrustSnapshot, check_issuer
from wallet import grants, records
from wallet.context import WalletContext
from wallet.device_auth import Session
from wallet.device_signing import (
    CollectingSigner,
    DeviceSignatureRefused,
    SigningRequest,
    collect_signing_requests,
    sign_with_device,
)
from wallet.entitlements import remember, scan
from wallet.holdings import (
    NewInstance,
    drop_batch,
    rule_credentials,
    store_batch,
    unused_instances,
)
from wallet.issuance import (
    IssuanceClient,
    IssuanceFailed,
    IssuanceResult,
    NonceRenewed,
    RedeemedOffer,
)
from wallet.issuance_errors import IssuanceReason
from wallet.received import ReceivedCredential
from wallet.slots import slots
from wallet.wire_errors import BadSignatures, InvalidRequest, PeerUnreachable, Refused

MAX_KEYS = 20

#: Failures that are the issuer's or the network's, not a rule the issuer broke.
_PEER_FAILURES = frozenset(
    {
        IssuanceReason.ISSUER_UNREACHABLE,
        IssuanceReason.ISSUER_ERROR,
        IssuanceReason.DEFERRED_NOT_READY,
    }
)


class RegistryIssuerTrust:
    """``IssuerTrust`` from the registry: registered, in force, authorised for the type."""

    def __init__(self, context: WalletContext) -> None:
        self._context = context

    async def check(self, issuer: str, vct: str) -> None:
        now = self._context.clock()
        entry = self._context.trust.snapshot(now=now).issuers.get(issuer)
        if entry is None or vct not in entry.vcts:
            raise LookupError("issuer not registered for this credential type")
        if not entry.valid_from <= now < entry.valid_until or now < entry.effective_from:
            raise LookupError("issuer registration not in force")


def client(context: WalletContext) -> IssuanceClient:
    return IssuanceClient(
        policy=context.fetch_policy,
        clock=context.clock,
        trust=RegistryIssuerTrust(context),
        transport=context.transport,
        provider=context.provider,
    )


def to_wire(failed: IssuanceFailed) -> Exception:
    if failed.reason in _PEER_FAILURES:
        return PeerUnreachable(failed.reason.value)
    return Refused(failed.reason.value)


def device_keys(jwks: Sequence[Any]) -> list[PublicJwk]:
    if not 1 <= len(jwks) <= MAX_KEYS:
        raise InvalidRequest(f"1 to {MAX_KEYS} device keys")
    try:
        keys = [parse_public_jwk(jwk) for jwk in jwks]
    except Rejected:
        raise InvalidRequest("a device key is not a public ES256 JWK") from None
    if len({k.thumbprint() for k in keys}) != len(keys):
        raise InvalidRequest("device keys must differ (one per instance)")
    return keys


async def _slot_keys(
    context: WalletContext, session: Session, redeemed: RedeemedOffer, fresh: list[PublicJwk]
) -> list[PublicJwk]:
    """The keys to bind the batch to (``wallet.slots``: one holder key per slot, so a
    presentation combining credentials proves one holder without reusing a shown key):
    first the unburned slots that lack this credential type, then those holding an older
    statement of it (a newer one supersedes it there: answers take the newest), then the
    device's fresh keys."""
    wanted = min(len(fresh), redeemed.max_proofs, context.settings.batch_size)
    existing = await slots(context, session)
    lacking = [s.key for s in existing if redeemed.vct not in s.vcts]
    superseding = [s.key for s in existing if redeemed.vct in s.vcts]
    chosen = (lacking + superseding)[:wanted]
    return chosen + fresh[: wanted - len(chosen)]


def _requests(
    wallet: IssuanceClient, redeemed: RedeemedOffer, keys: list[PublicJwk]
) -> tuple[RedeemedOffer, list[SigningRequest]]:
    """The keys attested (HAIP §4.5.1, one key attestation per batch, fixed here so both
    signing passes build the same proofs), and the inputs the device must sign."""
    attested = wallet.attest_keys(redeemed, keys)

    def build(signers: Sequence[Any]) -> list[str]:
        return wallet.proofs(attested, signers)

    return attested, collect_signing_requests(build, keys)


def _pending(
    redeemed: RedeemedOffer,
    keys: list[PublicJwk],
    requests: list[SigningRequest],
    replaces: str | None,
) -> dict[str, Any]:
    return {
        "redeemed": redeemed.as_dict(),
        "keys": [k.to_jwk() for k in keys],
        "requests": [r.as_dict() for r in requests],
        "replaces": replaces,
    }


async def begin(
    context: WalletContext,
    session: Session,
    *,
    offer: str | Mapping[str, Any],
    tx_code: str | None,
    jwks: Sequence[Any],
) -> dict[str, Any]:
    """Check the offer and its issuer, redeem it, and return what the device must sign."""
    keys = device_keys(jwks)
    context.snapshot(now=context.clock())  # 503 now, not "issuer not trusted", if it is down
    async with client(context) as wallet:
        try:
            redeemed = await wallet.redeem(offer, tx_code=tx_code)
        except IssuanceFailed as failed:
            raise to_wire(failed) from None
        return await await_signatures(context, session, wallet, redeemed, keys)


async def await_signatures(
    context: WalletContext,
    session: Session,
    wallet: IssuanceClient,
    redeemed: RedeemedOffer,
    keys: list[PublicJwk],
    *,
    replaces: str | None = None,
) -> dict[str, Any]:
    """Keep ``redeemed`` sealed and ask the device for its key proofs; ``replaces`` is the
    batch a refresh renews (dropped when the new one is stored)."""
    keys = await _slot_keys(context, session, redeemed, keys)
    redeemed, requests = _requests(wallet, redeemed, keys)
    now = context.clock()
    async with context.database.write() as connection:
        issuance_id = await records.add(
            connection,
            session,
            records.ISSUANCE,
            _pending(redeemed, keys, requests, replaces),
            expires_at=now + context.settings.pending_ttl_seconds,
        )
    return _signatures_needed(issuance_id, redeemed, requests)


def _signatures_needed(
    issuance_id: str, redeemed: RedeemedOffer, requests: list[SigningRequest]
) -> dict[str, Any]:
    return {
        "id": issuance_id,
        "status": "signatures_needed",
        "issuer": redeemed.issuer,
        "vct": redeemed.vct,
        "signing_requests": [r.as_dict() for r in requests],
    }


async def finish(
    context: WalletContext, session: Session, issuance_id: str, answers: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Complete the issuance with the device's signatures (module docstring)."""
    now = context.clock()
    async with context.database.read() as connection:
        pending = await records.load_one(
            connection, session, records.ISSUANCE, issuance_id, now=now
        )
    if pending is None:
        raise NotFound
    redeemed = RedeemedOffer.from_dict(pending["redeemed"])
    keys = [parse_public_jwk(jwk) for jwk in pending["keys"]]
    requests = [
        SigningRequest(r["key_id"], b64url_decode(r["signing_input"])) for r in pending["requests"]
    ]
    stored: dict[str, Any] = {}
    async with client(context) as wallet:
        try:
            proofs = sign_with_device(
                lambda signers: wallet.proofs(redeemed, signers), keys, requests, answers
            )
        except DeviceSignatureRefused as refused:
            raise BadSignatures(refused.reason) from None

        async def store(result: IssuanceResult) -> None:
            replaces = pending.get("replaces")
            stored.update(await _store(context, session, issuance_id, result, replaces))

        try:
            result = await wallet.collect(
                redeemed, [CollectingSigner(k) for k in keys], store=store, proofs=proofs
            )
        except NonceRenewed as renewed:
            fresh, new_requests = _requests(wallet, renewed.redeemed, keys)
            async with context.database.write() as connection:
                await records.replace_payload(
                    connection,
                    session,
                    records.ISSUANCE,
                    issuance_id,
                    _pending(fresh, keys, new_requests, pending.get("replaces")),
                    expires_at=now + context.settings.pending_ttl_seconds,
                )
            return _signatures_needed(issuance_id, fresh, new_requests)
        except IssuanceFailed as failed:
            await _forget(context, session, issuance_id)
            raise to_wire(failed) from None
        except Rejected as refused:  # the registry does not know the key that signed it
            await _forget(context, session, issuance_id)
            raise Refused(refused.reason.value) from None
    return {
        "status": "stored",
        **stored,
        "checks": list(result.checks),
        "issuer_notified": result.notified,
    }


async def _forget(context: WalletContext, session: Session, issuance_id: str) -> None:
    """The step ends: its access token and nonce are of no use any more."""
    async with context.database.write() as connection:
        await records.remove(connection, session, records.ISSUANCE, issuance_id)


def _display(configuration_id: str, vct: str) -> dict[str, Any]:
    """The type's display from its Type Metadata (SD-JWT VC §8), when the type is known."""
    known = credential_types().get(configuration_id)
    if known is None or known.vct != vct:
        return {}
    return {"display": known.document.get("display", []), "name": known.document.get("name")}


async def _store(
    context: WalletContext,
    session: Session,
    issuance_id: str,
    result: IssuanceResult,
    replaces: str | None,
) -> dict[str, Any]:
    """The batch (and its refresh grant; the batch it replaces gone), the new discovery and
    its notices, and the end of the pending step: one transaction, so a crash keeps all of
    it or none (and the issuer hears of failure)."""
    now = context.clock()
    if not result.credentials:  # §8.3 lets an issuer send fewer, not none
        raise IssuanceFailed(IssuanceReason.RESPONSE_REFUSED, cause="no-credential")
    snapshot = context.snapshot(now=now)
    for credential in result.credentials:  # the registry must know the key that signed it
        check_issuer(
            snapshot,
            issuer=result.credential_issuer,
            vct=result.vct,
            key_refs=_key_refs(
                snapshot, result.credential_issuer, credential, now, context.issuer_roots
            ),
            now=max(now, snapshot.as_of),
        )
    expiries = [c.verified.claims.get("exp") for c in result.credentials]
    expires_at = min((int(e) for e in expiries if isinstance(e, int)), default=None)
    key_ids = [c.holder_key.public.thumbprint() for c in result.credentials]
    details = {
        "issuer": result.credential_issuer,
        "vct": result.vct,
        "configuration_id": result.configuration_id,
        "received_at": now,
        "received_ns": time.time_ns(),  # orders batches within one second (holdings.Instance)
        "expires_at": expires_at,
        "key_ids": key_ids,
        **_display(result.configuration_id, result.vct),
    }
    async with context.database.write() as connection:  # what was held, in the storing step
        held_before = rule_credentials(await unused_instances(context, session, within=connection))
        batch_id = await store_batch(
            connection,
            session,
            details=details,
            received=[NewInstance(c.token, c.holder_key.public) for c in result.credentials],
            expires_at=expires_at,
        )
        if replaces is not None:  # the issuer revoked it when it refreshed (§13.5)
            await drop_batch(connection, session, replaces)
            await grants.forget(connection, session, replaces)
        if result.grant is not None:
            await grants.keep(connection, session, batch_id, result.grant)
        if not await _has_outcomes(connection, session, now):
            await remember(connection, session, scan(context, held_before), now=now)
        new = _rule_credential(result)
        held_after = [
            *(h for h in held_before if (h.issuer, h.vct) != (new.issuer, new.vct)),
            new,
        ]
        notices = await remember(connection, session, scan(context, held_after), now=now)
        await records.remove(connection, session, records.ISSUANCE, issuance_id)
    return {
        "credential": {"id": batch_id, "instances": len(key_ids), **details},
        "notices": notices,
    }


def _key_refs(
    snapshot: TrustSnapshot,
    issuer: str,
    credential: ReceivedCredential,
    now: int,
    roots: Sequence[x509.Certificate],
) -> list[str]:
    """The signing key's thumbprint; with ``x5c``, the key reference of the registered root
    its chain ends in, once the chain is validated and its leaf certifies that key."""
    entry = snapshot.issuers.get(issuer)
    sd_jwt = credential.verified.sd_jwt
    return x5c_key_refs(
        sd_jwt.header,
        key=sd_jwt.issuer_key,
        issuer=issuer,
        registered_key_refs=entry.key_refs if entry is not None else frozenset(),
        now=now,
        roots=roots,
    )


async def _has_outcomes(connection: AsyncConnection, session: Session, now: int) -> bool:
    return bool(await records.load(connection, session, records.OUTCOMES, now=now))


def _rule_credential(result: IssuanceResult) -> HeldCredential:
    """The new batch's claims for discovery (every instance of a batch attests the same)."""
    first = result.credentials[0]
    return HeldCredential(result.credential_issuer, result.vct, first.view.processed.claims)
