"""Smoke runs of ``python -m bench.verifier`` with tiny counts: every path runs and every
figure is printed, and the workload's answers really decide ``eligible``. Nothing here looks
at how fast anything is (bench/README.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from aanspraak.loopback import bound_listener, url_of
from bench.verifier import LABELS, TARGET, main
from bench.verifier_workload import CASES, EXPECTED, Workload, prepare_answer
from specs.rules import evaluate, facts_from_credentials
from verifier.app import prepare
from verifier.pipeline import verify_presentations
from verifier.responses import receive_response
from verifier.tables import decisions

TINY = ["--quick", "--rounds", "1", "--seconds", "0.01"]
FIGURE = r"\d[\d,]*(\.\d+)?"


def test_the_text_report_prints_every_path_and_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([*TINY, "--http-rounds", "1", "--answers", "2", "--concurrency", "2"])
    out = capsys.readouterr().out
    assert status == 0
    sections = out.split("\n\n")
    for name, case in CASES.items():
        section = next(s for s in sections if s.startswith(f"{name}: "))
        assert f"the ceiling is {case.presentations} x (SD-JWT + KB verify) per answer" in section
        for label in LABELS.values():
            row = re.search(
                rf"^{re.escape(label)}\s+({FIGURE})\s+({FIGURE})\s+({FIGURE})\s+(\d+\.\d\d)\s",
                section,
                re.M,
            )
            assert row is not None, (name, label)
            assert float(row.group(1).replace(",", "")) > 0
    assert "through HTTP: one uvicorn worker (verifier.serve), direct_post.jwt" in out
    http = out.split("through HTTP", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    assert [line.split()[0] for line in http] == list(CASES)
    for line in http:  # answers/s, ratio, per server CPU s, ratio, busy, p50, p99
        figures = re.findall(rf"{FIGURE}%?(?: ms)?|n/a", line.split(maxsplit=1)[1])
        assert len(figures) == 7, line
    verdict = r"^(MET|MISSED): pipeline in process, target >= 0\.7 of the ceiling: assets "
    assert re.search(verdict + r"\(1 credential\) \d\.\d{3} (met|missed), zorgtoeslag ", out, re.M)


def test_the_json_report_holds_every_path(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([*TINY, "--json", "--no-http"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["http"] is None
    assert report["fetches_while_timing"] == 0
    assert set(report["in_process"]) == set(CASES)
    for name, rows in report["in_process"].items():
        assert set(rows) == set(LABELS)
        assert rows["ceiling"]["ratio"] == 1.0
        assert rows["pipeline"]["target"] == TARGET
        presentations = CASES[name].presentations
        for row in rows.values():
            assert row["answers_per_cpu_second"] > 0
            assert row["presentations_per_cpu_second"] == pytest.approx(
                row["answers_per_cpu_second"] * presentations
            )
            assert len(row["rates"]) == 1
    assert report["met"] is all(rows["pipeline"]["met"] for rows in report["in_process"].values())


async def test_the_workload_answers_decide_eligible(tmp_path: Path) -> None:
    with bound_listener() as listener:
        workload = Workload.create(tmp_path, url_of(listener))
        context = workload.context(workload.settings("http://127.0.0.1:8003"))
        try:
            await prepare(context)
            for case in CASES.values():
                prepared = await prepare_answer(context, workload, case)
                assert len(prepared.presentations) == case.presentations
                verified = await verify_presentations(
                    context, prepared.vp_token, prepared.expectations
                )
                facts = facts_from_credentials(
                    prepared.compiled.regulation,
                    [v.held() for v in verified],
                    desk=dict(case.desk_facts) or None,
                )
                outcome = evaluate(prepared.compiled, facts.facts)
                assert outcome.status.value == EXPECTED == "eligible"
                assert outcome.amount_cents == 82_800  # the scenario's published figure
                kinds = {use.source.kind for use in outcome.inputs if use.source}
                assert kinds == ({"credential", "desk"} if case.desk_facts else {"credential"})
                await receive_response(context, prepared.body)  # direct_post.jwt
                async with context.database.read() as connection:
                    stored = (
                        await connection.execute(
                            select(decisions.c.outcome).where(
                                decisions.c.transaction_id == prepared.transaction_id
                            )
                        )
                    ).scalar()
                assert stored == EXPECTED
            fetched = workload.agencies.fetches
            assert fetched == 2 * 3  # metadata and status list of each agency, once
            again = await prepare_answer(context, workload, CASES["zorgtoeslag"])
            await verify_presentations(context, again.vp_token, again.expectations)
            assert workload.agencies.fetches == fetched  # from cache from now on
        finally:
            await context.fetcher.aclose()
            await context.database.engine.dispose()
