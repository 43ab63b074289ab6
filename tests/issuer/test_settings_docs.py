"""``IssuerSettings`` and its documentation say the same thing.

``docs/issuer.example.env`` lists every variable (inherited ones included) with what it does
and its default, and the defaults it states are the code's; ``docs/issuer.md`` shows every
``aanspraak issuer`` command and describes the webhook signature the code computes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pytest
import typer

from aanspraak.issuer_cli import app as issuer_commands
from issuer.settings import IssuerSettings
from issuer.webhooks import SIGNATURE_HEADER, signature
from runtime.settings import Profile
from tests.settings_docs import (
    assert_every_setting_described,
    assert_stated_defaults_are_code_defaults,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE = DOCS / "issuer.example.env"
GUIDE = DOCS / "issuer.md"
PREFIX = "AANSPRAAK_ISSUER_"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the file speaks: variables of the test's own environment would win over it."""
    for name in list(os.environ):
        if name.startswith("AANSPRAAK_ISSUER_"):
            monkeypatch.delenv(name)


def test_the_example_lists_every_setting_with_a_comment() -> None:
    assert_every_setting_described(EXAMPLE, PREFIX, IssuerSettings)


def test_the_stated_defaults_are_the_code_defaults() -> None:
    assert_stated_defaults_are_code_defaults(EXAMPLE, PREFIX, IssuerSettings)


def test_the_example_loads_as_it_is_and_with_every_line_uncommented(tmp_path: Path) -> None:
    settings = IssuerSettings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert settings.profile is Profile.PRODUCTION
    assert settings.public_url == "https://issuer.toeslagen.example"
    assert settings.configurations == ["household_income", "household_assets"]
    assert settings.retired_key_files == [Path("/etc/aanspraak/issuer/signing-key-2025.pem")]
    assert settings.webhook_url is None
    assert settings.local_origins == []

    text = EXAMPLE.read_text(encoding="utf-8").replace("# AANSPRAAK_ISSUER_", "AANSPRAAK_ISSUER_")
    everything = tmp_path / "everything.env"
    everything.write_text(text.replace("PROFILE=production", "PROFILE=development"))
    settings = IssuerSettings(_env_file=everything)  # type: ignore[call-arg]
    assert settings.local_origins == ["http://127.0.0.1:8002", "http://127.0.0.1:8003"]
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None


def test_environment_variables_are_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AANSPRAAK_ISSUER_PUBLIC_URL", "https://issuer.example")
    monkeypatch.setenv("AANSPRAAK_ISSUER_CONFIGURATIONS", '["rent"]')
    monkeypatch.setenv("AANSPRAAK_ISSUER_TX_CODE_LENGTH", "8")
    settings = IssuerSettings()  # type: ignore[call-arg]
    assert (settings.configurations, settings.tx_code_length) == (["rent"], 8)


def _command_lines(app: typer.Typer, prefix: str) -> list[str]:
    lines = [f"{prefix} {command.name}" for command in app.registered_commands]
    for group in app.registered_groups:
        assert group.typer_instance is not None
        lines += _command_lines(group.typer_instance, f"{prefix} {group.name}")
    return lines


def test_the_guide_shows_every_command() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    commands = _command_lines(issuer_commands, "aanspraak issuer")
    assert len(commands) >= 12  # serve, offer, revoke, ..., and the api-key group
    for command in commands:
        assert command in guide, f"docs/issuer.md does not show `{command}`"


def test_the_guide_describes_the_webhook_signature_the_code_computes() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert SIGNATURE_HEADER in guide
    assert "sha256=" in guide
    body = b'{"event":"offer.redeemed"}'
    expected = "sha256=" + hmac.new(b"shared secret", body, hashlib.sha256).hexdigest()
    assert signature(b"shared secret", body) == expected
