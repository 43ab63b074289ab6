"""Answering a desk for an account whose keys live on the device (OpenID4VP 1.0).

::

    POST /v1/presentations {link}        request object fetched and verified, the desk's
                                         registration checked, the query matched against
                                         unused instances ─> consent preview
    POST /v1/presentations/{id}/approve  instances reserved (never presented twice) ─>
                                         KB-JWT signing inputs to the device
    POST /v1/presentations/{id}/signatures  vp_token built with the device's signatures ─>
                                         direct_post(.jwt) ─> the history records it
    POST /v1/presentations/{id}/decline  access_denied to the desk, instances released

The request object is kept (sealed) between steps and verified again at each, so a step
never acts on a request that expired or a registration that was withdrawn meanwhile. The
history keeps claim *names*, the desk, the regulation, its legal basis and the time: what
the citizen agreed to, never the values (they are in the credential, which stays here).

A send and a decline each claim the step first, by compare and swap on its sealed bytes
(every seal is fresh, so any write in between changes them): of the two, and of repeats
arriving at once on any worker, one goes on and the others answer 409. A send's claim is a
lease that lapses, so a crash mid-send does not hold the step for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.fetch_guard import FetchRefused
from runtime.wire import Conflict, NotFound, ServiceUnavailable
from specs.errors import DcqlReason, Rejected
from specs.jose import b64url_decode
from wallet import records
from wallet.context import REGISTRY_DOWN, WalletContext
from wallet.device_auth import Session
from wallet.device_signing import (
    CollectingSigner,
    DeviceSignatureRefused,
    SigningRequest,
    collect_signing_requests,
    sign_with_device,
)
from wallet.holdings import Instance, InstancesTaken, instances_by_id
from wallet.presentation import (
    ConsentPreview,
    DeskUnreachable,
    FetchedRequest,
    HeldCredential,
    OpenedRequest,
    PresentationClient,
)
from wallet.slots import Slot, release, reserve, slots
from wallet.wire_errors import BadSignatures, NoMatchingCredential, PeerUnreachable, Refused


def client(context: WalletContext) -> PresentationClient:
    return PresentationClient(
        policy=context.fetch_policy,
        trust=context.trust,
        clock=context.clock,
        transport=context.transport,
        haip=context.settings.haip,
    )


def _held(found: Sequence[Instance]) -> list[HeldCredential]:
    return [HeldCredential(i.token, CollectingSigner(i.holder_key), i.vct) for i in found]


def _examine(
    wallet: PresentationClient, fetched: FetchedRequest, found: Sequence[Instance]
) -> OpenedRequest:
    try:
        return wallet.examine(fetched, _held(found))
    except Rejected as refused:
        if refused.reason in REGISTRY_DOWN:
            raise ServiceUnavailable from None
        if isinstance(refused.reason, DcqlReason):  # the query is fine; the wallet lacks it
            raise NoMatchingCredential(refused.reason.value) from None
        raise Refused(refused.reason.value) from None


def preview_as_dict(preview: ConsentPreview) -> dict[str, Any]:
    """The consent screen: who asks, what, why, under which law, and what stays here."""
    return {
        "verifier": preview.verifier,
        "verifier_name": preview.verifier_name,
        "regulation": preview.regulation,
        "legal_basis": preview.legal_basis,
        "shared": [{"vct": vct, "claim": list(path)} for vct, path in preview.shared],
        "not_shared": [{"vct": vct, "claim": list(path)} for vct, path in preview.withheld],
    }


def _chosen(opened: OpenedRequest, found: Sequence[Instance]) -> list[Instance]:
    indices = sorted({index for picks in opened.selection.values() for index, _ in picks})
    return [found[i] for i in indices]


def _match(
    wallet: PresentationClient, fetched: FetchedRequest, candidates: Sequence[Slot]
) -> tuple[Slot, OpenedRequest]:
    """The first slot whose instances answer the whole query (``holdings.Slot``)."""
    for slot in candidates:
        try:
            return slot, wallet.examine(fetched, _held(slot.instances))
        except Rejected as refused:
            if refused.reason in REGISTRY_DOWN:
                raise ServiceUnavailable from None
            if not isinstance(refused.reason, DcqlReason):
                raise Refused(refused.reason.value) from None
    _examine(wallet, fetched, [i for slot in candidates for i in slot.instances])
    raise NoMatchingCredential("credentials-of-different-holder-keys")


async def open_request(context: WalletContext, session: Session, link: str) -> dict[str, Any]:
    """Fetch, verify, check and match; keep the request for the next step; the preview."""
    candidates = await slots(context, session)
    async with client(context) as wallet:
        try:
            fetched = await wallet.fetch_request(link)
        except FetchRefused as refused:
            raise Refused(refused.reason.value) from None
        except Rejected as refused:
            raise Refused(refused.reason.value) from None
        try:
            _slot, opened = _match(wallet, fetched, candidates)
        except NoMatchingCredential as missing:
            # Kept all the same, so the citizen can say no: the desk then hears
            # access_denied either way and cannot probe what the wallet holds (THREATS V-14).
            try:
                preview = preview_as_dict(wallet.describe(fetched))
            except Rejected as refused:  # the registry went down since the match
                if refused.reason in REGISTRY_DOWN:
                    raise ServiceUnavailable from None
                raise Refused(refused.reason.value) from None
            presentation_id = await _keep(context, session, fetched, preview)
            missing.extra["presentation"] = presentation_id
            raise
    preview = preview_as_dict(opened.preview)
    presentation_id = await _keep(context, session, fetched, preview)
    return {"id": presentation_id, "status": "awaiting_consent", "preview": preview}


async def _keep(
    context: WalletContext, session: Session, fetched: FetchedRequest, preview: dict[str, Any]
) -> str:
    """The request, waiting for the citizen's answer (sealed, until the pending TTL)."""
    now = context.clock()
    async with context.database.write() as connection:
        return await records.add(
            connection,
            session,
            records.PRESENTATION,
            {
                "client_id": fetched.client_id,
                "request_object": fetched.request_object,
                "wallet_nonce": fetched.wallet_nonce,
                "preview": preview,
                "instances": [],
                "reserved": [],
            },
            expires_at=now + context.settings.pending_ttl_seconds,
        )


async def _pending_sealed(
    context: WalletContext, session: Session, presentation_id: str
) -> tuple[dict[str, Any], bytes]:
    """The pending step, and its sealed bytes as read (``records.replace_payload``)."""
    async with context.database.read() as connection:
        return await _pending_in(connection, context, session, presentation_id)


async def _pending_in(
    connection: AsyncConnection, context: WalletContext, session: Session, presentation_id: str
) -> tuple[dict[str, Any], bytes]:
    found = await records.load_one_sealed(
        connection, session, records.PRESENTATION, presentation_id, now=context.clock()
    )
    if found is None:
        raise NotFound
    return found


async def _save_claimed(
    context: WalletContext,
    session: Session,
    presentation_id: str,
    pending: dict[str, Any],
    sealed: bytes,
) -> bytes | None:
    """Save the step over ``sealed``, the bytes read: the new bytes, or None when another
    call wrote first."""
    async with context.database.write() as connection:
        return await _save_in(
            connection, context, session, presentation_id, pending, if_sealed=sealed
        )


async def _save_in(
    connection: AsyncConnection,
    context: WalletContext,
    session: Session,
    presentation_id: str,
    pending: dict[str, Any],
    *,
    if_sealed: bytes,
) -> bytes | None:
    """Save the step over ``if_sealed`` (compare and swap): the new bytes, or None."""
    return await records.replace_payload(
        connection,
        session,
        records.PRESENTATION,
        presentation_id,
        pending,
        expires_at=context.clock() + context.settings.pending_ttl_seconds,
        if_sealed=if_sealed,
    )


def _spread(found: list[Slot]) -> list[Slot]:
    """Fullest slots first, in random order among equals: answers running at once then
    mostly try different slots instead of all racing for the first."""
    shuffled = list(found)
    secrets.SystemRandom().shuffle(shuffled)
    return sorted(shuffled, key=lambda slot: -len(slot.instances))


async def approve(context: WalletContext, session: Session, presentation_id: str) -> dict[str, Any]:
    """Reserve unused instances for the query and hand the device the KB-JWT inputs.

    Approvals of one presentation arriving at once (a double tap, a repeat that reached
    another worker) all pass the first check; the step is saved only over the record as it
    was read, so one wins and the others roll back their reservation and are refused like a
    late repeat: one slot is burned, and the device signs the requests that were kept."""
    async with context.database.read() as connection:  # the step and the slots: one read
        pending, sealed = await _pending_in(connection, context, session, presentation_id)
        if pending["instances"]:
            raise Conflict("already approved")
        _not_being_sent(context, pending)  # a decline claimed it
        candidates = _spread(await slots(context, session, within=connection))
    fetched = FetchedRequest(
        pending["client_id"], pending["request_object"], pending.get("wallet_nonce")
    )
    async with client(context) as wallet:
        while True:  # each lost race drops a slot; none left is NoMatchingCredential
            slot, opened = _match(wallet, fetched, candidates)
            chosen = _chosen(opened, slot.instances)
            reserved = [i.id for i in slot.instances]
            now = context.clock()
            requests = _signing_requests(wallet, _examine(wallet, fetched, chosen), chosen, now)
            pending.update(
                reserved=reserved,
                instances=[i.id for i in chosen],
                kb_time=now,
                requests=[r.as_dict() for r in requests],
            )
            try:  # the whole slot (its key is never shown again), and the step, in one write
                async with context.database.write() as connection:
                    await reserve(connection, session, reserved, now=now)
                    if not await _save_in(
                        connection, context, session, presentation_id, pending, if_sealed=sealed
                    ):  # approved meanwhile: leaving the block rolls the reservation back
                        raise Conflict("already approved")
            except InstancesTaken:  # another answer took it first: try the others
                candidates = [c for c in candidates if c is not slot]
                continue
            break
    return {
        "id": presentation_id,
        "status": "signatures_needed",
        "signing_requests": [r.as_dict() for r in requests],
    }


def _signing_requests(
    wallet: PresentationClient, opened: OpenedRequest, chosen: Sequence[Instance], now: int
) -> list[SigningRequest]:
    """The KB-JWT inputs the device signs for ``chosen`` (pass 1 of ``device_signing``)."""
    return collect_signing_requests(
        lambda signers: wallet.vp_token(opened, _with_keys(chosen, signers), now=now),
        [i.holder_key for i in chosen],
    )


def _with_keys(chosen: Sequence[Instance], signers: Sequence[Any]) -> list[HeldCredential]:
    return [
        HeldCredential(i.token, signer, i.vct) for i, signer in zip(chosen, signers, strict=True)
    ]


async def finish(
    context: WalletContext,
    session: Session,
    presentation_id: str,
    answers: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Build the vp_token with the device's signatures, post it, and log the disclosure."""
    async with context.database.read() as connection:  # the step and its instances: one read
        pending, sealed = await _pending_in(connection, context, session, presentation_id)
        if not pending["instances"]:
            raise Conflict("approve first")
        _not_being_sent(context, pending)
        try:
            chosen = await instances_by_id(
                context, session, pending["instances"], within=connection
            )
        except InstancesTaken:  # the credential was deleted meanwhile
            raise Conflict("the credential is gone") from None
    fetched = FetchedRequest(
        pending["client_id"], pending["request_object"], pending.get("wallet_nonce")
    )
    requests = [
        SigningRequest(r["key_id"], b64url_decode(r["signing_input"])) for r in pending["requests"]
    ]
    now = int(pending["kb_time"])
    async with client(context) as wallet:
        opened = _examine(wallet, fetched, chosen)
        try:
            vp_token = sign_with_device(
                lambda signers: wallet.vp_token(opened, _with_keys(chosen, signers), now=now),
                [i.holder_key for i in chosen],
                requests,
                answers,
            )
        except DeviceSignatureRefused as refused:
            raise BadSignatures(refused.reason) from None
        # From here the keys may be shown: never release them. Every send claims the step
        # over the bytes it read (each seal is fresh) with a lease that outlasts the post, so
        # of sends running at once (a double tap, a repeat on another worker) one posts and
        # the others are refused until it ends, and a decline that claimed the step first
        # stops the send before anything is posted.
        pending["signed"] = True
        pending["sending_until"] = context.clock() + _send_lease_seconds(context)
        claimed = await _save_claimed(context, session, presentation_id, pending, sealed)
        if claimed is None:
            raise Conflict("already being sent or declined")
        try:
            reply = await wallet.post_vp_token(opened, vp_token)
        except BaseException as failed:  # the step stays, lease lifted: the device may send again
            del pending["sending_until"]
            await asyncio.shield(
                _save_claimed(context, session, presentation_id, pending, claimed)
            )  # over our own claim only: a later send's claim stands
            if isinstance(failed, DeskUnreachable):
                raise PeerUnreachable(failed.reason) from None
            raise
    # The answer reached the desk: its line is written whatever ended the step meanwhile (a
    # repeat or a decline after the lease lapsed), and finishing is not cancelled halfway.
    await asyncio.shield(_log_sent(context, session, presentation_id, pending, reply))
    return {"id": presentation_id, "status": "sent", "desk": reply}


def _not_being_sent(context: WalletContext, pending: Mapping[str, Any]) -> None:
    """409 while a send holds the step, with ``Retry-After`` (RFC 9110 §10.2.3) saying when
    its lease lapses: after a crash mid-send, that is when the device may send again; and
    409 once a decline has claimed it."""
    left = int(pending.get("sending_until", 0)) - context.clock()
    if left > 0:
        raise Conflict("already being sent or declined", headers={"Retry-After": str(left)})
    if pending.get("declining"):
        raise Conflict("already being sent or declined")


def _send_lease_seconds(context: WalletContext) -> int:
    """How long a send holds its step: the post's whole deadline (``FetchPolicy.timeout``)
    and time to record the answer, which may wait for the database's write lock (5 s on
    SQLite) twice. A crash mid-send frees the step when it lapses."""
    return math.ceil(context.fetch_policy.timeout) + 10


async def decline(context: WalletContext, session: Session, presentation_id: str) -> dict[str, Any]:
    """Say no: ``access_denied`` to the desk, reserved instances back, a line in the history.

    The decline claims the step first (compare and swap, as a send does), so a send cannot
    start once the desk may have heard no, and a decline is refused (409) while a send holds
    the step. The instances go back only in the transaction that ends the step over the
    claimed bytes, and only if no device signature for them was ever accepted."""
    while True:  # each lost race re-reads: an approve may have written in between
        pending, sealed = await _pending_sealed(context, session, presentation_id)
        if pending.get("declining"):  # an earlier decline claimed it and did not finish
            break
        _not_being_sent(context, pending)
        pending["declining"] = True
        claimed = await _save_claimed(context, session, presentation_id, pending, sealed)
        if claimed is not None:
            sealed = claimed
            break
    fetched = FetchedRequest(
        pending["client_id"], pending["request_object"], pending.get("wallet_nonce")
    )
    reply: dict[str, Any] = {}
    async with client(context) as wallet:
        try:
            request = wallet.verify(fetched)
        except Rejected:
            request = None  # expired or withdrawn meanwhile: nobody to answer
        if request is not None:
            with contextlib.suppress(DeskUnreachable):  # no is no, heard or not
                reply = await wallet.decline(request)
    async with context.database.write() as connection:
        if not await records.remove(
            connection, session, records.PRESENTATION, presentation_id, if_sealed=sealed
        ):
            raise NotFound  # another decline of the same step ended it first
        if pending["reserved"] and not pending.get("signed"):
            await release(connection, session, pending["reserved"])
        entry = _entry(context, pending, "declined", reply)
        await records.add(connection, session, records.DISCLOSURE, entry)
    return {"id": presentation_id, "status": "declined", "desk": reply}


async def _log_sent(
    context: WalletContext,
    session: Session,
    presentation_id: str,
    pending: dict[str, Any],
    reply: Mapping[str, Any],
) -> None:
    """The history line of an answer the desk received, and the end of the step, in one
    transaction."""
    async with context.database.write() as connection:
        await records.remove(connection, session, records.PRESENTATION, presentation_id)
        entry = _entry(context, pending, "shared", reply)
        await records.add(connection, session, records.DISCLOSURE, entry)


def _entry(
    context: WalletContext, pending: Mapping[str, Any], outcome: str, reply: Mapping[str, Any]
) -> dict[str, Any]:
    """A line of the disclosure history: claim names, never values."""
    preview = pending["preview"]
    return {
        "at": context.clock(),
        "outcome": outcome,
        "verifier": preview["verifier"],
        "verifier_name": preview["verifier_name"],
        "regulation": preview["regulation"],
        "legal_basis": preview["legal_basis"],
        "shared": preview["shared"] if outcome == "shared" else [],
        "desk_status": reply.get("status_code"),
    }
