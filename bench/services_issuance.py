"""Issuance through HTTP for ``bench.services``: whole pre-authorized flows, batches of 10.

The issuer of ``bench.issuer_http`` (development profile, ``household_assets``: 13
Disclosures per credential) on a fresh database, served by ``issuer.serve`` under uvicorn
with 1 or N workers. The offers are made before the server starts, with library calls on
its database (the back office is not measured), and the keys are made then too, so the
workers share them as ``aanspraak issuer serve`` makes them share what its prepare step made.
The wallet flows are ``bench.issuer_http.Wallet``'s: token, nonce, 10 key proofs built on the
client's side, credential request. A unit is a credential; a latency the credential
request's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.issuer_http import Wallet, run_flows
from bench.issuer_workload import (
    ISSUER_ID,
    new_offer,
    settings_environment,
)
from bench.services_databases import Backend, fresh_database
from bench.services_figures import ServiceLoad, served
from issuer.app import prepare
from issuer.context import build_context, system_clock
from issuer.settings import IssuerSettings
from runtime.settings import Profile
from specs.jose import PublicJwk

CONFIGURATION = "household_assets"


async def _offers(data_dir: Path, database_url: str, count: int) -> tuple[list[str], PublicJwk]:
    """The issuer prepared (keys, schema) and ``count`` offers' pre-authorized codes."""
    settings = IssuerSettings(
        profile=Profile.DEVELOPMENT,
        public_url=ISSUER_ID,
        database_url=database_url,
        data_dir=data_dir,
    )
    context = build_context(settings, clock=system_clock)
    await prepare(context)
    try:
        codes = [(await new_offer(context, CONFIGURATION))[1] for _ in range(count)]
        return codes, context.keys.active.public
    finally:
        await context.engine.dispose()


async def measure_issuance(
    directory: Path,
    backend: Backend,
    *,
    workers: int,
    rounds: int,
    flows: int,
    concurrency: int,
) -> dict[str, Any]:
    """Credentials per second through ``workers`` issuer workers; see the module docstring."""
    data_dir = directory / f"issuer-{backend.name}-{workers}"
    data_dir.mkdir(parents=True, exist_ok=True)
    warm_up = 2 * concurrency * workers
    figures = ServiceLoad(unit="credentials")
    async with fresh_database(backend, data_dir, "issuer") as url:
        codes, issuer_key = await _offers(data_dir, url, warm_up + rounds * flows)
        environment = settings_environment(data_dir) | {"AANSPRAAK_ISSUER_DATABASE_URL": url}
        async with served(
            "issuer.serve:app_from_environment",
            name="issuer",
            settings=environment,
            data_dir=data_dir,
            workers=workers,
            concurrency=concurrency,
        ) as server:
            await run_flows(
                Wallet(server.client, CONFIGURATION),
                codes,
                figures,
                pid=server.process.pid,
                issuer_key=issuer_key,
                configuration=CONFIGURATION,
                warm_up=warm_up,
                rounds=rounds,
                flows=flows,
                concurrency=concurrency,
                what="services issuance",
            )
            figures.peak_rss_bytes = server.peak_rss()
    return figures.summary()
