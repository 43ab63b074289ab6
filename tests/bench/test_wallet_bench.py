"""Smoke runs of ``python -m bench.wallet`` with tiny counts: every path runs, is checked, and
its figure is printed. Nothing here looks at how fast anything is (bench/README.md)."""

from __future__ import annotations

import json
import re

import pytest

from bench.wallet import LABELS, Presentation, main
from specs.jose import parse_compact_jws

TINY = ["--quick", "--rounds", "1", "--seconds", "0.01"]
FIGURE = r"\d[\d,]*"


def test_the_text_report_prints_every_path_and_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(TINY) == 0
    out = capsys.readouterr().out
    assert "discovery: 5 regulations on the shelf (4 discoverable) x 10 credentials" in out
    assert "presentation: household assets, 3 of 14 Disclosures + KB-JWT" in out
    for label in LABELS.values():
        row = re.search(
            rf"^{re.escape(label)}\s+({FIGURE})\s+({FIGURE})\s+(\d+\.\d\d)\s", out, re.M
        )
        assert row is not None, label
        assert int(row.group(1).replace(",", "")) > 0
        assert float(row.group(3)) > 0


def test_the_json_report_holds_every_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*TINY, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["workload"]["wallet"] == 10
    groups = report["groups"]
    assert set(groups) == {"discovery", "presentation"}
    assert set(groups["discovery"]) == {"scan", "discover"}
    assert set(groups["presentation"]) == {"es256", "present"}
    assert groups["discovery"]["scan"]["ratio"] == 1.0
    assert groups["presentation"]["es256"]["ratio"] == 1.0
    for rows in groups.values():
        for row in rows.values():
            assert row["per_cpu_second"] > 0
            assert row["ratio"] > 0
            assert len(row["rates"]) == 1


def test_the_timed_presentation_discloses_only_what_the_query_asks() -> None:
    presentation = Presentation.create()
    assert presentation.check() == 3
    token = presentation.present()
    kb_payload = parse_compact_jws(token.rsplit("~", 1)[1]).payload
    assert kb_payload["aud"] == "https://desk.example"
    assert len(kb_payload["transaction_data_hashes"]) == 1
    assert {str(path[0]) for path in presentation.disclose} == {
        "joint_assets_within_zorgtoeslag_limit_single",
        "joint_assets_within_zorgtoeslag_limit_couple",
        "reference_date",
    }
