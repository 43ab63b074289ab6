"""When to get fresh credentials: batches of one-time instances run low or run out of time.

Each presentation spends one instance of a batch (fresh holder key, salts and status index),
so two presentations cannot be linked by the credential (DESIGN §5). A batch therefore runs
low, and every instance expires with the batch. Before the citizen is stuck at a desk without
a usable credential, the wallet advises, offline, per batch:

* ``refresh``: the batch is low or about to expire and the wallet holds a refresh token
  (OpenID4VCI 1.0 §6, §13.5; ``wallet.grants``: batches received through the authorization
  code flow), so it can fetch a fresh batch (``POST /v1/credentials/{id}/refresh``);
* ``ask-agency``: low or about to expire, no refresh token: the citizen asks the issuing agency
  for a new offer, and the advice names that agency (its display name from the registry
  mapping, else the issuer identifier);
* ``expired``: unusable now (``expires_at <= now``); a desk would refuse it.

"Low" means at most ``low_water`` unused instances; "about to expire" means within
``expiry_margin`` seconds (``expires_at <= now + expiry_margin``). Both bounds are inclusive,
so the advice comes one presentation early rather than one too late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from wallet.discovery import Agency, credential_name

Why = Literal["low", "expiring"]


class AdviceKind(StrEnum):
    REFRESH = "refresh"
    ASK_AGENCY = "ask-agency"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Holding:
    """One received batch of one-time instances of one credential."""

    batch_id: str
    issuer: str
    vct: str
    unused_instances: int
    expires_at: int | None
    """UNIX seconds (the credential's ``exp``); ``None`` when it does not expire."""
    refreshable: bool
    """The wallet holds a refresh token for this batch."""

    def __post_init__(self) -> None:
        # A programming error, not input: a negative count would read as "low" forever.
        if self.unused_instances < 0:
            raise ValueError("Holding.unused_instances must not be negative")


@dataclass(frozen=True, slots=True)
class Advice:
    kind: AdviceKind
    batch_id: str
    vct: str
    agency: Agency
    """The issuing agency (display name, or the issuer identifier when it has none)."""
    why: tuple[Why, ...]
    """For ``refresh`` and ``ask-agency``: low, expiring or both; empty for ``expired``."""
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "batch_id": self.batch_id,
            "vct": self.vct,
            "agency": {"issuer": self.agency.issuer, "name": self.agency.name},
            "why": list(self.why),
            "message": self.message,
        }


def advise(
    holdings: Sequence[Holding],
    *,
    now: int,
    low_water: int = 2,
    expiry_margin: int = 14 * 86400,
    agencies: Mapping[str, Sequence[Agency]],
) -> list[Advice]:
    """Advice per batch that needs attention, in the order of ``holdings``; none for the rest.

    ``agencies`` is ``wallet.discovery.agencies_by_vct`` of the current registry snapshot.
    """
    advice = []
    for holding in holdings:
        agency = _agency(holding, agencies)
        credential = credential_name(holding.vct)
        expires = holding.expires_at
        if expires is not None and expires <= now:
            message = (
                f"Your {credential} from {agency.name} has expired and can no longer be shared. "
                f"Ask {agency.name} for a new one."
            )
            advice.append(
                Advice(AdviceKind.EXPIRED, holding.batch_id, holding.vct, agency, (), message)
            )
            continue
        why: tuple[Why, ...] = ()
        if holding.unused_instances <= low_water:
            why += ("low",)
        if expires is not None and expires <= now + expiry_margin:
            why += ("expiring",)
        if not why:
            continue
        kind = AdviceKind.REFRESH if holding.refreshable else AdviceKind.ASK_AGENCY
        message = _message(kind, holding, credential, agency, why)
        advice.append(Advice(kind, holding.batch_id, holding.vct, agency, why, message))
    return advice


def _agency(holding: Holding, agencies: Mapping[str, Sequence[Agency]]) -> Agency:
    for agency in agencies.get(holding.vct, ()):
        if agency.issuer == holding.issuer:
            return agency
    return Agency(holding.issuer, holding.issuer)


def _message(
    kind: AdviceKind, holding: Holding, credential: str, agency: Agency, why: tuple[Why, ...]
) -> str:
    left = holding.unused_instances
    low = f"You can share your {credential} {left} more time{'s' * (left != 1)}"
    said = low if "low" in why else f"Your {credential}"
    if "expiring" in why and holding.expires_at is not None:
        day = dt.datetime.fromtimestamp(holding.expires_at, dt.UTC).date().isoformat()
        said += f", and it expires on {day}" if "low" in why else f" expires on {day}"
    if kind is AdviceKind.REFRESH:
        return f"{said}. The wallet will fetch a fresh batch from {agency.name}."
    return f"{said}. Ask {agency.name} for a new one."
