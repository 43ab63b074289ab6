"""The issuer's configuration: every knob is an ``AANSPRAAK_ISSUER_*`` environment variable.

``docs/issuer.example.env`` lists and explains each one (a test keeps the two in step).
Defaults are the embedded, single-machine setup (DESIGN §2): SQLite under ``data/issuer``,
a signing key and a storage key created there on first start in the development profile.
A production profile refuses to create keys: they must be provisioned by the operator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from runtime.settings import Profile, ServiceSettings

IsoLevel = Literal[
    "iso_18045_high", "iso_18045_moderate", "iso_18045_enhanced-basic", "iso_18045_basic"
]
"""OpenID4VCI 1.0 Appendix D.2's attack potential resistance values (``specs.attestation``)."""

STRICT_HAIP_MAX_REQUEST_BYTES = 1024 * 1024
"""The request body limit of strict HAIP mode, unless set: a batch of 100 attested proofs."""
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
    certificate_chain_file: Path | None = None
    """PEM chain certifying the signing key (its certificate first, then intermediates,
    optionally the root): sent as ``x5c`` with every credential and Status List Token
    (HAIP §6.1, §6.1.1). Checked at start."""
    development_ca: bool = False
    """Development only, without ``certificate_chain_file``: a CA under ``data_dir`` certifies
    the signing key for ``public_url`` (``issuer.certificates``)."""
    storage_key_file: Path | None = None
    """32-byte key that seals offered claims at rest. Unset: ``<data_dir>/storage.key``."""
    retired_storage_key_files: list[Path] = Field(default_factory=list)
    """Storage keys being rotated away from: they still open what they sealed and check the
    tx_codes of the offers made under them (``aanspraak issuer reseal``, docs/issuer.md)."""
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
    haip: bool = False
    """Strict HAIP 1.0 mode: DPoP at the token endpoint and on every resource request, Bearer
    tokens refused; wallet attestations at /par and /token and key attestations at
    /credential required; ``x5c`` without the trust anchor (docs/issuer.md)."""
    authenticator: Literal["none", "development"] = "none"
    """Who logs the citizen in for the authorization code flow (issuer/authenticators.py);
    ``none`` leaves the flow off, ``development`` is for the demo and tests only."""
    authorization_request_ttl_seconds: int = Field(default=120, ge=10, le=600)
    """Lifetime of a pushed authorization request's ``request_uri`` (RFC 9126 §2.2)."""
    authorization_code_ttl_seconds: int = Field(default=60, ge=10, le=600)
    refresh_token_ttl_seconds: int = Field(default=2_592_000, ge=300, le=31_536_000)
    """How long after the citizen's login refresh tokens work; rotation does not extend it."""
    dpop_nonce_ttl_seconds: int = Field(default=300, ge=30, le=3_600)
    wallet_provider_roots_file: Path | None = None
    """PEM bundle of the wallet providers' root certificates: wallet attestations (client
    authentication, HAIP §4.4.1) and key attestations (HAIP §4.5.1) must chain to one of
    them. Unset: neither is accepted. Required in strict HAIP mode."""
    client_attestation_max_age_seconds: int = Field(default=86_400, ge=60, le=30 * 86_400)
    """How old (``iat``) a wallet attestation may be (attestation-based client auth §7)."""
    key_attestation_key_storage: IsoLevel | None = None
    """Least ``key_storage`` level (OpenID4VCI 1.0 Appendix D.2) a key attestation must name."""
    key_attestation_user_authentication: IsoLevel | None = None
    """Least ``user_authentication`` level (Appendix D.2) a key attestation must name."""

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
    def _one_certificate_source(self) -> IssuerSettings:
        if self.development_ca and self.certificate_chain_file is not None:
            raise ValueError("give certificate_chain_file or development_ca, not both")
        if self.development_ca and self.profile is not Profile.DEVELOPMENT:
            raise ValueError("development_ca is for the development profile only")
        return self

    @model_validator(mode="after")
    def _strict_haip_needs_certificates(self) -> IssuerSettings:
        """HAIP §6.1.1 makes ``x5c`` mandatory, and §4.4.1 and §4.5.1 make the issuer check
        attestations, which needs the providers' roots: strict mode without them cannot hold
        its promise, so it does not start."""
        if self.haip and self.certificate_chain_file is None and not self.development_ca:
            raise ValueError("haip needs certificate_chain_file or development_ca (x5c)")
        if self.haip and self.wallet_provider_roots_file is None:
            raise ValueError("haip needs wallet_provider_roots_file (wallet attestations)")
        levels = (self.key_attestation_key_storage, self.key_attestation_user_authentication)
        if any(levels) and self.wallet_provider_roots_file is None:
            raise ValueError("key attestation levels need wallet_provider_roots_file")
        return self

    @model_validator(mode="after")
    def _strict_haip_body_limit(self) -> IssuerSettings:
        """In strict mode every ``jwt`` proof of a batch carries the batch's key attestation
        in its header (HAIP §4.5.1: one attestation for all keys), so a credential request
        grows with the square of the batch: 20 proofs are about 100 KiB. Unless the operator
        set a limit, strict mode raises it to ``STRICT_HAIP_MAX_REQUEST_BYTES``."""
        if self.haip and "max_request_bytes" not in self.model_fields_set:
            self.max_request_bytes = STRICT_HAIP_MAX_REQUEST_BYTES
        return self

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> IssuerSettings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError("webhook_url needs webhook_secret (calls are signed)")
        return self

    @model_validator(mode="after")
    def _development_authenticator(self) -> IssuerSettings:
        """Anyone can log in as anyone with it, so production never runs it (DESIGN §4)."""
        if self.authenticator == "development" and self.profile is not Profile.DEVELOPMENT:
            raise ValueError("authenticator development is allowed only in the development profile")
        return self

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.data_dir / "signing-key.jwk"

    @property
    def storage_key_path(self) -> Path:
        return self.storage_key_file or self.data_dir / "storage.key"
