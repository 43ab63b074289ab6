"""``aanspraak regulations``: list, show, check, explain, dcql, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.regulations import catalogue
from runtime.scenarios import load_scenarios, scenario_files
from tests.cli.conftest import Run
from tests.specs.rules.toy import TOY

pytestmark = pytest.mark.skipif(not catalogue(), reason="no bundled regulations yet")


def _first_case() -> tuple[str, dict[str, object], dict[str, object]]:
    scenarios = load_scenarios(next(iter(scenario_files())))
    case = next(c for c in scenarios.cases if c.expect["status"] == "eligible")
    facts = {
        "credentials": [
            {"issuer": c.issuer, "vct": c.vct, "claims": dict(c.claims)} for c in case.credentials
        ],
        "self_declared": case.self_declared,
    }
    return scenarios.regulation, facts, case.expect


def test_list_and_show(run: Run) -> None:
    listed = run("regulations", "list")
    assert listed.code == 0
    for compiled in catalogue():
        assert compiled.regulation.id in listed.stdout
    regulation = catalogue()[0].regulation.id
    shown = json.loads(run("regulations", "show", regulation).stdout)
    assert shown["id"] == regulation
    assert shown["version"].startswith("sha256:")
    assert all(p["source"]["url"].startswith("https://") for p in shown["parameters"].values())


def test_check_the_catalogue_and_a_broken_file(run: Run, tmp_path: Path) -> None:
    result = run("regulations", "check")
    assert result.code == 0, result.stderr
    assert result.stdout.count("ok ") == len(catalogue())
    broken = tmp_path / "toy_allowance" / "DT-2026-01-01.yaml"
    broken.parent.mkdir()
    broken.write_text(TOY.replace("{param: min_age}", "{param: nope}"))
    result = run("regulations", "check", str(broken))
    assert result.code == 1
    assert "INVALID" in result.stderr
    assert "unknown param 'nope'" in result.stderr


def test_explain_prints_the_outcome_with_its_legal_basis(run: Run, tmp_path: Path) -> None:
    regulation, facts, expect = _first_case()
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(json.dumps(facts))
    result = run("regulations", "explain", regulation, "--facts", str(facts_file), "--json")
    assert result.code == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["status"] == expect["status"]
    assert all(node["legal_basis"]["url"].startswith("https://") for node in outcome["trace"])
    assert all(use["source"] is not None for use in outcome["inputs"])
    text = run("regulations", "explain", regulation, "--facts", str(facts_file))
    assert text.code == 0
    assert f"{regulation}: eligible" in text.stdout
    assert "art." in text.stdout


def test_dcql_prints_a_query_with_its_purpose(run: Run) -> None:
    regulation = catalogue()[0].regulation.id
    result = json.loads(run("regulations", "dcql", regulation).stdout)
    assert result["dcql_query"]["credentials"]
    assert result["purpose"]["regulation"] == regulation
    assert len(result["transaction_data"]) == 1


def test_usage_errors(run: Run, tmp_path: Path) -> None:
    assert run("regulations", "show", "no_such_thing").code == 2
    regulation = catalogue()[0].regulation.id
    assert run("regulations", "dcql", regulation, "--known", "not_an_input").code == 2
    (tmp_path / "f.json").write_text("[1]")
    assert run("regulations", "explain", regulation, "--facts", str(tmp_path / "f.json")).code == 2
