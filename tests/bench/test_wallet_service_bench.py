"""``bench.wallet_service`` runs every path with a tiny count and prints every figure."""

from __future__ import annotations

import json

import pytest

from bench import wallet_service


def test_every_figure_is_measured_and_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert wallet_service.main(["--count", "1", "--warmup", "0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    figures = report["figures"]
    assert set(figures) == {
        "answer: library",
        "answer: service",
        "receive: library",
        "receive: service",
    }
    assert all(row["per_second"] > 0 and row["p50_ms"] > 0 for row in figures.values())
    assert figures["answer: service"]["ratio_to_library"] > 0
