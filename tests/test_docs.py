"""Documentation that is generated from code must match the code."""

from __future__ import annotations

import pytest

from scripts.reason_docs import TARGET, render


def test_reason_reference_is_current() -> None:
    assert TARGET.read_text(encoding="utf-8") == render(), "run: python -m scripts.reason_docs"


def test_regulation_schema_is_current() -> None:
    from scripts.regulation_schema import TARGET as SCHEMA
    from scripts.regulation_schema import render as render_schema

    assert SCHEMA.read_text(encoding="utf-8") == render_schema(), (
        "run: python -m scripts.regulation_schema"
    )


def test_cli_reference_is_current() -> None:
    from scripts.cli_docs import TARGET as CLI_REFERENCE
    from scripts.cli_docs import render as render_cli

    assert CLI_REFERENCE.exists(), "run: python -m scripts.cli_docs"
    assert CLI_REFERENCE.read_text(encoding="utf-8") == render_cli(), (
        "the command line changed: run python -m scripts.cli_docs"
    )


def test_cli_reference_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from scripts.cli_docs import render as render_cli

    plain = render_cli()
    for name, value in {"COLUMNS": "40", "TERMINAL_WIDTH": "40", "FORCE_COLOR": "1"}.items():
        monkeypatch.setenv(name, value)
    assert render_cli() == plain
    assert "\x1b" not in plain
