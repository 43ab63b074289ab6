"""The wallet's discovery against the bundled scenarios, the registry and a life event.

* every scenario of a discoverable regulation that needs no desk facts gives, in the wallet,
  the outcome the scenario expects (the same law, run on the device);
* "Ask <agency> for <credential>" names the agencies the trust registry lists for the type;
* a new income statement that flips zorgtoeslag gives "Note: this change affects ...", also
  from the minimal remembered scan the service stores;
* the hardship clause is flagged with the legal basis the trace names.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from aanspraak.demo_trust import YEAR_END, YEAR_START, build_seed
from runtime.regulations import catalogue, find
from runtime.scenarios import Scenario, ScenarioFile, load_scenarios, scenario_files
from specs.jose import generate_private_key
from specs.rules import HeldCredential, Status
from specs.rules.discovery import notices
from specs.trust import IssuerEntry, TrustSnapshot
from wallet.discovery import (
    Agency,
    DiscoveryReport,
    Finding,
    RememberedOutcome,
    agencies_by_vct,
    credential_name,
    discover,
)
from wallet.notices import (
    WalletNotice,
    notices_between,
    remembered_as_dict,
    remembered_from_dict,
)
from wallet.regulation_shelf import accept_regulations

NOW = 1_772_323_200  # 2026-03-01T00:00:00Z
ON = dt.date(2026, 3, 1)
INCOME = "urn:nl:belastingdienst:household-income:1"
ASSETS = "urn:nl:belastingdienst:household-assets:1"
NAMES = {"https://belastingdienst.example": "Belastingdienst"}
FILES = [load_scenarios(path) for path in scenario_files()]


def _snapshot() -> TrustSnapshot:
    """The demo's governance seed: every scenario issuer for the types it issues, every
    bundled regulation anchored (as ``tests/verifier/conftest.py`` builds the trust list)."""
    types: dict[str, set[str]] = {}
    for scenarios in FILES:
        for case in scenarios.cases:
            for credential in case.credentials:
                types.setdefault(credential.issuer, set()).add(credential.vct)
    keys = {issuer: generate_private_key() for issuer in types}
    seed = build_seed(keys, types, "https://desk.example", [], catalogue())
    return seed.snapshot(as_of=NOW)


SNAPSHOT = _snapshot()
SHELF = accept_regulations(catalogue(), SNAPSHOT, now=NOW).accepted
AGENCIES = agencies_by_vct(SNAPSHOT, now=NOW, names=NAMES)


def _discoverable(scenarios: ScenarioFile) -> bool:
    return find(
        scenarios.regulation, dt.date.fromisoformat(scenarios.valid_from)
    ).regulation.discoverable


CASES = [
    pytest.param(f, case, id=f"{f.regulation}:{case.name}")
    for f in FILES
    if _discoverable(f)
    for case in f.cases
    if not case.desk
]


def case_named(regulation: str, name: str) -> Scenario:
    scenarios = next(f for f in FILES if f.regulation == regulation)
    return next(case for case in scenarios.cases if case.name == name)


def report_for(case: Scenario, on: dt.date = ON) -> DiscoveryReport:
    return discover(
        SHELF, case.credentials, on=on, agencies=AGENCIES, self_declared=case.self_declared or None
    )


def finding(report: DiscoveryReport, regulation: str) -> Finding:
    (found,) = [f for f in report.findings() if f.regulation_id == regulation]
    return found


def test_the_shelf_holds_every_bundled_regulation() -> None:
    assert len(SHELF) == len(catalogue())
    assert len(CASES) > 50


@pytest.mark.parametrize(("scenarios", "case"), CASES)
def test_discovery_gives_the_scenario_outcome(scenarios: ScenarioFile, case: Scenario) -> None:
    report = report_for(case, dt.date.fromisoformat(scenarios.valid_from))
    found = finding(report, scenarios.regulation)
    expect = case.expect
    assert found.status is Status(expect["status"])
    assert found in getattr(report, _group(found.status))
    if "amount_cents" in expect:
        assert found.amount_cents == expect["amount_cents"]
    if "estimated" in expect:
        assert found.estimated is expect["estimated"]
    if "settle_with" in expect:
        assert set(expect["settle_with"]) <= {s.vct for s in found.settle_with}


def _group(status: Status) -> str:
    return {
        Status.ELIGIBLE: "entitled",
        Status.NOT_ELIGIBLE: "not_entitled",
        Status.UNKNOWN: "unknown",
        Status.REFER_HARDSHIP: "hardship",
    }[status]


def test_a_regulation_that_is_not_discoverable_is_never_suggested() -> None:
    case = case_named("individuele_inkomenstoeslag", "single_typical_eligible")
    report = report_for(case)
    assert "individuele_inkomenstoeslag" not in {f.regulation_id for f in report.findings()}


def test_entitled_says_did_you_know_with_the_estimated_amount() -> None:
    found = finding(report_for(case_named("zorgtoeslag", "single_income_35000")), "zorgtoeslag")
    assert found.message == (
        "Did you know you are entitled to Healthcare allowance? Estimate: EUR 828.00."
    )
    assert found.legal_basis.id == "BWBR0018451"


def test_unknown_names_the_credential_and_the_agency_from_the_registry() -> None:
    case = case_named("zorgtoeslag", "missing_assets_credential_is_unknown")
    found = finding(report_for(case), "zorgtoeslag")
    assert found.status is Status.UNKNOWN
    (settle,) = found.settle_with
    assert settle.vct == ASSETS
    assert settle.agencies == (Agency("https://belastingdienst.example", "Belastingdienst"),)
    assert settle.message == f"Ask Belastingdienst for {credential_name(ASSETS)}."
    assert credential_name(ASSETS) == "Household assets"  # from the bundled Type Metadata


def test_unknown_without_a_registered_agency_says_so() -> None:
    case = case_named("zorgtoeslag", "missing_assets_credential_is_unknown")
    report = discover(SHELF, case.credentials, on=ON, agencies={})
    (settle,) = finding(report, "zorgtoeslag").settle_with
    assert settle.agencies == ()
    assert settle.message == "No registered agency issues Household assets yet."


def test_agencies_are_the_issuers_in_force_for_exactly_that_type() -> None:
    def entry(issuer: str, *, valid_from: int = YEAR_START, effective_from: int = 0) -> IssuerEntry:
        return IssuerEntry(
            issuer, frozenset({INCOME}), frozenset({"key"}), valid_from, YEAR_END, effective_from
        )

    snapshot = TrustSnapshot(
        {
            "https://a.example": entry("https://a.example"),
            "https://announced.example": entry("https://announced.example", effective_from=NOW + 1),
            "https://expired.example": entry("https://expired.example", valid_from=YEAR_END),
            "https://keyless.example": IssuerEntry(
                "https://keyless.example", frozenset({INCOME}), frozenset(), 0, YEAR_END, 0
            ),
        },
        as_of=NOW,
    )
    found = agencies_by_vct(snapshot, now=NOW, names={"https://a.example": "Agency A"})
    assert found == {INCOME: (Agency("https://a.example", "Agency A"),)}
    assert agencies_by_vct(snapshot, now=NOW)[INCOME] == (
        Agency("https://a.example", "https://a.example"),
    )


def test_hardship_is_flagged_with_the_hardship_clause() -> None:
    case = case_named("zorgtoeslag", "debt_restructuring_sets_aside_the_asset_test")
    report = report_for(case)
    found = finding(report, "zorgtoeslag")
    assert found in report.hardship
    assert found.message.startswith("A hardship clause (hardheidsclausule) may apply: ")
    assert found.message.endswith(found.explanation.en)
    assert (found.legal_basis.id, found.legal_basis.article) == ("BWBR0018472", "47, eerste lid")
    assert found.as_dict()["citation"] == (
        "Algemene wet inkomensafhankelijke regelingen, art. 47, eerste lid"
    )


def _flip() -> tuple[list[HeldCredential], list[HeldCredential]]:
    """A wallet whose income statement is above the zorgtoeslag limit, and the same wallet
    after the tax office attests a lower income for the year (the statement is replaced)."""
    before = case_named("zorgtoeslag", "single_beyond_the_near_miss_margin_is_not_eligible")
    lower = case_named("zorgtoeslag", "single_income_35000")
    (income,) = [c for c in lower.credentials if c.vct == INCOME]
    after = [c for c in before.credentials if c.vct != INCOME] + [income]
    return before.credentials, after


def test_a_new_income_statement_that_flips_zorgtoeslag_gives_a_notice() -> None:
    held_before, held_after = _flip()
    before = discover(SHELF, held_before, on=ON, agencies=AGENCIES)
    after = discover(SHELF, held_after, on=ON, agencies=AGENCIES)
    assert finding(before, "zorgtoeslag").status is Status.NOT_ELIGIBLE
    assert finding(after, "zorgtoeslag").status is Status.ELIGIBLE
    found = {n.regulation_id: n for n in notices_between(before, after)}
    notice = found["zorgtoeslag"]
    assert notice.message == (
        "Note: this change affects Healthcare allowance: not entitled → likely entitled "
        "(EUR 828.00)"
    )
    assert notice.as_dict() == {
        "regulation": "zorgtoeslag",
        "title": "Healthcare allowance",
        "before": {"status": "not_eligible", "amount_cents": None},
        "after": {"status": "eligible", "amount_cents": 82_800},
        "message": notice.message,
    }


def test_notices_from_the_stored_minimum_equal_those_from_full_reports() -> None:
    held_before, held_after = _flip()
    before = discover(SHELF, held_before, on=ON, agencies=AGENCIES)
    after = discover(SHELF, held_after, on=ON, agencies=AGENCIES)
    stored = json.loads(json.dumps(remembered_as_dict(before.remember())))
    assert all(set(item) == {"regulation", "status", "amount_cents"} for item in stored)
    from_store = notices_between(remembered_from_dict(stored), after)
    assert from_store == notices_between(before, after)
    assert notices_between(before.outcomes, after.outcomes) == [
        WalletNotice(n.regulation_id, n.regulation_id, n.before, n.after) for n in from_store
    ]  # raw outcomes carry no title: the regulation id stands in


def test_notices_follow_the_rule_of_the_core() -> None:
    held_before, held_after = _flip()
    before = discover(SHELF, held_before, on=ON, agencies=AGENCIES)
    after = discover(SHELF, held_after, on=ON, agencies=AGENCIES)
    core = notices(before.outcomes, after.outcomes)
    ours = notices_between(before, after)
    assert [(n.regulation, n.before, n.after, n.amount_before, n.amount_after) for n in core] == [
        (
            n.regulation_id,
            n.before.status,
            n.after.status,
            n.before.amount_cents,
            n.after.amount_cents,
        )
        for n in ours
    ]


def test_no_change_no_notice() -> None:
    held, _ = _flip()
    report = discover(SHELF, held, on=ON, agencies=AGENCIES)
    assert notices_between(report, report) == []


def test_a_malformed_stored_scan_is_refused() -> None:
    with pytest.raises(ValueError, match="malformed"):
        remembered_from_dict(
            [{"regulation": "zorgtoeslag", "status": "eligible", "amount_cents": 1.5}]
        )
    with pytest.raises(ValueError, match="not a valid Status"):
        remembered_from_dict([{"regulation": "zorgtoeslag", "status": "perhaps"}])
    assert remembered_from_dict(
        [{"regulation": "x", "status": "unknown", "amount_cents": None}]
    ) == (RememberedOutcome("x", Status.UNKNOWN, None),)


def test_the_report_as_json_has_its_documented_keys() -> None:
    report = report_for(case_named("zorgtoeslag", "missing_assets_credential_is_unknown"))
    document: dict[str, Any] = json.loads(json.dumps(report.as_dict()))
    assert set(document) == {"on", "entitled", "not_entitled", "unknown", "hardship"}
    assert document["on"] == "2026-03-01"
    items = [
        item
        for group in ("entitled", "not_entitled", "unknown", "hardship")
        for item in document[group]
    ]
    assert items
    for item in items:
        assert set(item) == {
            "regulation",
            "version",
            "title",
            "status",
            "message",
            "explanation",
            "amount_cents",
            "estimated",
            "legal_basis",
            "citation",
            "settle_with",
        }
        assert item["version"].startswith("sha256:")
        assert set(item["legal_basis"]) == {"title", "id", "article", "url"}
        assert item["amount_cents"] is None or isinstance(item["amount_cents"], int)
        for settle in item["settle_with"]:
            assert set(settle) == {"vct", "credential", "agencies", "message"}
