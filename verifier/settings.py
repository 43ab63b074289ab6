"""The verifier's configuration: every knob is an ``AANSPRAAK_VERIFIER_*`` environment variable.

``docs/verifier.example.env`` lists and explains each one (a test keeps the two in step).
Defaults are the embedded, single-machine setup (DESIGN §2): SQLite under ``data/verifier``,
and in the development profile a signing key, a self-signed certificate and a storage key
created there on first start. A production profile refuses to create keys or certificates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from runtime.fetch_guard import parse_origin
from runtime.regulations import catalogue
from runtime.settings import MAX_REQUEST_BYTES, MIN_REQUEST_BYTES, Profile, ServiceSettings
from specs.errors import Rejected
from specs.jose import b64url_decode

ClientIdPrefixName = Literal[
    "x509_san_dns", "x509_hash", "decentralized_identifier", "redirect_uri"
]
ResponseMode = Literal["direct_post", "direct_post.jwt"]
ResponseEnc = Literal["A128GCM", "A256GCM", "A128CBC-HS256"]


class VerifierSettings(ServiceSettings):
    """Settings of one eligibility desk's verifier."""

    model_config = SettingsConfigDict(env_prefix="AANSPRAAK_VERIFIER_", extra="forbid")

    database_url: str = "sqlite+aiosqlite:///data/verifier/verifier.db"
    port: int = Field(default=8003, ge=0, le=65535)
    max_request_bytes: int = Field(default=512 * 1024, ge=MIN_REQUEST_BYTES, le=MAX_REQUEST_BYTES)
    """Largest request body: a wallet's answer with several credentials and their
    Disclosures, encrypted, fits with room (the response endpoint's own cap is the same)."""
    data_dir: Path = Path("data/verifier")
    display_name: str = "aanspraak desk"
    """Shown to the citizen in the consent screen (``verifier_info``) and on the desk page."""
    client_id_prefix: ClientIdPrefixName = "x509_hash"
    """OpenID4VP 1.0 §5.9.3. ``x509_san_dns`` needs a certificate whose DNS SAN is the host
    of ``public_url``; ``decentralized_identifier`` needs ``did``; ``redirect_uri`` (unsigned
    requests) is refused outside the development profile."""
    signing_key_file: Path | None = None
    """ES256 key (PEM or JWK) that signs request objects and decision records.
    Unset: ``<data_dir>/signing-key.jwk``, created in development."""
    certificate_file: Path | None = None
    """PEM certificate chain, leaf first, for the x509 prefixes; the leaf certifies the
    signing key. Unset: ``<data_dir>/certificate.pem``, self-signed in development."""
    did: str | None = None
    """The verifier's DID for ``decentralized_identifier`` (its key is the signing key)."""
    storage_key_file: Path | None = None
    """32-byte key that seals the per-transaction response decryption keys at rest.
    Unset: ``<data_dir>/storage.key``."""
    regulations: list[str] = Field(default_factory=list)
    """Regulation ids this desk decides. Empty: every bundled regulation."""
    redirect_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Origins (besides this service's own, where the desk page lives) a same-device flow may
    return the citizen to; comma-separated in the environment."""
    response_mode: ResponseMode = "direct_post.jwt"
    """``direct_post.jwt`` (encrypted to a fresh key per transaction) or ``direct_post``."""
    response_enc: ResponseEnc = "A128GCM"
    """The content encryption the verifier offers first; all three are accepted."""
    transaction_ttl_seconds: int = Field(default=600, ge=60, le=86_400)
    """How long a wallet may answer a request; also the request object's ``exp``."""
    result_ttl_seconds: int = Field(default=3_600, ge=60, le=7 * 86_400)
    """How long the desk may fetch a transaction's result after it was decided."""
    decision_retention_days: int = Field(default=90, ge=1, le=3_650)
    """Decision records are deleted this long after they were made."""
    kb_max_age_seconds: int = Field(default=300, ge=30, le=3_600)
    """A KB-JWT's ``iat`` may be this old (and ``clock_leeway_seconds`` in the future)."""
    clock_leeway_seconds: int = Field(default=30, ge=0, le=300)
    status_list_max_age_seconds: int = Field(default=86_400, ge=60, le=30 * 86_400)
    """A Status List Token older than this decides nothing: the decision is "cannot verify"."""
    require_status: bool = True
    """Refuse a credential without a Token Status List reference: a revocation could not
    reach the desk. Turn off only for credential types that are never revoked."""
    issuer_metadata_ttl_seconds: int = Field(default=300, ge=0, le=86_400)
    """How long an issuer's fetched JWT VC Issuer Metadata (its keys) is reused."""
    max_presentations: int = Field(default=8, ge=1, le=32)
    trusted_authority_akis: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Key identifiers (base64url) of the CAs whose issuers this desk accepts; when set, each
    Credential Query carries ``trusted_authorities`` of type ``aki`` (OpenID4VP 1.0 §6.1.1)
    and every answer is checked against it. Comma-separated in the environment."""
    issuer_ca_file: Path | None = None
    """PEM bundle of issuer CA roots, for ``x5c`` chains that leave their root out (HAIP
    §6.1.1 requires that); a root counts only for an issuer whose registry entry lists its
    key reference. Unset: only chains that carry a registered root verify."""
    haip: bool = False
    """Strict HAIP 1.0 mode (HAIP §5): ``x509_hash`` with a certificate that is not
    self-signed and an ``x5c`` without the trust anchor, ``direct_post.jwt`` always, and
    only ``A128GCM`` and ``A256GCM`` offered. Settings that leave the profile are refused."""

    @field_validator("trusted_authority_akis")
    @classmethod
    def _key_identifiers(cls, value: list[str]) -> list[str]:
        """Each a non-empty base64url KeyIdentifier; the message names the rule only."""
        for aki in value:
            try:
                decoded = b64url_decode(aki)
            except Rejected:
                decoded = b""
            if not decoded:
                raise ValueError("trusted_authority_akis entries are base64url key identifiers")
        return value

    @field_validator("redirect_origins", "trusted_authority_akis", mode="before")
    @classmethod
    def _split_comma_lists(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("redirect_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parse_origin(origin)  # ValueError names the rule, not the value
        return value

    @field_validator("regulations")
    @classmethod
    def _bundled(cls, value: list[str]) -> list[str]:
        if set(value) - {c.regulation.id for c in catalogue()}:
            raise ValueError("names a regulation that is not bundled")
        return value

    @model_validator(mode="after")
    def _prefix_needs(self) -> VerifierSettings:
        if self.client_id_prefix == "redirect_uri" and self.profile is not Profile.DEVELOPMENT:
            raise ValueError("client_id_prefix redirect_uri (unsigned) is development-only")
        if self.client_id_prefix == "decentralized_identifier" and not self.did:
            raise ValueError("client_id_prefix decentralized_identifier needs did")
        if len(set(self.regulations)) != len(self.regulations):
            raise ValueError("regulations must not repeat")
        if self.haip and self.client_id_prefix != "x509_hash":
            raise ValueError("haip needs client_id_prefix x509_hash (HAIP §5)")
        if self.haip and self.response_mode != "direct_post.jwt":
            raise ValueError("haip needs response_mode direct_post.jwt (HAIP §5.1)")
        if self.haip and self.response_enc not in ("A128GCM", "A256GCM"):
            raise ValueError("haip needs response_enc A128GCM or A256GCM (HAIP §5)")
        return self

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.data_dir / "signing-key.jwk"

    @property
    def certificate_path(self) -> Path:
        return self.certificate_file or self.data_dir / "certificate.pem"

    @property
    def storage_key_path(self) -> Path:
        return self.storage_key_file or self.data_dir / "storage.key"
