"""The issuer's configuration: every knob is an ``AANSPRAAK_ISSUER_*`` environment variable.

``docs/issuer.example.env`` lists and explains each one (a test keeps the two in step).
Defaults are the embedded, single-machine setup (DESIGN §2): SQLite under ``data/issuer``,
a signing key and a storage key created there on first start in the development profile.
A production profile refuses to create keys: they must be provisioned by the operator.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from runtime.settings import ServiceSettings

#: 2^17 entries of 2 bits: 32 KiB before compression; one credential is one of 131,072.
DEFAULT_STATUS_LIST_SIZE = 1 << 17


class IssuerSettings(ServiceSettings):
    """Settings of one credential issuer (one agency)."""

    model_config = SettingsConfigDict(env_prefix="AANSPRAAK_ISSUER_", extra="forbid")

    database_url: str = "sqlite+aiosqlite:///data/issuer/issuer.db"
    port: int = Field(default=8001, ge=0, le=65535)
    data_dir: Path = Path("data/issuer")
    display_name: str = "aanspraak issuer"
    signing_key_file: Path | None = None
    """ES256 key (PEM or JWK). Unset: ``<data_dir>/signing-key.jwk``, created in development."""
    retired_key_files: list[Path] = Field(default_factory=list)
    """Public or private keys still published after a rotation, so credentials signed with
    them keep verifying until they expire (rotation with overlap)."""
    storage_key_file: Path | None = None
    """32-byte key that seals offered claims at rest. Unset: ``<data_dir>/storage.key``."""
    configurations: list[str] = Field(default_factory=list)
    """Credential configuration ids offered (names under specs/credential_types). Empty: all."""
    offer_ttl_seconds: int = Field(default=900, ge=60, le=30 * 86_400)
    access_token_ttl_seconds: int = Field(default=300, ge=30, le=3_600)
    nonce_ttl_seconds: int = Field(default=300, ge=30, le=3_600)
    proof_max_age_seconds: int = Field(default=300, ge=30, le=3_600)
    clock_leeway_seconds: int = Field(default=30, ge=0, le=300)
    tx_code_length: int = Field(default=6, ge=4, le=12)
    tx_code_max_attempts: int = Field(default=5, ge=1, le=20)
    max_batch_size: int = Field(default=10, ge=1, le=100)
    credential_validity_days: int = Field(default=365, ge=1, le=3_650)
    timestamp_granularity_seconds: int = Field(default=86_400, ge=1, le=86_400)
    """``iat``/``nbf``/``exp`` are rounded down to this, so a batch is not linkable by time."""
    status_list_size: int = Field(default=DEFAULT_STATUS_LIST_SIZE, ge=1_024, le=1 << 24)
    status_list_fill_ratio: float = Field(default=0.5, gt=0.0, le=0.9)
    """A list takes new indices until this share is allocated; then a new list starts."""
    status_list_ttl_seconds: int = Field(default=300, ge=30, le=86_400)
    status_list_validity_seconds: int = Field(default=86_400, ge=300, le=30 * 86_400)
    redelivery_window_seconds: int = Field(default=120, ge=0, le=3_600)
    """How long claims stay sealed after issuance for a retry of a lost response, unless the
    wallet's notification confirms delivery first."""
    deferred_interval_seconds: int = Field(default=5, ge=1, le=3_600)
    webhook_url: str | None = None
    """Operator-configured destination told about redeemed offers and notifications."""
    webhook_secret: SecretStr | None = None
    """HMAC-SHA256 key for the ``X-Aanspraak-Signature`` header of webhook calls."""
    subject_source_dir: Path | None = None
    """Development subject source: ``<dir>/<configuration>/<subject>.json`` holds claims."""

    @field_validator("configurations")
    @classmethod
    def _known_configurations(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("configurations must not repeat")
        return value

    @field_validator("public_url")
    @classmethod
    def _origin_only(cls, value: str) -> str:
        """The Credential Issuer Identifier is served at the root of its host here, so the
        well-known URLs of OID4VCI 1.0 §12.2.2 and SD-JWT VC §4.1 need no path insertion."""
        if urlsplit(value).path not in ("", "/"):
            raise ValueError("public_url must be an origin (scheme, host, port) without a path")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> IssuerSettings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError("webhook_url needs webhook_secret (calls are signed)")
        return self

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.data_dir / "signing-key.jwk"

    @property
    def storage_key_path(self) -> Path:
        return self.storage_key_file or self.data_dir / "storage.key"
