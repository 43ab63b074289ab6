"""``python -m bench``: every benchmark as a child process, outputs kept, verdicts summarised."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS, main


def test_a_run_keeps_each_output_and_summarises_its_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--quick", "--only", "rules", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    kept = (tmp_path / "rules.txt").read_text(encoding="utf-8")
    verdict = kept.strip().splitlines()[-1]
    assert verdict.startswith(("PASS", "MISS"))
    assert "==> python -m bench.rules --quick" in out
    summary = out.split("==> summary", 1)[1]
    assert re.search(r"^rules +0 +[\d.]+  ", summary, re.M)
    assert verdict[:160] in summary


def test_every_benchmark_module_exists() -> None:
    bench = Path(__file__).resolve().parents[2] / "bench"
    assert all((bench / f"{name}.py").is_file() for name in BENCHMARKS)


def test_an_unknown_benchmark_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--only", "rules,nonesuch"])
    assert exited.value.code == 2
    assert "unknown benchmark(s): nonesuch" in capsys.readouterr().err
