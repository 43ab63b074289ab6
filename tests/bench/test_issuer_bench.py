"""Smoke runs of ``python -m bench.issuer`` with tiny counts: every path runs and every
figure is printed. Nothing here looks at how fast anything is (bench/README.md)."""

from __future__ import annotations

import json
import re

import pytest

from bench.issuer import LABELS, main

TINY = ["--rounds", "1", "--seconds", "0.01"]
FIGURE = r"\d[\d,]*(\.\d+)?"


def test_the_text_report_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([*TINY, "--http-rounds", "1", "--flows", "2", "--concurrency", "2"])
    out = capsys.readouterr().out
    assert status == 0
    for label in LABELS.values():
        row = re.search(
            rf"^{re.escape(label)}\s+({FIGURE})\s+({FIGURE})\s+(\d+\.\d\d)\s", out, re.M
        )
        assert row is not None, label
        assert float(row.group(1).replace(",", "")) > 0
    assert "through HTTP: one uvicorn worker, 2 concurrent wallet flows" in out
    http = out.split("through HTTP", 1)[1].splitlines()[2]
    figures = re.findall(rf"{FIGURE}%?(?: ms)?|n/a", http)  # n/a: no /proc for the server CPU
    assert len(figures) == 7, http  # cred/s, ratio, per server CPU s, ratio, busy, p50, p99
    assert re.search(r"^(PASS|MISS): issuer in process \d\.\d{3} (>=|<) 0\.6 ", out, re.M)


def test_the_json_report_holds_every_path(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([*TINY, "--json", "--no-http", "--configuration", "household_income"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["configuration"] == "household_income"
    assert report["disclosures"] == 2
    assert report["http"] is None
    rows = report["in_process"]
    assert set(rows) == set(LABELS)
    for row in rows.values():
        assert row["per_cpu_second"] > 0
        assert row["per_wall_second"] > 0
        assert len(row["rates"]) == 1
    assert rows["ceiling"]["ratio"] == 1.0
    assert rows["build"]["target"] == 0.6
    assert report["passed"] is rows["build"]["passed"]
