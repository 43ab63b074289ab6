"""Smoke runs of ``python -m bench.growth`` with tiny sizes: every curve runs, is checked, is
printed as a table and drawn as a PNG, and the memory figure prints. Nothing here looks at
how fast anything is (bench/README.md); the verdict rule is tested on made-up curves."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from bench.growth import main
from bench.growth_measure import MAX_EXPONENT, Curve, fitted_slope, points_from, upper_count

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIME = r"\d+\.\d\d (?:µs|ms| s)"
TINY_SIZES = {  # bench.growth's --tiny plan
    "disclosures": (1, 2, 5),
    "credentials": (1, 2, 3),
    "status_first": (1_000, 10_000, 100_000),
    "status_cached": (1_000, 10_000, 100_000),
    "trust_cached": (10, 100, 1_000),
    "chain_read": (2, 4, 6),
}


def test_every_curve_prints_its_table_and_draws_a_png(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["--tiny", "--plots", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    sections = out.split("\n\n")
    for key, sizes in TINY_SIZES.items():
        section = next(s for s in sections if f"plot: {tmp_path / key}.png" in s)
        for size in sizes:
            row = rf"^\s+{size:,}\s+{TIME}\s+\d+\.\d\d\s+\d+\.\d{{3}}$"
            assert re.search(row, section, re.M), (key, size)
        assert re.search(r"linear or better \(<= 1\.2\): (PASS|MISS)$", section, re.M), key
        assert (tmp_path / f"{key}.png").read_bytes().startswith(PNG_MAGIC), key
    chain = next(s for s in sections if "chain_read.png" in s)
    assert re.search(r"JSON-RPC calls per full read: \d+, \d+, \d+$", chain, re.M)
    memory = next(s for s in sections if s.startswith("Peak RSS"))
    for entries in ("1,000", "10,000"):
        assert re.search(rf"^\s+{entries}\s+\d+\.\d\s+\d+\.\d\s+[+-]\d+\.\d MiB$", memory, re.M)
    assert re.search(r"^linear or better: \d/6 curves; (PASS|MISS)", out, re.M)


def test_the_json_report_holds_every_point(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--tiny", "--json", "--no-plots", "--no-memory", "--only", "trust"]) == 0
    report = json.loads(capsys.readouterr().out)
    (curve,) = report["curves"]
    assert curve["key"] == "trust_cached"
    assert [p["size"] for p in curve["points"]] == [10, 100, 1_000]
    assert curve["points"][0]["relative"] == 1.0
    assert all(p["seconds"] > 0 for p in curve["points"])
    assert report["max_exponent"] == MAX_EXPONENT
    assert report["pass"] == curve["linear_or_better"]


def _curve(sizes: list[int], seconds: list[float]) -> Curve:
    return Curve("made_up", "made up", "units", "cpu", points_from(sizes, seconds))


def test_the_verdict_passes_a_fixed_cost_plus_linear_growth() -> None:
    sizes = [1, 2, 5, 10, 20, 50, 100]
    curve = _curve(sizes, [100e-6 + 1e-6 * n for n in sizes])
    assert curve.growth_exponent == pytest.approx(1.0)
    assert curve.linear_or_better
    assert curve.points[-1].to_linear < 0.02  # the fixed cost, shared by 100 units


def test_the_verdict_catches_a_quadratic_term_hidden_under_a_fixed_cost() -> None:
    sizes = [1, 2, 5, 10, 20, 50, 100]
    curve = _curve(sizes, [300e-6 + 0.1e-6 * n * n for n in sizes])
    assert curve.whole_slope < 0.5  # the plain log-log slope would let it through
    assert curve.growth_exponent is not None
    assert curve.growth_exponent > 1.5
    assert not curve.linear_or_better


def test_the_verdict_catches_quadratic_growth_over_few_sizes() -> None:
    sizes = [1, 2, 3, 4, 5]
    assert not _curve(sizes, [200e-6 * n * n for n in sizes]).linear_or_better
    assert _curve(sizes, [200e-6 * n for n in sizes]).linear_or_better


def test_a_flat_curve_passes_without_a_fit() -> None:
    curve = _curve([10, 100, 1_000], [3.6e-6, 3.5e-6, 3.7e-6])
    assert curve.flat
    assert curve.growth_exponent is None
    assert curve.linear_or_better


def test_the_fit_reads_the_exponent_and_uses_the_upper_half() -> None:
    assert fitted_slope([(10, 1.0), (100, 100.0), (1_000, 10_000.0)]) == pytest.approx(2.0)
    assert [upper_count(k) for k in (1, 2, 4, 6)] == [1, 2, 3, 3]


@pytest.mark.skipif(
    not os.environ.get("TEST_CHAIN_RPC_URL"), reason="TEST_CHAIN_RPC_URL is not set (anvil)"
)
def test_the_chain_curve_reads_from_a_node(capsys: pytest.CaptureFixture[str]) -> None:
    url = os.environ["TEST_CHAIN_RPC_URL"]
    args = ["--tiny", "--json", "--no-plots", "--no-memory", "--only", "chain", "--rpc-url", url]
    assert main(args) == 0
    (curve,) = json.loads(capsys.readouterr().out)["curves"]
    assert curve["clock"] == "wall"
    assert [p["size"] for p in curve["points"]] == [2, 4, 6]
    calls = curve["extra"]["rpc_calls_per_read"]
    assert calls[1] - calls[0] == calls[2] - calls[1] == 2  # one eth_call per entry
