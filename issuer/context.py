"""Everything a request handler needs, built once per process from ``IssuerSettings``."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from issuer.authenticators import Authenticator, authenticator_for
from issuer.certificates import certify
from issuer.configurations import Configurations
from issuer.keys import (
    IssuerKeys,
    KeyFileError,
    load_or_create_signing_key,
    load_public_key,
)
from issuer.randomness import BufferedUrandom
from issuer.settings import IssuerSettings
from issuer.subjects import SubjectSource, subject_source_for
from issuer.wallet_providers import key_attestation_policy, load_wallet_provider_roots
from runtime.database import Database, engine_for
from runtime.regulations import catalogue
from runtime.sealing import Sealer, load_key, load_or_create_key
from runtime.settings import Profile
from specs.attestation import KeyAttestationPolicy, WalletProviderRoots

Clock = Callable[[], int]


def system_clock() -> int:
    return int(time.time())


@dataclass
class IssuerContext:
    settings: IssuerSettings
    engine: AsyncEngine
    keys: IssuerKeys
    configurations: Configurations
    sealer: Sealer
    tx_code_key: bytes
    """Makes the tx_code digests of new offers; checks them with ``retired_tx_code_keys``."""
    nonce_key: bytes
    subjects: SubjectSource | None
    dpop_nonce_key: bytes
    clock: Clock = system_clock
    random_bytes: Callable[[int], bytes] = field(default_factory=BufferedUrandom)
    authenticator: Authenticator | None = None
    """Logs citizens in for the authorization code flow; ``None`` turns the flow off."""
    wallet_providers: WalletProviderRoots | None = None
    """Roots of the wallet providers whose attestations we accept (``issuer.wallet_providers``);
    ``None``: no attestation is accepted."""
    key_attestation: KeyAttestationPolicy | None = None
    """The credential endpoint's key attestation rules, from the same roots."""
    retired_tx_code_keys: tuple[bytes, ...] = ()
    """The tx_code keys of retired storage keys: offers made before a rotation still redeem."""

    @property
    def issuer_id(self) -> str:
        """The Credential Issuer Identifier (OID4VCI 1.0 §12.2.1): the public base URL."""
        return self.settings.public_url

    @property
    def development(self) -> bool:
        """The development profile: plain-HTTP URLs on loopback are ours (DESIGN §4)."""
        return self.settings.profile is Profile.DEVELOPMENT

    def url(self, path: str) -> str:
        return f"{self.settings.public_url}{path}"

    def __post_init__(self) -> None:
        self._database = Database(self.engine)

    @property
    def database(self) -> Database:
        return self._database

    def write(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """One transaction for one protocol step (``runtime.database.Database.write``)."""
        return self._database.write()

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self._database.read()


def load_keys(settings: IssuerSettings, *, clock: Clock = system_clock) -> IssuerKeys:
    """The signing key, created only in the development profile when none exists yet, with
    its certificate chain when the settings give one (``issuer.certificates``; ``clock``
    dates a development CA's certificates)."""
    signer = load_or_create_signing_key(
        settings.signing_key_path,
        development=settings.profile is Profile.DEVELOPMENT,
        provisioning="provision one; see docs/issuer.md",
    )
    active = certify(signer, settings, now=clock())
    retired = tuple(load_public_key(p) for p in settings.retired_key_files)
    return IssuerKeys(active, retired)


def load_storage_key(settings: IssuerSettings) -> bytes:
    """The key that seals offered claims; created only in the development profile.

    In production every replica must use the same key (a replica that made its own could
    not open the claims another one sealed), so the operator provisions it.
    """
    path = settings.storage_key_path
    if settings.profile is not Profile.DEVELOPMENT and not path.exists():
        raise KeyFileError(f"{path}: no storage key (provision one; see docs/issuer.md)")
    try:
        return load_or_create_key(path)
    except (OSError, ValueError) as error:
        raise KeyFileError(f"{path}: not a usable storage key") from error


def load_retired_storage_keys(settings: IssuerSettings) -> tuple[bytes, ...]:
    """The storage keys a rotation moves away from (``retired_storage_key_files``)."""
    try:
        return tuple(load_key(path) for path in settings.retired_storage_key_files)
    except (OSError, ValueError) as error:
        raise KeyFileError(f"a retired storage key is not usable: {error}") from error


def _derived_key(storage_key: bytes, purpose: bytes) -> bytes:
    """One key per purpose from the storage key, so no key serves two MACs."""
    return hashlib.sha256(b"aanspraak " + purpose + b"\x00" + storage_key).digest()


def build_context(
    settings: IssuerSettings,
    *,
    clock: Clock = system_clock,
    authenticator: Authenticator | None = None,
) -> IssuerContext:
    """The context of one process; ``authenticator`` plugs in the operator's own login
    (an OpenID Connect provider), else the one ``settings.authenticator`` names."""
    storage_key = load_storage_key(settings)
    retired = load_retired_storage_keys(settings)
    roots_file = settings.wallet_provider_roots_file
    roots = load_wallet_provider_roots(roots_file) if roots_file is not None else None
    return IssuerContext(
        settings=settings,
        engine=engine_for(settings),
        keys=load_keys(settings, clock=clock),
        configurations=Configurations.offered(settings.configurations, regulations=catalogue()),
        sealer=Sealer(storage_key, retired),
        tx_code_key=_derived_key(storage_key, b"tx_code"),
        nonce_key=_derived_key(storage_key, b"c_nonce"),
        subjects=subject_source_for(settings),
        dpop_nonce_key=_derived_key(storage_key, b"dpop_nonce"),
        retired_tx_code_keys=tuple(_derived_key(key, b"tx_code") for key in retired),
        clock=clock,
        authenticator=authenticator or authenticator_for(settings),
        wallet_providers=roots,
        key_attestation=key_attestation_policy(settings, roots),
    )
