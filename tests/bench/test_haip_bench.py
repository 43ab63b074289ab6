"""``bench.haip`` runs every path in both towns with a tiny count and prints every figure."""

from __future__ import annotations

import json

import pytest

from bench import haip


def test_every_figure_is_measured_and_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert haip.main(["--count", "1", "--warmup", "0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    figures = report["figures"]
    assert set(figures) == {
        "receive: plain",
        "receive: strict HAIP",
        "answer: plain",
        "answer: strict HAIP",
    }
    assert all(row["per_second"] > 0 and row["p50_ms"] > 0 for row in figures.values())
    assert figures["receive: strict HAIP"]["ratio_to_plain"] > 0
