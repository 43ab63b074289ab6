"""The wallet's offline scan: "Did you know you are entitled to ...?" and "Note: ...".

Every discoverable regulation in force on the scan date is evaluated against the credentials
the wallet holds, on the device; nothing leaves it. A scan sorts the results into what the
citizen is likely entitled to, what a credential would settle (and which one), and where the
hardship clause may apply. Comparing two scans gives the notices for a life event: a new
income statement that flips an outcome is worth a "Note: this change affects ...".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.rules.engine import CompiledRegulation, Outcome, Status, evaluate
from specs.rules.evidence import HeldCredential, facts_from_credentials


@dataclass(frozen=True)
class Notice:
    """An outcome or amount that changed between two scans."""

    regulation: str
    before: Status
    after: Status
    amount_before: int | None = None
    amount_after: int | None = None


def in_force(regulations: Iterable[CompiledRegulation], on: dt.date) -> list[CompiledRegulation]:
    return [
        c
        for c in regulations
        if c.regulation.valid_from <= on
        and (c.regulation.valid_until is None or on <= c.regulation.valid_until)
    ]


def scan(
    regulations: Iterable[CompiledRegulation],
    credentials: Sequence[HeldCredential],
    *,
    on: dt.date,
    self_declared: Mapping[str, Any] | None = None,
) -> list[Outcome]:
    """Evaluate every discoverable regulation in force ``on`` against the wallet's credentials."""
    outcomes = []
    for compiled in in_force(regulations, on):
        if not compiled.regulation.discoverable:
            continue
        facts = facts_from_credentials(
            compiled.regulation, credentials, self_declared=self_declared
        )
        outcomes.append(evaluate(compiled, facts.facts))
    return outcomes


def notices(before: Iterable[Outcome], after: Iterable[Outcome]) -> list[Notice]:
    """Outcomes that changed between two scans (e.g. after a new credential arrived)."""
    previous = {o.regulation_id: o for o in before}
    return [
        Notice(o.regulation_id, old.status, o.status, old.amount_cents, o.amount_cents)
        for o in after
        if (old := previous.get(o.regulation_id)) is not None
        and (old.status is not o.status or old.amount_cents != o.amount_cents)
    ]
