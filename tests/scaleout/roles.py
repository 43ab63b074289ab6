"""What an operator does once before a role's processes start, done through the library.

The issuer's keys and schema are made and a back-office API key created; the desk's identity
(signing key and certificate: its client identifier) made, its schema migrated and a desk
API key created; the wallet service's secrets and schema made. The processes then find all
of it in their shared data directory and database. Governance registers the issuer's keys
and the desk in the trust list file that every process reads (``trust.file_backend``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from aanspraak.demo_settings import GivenOnly
from aanspraak.town import FixedRegistry, registry_entries
from issuer.api_keys import create_api_key
from issuer.app import prepare as prepare_issuer_schema
from issuer.context import build_context as build_issuer_context
from issuer.settings import IssuerSettings
from runtime.regulations import find
from specs.trust import TrustSnapshot
from tests.threats.service_process import TrustFile
from verifier.app import prepare as prepare_desk_schema
from verifier.context import build_context as build_desk_context
from verifier.identity import load_identity
from verifier.settings import VerifierSettings
from wallet.app import prepare as prepare_wallet_schema
from wallet.context import build_context as build_wallet_context
from wallet.settings import WalletSettings

REGULATION = "zorgtoeslag"
LEGAL_BASIS = "Awir art. 40"


class _IssuerSettings(GivenOnly, IssuerSettings):
    """The processes' settings from their values alone, never from the test's environment."""


class _VerifierSettings(GivenOnly, VerifierSettings):
    """The processes' settings from their values alone, never from the test's environment."""


@dataclass(frozen=True)
class PreparedIssuer:
    api_key: str
    key_thumbprints: list[str]
    vcts: list[str]


async def prepare_issuer(values: Mapping[str, str]) -> PreparedIssuer:
    """Keys, schema and a back-office key for every configuration."""
    context = build_issuer_context(_IssuerSettings(**values))  # type: ignore[arg-type]
    try:
        await prepare_issuer_schema(context)
        configurations = sorted(context.configurations.by_id)
        created = await create_api_key(context, name="back office", configurations=configurations)
    finally:
        await context.engine.dispose()
    return PreparedIssuer(
        created.secret,
        [key.thumbprint() for key in context.keys.published],
        [c.vct for c in context.configurations.by_id.values()],
    )


@dataclass(frozen=True)
class PreparedDesk:
    api_key: str
    client_id: str


async def prepare_desk(values: Mapping[str, str]) -> PreparedDesk:
    """The desk's identity, schema and an API key for zorgtoeslag."""
    settings = _VerifierSettings(**values)  # type: ignore[arg-type]
    client_id = load_identity(settings, now=lambda: int(time.time())).client_id
    context = build_desk_context(settings, trust=FixedRegistry(None))
    try:
        await prepare_desk_schema(context)
        created = await context.api_keys.create(name="desk", scope=[REGULATION])
    finally:
        await context.fetcher.aclose()
        await context.database.engine.dispose()
    return PreparedDesk(created.secret, client_id)


def publish_registry(
    trust: TrustFile,
    *,
    issuers: Mapping[str, tuple[list[str], list[str]]],
    desk: str | None,
) -> None:
    """Governance registers the issuers (key thumbprints, types) and the desk for
    zorgtoeslag; without a desk, an empty registry (enough for ``/readyz``)."""
    if desk is None:
        trust.publish(TrustSnapshot(as_of=int(time.time())))
        return
    trust.publish(
        registry_entries(
            issuers=issuers,
            desk=desk,
            desk_regulations=[find(REGULATION)],
            legal_basis=LEGAL_BASIS,
        )
    )


class _WalletSettings(GivenOnly, WalletSettings):
    """The processes' settings from their values alone, never from the test's environment."""


async def prepare_wallet(values: Mapping[str, str]) -> None:
    """The wallet service's secrets (development profile: made here) and schema."""
    context = build_wallet_context(
        _WalletSettings(**values),  # type: ignore[arg-type]
        trust=FixedRegistry(None),
    )
    try:
        await prepare_wallet_schema(context)
    finally:
        await context.database.engine.dispose()
