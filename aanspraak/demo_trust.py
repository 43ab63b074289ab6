"""The demo's trust step: who may attest what, who may ask for what, which law is in force.

Governance registers the agencies (their keys and credential types), the municipal desk
(the claims it may ask for, per regulation) and the regulation versions (content hashes).
The wallet refuses a desk that asks for more than its registration allows; the desk refuses
a credential from an unregistered key; and a regulation file whose hash differs from its
anchor is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from runtime.regulations import regulation_files
from specs.errors import Rejected
from specs.jose import PrivateJwk
from specs.rules import CompiledRegulation, compile_dcql, parse_regulation
from specs.trust import (
    IssuerEntry,
    RegulationAnchor,
    TrustSnapshot,
    VerifierEntry,
    check_anchor,
    claim_key,
)
from trust.embedded import start_in_process
from trust.settings import TrustSettings

YEAR_START = 1_767_225_600  # 2026-01-01T00:00:00Z
YEAR_END = 1_798_761_600  # 2027-01-01T00:00:00Z


@dataclass(frozen=True)
class Seed:
    """What governance registers for the demo (the chain or file backend stores it)."""

    issuers: list[IssuerEntry]
    verifiers: list[VerifierEntry]
    anchors: list[RegulationAnchor]

    def snapshot(self, *, as_of: int) -> TrustSnapshot:
        return TrustSnapshot(
            {e.issuer: e for e in self.issuers},
            {v.client_id: v for v in self.verifiers},
            {(a.regulation, a.valid_from): a for a in self.anchors},
            as_of,
            "demo seed",
        )


def build_seed(
    issuer_keys: Mapping[str, PrivateJwk],
    issuer_types: Mapping[str, set[str]],
    desk: str,
    desk_regulations: Iterable[CompiledRegulation],
    regulations: Iterable[CompiledRegulation],
) -> Seed:
    """Register every demo issuer for the types it issues, the desk, and every regulation."""
    issuers = [
        IssuerEntry(
            issuer,
            frozenset(issuer_types.get(issuer, set())),
            frozenset({key.public.thumbprint()}),
            YEAR_START,
            YEAR_END,
            0,
        )
        for issuer, key in issuer_keys.items()
    ]
    permissions = {
        compiled.regulation.id: frozenset(
            claim_key(need.path) for need in compile_dcql(compiled).needs
        )
        for compiled in desk_regulations
    }
    verifier = VerifierEntry(
        desk, permissions, "Invorderingswet 1990 art. 26", YEAR_START, YEAR_END, 0
    )
    anchors = [
        RegulationAnchor(c.regulation.id, c.version, c.regulation.valid_from.isoformat(), 0)
        for c in regulations
    ]
    return Seed(issuers, [verifier], anchors)


def refuses_unanchored(snapshot: TrustSnapshot, tampered: CompiledRegulation, now: int) -> str:
    """A regulation whose content differs from its anchor: the reason it is refused."""
    try:
        check_anchor(
            snapshot,
            regulation=tampered.regulation.id,
            valid_from=tampered.regulation.valid_from.isoformat(),
            version=tampered.version,
            now=max(now, snapshot.as_of),  # see desk_decides: block time may lead our clock
        )
    except Rejected as exc:
        return exc.reason.value
    return "accepted"


class SeededRegistry:
    """The registry contract deployed on the in-process EVM and seeded by governance.

    The desk and the wallet read it through the chain reader (pinned chain id and code hash,
    confirmed state, event-driven cache): the same path as against a real node.
    """

    def __init__(self, seed: Seed) -> None:
        self._seed = seed
        settings = TrustSettings(poll_interval_seconds=0, max_staleness_seconds=3600)
        self._reader, writer = start_in_process(settings, admin_key=os.urandom(32))
        writer.seed(issuers=seed.issuers, verifiers=seed.verifiers, anchors=seed.anchors)
        self._address = writer.address

    def snapshot(self, *, now: int) -> TrustSnapshot:
        return self._reader.snapshot(now=now)

    def describe(self) -> dict[str, object]:
        return {
            "backend": "chain (in-process EVM)",
            "contract": self._address,
            "issuers": len(self._seed.issuers),
            "verifiers": len(self._seed.verifiers),
            "anchors": len(self._seed.anchors),
        }


def tampered_regulation(regulation_id: str) -> CompiledRegulation:
    """The bundled file with one figure changed: what a tampered copy of the law looks like."""
    path = next(p for p in regulation_files() if p.parent.name == regulation_id)
    text = path.read_text(encoding="utf-8").replace("90/100", "95/100", 1)
    return parse_regulation(text, origin=f"tampered {path.name}")
