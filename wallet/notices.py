"""'Note: this change affects ...': what changed between two discoveries (``wallet.discovery``).

A new credential, a revoked one, or a new year's statement can flip an outcome or change an
amount; the wallet keeps only the reduced outcomes of the last scan (``RememberedOutcome``:
regulation, status, amount; the module docstring of ``wallet.discovery`` says why) and turns
each change into a notice for the citizen. A regulation found in only one of the two scans (a
new year's version, a file refused) is no change the citizen caused and gives no notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.rules import Outcome, Status
from wallet.discovery import DiscoveryReport, RememberedOutcome, euros

_STATUS_WORDS = {
    Status.ELIGIBLE: "likely entitled",
    Status.NOT_ELIGIBLE: "not entitled",
    Status.UNKNOWN: "not known yet",
    Status.REFER_HARDSHIP: "a hardship clause may apply",
}


Scanned = DiscoveryReport | Sequence[Outcome] | Sequence[RememberedOutcome]


@dataclass(frozen=True, slots=True)
class WalletNotice:
    """ "Note: this change affects ...": an outcome or amount that changed between two scans."""

    regulation_id: str
    title: str
    before: RememberedOutcome
    after: RememberedOutcome

    @property
    def message(self) -> str:
        return (
            f"Note: this change affects {self.title}: "
            f"{_describe(self.before)} → {_describe(self.after)}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "regulation": self.regulation_id,
            "title": self.title,
            "before": {
                "status": self.before.status.value,
                "amount_cents": self.before.amount_cents,
            },
            "after": {"status": self.after.status.value, "amount_cents": self.after.amount_cents},
            "message": self.message,
        }


def _describe(remembered: RememberedOutcome) -> str:
    words = _STATUS_WORDS[remembered.status]
    cents = remembered.amount_cents
    return words if cents is None else f"{words} ({euros(cents)})"


def _remembered(scan_result: Scanned) -> tuple[RememberedOutcome, ...]:
    if isinstance(scan_result, DiscoveryReport):
        return scan_result.remember()
    return tuple(
        item
        if isinstance(item, RememberedOutcome)
        else RememberedOutcome(item.regulation_id, item.status, item.amount_cents)
        for item in scan_result
    )


def notices_between(before: Scanned, after: Scanned) -> list[WalletNotice]:
    """The regulations whose status or amount changed, in the order of ``after``.

    A regulation found in only one scan (a new year's version, a file refused) is not a
    change the citizen caused, so it gives no notice (as ``specs.rules.discovery.notices``).
    Titles come from whichever side is a ``DiscoveryReport`` (English), else the regulation id.
    """
    titles = {
        f.regulation_id: f.title.en
        for side in (before, after)
        if isinstance(side, DiscoveryReport)
        for f in side.findings()
    }
    previous = {r.regulation_id: r for r in _remembered(before)}
    return [
        WalletNotice(new.regulation_id, titles.get(new.regulation_id, new.regulation_id), old, new)
        for new in _remembered(after)
        if (old := previous.get(new.regulation_id)) is not None
        and (old.status is not new.status or old.amount_cents != new.amount_cents)
    ]


def remembered_as_dict(remembered: Iterable[RememberedOutcome]) -> list[dict[str, Any]]:
    """For the service's sealed store: ``[{regulation, status, amount_cents}]``."""
    return [
        {"regulation": r.regulation_id, "status": r.status.value, "amount_cents": r.amount_cents}
        for r in remembered
    ]


def remembered_from_dict(items: Iterable[Mapping[str, Any]]) -> tuple[RememberedOutcome, ...]:
    """Read back what ``remembered_as_dict`` wrote; anything else raises ``ValueError`` (the
    store is the service's own, so a malformed entry is a bug or corruption, not input)."""
    read = []
    for item in items:
        regulation, status, cents = (item.get(k) for k in ("regulation", "status", "amount_cents"))
        if not (isinstance(regulation, str) and isinstance(status, str)) or not (
            cents is None or type(cents) is int
        ):
            raise ValueError("malformed remembered outcome")
        read.append(RememberedOutcome(regulation, Status(status), cents))
    return tuple(read)
