"""Everything a wallet-service handler needs, built once per process from ``WalletSettings``."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509

from runtime.database import Database, engine_for
from runtime.dev_ca import load_certificate_chain
from runtime.fetcher import FetchPolicy
from runtime.key_files import KeyFileError
from runtime.sealing import load_or_create_key
from runtime.settings import Profile
from runtime.wire import ServiceUnavailable
from specs.errors import Rejected, TrustReason
from specs.trust import TrustSnapshot
from trust.registry import TrustRegistry
from wallet.attestations import WalletProvider, wallet_provider_from_settings
from wallet.session_tokens import SessionTokens
from wallet.settings import WalletSettings
from wallet.vault import PinKdfParams

Clock = Callable[[], int]
REGISTRY_DOWN = frozenset(
    {
        TrustReason.REGISTRY_UNAVAILABLE,
        TrustReason.REGISTRY_STALE,
        TrustReason.WRONG_CHAIN,
        TrustReason.WRONG_CODE,
    }
)
"""Reasons the registry could not be read (not a refusal of anyone): 503, try again."""


def system_clock() -> int:
    return int(time.time())


@dataclass
class WalletContext:
    settings: WalletSettings
    database: Database
    trust: TrustRegistry
    pin_secret: bytes
    """Mixed into every PIN-derived key; never in the database (``wallet.vault``)."""
    sessions: SessionTokens
    clock: Clock = system_clock
    transport: httpx.AsyncBaseTransport | None = None
    """Replaces the network of the OpenID4VCI and OpenID4VP clients (tests only)."""
    provider: WalletProvider | None = None
    """Signs wallet and key attestations (HAIP §4.4.1, §4.5.1); None when no provider key
    is provisioned (production without the files): then none are sent."""

    @property
    def development(self) -> bool:
        return self.settings.profile is Profile.DEVELOPMENT

    @functools.cached_property
    def issuer_roots(self) -> tuple[x509.Certificate, ...]:
        """Issuer CA roots for ``x5c`` chains that leave their root out (HAIP §6.1.1)."""
        path = self.settings.issuer_ca_file
        return () if path is None else load_certificate_chain(path)

    @property
    def kdf(self) -> PinKdfParams:
        return PinKdfParams(
            memory_kib=self.settings.pin_kdf_memory_kib,
            iterations=self.settings.pin_kdf_iterations,
            lanes=self.settings.pin_kdf_lanes,
        )

    @property
    def fetch_policy(self) -> FetchPolicy:
        """Outbound limits of the protocol clients: local origins in development only."""
        return FetchPolicy(allow_local_origins=frozenset(self.settings.local_origins))

    def snapshot(self, *, now: int) -> TrustSnapshot:
        """The registry now, or 503 when it cannot be read (fail closed, DESIGN §1 trust/)."""
        try:
            return self.trust.snapshot(now=now)
        except Rejected as refused:
            if refused.reason in REGISTRY_DOWN:
                raise ServiceUnavailable from None
            raise

    def url(self, path: str) -> str:
        """The public URL of ``path``: what a device proof's ``htu`` must name."""
        return f"{self.settings.public_url}{path}"


def load_secret(settings: WalletSettings, path: Path, what: str) -> bytes:
    """A 32-byte server secret; created on first start in development only."""
    if settings.profile is not Profile.DEVELOPMENT and not path.exists():
        raise KeyFileError(f"{path}: no {what} (provision one; see docs/wallet.md)")
    try:
        return load_or_create_key(path)
    except (OSError, ValueError) as error:
        raise KeyFileError(f"{path}: not a usable {what}") from error


def build_context(
    settings: WalletSettings,
    *,
    trust: TrustRegistry,
    clock: Clock = system_clock,
    transport: httpx.AsyncBaseTransport | None = None,
) -> WalletContext:
    if settings.local_origins and settings.profile is not Profile.DEVELOPMENT:
        raise ValueError("local origins are allowed only in the development profile")
    return WalletContext(
        settings=settings,
        database=Database(engine_for(settings)),
        trust=trust,
        pin_secret=load_secret(settings, settings.pin_secret_path, "PIN secret"),
        sessions=SessionTokens(load_secret(settings, settings.session_key_path, "session key")),
        clock=clock,
        transport=transport,
        provider=_provider(settings, now=clock()),
    )


def _provider(settings: WalletSettings, *, now: int) -> WalletProvider | None:
    """The wallet provider: created in development, else only when its key is provisioned
    (an operator who serves no HAIP issuer need not run one)."""
    if settings.profile is not Profile.DEVELOPMENT and not settings.provider_key_path.exists():
        return None
    return wallet_provider_from_settings(settings, now=now)
