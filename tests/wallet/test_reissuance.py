"""Re-issuance advice: each kind, and both edges of every bound."""

from __future__ import annotations

import pytest

from wallet.discovery import Agency
from wallet.reissuance import Advice, AdviceKind, Holding, advise

NOW = 1_772_323_200  # 2026-03-01T00:00:00Z
DAY = 86_400
MARGIN = 14 * DAY
INCOME = "urn:nl:belastingdienst:household-income:1"
TAX_OFFICE = "https://belastingdienst.example"
AGENCIES = {INCOME: (Agency(TAX_OFFICE, "Belastingdienst"),)}


def holding(
    *,
    unused: int = 10,
    expires_at: int | None = NOW + 365 * DAY,
    refreshable: bool = False,
    issuer: str = TAX_OFFICE,
    vct: str = INCOME,
    batch_id: str = "batch-1",
) -> Holding:
    return Holding(batch_id, issuer, vct, unused, expires_at, refreshable)


def one(held: Holding, **options: int) -> Advice | None:
    advice = advise([held], now=NOW, agencies=AGENCIES, **options)
    assert len(advice) <= 1
    return advice[0] if advice else None


def test_a_full_batch_far_from_expiry_needs_nothing() -> None:
    assert one(holding()) is None
    assert one(holding(expires_at=None)) is None


def test_low_is_at_most_the_low_water_mark() -> None:
    assert one(holding(unused=3)) is None
    advice = one(holding(unused=2))
    assert advice is not None
    assert (advice.kind, advice.why) == (AdviceKind.ASK_AGENCY, ("low",))
    assert advice.message == (
        "You can share your Household income 2 more times. Ask Belastingdienst for a new one."
    )
    assert one(holding(unused=3), low_water=3) is not None
    used_up = one(holding(unused=0))
    assert used_up is not None
    assert used_up.why == ("low",)


def test_one_left_is_said_in_the_singular() -> None:
    advice = one(holding(unused=1))
    assert advice is not None
    assert "1 more time." in advice.message


def test_expiring_is_within_the_margin_inclusive() -> None:
    assert one(holding(expires_at=NOW + MARGIN + 1)) is None
    advice = one(holding(expires_at=NOW + MARGIN))
    assert advice is not None
    assert (advice.kind, advice.why) == (AdviceKind.ASK_AGENCY, ("expiring",))
    assert advice.message == (
        "Your Household income expires on 2026-03-15. Ask Belastingdienst for a new one."
    )
    assert one(holding(expires_at=NOW + DAY), expiry_margin=DAY) is not None
    assert one(holding(expires_at=NOW + DAY + 1), expiry_margin=DAY) is None


def test_expired_is_at_or_before_now() -> None:
    advice = one(holding(expires_at=NOW))
    assert advice is not None
    assert (advice.kind, advice.why) == (AdviceKind.EXPIRED, ())
    assert advice.message == (
        "Your Household income from Belastingdienst has expired and can no longer be shared. "
        "Ask Belastingdienst for a new one."
    )
    again = one(holding(expires_at=NOW - DAY, refreshable=True, unused=0))
    assert again is not None
    assert again.kind is AdviceKind.EXPIRED
    just_before = one(holding(expires_at=NOW + 1))
    assert just_before is not None
    assert just_before.kind is AdviceKind.ASK_AGENCY


def test_a_refresh_token_lets_the_wallet_fetch_a_batch_itself() -> None:
    advice = one(holding(unused=1, expires_at=NOW + DAY, refreshable=True))
    assert advice is not None
    assert (advice.kind, advice.why) == (AdviceKind.REFRESH, ("low", "expiring"))
    assert advice.message == (
        "You can share your Household income 1 more time, and it expires on 2026-03-02. "
        "The wallet will fetch a fresh batch from Belastingdienst."
    )
    assert one(holding(refreshable=True)) is None


def test_the_agency_is_the_issuing_one_else_its_identifier() -> None:
    named = one(holding(unused=0))
    assert named is not None
    assert named.agency == Agency(TAX_OFFICE, "Belastingdienst")
    other = "https://other.example"
    unnamed = one(holding(unused=0, issuer=other))
    assert unnamed is not None
    assert unnamed.agency == Agency(other, other)
    assert unnamed.message.endswith(f"Ask {other} for a new one.")
    unregistered_type = one(holding(unused=0, vct="urn:example:unknown:1"))
    assert unregistered_type is not None
    assert unregistered_type.agency == Agency(TAX_OFFICE, TAX_OFFICE)
    assert "urn:example:unknown:1" in unregistered_type.message  # no metadata: the vct


def test_advice_follows_the_order_of_the_holdings_and_serialises() -> None:
    holdings = [
        holding(batch_id="fine"),
        holding(batch_id="expired", expires_at=NOW - 1),
        holding(batch_id="low", unused=0, refreshable=True),
    ]
    advice = advise(holdings, now=NOW, agencies=AGENCIES)
    assert [(a.batch_id, a.kind) for a in advice] == [
        ("expired", AdviceKind.EXPIRED),
        ("low", AdviceKind.REFRESH),
    ]
    assert advice[1].as_dict() == {
        "kind": "refresh",
        "batch_id": "low",
        "vct": INCOME,
        "agency": {"issuer": TAX_OFFICE, "name": "Belastingdienst"},
        "why": ["low"],
        "message": advice[1].message,
    }


def test_a_negative_count_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        holding(unused=-1)
