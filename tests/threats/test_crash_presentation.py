"""Crash consistency of presentation: the desk's verifier and the wallet service killed.

The harnesses are ``scripts/desk_crash.py`` and ``scripts/wallet_crash.py`` (their docstrings
and their ``*_invariants`` modules list what must hold); here each runs a few seeded kill
points per backend: SQLite always, PostgreSQL when ``TEST_DATABASE_URL`` is set, where a
share of the kill points cuts the service's database connections instead. A kill's moment is
random relative to the server's work, so the figures vary from run to run; what must not vary
is that no invariant breaks and that every flow is accounted for.

Last, each checker is checked: a consistent world passes, and each kind of breakage is
reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts import desk_crash, wallet_crash
from scripts.desk_crash_invariants import ALREADY_ANSWERED, FlowRecord, Tables
from scripts.desk_crash_invariants import check_invariants as check_desk
from scripts.wallet_crash_invariants import BatchView, InstanceView, Run
from scripts.wallet_crash_invariants import check_invariants as check_wallet
from tests.threats.service_process import is_postgresql

SEED = 20261129
GUARD_SECONDS = 300  # a hung process fails the test instead of the run; nothing is timed
FINAL = 8  # presentations after the kills, each on an instance of its own


def _cut_share(database_url: str) -> float:
    return 0.3 if is_postgresql(database_url) else 0.0


async def test_F_05_verifier_killed_around_its_decision_answers_a_retry_consistently(
    tmp_path: Path, database_url: str
) -> None:
    """SIGKILL 0-30 ms after the wallet's post or aimed at the commit; the wallet posts the
    same response after the restart. One decision per transaction, none half-written, none
    acknowledged then lost; after a last restart every response is refused as already
    answered (the nonce stays consumed, THREATS D-04)."""
    async with asyncio.timeout(GUARD_SECONDS):
        figures = await desk_crash.run_crashes(
            tmp_path, database_url, kills=5, seed=SEED, cut_share=_cut_share(database_url)
        )
    assert figures.violations == [], "\n".join(figures.lines())
    assert figures.points >= 5
    assert figures.flows == figures.completed + figures.answered_before
    assert figures.stranded == {}
    assert figures.replays_refused == figures.flows


async def test_D_01_wallet_killed_while_storing_keeps_each_batch_whole(
    tmp_path: Path, database_url: str
) -> None:
    """Killed after the key proofs were posted (the batch fetched, verified, stored): every
    batch opens whole or is absent, one told "stored" is there, and the issuer heard
    "accepted" only of a batch the wallet holds."""
    async with asyncio.timeout(GUARD_SECONDS):
        figures = await wallet_crash.run_crashes(
            tmp_path,
            database_url,
            kills=3,
            seed=SEED,
            cut_share=_cut_share(database_url),
            flows=("receive",),
            final=2,
        )
    assert figures.violations == [], "\n".join(figures.lines())
    assert figures.points >= 3
    assert figures.final_presentations == 2


async def test_D_02_wallet_killed_while_presenting_never_shows_an_instance_twice(
    tmp_path: Path, database_url: str
) -> None:
    """Killed between reserving the instances and sending them (approve, send): no holder key
        is shown to two requests, every shown one is marked used, at most one instance per kill
        is lost, and the presentations afterwards each use an instance of their own (the script
    makes 20; fewer here keep the test short)."""
    async with asyncio.timeout(GUARD_SECONDS):
        figures = await wallet_crash.run_crashes(
            tmp_path,
            database_url,
            kills=3,
            seed=SEED + 1,
            cut_share=_cut_share(database_url),
            flows=("present",),
            final=FINAL,
        )
    assert figures.violations == [], "\n".join(figures.lines())
    assert figures.points >= 3
    assert figures.final_presentations == FINAL
    assert figures.lost_instances <= figures.points


# The desk's checker.


def _desk_world() -> tuple[Tables, list[FlowRecord]]:
    """One transaction decided (eligible), one refused, one still pending."""
    answered = {"answered_at": 1, "response_key_sealed": None, "desk_facts_sealed": None}
    tables = Tables(
        transactions=[
            {
                **answered,
                "id": "t-decided",
                "status": "decided",
                "decision_id": "d-1",
                "failure_reason": None,
                "response_mode": "direct_post.jwt",
            },
            {
                **answered,
                "id": "t-refused",
                "status": "rejected",
                "decision_id": None,
                "failure_reason": "kb-nonce-mismatch",
                "response_mode": "direct_post.jwt",
            },
            {
                "id": "t-open",
                "status": "pending",
                "decision_id": None,
                "answered_at": None,
                "failure_reason": None,
                "response_mode": "direct_post.jwt",
                "response_key_sealed": "sealed",
                "desk_facts_sealed": "sealed",
            },
        ],
        decisions=[{"id": "d-1", "transaction_id": "t-decided", "outcome": "eligible"}],
    )
    decided = FlowRecord("t-decided", tampered=False, answers=[(200, None)])
    decided.result, decided.replay = {"status": "eligible"}, (400, ALREADY_ANSWERED)
    refused = FlowRecord("t-refused", tampered=True, answers=[(400, "kb-nonce-mismatch")])
    refused.result, refused.replay = {"status": "rejected"}, (400, ALREADY_ANSWERED)
    return tables, [decided, refused]


DeskBreakage = Callable[[Tables, list[FlowRecord]], object]

DESK_BREAKAGES: dict[str, tuple[DeskBreakage, str]] = {
    "decided twice": (
        lambda t, r: t.decisions.append({**t.decisions[0], "id": "d-2"}),
        "decided 2 times",
    ),
    "a decision without its answer": (
        lambda t, r: t.decisions.append(
            {**t.decisions[0], "id": "d-3", "transaction_id": "t-open"}
        ),
        "a decision row, yet not decided",
    ),
    "decided without its decision row": (lambda t, r: t.decisions.clear(), "without its decision"),
    "pending yet answered": (
        lambda t, r: t.transactions[2].update(answered_at=5),
        "pending, yet answered",
    ),
    "key kept after the answer": (
        lambda t, r: t.transactions[0].update(response_key_sealed="sealed"),
        "response key or desk facts are kept",
    ),
    "acknowledged then lost": (
        lambda t, r: t.transactions[0].update(status="pending", answered_at=None),
        "lost: acknowledged (200)",
    ),
    "refusal lost": (
        lambda t, r: t.transactions[1].update(status="pending", answered_at=None),
        "lost: refused with",
    ),
    "replay accepted after a restart": (
        lambda t, r: setattr(r[0], "replay", (200, None)),
        "replay after a restart answered",
    ),
    "the desk reads another result": (
        lambda t, r: setattr(r[0], "result", {"status": "not_eligible"}),
        "the desk reads not_eligible",
    ),
}


def test_the_desk_checker_passes_a_consistent_world() -> None:
    assert check_desk(*_desk_world(), canaries=["CANARY-1"], stored=b"nothing") == []


@pytest.mark.parametrize("breakage", sorted(DESK_BREAKAGES))
def test_the_desk_checker_reports_each_breakage(breakage: str) -> None:
    tables, records = _desk_world()
    breaking, expected = DESK_BREAKAGES[breakage]
    breaking(tables, records)
    found = check_desk(tables, records, canaries=[], stored=b"")
    assert any(expected in line for line in found), found


def test_the_desk_checker_finds_a_claim_value_at_rest() -> None:
    found = check_desk(*_desk_world(), canaries=["3512347"], stored=b"..3512347..")
    assert any("privacy" in line for line in found), found


# The wallet's checker.


def _instance(name: str, *, used: bool = False, offer: int = 1) -> InstanceView:
    return InstanceView(name, True, f"key-{name}", f"key-{name}", used, (1, offer * 10 + 1))


def _wallet_world() -> tuple[list[BatchView], Run]:
    """Two batches of two; one instance of the first shown to a desk."""
    first = BatchView("b-1", True, ["key-a", "key-b"], [_instance("a", used=True), _instance("b")])
    second = BatchView(
        "b-2", True, ["key-c", "key-d"], [_instance("c", offer=2), _instance("d", offer=2)]
    )
    run = Run(
        stored=["b-1", "b-2"],
        signed=[("key-a", "nonce-1")],
        presentation_kills=1,
        offers_of={(1, 11): "offer-1", (1, 21): "offer-2"},
        delivered={"offer-1", "offer-2"},
    )
    return [first, second], run


WalletBreakage = Callable[[list[BatchView], Run], object]


def _lose_more(batches: list[BatchView], run: Run) -> None:
    """A second instance reserved and never shown, with no crash to account for either."""
    run.presentation_kills = 0
    batches[1].instances[0].used = True


WALLET_BREAKAGES: dict[str, tuple[WalletBreakage, str]] = {
    "a batch that does not open": (lambda w, r: setattr(w[0], "opened", False), "does not open"),
    "an instance missing": (lambda w, r: w[1].instances.pop(), "half-written: 1 instances"),
    "bound to another key": (
        lambda w, r: setattr(w[0].instances[1], "bound", "key-x"),
        "bound to another key",
    ),
    "stored then lost": (lambda w, r: w.pop(), "lost: the phone was told it was stored"),
    "one offer stored twice": (
        lambda w, r: r.offers_of.update({(1, 21): "offer-1"}),
        "stored in 2 batches",
    ),
    "accepted, not held": (lambda w, r: r.delivered.add("offer-3"), "the wallet does not hold it"),
    "shown twice": (lambda w, r: r.signed.append(("key-a", "nonce-2")), "presented to 2 requests"),
    "shown, not marked used": (
        lambda w, r: r.signed.append(("key-b", "nonce-3")),
        "not marked used",
    ),
    "more lost than crashes": (_lose_more, "reserved and never shown"),
}


def test_the_wallet_checker_passes_a_consistent_world() -> None:
    batches, run = _wallet_world()
    assert check_wallet(batches, run, stored=b"sealed") == []


@pytest.mark.parametrize("breakage", sorted(WALLET_BREAKAGES))
def test_the_wallet_checker_reports_each_breakage(breakage: str) -> None:
    batches, run = _wallet_world()
    breaking, expected = WALLET_BREAKAGES[breakage]
    breaking(batches, run)
    found = check_wallet(batches, run, stored=b"")
    assert any(expected in line for line in found), found


def test_the_wallet_checker_finds_a_claim_value_in_the_clear() -> None:
    batches, run = _wallet_world()
    run.canaries = ["3512347"]
    found = check_wallet(batches, run, stored=b"..3512347..")
    assert any("privacy" in line for line in found), found
