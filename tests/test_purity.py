"""``specs/`` is pure (DESIGN §1): no clock, no environment, no files, no network, no randomness.

Import direction is enforced by import-linter; this test catches what imports cannot show:
reading the clock or the environment, opening files, drawing randomness inside the core.
"""

from __future__ import annotations

import re
from pathlib import Path

SPECS = Path(__file__).resolve().parents[1] / "specs"
FORBIDDEN = {
    "reads the clock": re.compile(
        r"\btime\.(time|monotonic|perf_counter)\(|datetime\.now\(|date\.today\("
    ),
    "reads the environment": re.compile(r"\bos\.environ\b|\bos\.getenv\("),
    "opens files": re.compile(r"(?<![\w.])open\(|\.read_text\(|\.read_bytes\(|\.write_text\("),
    "draws randomness": re.compile(r"\bos\.urandom\(|\bsecrets\.|\brandom\.\w+\("),
    "does network I/O": re.compile(r"\bsocket\b|\burllib\.request\b"),
}


def test_specs_has_no_side_effects() -> None:
    offences = [
        f"{path.relative_to(SPECS.parent)}: {what}"
        for path in sorted(SPECS.rglob("*.py"))
        for what, pattern in FORBIDDEN.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offences == []
