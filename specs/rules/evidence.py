"""From credentials (verified at the desk, held in the wallet) to the facts a regulation reads.

For each input, the regulation lists the credential claims that can supply it. A claim
counts only when:

* the credential has the listed ``vct`` and the claim is present with the input's type
  (``cents`` and ``integer`` are JSON integers, never booleans; ``date`` an ISO date text);
* it covers the input's reference period: the ``period_claim`` of the same credential must
  say year T-2 when the law says "income of year T-2", or ``T-01-01`` for "on 1 January".

Evidence that fails either rule is reported in ``rejected`` with the reason and does not
become a fact, so the outcome becomes "unknown" rather than resting on the wrong year.
Derived predicate claims become answers to one comparison. Self-declared values are used
only where the regulation allows an estimate, and never where a credential that could settle
the input was presented with the value withheld (``withheld``). Two attestations of the same
input that disagree settle nothing (``conflict``): which one is right is not ours to guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from specs.rules.engine import SELF_DECLARED, FactSource, SourcedFact
from specs.rules.expressions import UNKNOWN, Fact
from specs.rules.model import Input, Reference, Regulation
from specs.sd_jwt.claim_path import claim_path, select_values

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class HeldCredential:
    """The claims of one verified (desk) or stored (wallet) credential."""

    issuer: str
    vct: str
    claims: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RejectedEvidence:
    input: str
    vct: str
    reason: Literal[
        "wrong_period", "wrong_type", "out_of_range", "conflict", "not_allowed", "withheld"
    ]


@dataclass(frozen=True)
class Facts:
    facts: dict[str, SourcedFact] = field(default_factory=dict)
    rejected: list[RejectedEvidence] = field(default_factory=list)


def expected_period(reference: Reference, year: int) -> int | str:
    """The year or date a claim must cover for regulation year ``year`` (T)."""
    if reference.year is not None:
        offset = int(reference.year[2:]) if reference.year != "T" else 0
        return year - offset
    assert reference.date is not None
    return f"{year}{reference.date[1:]}"


def _typed(spec: Input, value: Any) -> bool:
    kind = spec.type
    if kind in ("cents", "integer"):
        return type(value) is int and (spec.minimum is None or value >= spec.minimum)
    if kind == "boolean":
        return type(value) is bool
    if kind == "date":
        return isinstance(value, str) and bool(_ISO_DATE.match(value))
    return isinstance(value, str)


def _typed_loosely(spec: Input, value: Any) -> bool:
    return type(value) is int if spec.type in ("cents", "integer") else True


def _one(claims: Mapping[str, Any], path: Sequence[str | int]) -> Any:
    values = select_values(claims, claim_path(list(path)))
    return values[0] if len(values) == 1 else UNKNOWN


def _covers(
    spec: Input, credential: HeldCredential, period: Sequence[str | int] | None, year: int
) -> bool:
    if spec.reference is None:
        return True
    if period is None:
        return False
    return bool(_one(credential.claims, period) == expected_period(spec.reference, year))


def facts_from_credentials(
    regulation: Regulation,
    credentials: Sequence[HeldCredential],
    *,
    self_declared: Mapping[str, Any] | None = None,
    desk: Mapping[str, Any] | None = None,
) -> Facts:
    """Collect the facts for ``regulation``; attested values win over estimates."""
    result = Facts()
    for name, spec in regulation.inputs.items():
        sourced = _attested(name, spec, credentials, regulation.year, result)
        if sourced is None and desk and name in desk and _typed(spec, desk[name]):
            sourced = SourcedFact(Fact(desk[name]), FactSource("desk"))
        if sourced is None and self_declared and name in self_declared:
            if not spec.self_declared:
                result.rejected.append(RejectedEvidence(name, "self-declared", "not_allowed"))
            elif _presented_without_value(spec, credentials, regulation.year):
                result.rejected.append(RejectedEvidence(name, "self-declared", "withheld"))
            elif _typed(spec, self_declared[name]):
                sourced = SourcedFact(Fact(self_declared[name]), SELF_DECLARED)
        if sourced is not None:
            result.facts[name] = sourced
    return result


def _presented_without_value(spec: Input, credentials: Sequence[HeldCredential], year: int) -> bool:
    """A credential that could settle the input, for its period, is here but says nothing."""
    sources = [(e.vct, e.period_claim) for e in spec.evidence]
    sources += [(p.vct, p.period_claim) for p in spec.predicates]
    return any(
        credential.vct == vct and _covers(spec, credential, period, year)
        for vct, period in sources
        for credential in credentials
    )


def _attested(
    name: str, spec: Input, credentials: Sequence[HeldCredential], year: int, result: Facts
) -> SourcedFact | None:
    return _attested_value(name, spec, credentials, year, result) or _attested_predicates(
        name, spec, credentials, year, result
    )


def _attested_value(
    name: str, spec: Input, credentials: Sequence[HeldCredential], year: int, result: Facts
) -> SourcedFact | None:
    for evidence in spec.evidence:
        accepted: list[SourcedFact] = []
        for credential in credentials:
            if credential.vct != evidence.vct:
                continue
            value = _one(credential.claims, evidence.claim)
            if value is UNKNOWN:
                continue
            if not _typed(spec, value):
                result.rejected.append(
                    RejectedEvidence(
                        name,
                        credential.vct,
                        "out_of_range" if _typed_loosely(spec, value) else "wrong_type",
                    )
                )
            elif not _covers(spec, credential, evidence.period_claim, year):
                result.rejected.append(RejectedEvidence(name, credential.vct, "wrong_period"))
            else:
                origin = FactSource(
                    "credential", credential.issuer, credential.vct, tuple(evidence.claim)
                )
                accepted.append(SourcedFact(Fact(value), origin))
        if len({fact.fact.value for fact in accepted}) > 1:
            result.rejected.append(RejectedEvidence(name, evidence.vct, "conflict"))
            return None
        if accepted:
            return accepted[0]
    return None


def _attested_predicates(
    name: str, spec: Input, credentials: Sequence[HeldCredential], year: int, result: Facts
) -> SourcedFact | None:
    answers: dict[tuple[str, str], bool] = {}
    source: FactSource | None = None
    for predicate in spec.predicates:
        for credential in credentials:
            if credential.vct != predicate.vct:
                continue
            value = _one(credential.claims, predicate.claim)
            if type(value) is not bool:
                continue
            if not _covers(spec, credential, predicate.period_claim, year):
                result.rejected.append(RejectedEvidence(name, credential.vct, "wrong_period"))
                continue
            answers[(predicate.op, predicate.param)] = value
            source = source or FactSource(
                "credential", credential.issuer, credential.vct, tuple(predicate.claim)
            )
    return SourcedFact(Fact(UNKNOWN, answers), source) if source else None
