"""Discovery for the citizen: "Did you know you are entitled to ...?" and "Note: ...".

``specs.rules.discovery`` evaluates every discoverable regulation in force against the held
credentials; this module turns those outcomes into what the wallet shows (DESIGN §1 wallet/):

* ``entitled``: "Did you know you are entitled to <title>?", with the estimated amount when
  the law computes one. It is an estimate: the agency decides, on the evidence it verifies;
* ``not_entitled``;
* ``unknown``: which credential types would settle it and which registered agencies issue
  them ("Ask <agency> for <credential>"), from the trust registry, so the wallet never sends
  the citizen to an issuer the desk would refuse;
* ``hardship``: the rules say no, but a hardship clause (*hardheidsclausule*) may apply, with
  the legal basis the trace names, so such cases are found instead of missed.

Everything runs on the device and nothing leaves it (DESIGN §5). To say "Note: this change
affects ..." after a new credential, the service must remember the previous scan. It keeps
only ``RememberedOutcome`` (regulation, status, amount), not the ``Outcome``: an outcome's
trace and inputs repeat claim values (income, household) that are already in the credential
store, and a second copy, kept for as long as notices matter, would outlive the credential it
came from once the citizen deletes it. The three fields are all ``wallet.notices`` compares
(the rule of ``specs.rules.discovery.notices``), so nothing more is needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from runtime.credential_types import credential_types
from specs.errors import Rejected
from specs.rules import CompiledRegulation, HeldCredential, Outcome, Status
from specs.rules.discovery import scan
from specs.rules.model import LegalBasis, Text
from specs.trust import TrustSnapshot, check_issuer

_GROUPS = {
    Status.ELIGIBLE: "entitled",
    Status.NOT_ELIGIBLE: "not_entitled",
    Status.UNKNOWN: "unknown",
    Status.REFER_HARDSHIP: "hardship",
}


@dataclass(frozen=True, slots=True)
class Agency:
    """A registered issuer, by its exact identifier (``iss``) and the name shown to people."""

    issuer: str
    name: str


def agencies_by_vct(
    snapshot: TrustSnapshot, *, now: int, names: Mapping[str, str] | None = None
) -> dict[str, tuple[Agency, ...]]:
    """Which issuers the registry lets attest each credential type at ``now``.

    The registry keeps identifiers, not names (``specs.trust.model``): ``names`` maps an issuer
    to the display name the wallet learnt from its metadata (OpenID4VCI 1.0 §12.2.4
    ``display``); without one the identifier is shown. The decision is ``check_issuer`` with
    the entry's own keys, so "who may issue it" is never answered differently from "whose
    credential the desk accepts" (an entry without keys, or out of force, issues nothing).
    """
    at = max(now, snapshot.as_of)  # as accept_regulations: block time may lead our clock
    found: dict[str, list[Agency]] = {}
    for issuer, entry in snapshot.issuers.items():
        for vct in entry.vcts:
            try:
                check_issuer(
                    snapshot, issuer=issuer, vct=vct, key_refs=list(entry.key_refs), now=at
                )
            except Rejected:
                continue
            name = (names or {}).get(issuer, issuer)
            found.setdefault(vct, []).append(Agency(issuer, name))
    return {
        vct: tuple(sorted(agencies, key=lambda a: (a.name, a.issuer)))
        for vct, agencies in sorted(found.items())
    }


@cache
def _type_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for bundled in credential_types().values():
        metadata = bundled.metadata
        english = [d.name for d in metadata.display or () if d.locale.startswith("en")]
        names[metadata.vct] = english[0] if english else metadata.name or metadata.vct
    return names


def credential_name(vct: str) -> str:
    """The English name of a credential type from its bundled Type Metadata (SD-JWT VC §5.5),
    or the ``vct`` itself for a type the wallet has no metadata for."""
    return _type_names().get(vct, vct)


def euros(cents: int) -> str:
    """Integer cents as text (``EUR 1,550.00``); money is never a float (STYLE §9)."""
    return f"EUR {cents // 100:,}.{cents % 100:02d}"


def _citation(basis: LegalBasis) -> str:
    return f"{basis.title}, art. {basis.article}"


@dataclass(frozen=True, slots=True)
class SettleWith:
    """A credential type that would settle an unknown outcome, and who issues it."""

    vct: str
    credential: str
    agencies: tuple[Agency, ...]

    @property
    def message(self) -> str:
        if not self.agencies:
            return f"No registered agency issues {self.credential} yet."
        return f"Ask {' or '.join(a.name for a in self.agencies)} for {self.credential}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "vct": self.vct,
            "credential": self.credential,
            "agencies": [{"issuer": a.issuer, "name": a.name} for a in self.agencies],
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One regulation's outcome as the citizen sees it."""

    regulation_id: str
    version: str
    title: Text
    status: Status
    amount_cents: int | None
    estimated: bool
    explanation: Text
    """The regulation's own text for this outcome."""
    legal_basis: LegalBasis
    """The regulation's; for ``hardship`` the hardship clause's, as the trace names it."""
    settle_with: tuple[SettleWith, ...]

    @property
    def message(self) -> str:
        title = self.title.en
        if self.status is Status.ELIGIBLE:
            amount = "" if self.amount_cents is None else f" Estimate: {euros(self.amount_cents)}."
            return f"Did you know you are entitled to {title}?{amount}"
        if self.status is Status.REFER_HARDSHIP:
            return f"A hardship clause (hardheidsclausule) may apply: {self.explanation.en}"
        if self.status is Status.UNKNOWN:
            return f"We cannot tell yet whether you are entitled to {title}."
        return f"You are probably not entitled to {title}."

    def as_dict(self) -> dict[str, Any]:
        """Keys: see ``DiscoveryReport.as_dict``."""
        return {
            "regulation": self.regulation_id,
            "version": self.version,
            "title": self.title.model_dump(),
            "status": self.status.value,
            "message": self.message,
            "explanation": self.explanation.model_dump(),
            "amount_cents": self.amount_cents,
            "estimated": self.estimated,
            "legal_basis": self.legal_basis.model_dump(),
            "citation": _citation(self.legal_basis),
            "settle_with": [s.as_dict() for s in self.settle_with],
        }


@dataclass(frozen=True, slots=True)
class RememberedOutcome:
    """What the wallet keeps of a scan to find notices later; see the module docstring."""

    regulation_id: str
    status: Status
    amount_cents: int | None


@dataclass(frozen=True)
class DiscoveryReport:
    """A scan sorted for the citizen; ``outcomes`` are the engine's, for explaining on request
    (``specs.rules.explain``) while the report is on screen, not for storing."""

    on: dt.date
    entitled: tuple[Finding, ...]
    not_entitled: tuple[Finding, ...]
    unknown: tuple[Finding, ...]
    hardship: tuple[Finding, ...]
    outcomes: tuple[Outcome, ...]

    def findings(self) -> tuple[Finding, ...]:
        return self.entitled + self.hardship + self.unknown + self.not_entitled

    def remember(self) -> tuple[RememberedOutcome, ...]:
        return tuple(
            RememberedOutcome(o.regulation_id, o.status, o.amount_cents) for o in self.outcomes
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON for the mobile client. Stable keys: ``on`` (ISO date) and the four groups
        ``entitled``, ``not_entitled``, ``unknown``, ``hardship``, each a list of findings with
        ``regulation``, ``version`` (content hash), ``title`` and ``explanation`` ({nl, en}),
        ``status``, ``message`` (English), ``amount_cents`` (integer or null), ``estimated``,
        ``legal_basis`` ({title, id, article, url}), ``citation`` and ``settle_with`` (list of
        {vct, credential, agencies: [{issuer, name}], message})."""
        groups = {name: [f.as_dict() for f in getattr(self, name)] for name in _GROUPS.values()}
        return {"on": self.on.isoformat(), **groups}


def discover(
    shelf_regulations: Sequence[CompiledRegulation],
    held: Sequence[HeldCredential],
    *,
    on: dt.date,
    agencies: Mapping[str, Sequence[Agency]],
    self_declared: Mapping[str, Any] | None = None,
) -> DiscoveryReport:
    """Scan the accepted regulations (``wallet.regulation_shelf``) against what the wallet
    holds, plus the citizen's own estimates where a regulation allows them."""
    outcomes = scan(shelf_regulations, held, on=on, self_declared=self_declared)
    by_version = {(c.regulation.id, c.version): c for c in shelf_regulations}
    grouped: dict[str, list[Finding]] = {name: [] for name in _GROUPS.values()}
    for outcome in outcomes:
        compiled = by_version[outcome.regulation_id, outcome.version]
        grouped[_GROUPS[outcome.status]].append(_finding(compiled, outcome, agencies))
    return DiscoveryReport(
        on,
        tuple(grouped["entitled"]),
        tuple(grouped["not_entitled"]),
        tuple(grouped["unknown"]),
        tuple(grouped["hardship"]),
        tuple(outcomes),
    )


def _finding(
    compiled: CompiledRegulation, outcome: Outcome, agencies: Mapping[str, Sequence[Agency]]
) -> Finding:
    regulation = compiled.regulation
    basis = regulation.legal_basis
    if outcome.status is Status.REFER_HARDSHIP:
        named = [node.legal_basis for node in outcome.trace if node.kind == "hardship"]
        basis = named[0] if named else basis
    settle = tuple(
        SettleWith(vct, credential_name(vct), tuple(agencies.get(vct, ())))
        for vct in outcome.settle_with
    )
    return Finding(
        regulation.id,
        outcome.version,
        regulation.name,
        outcome.status,
        outcome.amount_cents,
        outcome.estimated,
        outcome.text,
        basis,
        settle,
    )


# -- notices ---------------------------------------------------------------------------------
