"""``python -m scripts.fuzz`` counts a crash and a 5xx as such, and prints the figures."""

from __future__ import annotations

from hypothesis import strategies as st

from scripts.fuzz import Tally, _spend, report
from specs.errors import OAuthReason, Rejected
from tests.fuzz.harness import Target
from tests.fuzz.openapi import ServerError
from tests.fuzz.profile import fuzz_settings


def _refuse_odd(value: int) -> None:
    if value % 2:
        raise Rejected(OAuthReason.MALFORMED_REQUEST)


def _crash(value: int) -> None:
    raise KeyError(value)


def _server_error(value: int) -> None:
    raise ServerError("POST /x: 500")


def test_crashes_and_server_errors_are_counted_apart() -> None:
    tally = Tally()
    targets = [
        Target("fine", st.integers(), _refuse_odd),
        Target("crash", st.integers(), _crash),
        Target("5xx", st.integers(), _server_error),
    ]
    _spend(targets, 0, fuzz_settings(20, derandomize=True), tally)
    assert tally.figures["fine"].examples == 20
    assert tally.figures["fine"].refused > 0
    assert [c.split(":")[0] for c in tally.crashes] == ["crash"]
    assert [e.split(":")[0] for e in tally.server_errors] == ["5xx"]
    printed = report(tally)
    assert "crashes: 1" in printed
    assert "5xx: 1" in printed
    assert f"total examples: {tally.total}" in printed
