"""Every scenario of every bundled regulation, and the properties the issue asks of them.

* each regulation has a scenario file with at least 12 cases, and every case passes;
* the trace names the legal basis of every node and the source of every input;
* minimality: every claim in the compiled DCQL query serves an input that the evaluation
  reads in some scenario (no claim is asked that the decision does not use).
"""

from __future__ import annotations

from typing import Any

import pytest

from runtime.regulations import catalogue, find
from runtime.scenarios import Scenario, ScenarioFile, load_scenarios, scenario_files
from specs.rules import Status, compile_dcql, evaluate, facts_from_credentials
from specs.rules.engine import CompiledRegulation

MIN_CASES = 12
FILES = [load_scenarios(path) for path in scenario_files()]
CASES = [pytest.param(f, case, id=f"{f.regulation}:{case.name}") for f in FILES for case in f.cases]


def _run(compiled: CompiledRegulation, case: Scenario) -> Any:
    facts = facts_from_credentials(
        compiled.regulation, case.credentials, self_declared=case.self_declared, desk=case.desk
    )
    return evaluate(compiled, facts.facts), facts.rejected


def _compiled(scenarios: ScenarioFile) -> CompiledRegulation:
    import datetime as dt

    return find(scenarios.regulation, dt.date.fromisoformat(scenarios.valid_from))


def test_every_regulation_has_enough_scenarios() -> None:
    counts = {f.regulation: len(f.cases) for f in FILES}
    assert {c.regulation.id for c in catalogue()} <= set(counts)
    assert all(count >= MIN_CASES for count in counts.values()), counts


@pytest.mark.parametrize(("scenarios", "case"), CASES)
def test_scenario(scenarios: ScenarioFile, case: Scenario) -> None:
    outcome, rejected = _run(_compiled(scenarios), case)
    expect = case.expect
    assert outcome.status is Status(expect["status"])
    if "amount_cents" in expect:
        assert outcome.amount_cents == expect["amount_cents"]
    if "estimated" in expect:
        assert outcome.estimated is expect["estimated"]
    if "settle_with" in expect:
        assert set(expect["settle_with"]) <= set(outcome.settle_with)
    if "rejected" in expect:
        assert sorted([r.input, r.reason] for r in rejected) == sorted(expect["rejected"])
    assert all(node.legal_basis.url.startswith("https://") for node in outcome.trace)
    for use in outcome.inputs:
        assert use.source is not None or outcome.status is not Status.ELIGIBLE


@pytest.mark.parametrize("scenarios", FILES, ids=lambda f: f.regulation)
def test_the_query_asks_only_what_the_evaluation_reads(scenarios: ScenarioFile) -> None:
    compiled = _compiled(scenarios)
    read: set[str] = set()
    for case in scenarios.cases:
        outcome, _ = _run(compiled, case)
        read |= {use.name for use in outcome.inputs}
    request = compile_dcql(compiled)
    asked = {need.input for need in request.needs}
    assert asked <= read, f"asked but never read: {sorted(asked - read)}"
    claims = {
        (c["meta"]["vct_values"][0], tuple(claim["path"]))
        for c in request.query["credentials"]
        for claim in c["claims"]
    }
    assert claims == {(need.vct, need.path) for need in request.needs}
