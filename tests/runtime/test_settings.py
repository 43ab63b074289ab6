"""ServiceSettings: production by default, HTTP and loopback only in development (DESIGN §4)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from runtime.settings import Profile, ServiceSettings

SECRET_URL = "postgresql+asyncpg://app@db.internal/app?password=hunter2-canary"


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AANSPRAAK_EXAMPLE_")
    database_url: str = "sqlite+aiosqlite:///data/example.db"


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AANSPRAAK_EXAMPLE_PUBLIC_URL", "https://issuer.example.nl/")
    monkeypatch.setenv("AANSPRAAK_EXAMPLE_PORT", "9001")
    monkeypatch.setenv("AANSPRAAK_EXAMPLE_MAX_REQUEST_BYTES", "2048")
    settings = ExampleSettings()
    assert settings.profile is Profile.PRODUCTION
    assert settings.public_url == "https://issuer.example.nl"
    assert settings.port == 9001
    assert settings.max_request_bytes == 2048
    assert settings.database_url == "sqlite+aiosqlite:///data/example.db"
    assert settings.local_origins == []


def test_public_url_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AANSPRAAK_EXAMPLE_PUBLIC_URL", raising=False)
    with pytest.raises(ValidationError, match="public_url"):
        ExampleSettings()


@pytest.mark.parametrize(
    "url",
    [
        "http://issuer.example.nl",
        "http://127.0.0.1:8000",
        "ftp://issuer.example.nl",
        "https://",
        "https://issuer.example.nl/?x=1",
        "https://issuer.example.nl/#top",
        "https://user:pw@issuer.example.nl",
        "https://issuer.example.nl:99999",
    ],
)
def test_production_refuses(url: str) -> None:
    with pytest.raises(ValidationError, match="public_url must be an https URL"):
        ExampleSettings(public_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000"]
)
def test_development_accepts_loopback_http(url: str) -> None:
    settings = ExampleSettings(profile=Profile.DEVELOPMENT, public_url=url)
    assert settings.public_url == url.rstrip("/")


def test_development_refuses_http_beyond_loopback() -> None:
    with pytest.raises(ValidationError, match="public_url must be an https URL"):
        ExampleSettings(profile=Profile.DEVELOPMENT, public_url="http://10.0.0.5:8000")


def test_profile_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AANSPRAAK_EXAMPLE_PROFILE", "development")
    monkeypatch.setenv("AANSPRAAK_EXAMPLE_PUBLIC_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv(
        "AANSPRAAK_EXAMPLE_LOCAL_ORIGINS", "http://127.0.0.1:8001, HTTP://LOCALHOST:8002/"
    )
    settings = ExampleSettings()
    assert settings.profile is Profile.DEVELOPMENT
    assert settings.local_origins == ["http://127.0.0.1:8001", "http://localhost:8002"]


def test_local_origins_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="local_origins is allowed only in the development"):
        ExampleSettings(
            public_url="https://issuer.example.nl", local_origins=["http://127.0.0.1:1"]
        )


@pytest.mark.parametrize(
    "origin",
    [
        "http://10.0.0.5:8001",
        "http://127.0.0.1:8001/path",
        "http://127.0.0.1:8001?q=1",
        "file:///etc/passwd",
        "http://user@127.0.0.1:8001",
        "http://127.0.0.1:notaport",
    ],
)
def test_local_origins_must_be_loopback_origins(origin: str) -> None:
    with pytest.raises(ValidationError, match="loopback host"):
        ExampleSettings(
            profile=Profile.DEVELOPMENT, public_url="http://127.0.0.1:8000", local_origins=[origin]
        )


@pytest.mark.parametrize("size", [1023, 16 * 1024 * 1024 + 1])
def test_max_request_bytes_bounds(size: int) -> None:
    with pytest.raises(ValidationError, match="max_request_bytes"):
        ExampleSettings(public_url="https://issuer.example.nl", max_request_bytes=size)


@pytest.mark.parametrize("size", [1024, 16 * 1024 * 1024])
def test_max_request_bytes_edges_accepted(size: int) -> None:
    settings = ExampleSettings(public_url="https://issuer.example.nl", max_request_bytes=size)
    assert settings.max_request_bytes == size


def test_errors_do_not_show_the_input() -> None:
    """A database URL can carry a password; a settings error must not print it."""
    with pytest.raises(ValidationError, match="public_url must be an https URL") as info:
        ExampleSettings(public_url="http://example.nl", database_url=SECRET_URL)
    assert "hunter2-canary" not in str(info.value)
    assert "input_value" not in str(info.value)
