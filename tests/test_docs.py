"""Documentation that is generated from code must match the code."""

from __future__ import annotations

from scripts.reason_docs import TARGET, render


def test_reason_reference_is_current() -> None:
    assert TARGET.read_text(encoding="utf-8") == render(), "run: python -m scripts.reason_docs"
