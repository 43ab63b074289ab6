"""``VerifierSettings`` and its documentation say the same thing.

``docs/verifier.example.env`` lists every variable (inherited ones included) with what it does
and its default, and the defaults it states are the code's; ``docs/verifier.md`` shows every
``aanspraak verifier`` command and every endpoint the service has.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import typer
from fastapi import APIRouter

import verifier.routes_desk
import verifier.routes_page
import verifier.routes_wallet
from aanspraak.verifier_cli import app as verifier_commands
from runtime.settings import Profile
from tests.settings_docs import (
    assert_every_choice_named,
    assert_every_setting_described,
    assert_stated_defaults_are_code_defaults,
)
from verifier.settings import VerifierSettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "verifier.example.env"
GUIDE = ROOT / "docs" / "verifier.md"
README = ROOT / "README.md"
PREFIX = "AANSPRAAK_VERIFIER_"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the file speaks: variables of the test's own environment would win over it."""
    for name in list(os.environ):
        if name.startswith("AANSPRAAK_VERIFIER_"):
            monkeypatch.delenv(name)


def test_the_example_lists_every_setting_with_a_comment() -> None:
    assert_every_setting_described(EXAMPLE, PREFIX, VerifierSettings)


def test_the_stated_defaults_are_the_code_defaults() -> None:
    assert_stated_defaults_are_code_defaults(EXAMPLE, PREFIX, VerifierSettings)


def test_every_choice_of_a_setting_is_named_in_its_comment() -> None:
    assert (
        assert_every_choice_named(EXAMPLE, PREFIX, VerifierSettings) >= 11
    )  # profile, client_id_prefix, response_mode, response_enc


def test_the_example_loads_as_it_is_and_with_every_line_uncommented(tmp_path: Path) -> None:
    settings = VerifierSettings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert settings.profile is Profile.PRODUCTION
    assert settings.public_url == "https://loket.gemeente.example"
    assert settings.client_id_prefix == "x509_san_dns"
    assert settings.regulations == ["kwijtschelding", "individuele_inkomenstoeslag"]
    assert settings.signing_key_path == Path("/etc/aanspraak/verifier/signing-key-2026.pem")
    assert settings.did is None
    assert settings.local_origins == []

    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("# AANSPRAAK_VERIFIER_", "AANSPRAAK_VERIFIER_")
    everything = tmp_path / "everything.env"
    everything.write_text(text.replace("PROFILE=production", "PROFILE=development"))
    settings = VerifierSettings(_env_file=everything)  # type: ignore[call-arg]
    assert settings.local_origins == ["http://127.0.0.1:8001", "http://localhost:8002"]
    assert settings.did == "did:web:loket.gemeente.example"


def test_the_example_names_trust_settings_that_exist() -> None:
    from trust.settings import TrustSettings

    named = re.findall(r"^# AANSPRAAK_TRUST_(\w+)=", EXAMPLE.read_text(), re.MULTILINE)
    assert named
    assert {name.lower() for name in named} <= set(TrustSettings.model_fields)


def test_environment_variables_are_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AANSPRAAK_VERIFIER_PUBLIC_URL", "https://loket.example")
    monkeypatch.setenv("AANSPRAAK_VERIFIER_REGULATIONS", '["kwijtschelding"]')
    monkeypatch.setenv("AANSPRAAK_VERIFIER_DECISION_RETENTION_DAYS", "30")
    monkeypatch.setenv("DECISION_RETENTION_DAYS", "7")  # unprefixed: not ours
    settings = VerifierSettings()  # type: ignore[call-arg]
    assert (settings.regulations, settings.decision_retention_days) == (["kwijtschelding"], 30)


def _command_lines(app: typer.Typer, prefix: str) -> list[str]:
    lines = [f"{prefix} {command.name}" for command in app.registered_commands]
    for group in app.registered_groups:
        assert group.typer_instance is not None
        lines += _command_lines(group.typer_instance, f"{prefix} {group.name}")
    return lines


def test_the_guide_shows_every_command() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    commands = _command_lines(verifier_commands, "aanspraak verifier")
    assert len(commands) >= 7  # serve, request, result and the api-key group
    for command in commands:
        assert command in guide, f"docs/verifier.md does not show `{command}`"


def test_the_guide_shows_every_endpoint() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    routers: list[APIRouter] = [
        verifier.routes_desk.router,
        verifier.routes_wallet.router,
        verifier.routes_page.router,
    ]
    paths = {route.path for router in routers for route in router.routes}  # type: ignore[attr-defined]
    assert len(paths) >= 9
    for path in paths:
        shown = re.search(re.escape(path) + r"(?![\w/{.-])", guide)
        assert shown is not None, f"docs/verifier.md does not show {path}"


def test_the_readme_points_to_the_guide() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "docs/verifier.md" in readme
    assert "aanspraak verifier serve" in readme
