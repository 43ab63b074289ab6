"""Smoke runs of ``python -m bench.sd_jwt`` with tiny counts: every implementation runs, its
output is checked before it is timed, and every figure is printed. Nothing here looks at how
fast anything is (bench/README.md)."""

from __future__ import annotations

import json
import re

import pytest

from bench.sd_jwt import main
from bench.sd_jwt_js import unavailable_reason

TINY = ["--quick", "--rounds", "1", "--seconds", "0.01"]
FIGURE = r"\d[\d,]*"


def test_the_text_report_prints_every_operation_against_both_references(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(TINY) == 0
    out = capsys.readouterr().out
    for operation in ("issue", "present", "verify"):
        row = re.search(rf"^{operation}\s+({FIGURE})\s+({FIGURE})\s+(\d+\.\d\d)\s", out, re.M)
        assert row is not None, operation
        assert int(row.group(1).replace(",", "")) > 0
    assert re.search(r"verify vs sd-jwt (PASS|MISS) \(\d+\.\d\dx", out)
    if unavailable_reason() is None:
        assert "@sd-jwt/sd-jwt-vc 0.19.0: node v" in out
    else:
        assert f"@sd-jwt/sd-jwt-vc: n/a ({unavailable_reason()})" in out


def test_the_json_report_holds_every_figure_and_can_leave_the_js_reference_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*TINY, "--json", "--no-js"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["operations"]) == {"issue", "present", "verify"}
    assert report["js_unavailable"] == "--no-js"
    for row in report["operations"].values():
        assert row["ours_ops"] > 0
        assert row["ceiling_ops"] > 0
        assert row["reference_ops"] > 0
        assert row["speedup_over_reference"] == row["ours_ops"] / row["reference_ops"]
        assert row["js_ops"] is None
