"""``WalletSettings`` and its documentation say the same thing.

``docs/wallet.example.env`` lists every variable (inherited ones included) with what it does
and its default, and the defaults it states are the code's; ``docs/wallet.md`` shows every
``aanspraak wallet`` command, every endpoint and every error code the service has.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from fastapi import APIRouter

import wallet.routes_account
import wallet.routes_holdings
import wallet.wire_errors
from aanspraak.wallet_cli import app as wallet_commands
from runtime.settings import Profile
from runtime.wire import WireError
from tests.settings_docs import (
    assert_every_choice_named,
    assert_every_setting_described,
    assert_stated_defaults_are_code_defaults,
)
from wallet.settings import WalletSettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "wallet.example.env"
GUIDE = ROOT / "docs" / "wallet.md"
README = ROOT / "README.md"
PREFIX = "AANSPRAAK_WALLET_"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the file speaks: variables of the test's own environment would win over it."""
    for name in list(os.environ):
        if name.startswith("AANSPRAAK_WALLET_"):
            monkeypatch.delenv(name)


def test_the_example_lists_every_setting_with_a_comment() -> None:
    assert_every_setting_described(EXAMPLE, PREFIX, WalletSettings)


def test_the_stated_defaults_are_the_code_defaults() -> None:
    assert_stated_defaults_are_code_defaults(EXAMPLE, PREFIX, WalletSettings)


def test_every_choice_of_a_setting_is_named_in_its_comment() -> None:
    assert assert_every_choice_named(EXAMPLE, PREFIX, WalletSettings) >= 2  # profile


def test_the_example_loads_as_it_is_and_with_every_line_uncommented(tmp_path: Path) -> None:
    settings = WalletSettings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert settings.profile is Profile.PRODUCTION
    assert settings.public_url == "https://wallet.aanspraak.example"
    assert settings.pin_secret_path == Path("/etc/aanspraak/wallet/pin-secret.key")
    assert settings.session_key_path == Path("/etc/aanspraak/wallet/session.key")
    assert settings.local_origins == []

    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("# AANSPRAAK_WALLET_", "AANSPRAAK_WALLET_")
    everything = tmp_path / "everything.env"
    everything.write_text(text.replace("PROFILE=production", "PROFILE=development"))
    settings = WalletSettings(_env_file=everything)  # type: ignore[call-arg]
    assert settings.local_origins == ["http://127.0.0.1:8001", "http://127.0.0.1:8003"]


def test_the_example_names_trust_settings_that_exist() -> None:
    from trust.settings import TrustSettings

    named = re.findall(r"^# AANSPRAAK_TRUST_(\w+)=", EXAMPLE.read_text(), re.MULTILINE)
    assert named
    assert {name.lower() for name in named} <= set(TrustSettings.model_fields)


def test_environment_variables_are_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AANSPRAAK_WALLET_PUBLIC_URL", "https://wallet.example")
    monkeypatch.setenv("AANSPRAAK_WALLET_PIN_MAX_FAILURES", "3")
    monkeypatch.setenv("PIN_MAX_FAILURES", "7")  # unprefixed: not ours
    settings = WalletSettings()  # type: ignore[call-arg]
    assert settings.pin_max_failures == 3


def test_the_guide_shows_every_command() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    commands = [
        f"aanspraak wallet {command.name}" for command in wallet_commands.registered_commands
    ]
    assert commands == ["aanspraak wallet serve"]
    for command in commands:
        assert command in guide, f"docs/wallet.md does not show `{command}`"


def test_the_guide_shows_every_endpoint() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    routers: list[APIRouter] = [wallet.routes_account.router, wallet.routes_holdings.router]
    routes = [route for router in routers for route in router.routes]
    assert len(routes) >= 18
    for route in routes:
        for method in route.methods:  # type: ignore[attr-defined]
            shown = re.search(
                rf"`{method} {re.escape(route.path)}`",  # type: ignore[attr-defined]
                guide,
            )
            assert shown is not None, f"docs/wallet.md does not show {method} {route.path}"  # type: ignore[attr-defined]


def test_the_guide_names_every_error_code() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    errors = [
        value
        for value in vars(wallet.wire_errors).values()
        if isinstance(value, type) and issubclass(value, WireError) and value is not WireError
    ]
    assert len(errors) >= 12
    for error in errors:
        assert f"`{error.error}`" in guide, f"docs/wallet.md does not name {error.error}"


def test_the_readme_points_to_the_guide() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "docs/wallet.md" in readme
    assert "aanspraak wallet serve" in readme
