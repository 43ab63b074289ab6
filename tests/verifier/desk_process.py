"""A desk's verifier as a real process (``tests.threats.service_process``), made ready to run.

Before the first start the harness does what an operator does once: the development
identity (signing key, certificate: the client identifier governance registers) is made in
the data directory, the schema migrated and a desk API key created through the library, so
the process finds them in place. The desk decides zorgtoeslag and holds every input but the
household income itself (:data:`DESK_FACTS`), so each answer is one credential: the
Belastingdienst's household income statement.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aanspraak.demo_settings import GivenOnly
from aanspraak.town import FixedRegistry, registry_entries
from runtime.regulations import find
from tests.threats.service_process import ServiceProcess, TrustFile
from verifier.app import prepare
from verifier.context import build_context
from verifier.identity import load_identity
from verifier.settings import VerifierSettings

REGULATION = "zorgtoeslag"
INCOME_VCT = "urn:nl:belastingdienst:household-income:1"
#: What the desk already knows (its own registration), so the wallet is asked only for the
#: income statement (``verifier.facts``).
DESK_FACTS: dict[str, Any] = {"age": 40, "insured": True, "assets": 0, "debt_restructuring": False}
LEGAL_BASIS = "Awir art. 40"


class _Settings(GivenOnly, VerifierSettings):
    """The process's settings from its values alone, never from the harness's environment."""


@dataclass
class DeskProcess:
    process: ServiceProcess
    api_key: str
    client_id: str

    @property
    def url(self) -> str:
        return self.process.url

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def new_desk(
    data_dir: Path, database_url: str, trust: TrustFile, *, local_origins: list[str]
) -> tuple[ServiceProcess, str]:
    """The deployment and its client identifier (its identity is made here, once)."""
    process = ServiceProcess(
        "verifier",
        data_dir,
        database_url,
        trust,
        settings={
            "local_origins": ",".join(local_origins),
            # The loopback agencies' status lists would be on plain http, which a credential's
            # status reference may not name (SD-JWT VC §3.2.2.2, DESIGN §4).
            "require_status": "false",
        },
    )
    settings = settings_of(process)
    client_id = load_identity(settings, now=lambda: int(time.time())).client_id
    return process, client_id


def settings_of(process: ServiceProcess) -> VerifierSettings:
    return _Settings(**process.values())  # type: ignore[arg-type]  # strings, as from the env


def publish_registry(
    trust: TrustFile, client_id: str, issuers: Mapping[str, tuple[list[str], list[str]]]
) -> None:
    """Governance registers the issuers (by URL: key references, types), this desk for
    what zorgtoeslag needs, and every regulation's anchor."""
    trust.publish(
        registry_entries(
            issuers=issuers,
            desk=client_id,
            desk_regulations=[find(REGULATION)],
            legal_basis=LEGAL_BASIS,
        )
    )


async def ready_desk(process: ServiceProcess, client_id: str) -> DeskProcess:
    """Migrate and create the desk's API key through the library; then start the process."""
    context = build_context(settings_of(process), trust=FixedRegistry(None))
    try:
        await prepare(context)
        created = await context.api_keys.create(name="desk", scope=[REGULATION])
    finally:
        await context.fetcher.aclose()
        await context.database.engine.dispose()
    await process.start()
    return DeskProcess(process, created.secret, client_id)
