"""Settings every service shares, read from prefixed environment variables (DESIGN §1, §4).

Each role subclasses :class:`ServiceSettings` and sets its own prefix::

    class IssuerSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="AANSPRAAK_ISSUER_")
        database_url: str = "sqlite+aiosqlite:///data/issuer.db"

The profile decides how strict the checks are. Production is the default, so a configuration
that says nothing is a production configuration: HTTPS only, no loopback exceptions. The
development profile exists for the demo and the tests, which run the roles on
``http://127.0.0.1:PORT``; it allows plain HTTP for the service's own URL on loopback and for
exactly the origins listed in ``local_origins`` (DESIGN §4, development profile).

Validation errors never show the submitted value (``hide_input_in_errors``): a database URL may
carry a password.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_REQUEST_BYTES = 1024
MAX_REQUEST_BYTES = 16 * 1024 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Profile(StrEnum):
    """How strict the service is about its own URL and the origins it may fetch from."""

    PRODUCTION = "production"
    DEVELOPMENT = "development"


class ServiceSettings(BaseSettings):
    """Base for every role's settings; roles subclass it and set ``env_prefix``.

    ``local_origins`` reads from the environment as a comma-separated list
    (``AANSPRAAK_ISSUER_LOCAL_ORIGINS=http://127.0.0.1:8001,http://127.0.0.1:8002``).
    """

    model_config = SettingsConfigDict(hide_input_in_errors=True)

    profile: Profile = Profile.PRODUCTION
    public_url: str
    database_url: str
    database_pool_size: int = Field(default=5, ge=1, le=200)
    """PostgreSQL connections each worker process keeps open (``runtime.database``)."""
    database_max_overflow: int = Field(default=10, ge=0, le=200)
    """More connections a worker may open under a burst, closed again when returned."""
    database_pool_timeout_seconds: int = Field(default=30, ge=1, le=300)
    """How long a request waits for a free connection before it is answered 503."""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_request_bytes: int = Field(default=64 * 1024, ge=MIN_REQUEST_BYTES, le=MAX_REQUEST_BYTES)
    local_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=0, ge=0, le=100_000)
    """Requests per minute one client address may make to the role's public endpoints
    (``runtime.rate_limit``); more get 429. 0: no limit here (a reverse proxy limits rates)."""
    rate_limit_burst: int = Field(default=60, ge=1, le=10_000)
    """How many of those requests one address may make at once before the rate applies."""

    @field_validator("local_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("local_origins")
    @classmethod
    def _normalise_origins(cls, value: list[str]) -> list[str]:
        return [_origin(item) for item in value]

    @model_validator(mode="after")
    def _check_profile(self) -> ServiceSettings:
        """Plain HTTP and loopback exceptions exist only in the development profile (DESIGN §4)."""
        development = self.profile is Profile.DEVELOPMENT
        if not _acceptable_public_url(self.public_url, development=development):
            raise ValueError(
                "public_url must be an https URL without query, fragment or credentials; "
                "plain http is allowed only on loopback in the development profile"
            )
        if self.local_origins and not development:
            raise ValueError("local_origins is allowed only in the development profile")
        return self


def _acceptable_public_url(url: str, *, development: bool) -> bool:
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises ValueError when malformed
    except ValueError:
        return False
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return development and parts.scheme == "http" and host in LOOPBACK_HOSTS


def _origin(value: str) -> str:
    """An origin on loopback (scheme, host, port; RFC 6454 §4), normalised to lower case."""
    refusal = "local_origins entries must be http(s) origins on a loopback host"
    try:
        parts = urlsplit(value.strip().rstrip("/"))
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(refusal) from None
    scheme = parts.scheme.lower()
    extras = parts.path or parts.query or parts.fragment or parts.username or parts.password
    if scheme not in {"http", "https"} or host is None or host not in LOOPBACK_HOSTS or extras:
        raise ValueError(refusal)
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}" + (f":{port}" if port is not None else "")
