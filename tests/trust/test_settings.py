"""``TrustSettings`` and ``docs/trust.example.env`` describe the same variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trust.settings import TrustSettings

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "trust.example.env"


def test_the_example_lists_every_setting_and_loads() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    listed = re.findall(r"^#? ?AANSPRAAK_TRUST_(\w+)=", text, re.M)
    assert sorted(name.lower() for name in listed) == sorted(TrustSettings.model_fields)
    settings = TrustSettings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert (settings.rpc_url, settings.chain_id) == ("http://127.0.0.1:8545", 31337)
    assert settings.code_hash is None  # the artifact's, unless pinned otherwise


def test_every_setting_is_documented() -> None:
    doc = TrustSettings.__doc__ or ""
    assert all(f"``{name}``" in doc for name in TrustSettings.model_fields)


def test_environment_variables_are_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AANSPRAAK_TRUST_CONFIRMATIONS", "3")
    assert TrustSettings().confirmations == 3
