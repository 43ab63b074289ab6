"""Documentation that is generated from code must match the code."""

from __future__ import annotations

from scripts.reason_docs import TARGET, render


def test_reason_reference_is_current() -> None:
    assert TARGET.read_text(encoding="utf-8") == render(), "run: python -m scripts.reason_docs"


def test_regulation_schema_is_current() -> None:
    from scripts.regulation_schema import TARGET as SCHEMA
    from scripts.regulation_schema import render as render_schema

    assert SCHEMA.read_text(encoding="utf-8") == render_schema(), (
        "run: python -m scripts.regulation_schema"
    )
