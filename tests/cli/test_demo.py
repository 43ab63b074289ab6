"""``aanspraak demo``: the story runs on embedded defaults and discloses only what was asked."""

from __future__ import annotations

import json

from aanspraak.demo import REQUESTED_CLAIMS, run_story
from tests.cli.conftest import Run


def test_demo_discloses_exactly_the_requested_claims() -> None:
    report = run_story(1_790_000_000)
    assert set(report.disclosed) == {".".join(map(str, p)) for p in REQUESTED_CLAIMS}
    assert report.disclosed["income.below_zorgtoeslag_limit_2026"] is True
    assert "income.assessed_income_cents" in report.hidden
    assert "birthdate" in report.hidden
    assert report.steps[3]["status"] == "VALID"


def test_demo_command_prints_json_for_machines(run: Run) -> None:
    result = run("demo", "--json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [step["actor"] for step in report["steps"]][:4] == [
        "Belastingdienst",
        "Belastingdienst",
        "Wallet",
        "Desk",
    ]
    assert "Fatima" not in json.dumps(report["disclosed"])


def test_demo_command_tells_the_story(run: Run) -> None:
    result = run("demo")
    assert result.code == 0, result.stderr
    assert "What the desk learned" in result.stdout
    assert "What stayed in the wallet" in result.stdout


def test_demo_scans_offline_and_the_desk_decides_with_the_law() -> None:
    report = run_story(1_790_000_000)
    found = {d["regulation"]: d for d in report.discoveries}
    assert "kwijtschelding" in found
    assert any(d["status"] == "eligible" for d in report.discoveries)
    assert any(d["estimated"] for d in report.discoveries)
    decision = report.decision
    assert decision["regulation"] == "kwijtschelding"
    assert decision["status"] == "refer_hardship"  # the narrow miss goes to a person
    assert all(n["legal_basis"]["url"].startswith("https://") for n in decision["trace"])
    asked = {tuple(p) for paths in decision["disclosed"].values() for p in paths}
    assert ("joint_assets_cents",) not in asked  # a yes/no claim instead of the amount
    assert decision["disclosures_withheld"] > 0


def test_demo_consults_the_trust_registry() -> None:
    report = run_story(1_790_000_000)
    assert report.trust["tampered_regulation"] == "regulation-hash-mismatch"
    assert any(step["actor"] == "Governance" for step in report.steps)
