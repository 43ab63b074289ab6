"""The wallet service's configuration: every knob is an ``AANSPRAAK_WALLET_*`` variable.

``docs/wallet.example.env`` lists and explains each one (a test keeps the two in step).
Defaults are the embedded, single-machine setup (DESIGN §2): SQLite under ``data/wallet``,
and in the development profile the server secrets created there on first start. A
production profile refuses to create them: losing the PIN secret makes every vault
unreadable, so it must be provisioned (and backed up) deliberately.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from runtime.settings import MAX_REQUEST_BYTES, MIN_REQUEST_BYTES, ServiceSettings
from specs.errors import Rejected
from specs.oauth import check_redirect_uri

AttackResistance = Literal[
    "iso_18045_high", "iso_18045_moderate", "iso_18045_enhanced-basic", "iso_18045_basic"
]
"""OpenID4VCI Appendix D.2's attack potential resistance levels (ISO/IEC 18045)."""


class WalletSettings(ServiceSettings):
    """Settings of the service mobile wallet apps talk to."""

    model_config = SettingsConfigDict(env_prefix="AANSPRAAK_WALLET_", extra="forbid")

    database_url: str = "sqlite+aiosqlite:///data/wallet/wallet.db"
    port: int = Field(default=8002, ge=0, le=65535)
    max_request_bytes: int = Field(default=1024 * 1024, ge=MIN_REQUEST_BYTES, le=MAX_REQUEST_BYTES)
    """Largest request body: an encrypted backup being restored is the biggest."""
    data_dir: Path = Path("data/wallet")
    pin_secret_file: Path | None = None
    """32-byte server-side secret mixed into every PIN-derived key, so a database dump alone
    cannot be brute-forced offline. Unset: ``<data_dir>/pin-secret.key``."""
    session_key_file: Path | None = None
    """32-byte key that seals session tokens (they carry the unwrapped vault key).
    Unset: ``<data_dir>/session.key``."""
    pin_kdf_memory_kib: int = Field(default=19_456, ge=8, le=4 * 1024 * 1024)
    """Argon2id memory per PIN check (KiB). The default is OWASP's minimum for Argon2id."""
    pin_kdf_iterations: int = Field(default=2, ge=1, le=100)
    pin_kdf_lanes: int = Field(default=1, ge=1, le=16)
    pin_min_length: int = Field(default=5, ge=4, le=64)
    pin_max_failures: int = Field(default=5, ge=1, le=20)
    """Wrong PINs in a row that lock the account for good (restore from a backup on a new
    registration). Each failure also delays the next attempt (``pin_backoff_seconds``)."""
    pin_backoff_seconds: int = Field(default=2, ge=0, le=3_600)
    """After the n-th wrong PIN the next attempt waits ``pin_backoff_seconds * 2**(n-1)``."""
    session_ttl_seconds: int = Field(default=600, ge=30, le=86_400)
    """How long an unlocked session lasts before the PIN is asked again."""
    proof_max_age_seconds: int = Field(default=60, ge=5, le=600)
    """How old a device proof (``iat``) may be; its ``jti`` is remembered this long."""
    pending_ttl_seconds: int = Field(default=600, ge=60, le=86_400)
    """How long an issuance or presentation waits for the device's signatures."""
    batch_size: int = Field(default=3, ge=1, le=20)
    """Most one-time instances asked for per credential: the app asks for as many as the
    keys it sends, capped by this and by the issuer's batch_size."""
    issuer_ca_file: Path | None = None
    """PEM bundle of issuer CA roots, for ``x5c`` chains that leave their root out (HAIP
    §6.1.1); a root counts only for an issuer whose registry entry lists its key reference."""
    haip: bool = False
    """Strict HAIP 1.0 mode for answering desks: only ``x509_hash`` desks asking by
    ``direct_post.jwt`` with ECDH-ES and A128GCM/A256GCM, for ``dc+sd-jwt`` credentials."""
    low_water: int = Field(default=1, ge=0, le=20)
    """Advise re-issuance when a batch has this many unused instances or fewer."""
    provider_key_file: Path | None = None
    """The wallet provider's ES256 key: it signs wallet attestations and key attestations
    (OpenID4VCI Appendices D, E). Unset: ``<data_dir>/wallet-provider.jwk``."""
    provider_chain_file: Path | None = None
    """PEM chain of that key, leaf first, sent as ``x5c`` (HAIP §4.4.1). Unset:
    ``<data_dir>/wallet-provider.pem``; both are created in development only."""
    attestation_ttl_seconds: int = Field(default=300, ge=30, le=3_600)
    """Lifetime of each wallet attestation and key attestation: short, one per issuance."""
    attested_key_storage: AttackResistance | None = None
    """The ``key_storage`` level key attestations claim (Appendix D.2); unset: none claimed."""
    attested_user_authentication: AttackResistance | None = None
    """The ``user_authentication`` level key attestations claim; unset: none claimed."""
    redirect_uri: str | None = None
    """Where issuers send the citizen's browser back after the authorization code flow: the
    link the app claims (an ``https`` app link or its own scheme). Unset: the flow is off."""

    @field_validator("redirect_uri")
    @classmethod
    def _redirect_uri(cls, value: str | None) -> str | None:
        """RFC 6749 §3.1.2: absolute, no fragment; plain http only to loopback (RFC 8252)."""
        if value is None:
            return None
        try:
            return check_redirect_uri(value)
        except Rejected:
            raise ValueError("redirect_uri must be an absolute URI without fragment") from None

    @model_validator(mode="after")
    def _kdf(self) -> WalletSettings:
        if self.pin_kdf_memory_kib < 8 * self.pin_kdf_lanes:
            raise ValueError("pin_kdf_memory_kib must be at least 8 per lane")
        return self

    @property
    def pin_secret_path(self) -> Path:
        return self.pin_secret_file or self.data_dir / "pin-secret.key"

    @property
    def session_key_path(self) -> Path:
        return self.session_key_file or self.data_dir / "session.key"

    @property
    def provider_key_path(self) -> Path:
        return self.provider_key_file or self.data_dir / "wallet-provider.jwk"

    @property
    def provider_chain_path(self) -> Path:
        return self.provider_chain_file or self.data_dir / "wallet-provider.pem"
