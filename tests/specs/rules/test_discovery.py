"""The wallet's offline scan and the notices between two scans."""

from __future__ import annotations

import datetime as dt

from specs.rules import HeldCredential, Status, parse_regulation
from specs.rules.discovery import notices, scan
from tests.specs.rules.toy import TOY, household, income, person

COMPILED = parse_regulation(TOY, origin="toy.yaml")
HIDDEN = parse_regulation(
    TOY.replace("discoverable: true", "discoverable: false").replace("toy_allowance", "hidden"),
    origin="hidden.yaml",
)


def _held(*credentials: dict[str, object]) -> list[HeldCredential]:
    return [HeldCredential(c["issuer"], c["vct"], c["claims"]) for c in credentials]  # type: ignore[arg-type]


def test_scan_evaluates_discoverable_regulations_in_force() -> None:
    wallet = _held(person(), household(), income(1_000_000))
    outcomes = scan([COMPILED, HIDDEN], wallet, on=dt.date(2026, 6, 1))
    assert [o.regulation_id for o in outcomes] == ["toy_allowance"]
    assert outcomes[0].status is Status.ELIGIBLE
    assert scan([COMPILED], wallet, on=dt.date(2027, 1, 1)) == []  # no longer in force


def test_a_new_credential_that_flips_an_outcome_is_a_notice() -> None:
    on = dt.date(2026, 6, 1)
    before = scan(
        [COMPILED], _held(person(), household()), on=on, self_declared={"income": 1_000_000}
    )
    after = scan([COMPILED], _held(person(), household(), income(9_000_000)), on=on)
    (notice,) = notices(before, after)
    assert (notice.regulation, notice.before, notice.after) == (
        "toy_allowance",
        Status.ELIGIBLE,
        Status.NOT_ELIGIBLE,
    )
    assert notices(after, after) == []
