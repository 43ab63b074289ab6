"""Derived predicate claims: what an issuer computes so a verifier can learn "below X" only.

A regulation input may declare predicates: a boolean claim of a credential type that answers
one comparison of that input with one of the regulation's parameters (``income <= the 2026
zorgtoeslag limit for a single person``). The issuer holds the value; this module computes
the answers with the regulation's own figures and the engine's own comparison, so the
boolean a wallet presents means exactly what the rules test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from specs.rules.engine import CompiledRegulation
from specs.rules.evidence import expected_period
from specs.rules.expressions import COMPARISONS
from specs.rules.model import ClaimPathElement
from specs.sd_jwt.claim_path import claim_path, select_values


@dataclass(frozen=True)
class DerivedPredicate:
    """One boolean claim of ``vct`` and how it is computed."""

    vct: str
    claim: tuple[ClaimPathElement, ...]
    regulation: str
    version: str
    input: str
    op: str
    param: str
    threshold: Any
    value_claim: tuple[ClaimPathElement, ...]
    period_claim: tuple[ClaimPathElement, ...] | None
    period: int | str | None


def predicates_for(vct: str, regulations: Iterable[CompiledRegulation]) -> list[DerivedPredicate]:
    """Every predicate claim ``vct`` should carry for the given regulations."""
    found = []
    for compiled in regulations:
        regulation = compiled.regulation
        for name, spec in regulation.inputs.items():
            value_claims = [e for e in spec.evidence if e.vct == vct]
            for predicate in spec.predicates:
                if predicate.vct != vct or not value_claims:
                    continue
                period = (
                    expected_period(spec.reference, regulation.year) if spec.reference else None
                )
                found.append(
                    DerivedPredicate(
                        vct,
                        tuple(predicate.claim),
                        regulation.id,
                        compiled.version,
                        name,
                        predicate.op,
                        predicate.param,
                        compiled.params[predicate.param],
                        tuple(value_claims[0].claim),
                        tuple(predicate.period_claim) if predicate.period_claim else None,
                        period,
                    )
                )
    return found


def derive_predicate_claims(
    vct: str, claims: Mapping[str, Any], regulations: Iterable[CompiledRegulation]
) -> dict[tuple[ClaimPathElement, ...], bool]:
    """The predicate claims for one credential's ``claims``; only for the period they cover.

    A predicate is computed only when the credential covers the period the regulation's
    input refers to (income of year T-2 for the year-T rules): otherwise the boolean would
    answer a question about the wrong year.
    """
    return evaluate_predicates(predicates_for(vct, regulations), claims)


def evaluate_predicates(
    predicates: Iterable[DerivedPredicate], claims: Mapping[str, Any]
) -> dict[tuple[ClaimPathElement, ...], bool]:
    """The answers of ``predicates`` (found once with ``predicates_for``) for ``claims``."""
    answers: dict[tuple[ClaimPathElement, ...], bool] = {}
    for predicate in predicates:
        values = select_values(claims, claim_path(list(predicate.value_claim)))
        if len(values) != 1 or type(values[0]) is not int:
            continue
        if predicate.period_claim is not None:
            period = select_values(claims, claim_path(list(predicate.period_claim)))
            if period != [predicate.period]:
                continue
        answers[predicate.claim] = COMPARISONS[predicate.op](values[0], predicate.threshold)
    return answers
