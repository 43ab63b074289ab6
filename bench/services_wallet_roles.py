"""The three roles of ``bench.services_wallet``, prepared in this process before their
servers start: an issuer, a desk (``direct_post.jwt``, zorgtoeslag) and the wallet service,
each on its own database, with a ``file`` trust registry that lists the issuer's keys for
its types and the desk for zorgtoeslag (``aanspraak.town.registry_entries``, signed by a
governance key made here).

Keys, the desk's identity, the wallet's PIN secret and session key, and every schema are
made here, once, as ``aanspraak <role> serve`` makes them before its workers start, so the
workers of a server share them. What the servers read is returned as their environments.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aanspraak.town import registry_entries
from bench.http_load import free_port
from issuer.app import prepare as prepare_issuer
from issuer.context import IssuerContext
from issuer.context import build_context as build_issuer_context
from issuer.settings import IssuerSettings
from runtime.regulations import find
from runtime.settings import Profile
from specs.jose import generate_private_key
from specs.trust.trust_list import build_trust_list
from trust.file_backend import FileTrustRegistry
from verifier.app import prepare as prepare_desk
from verifier.context import build_context as build_desk_context
from verifier.settings import VerifierSettings
from wallet.app import prepare as prepare_wallet
from wallet.context import build_context as build_wallet_context
from wallet.settings import WalletSettings

DAY = 86_400
REGULATION = "zorgtoeslag"
MAX_BATCH = 20
"""The wallet service's largest batch (``AANSPRAAK_WALLET_BATCH_SIZE``'s upper bound)."""
FAST_KDF = {"PIN_KDF_MEMORY_KIB": "1024", "PIN_KDF_ITERATIONS": "1"}
"""Registering and unlocking phones is setup, not what is measured."""


@dataclass(frozen=True)
class Urls:
    issuer: str
    desk: str
    wallet: str

    @classmethod
    def fresh(cls) -> Urls:
        return cls(*(f"http://127.0.0.1:{free_port()}" for _ in range(3)))


def prefixed(prefix: str, values: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}{name}": value for name, value in values.items()}


@dataclass
class Roles:
    """The three roles' environments, the issuer's context (for offers) and the desk's key."""

    issuer_env: dict[str, str]
    desk_env: dict[str, str]
    wallet_env: dict[str, str]
    issuer: IssuerContext
    desk_key: str


async def prepare_roles(base: Path, urls: Urls, databases: Sequence[str]) -> Roles:
    """Every role prepared in this process; the trust list written between the desk's
    identity and the wallet's first look at the registry."""
    issuer_db, desk_db, wallet_db = databases
    common = {"PROFILE": Profile.DEVELOPMENT.value}
    issuer_values = common | {
        "PUBLIC_URL": urls.issuer,
        "DATABASE_URL": issuer_db,
        "DATA_DIR": str(base / "issuer"),
        "MAX_BATCH_SIZE": str(MAX_BATCH),
    }
    issuer = build_issuer_context(
        IssuerSettings(**{k.lower(): v for k, v in issuer_values.items()})  # type: ignore[arg-type]
    )
    await prepare_issuer(issuer)
    trust_list, governance_file = base / "trust-list.jwt", base / "governance.jwk"
    trust_env = prefixed(
        "AANSPRAAK_TRUST_",
        {
            "BACKEND": "file",
            "TRUST_LIST_FILE": str(trust_list),
            "GOVERNANCE_KEY_FILE": str(governance_file),
        },
    )
    governance = generate_private_key()
    registry = FileTrustRegistry(trust_list, governance.public, 300)
    desk_values = common | {
        "PUBLIC_URL": urls.desk,
        "DATABASE_URL": desk_db,
        "DATA_DIR": str(base / "desk"),
        "LOCAL_ORIGINS": urls.issuer,
        "RESPONSE_MODE": "direct_post.jwt",
    }
    desk_settings = VerifierSettings(
        **{k.lower(): v for k, v in desk_values.items()},  # type: ignore[arg-type]
        regulations=[REGULATION],
    )
    desk = build_desk_context(desk_settings, trust=registry)
    now = int(time.time())
    snapshot = registry_entries(
        issuers={
            urls.issuer: (
                [key.thumbprint() for key in issuer.keys.published],
                [c.vct for c in issuer.configurations.by_id.values()],
            )
        },
        desk=desk.client_id,
        desk_regulations=[find(REGULATION)],
        legal_basis="Awir art. 40",
        as_of=now,
    )
    trust_list.write_text(
        build_trust_list(snapshot, key=governance, governance_id="governance", now=now, ttl=DAY)
    )
    governance_file.write_text(json.dumps(governance.public.to_jwk()))
    try:
        await prepare_desk(desk)
        desk_key = str((await desk.api_keys.create(name="bench", scope=[REGULATION])).secret)
    finally:
        await desk.fetcher.aclose()
        await desk.database.engine.dispose()
    wallet_values = common | {
        "PUBLIC_URL": urls.wallet,
        "DATABASE_URL": wallet_db,
        "DATA_DIR": str(base / "wallet"),
        "LOCAL_ORIGINS": f"{urls.issuer},{urls.desk}",
        "BATCH_SIZE": str(MAX_BATCH),
        **FAST_KDF,
    }
    wallet = build_wallet_context(
        WalletSettings(**{k.lower(): v for k, v in wallet_values.items()}),  # type: ignore[arg-type]
        trust=registry,
    )
    try:
        await prepare_wallet(wallet)
    finally:
        await wallet.database.engine.dispose()
    desk_env = prefixed("AANSPRAAK_VERIFIER_", desk_values)
    desk_env["AANSPRAAK_VERIFIER_REGULATIONS"] = json.dumps([REGULATION])
    return Roles(
        prefixed("AANSPRAAK_ISSUER_", issuer_values),
        desk_env | trust_env,
        prefixed("AANSPRAAK_WALLET_", wallet_values) | trust_env,
        issuer,
        desk_key,
    )
