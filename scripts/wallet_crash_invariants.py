"""The invariants a crash run must leave intact in the wallet service's storage.

Split from ``scripts/wallet_crash.py`` (which drives the kills). What ``wallet/receiving.py``,
``wallet/holdings.py`` and ``wallet/slots.py`` promise, read from the wallet's tables and
opened with the account's vault key through the wallet's own code (``read_wallet``):

* a batch is all or nothing (THREATS D-01): every batch opens, has as many instances as key
  ids, each instance opens and is bound (``cnf``) to its own holder key; a batch the phone
  was told "stored" is there; no issuer offer ended up in two batches;
* the issuer hears "credential_accepted" only after the batch is stored: an offer the issuer
  has as ``delivered`` is held by the wallet;
* an instance is never presented twice (THREATS D-02): no holder key signed key-binding JWTs
  for two different nonces (the device's own log: nothing is presented without it), every
  instance whose key signed one is marked used (reserve before send), and the slots (holder
  keys) reserved but never shown (lost to crashes) are at most one per kill;
* no claim value of the run is in the wallet's database in the clear (DESIGN §5).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from runtime.sealing import SealBroken
from specs.errors import Rejected
from specs.jose import parse_public_jwk
from specs.sd_jwt import open_sd_jwt
from tests.threats.invariants import leaks
from wallet.device_auth import Session
from wallet.holdings import BATCH, INSTANCE
from wallet.tables import batches, instances

StatusKey = tuple[int, int]
"""A credential's status list number and index: which issuer offer it came from."""


@dataclass
class InstanceView:
    id: str
    opened: bool
    holder: str | None = None  # thumbprint of the key the wallet keeps for it
    bound: str | None = None  # thumbprint of the credential's cnf key
    used: bool = False
    status: StatusKey | None = None


@dataclass
class BatchView:
    id: str
    opened: bool
    key_ids: list[str] = field(default_factory=list)
    instances: list[InstanceView] = field(default_factory=list)


@dataclass
class Run:
    """What the phone, the device and the issuer saw, besides the wallet's tables."""

    stored: list[str] = field(default_factory=list)  # batch ids the phone was told "stored"
    signed: list[tuple[str, str]] = field(default_factory=list)  # (holder key, KB-JWT nonce)
    presentation_kills: int = 0
    offers_of: dict[StatusKey, str] = field(default_factory=dict)  # issuer status entry: offer
    delivered: set[str] = field(default_factory=set)  # offers the issuer marked delivered
    canaries: list[str] = field(default_factory=list)


def _open(session: Session, kind: str, row_id: str, sealed: bytes) -> dict[str, Any] | None:
    try:
        return session.vault.open(kind, row_id, sealed)
    except (SealBroken, Rejected, ValueError):
        return None


def _status_key(token: str, issuer: str) -> StatusKey | None:
    status = open_sd_jwt(token).processed.claims.get("status", {}).get("status_list")
    if not isinstance(status, dict):
        return None
    uri, prefix = str(status.get("uri", "")), f"{issuer}/status/"
    return (int(uri[len(prefix) :]), int(status["idx"])) if uri.startswith(prefix) else None


async def read_wallet(engine: AsyncEngine, session: Session, issuer: str) -> list[BatchView]:
    """Every batch of the account and its instances, each opened on its own (so one that
    does not open is reported, not raised)."""
    async with engine.connect() as connection:
        batch_rows = (
            await connection.execute(
                select(batches).where(batches.c.account_id == session.account_id)
            )
        ).all()
        instance_rows = (
            await connection.execute(
                select(instances).where(instances.c.account_id == session.account_id)
            )
        ).all()
    views = {}
    for row in batch_rows:
        details = _open(session, BATCH, row.id, row.sealed)
        views[row.id] = BatchView(
            row.id, details is not None, list(details["key_ids"]) if details else []
        )
    for row in instance_rows:
        payload = _open(session, INSTANCE, row.id, row.sealed)
        view = InstanceView(row.id, payload is not None, used=row.used_at is not None)
        if payload is not None:
            view.holder = parse_public_jwk(payload["holder_key"]).thumbprint()
            cnf = open_sd_jwt(payload["token"]).processed.claims["cnf"]["jwk"]
            view.bound = parse_public_jwk(cnf).thumbprint()
            view.status = _status_key(payload["token"], issuer)
        batch = views.get(row.batch_id)
        if batch is None:
            views[row.batch_id] = batch = BatchView(row.batch_id, False)
        batch.instances.append(view)
    return list(views.values())


def check_invariants(wallet: list[BatchView], run: Run, *, stored: bytes) -> list[str]:
    """Every broken invariant (module docstring), one line each; empty when all hold."""
    return [
        *batch_violations(wallet, run),
        *presentation_violations(wallet, run),
        *(
            f"privacy: a canary ({v[:4]}...) is in the wallet's database"
            for v in leaks(run.canaries, stored)
        ),
    ]


def batch_violations(wallet: list[BatchView], run: Run) -> list[str]:
    found = []
    held_offers: Counter[str] = Counter()
    for batch in wallet:
        name = f"batch {batch.id[:8]}"
        if not batch.opened:
            found.append(f"{name}: half-written: it does not open (or has no batch row)")
            continue
        if not batch.instances or len(batch.instances) != len(batch.key_ids):
            found.append(
                f"{name}: half-written: {len(batch.instances)} instances "
                f"for {len(batch.key_ids)} keys"
            )
        if any(not i.opened or i.holder != i.bound for i in batch.instances):
            found.append(f"{name}: an instance does not open or is bound to another key")
        if {i.holder for i in batch.instances} != set(batch.key_ids):
            found.append(f"{name}: its instances' keys are not its key ids")
        offers = {run.offers_of.get(i.status) for i in batch.instances if i.status}
        held_offers.update(offer for offer in offers if offer)
    ids = {batch.id for batch in wallet}
    found += [
        f"batch {b[:8]}: lost: the phone was told it was stored" for b in run.stored if b not in ids
    ]
    found += [f"offer {o[:8]}: stored in {n} batches" for o, n in held_offers.items() if n > 1]
    found += [
        f"offer {o[:8]}: the issuer was told it was accepted, the wallet does not hold it"
        for o in sorted(run.delivered)
        if not held_offers[o]
    ]
    return found


def presentation_violations(wallet: list[BatchView], run: Run) -> list[str]:
    nonces: dict[str, set[str]] = {}
    for key, nonce in run.signed:
        nonces.setdefault(key, set()).add(nonce)
    found = [
        f"key {k[:8]}: presented to {len(n)} requests" for k, n in nonces.items() if len(n) > 1
    ]
    every = [i for batch in wallet for i in batch.instances]
    found += [
        f"instance {i.id[:8]}: its key was shown, yet it is not marked used"
        for i in every
        if i.holder in nonces and not i.used
    ]
    lost = sum(1 for i in every if i.used and i.holder not in nonces)
    if lost > run.presentation_kills:
        found.append(
            f"{lost} instances reserved and never shown, for {run.presentation_kills} kills"
        )
    return found


def lost_instances(wallet: list[BatchView], run: Run) -> int:
    """Slots (holder keys; ``wallet.slots``) reserved and never shown: what crashes cost.
    A slot holds one instance per type, plus older statements a newer batch superseded."""
    shown = {key for key, _ in run.signed}
    return len({i.holder for b in wallet for i in b.instances if i.used and i.holder not in shown})
