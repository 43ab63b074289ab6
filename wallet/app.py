"""The wallet service for mobile clients: ``build_app(settings, trust=...)``.

At start the lifespan migrates the database and sweeps; a sweeper then runs every 30 s:
expired credentials go with their instances, lapsed pending steps and remembered proof
``jti`` values go when they can no longer matter. ``/readyz`` checks the database and the
trust registry.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from sqlalchemy import delete

import wallet.routes_account
import wallet.routes_authorization
import wallet.routes_holdings
from runtime.app import create_app
from runtime.database import ping
from runtime.lifespan import service_lifespan
from runtime.migrations import upgrade_to_head
from runtime.rate_limit import limiter_from
from trust.registry import TrustRegistry
from wallet import records
from wallet.context import WalletContext, build_context
from wallet.holdings import purge_expired
from wallet.settings import WalletSettings
from wallet.tables import proof_jtis

#: Limited per client address when ``rate_limit_per_minute`` is set (health and metrics
#: are not): the app-facing API (THREATS H-07).
RATE_LIMITED_PATHS = frozenset({"/v1/"})
VERSION = "0.1.0"
SCRIPT_LOCATION = "wallet:migrations"
VERSION_TABLE = "wallet_alembic_version"
SWEEP_SECONDS = 30
_log = logging.getLogger(__name__)

DESCRIPTION = """\
The service mobile wallet apps use. Accounts are bound to a device key (every request
carries a DPoP proof, RFC 9449) and unlocked with a PIN; holder keys stay on the device,
which signs every key proof and KB-JWT the service prepares. Credentials arrive over
OpenID4VCI 1.0, are kept encrypted under a PIN-wrapped vault key, are scanned locally
against the published regulations ("Did you know you are entitled to ...?"), and answer
desks over OpenID4VP 1.0 with only the claims a regulation needs, after consent.
"""


async def sweep(context: WalletContext) -> None:
    now = context.clock()
    await purge_expired(context)
    async with context.database.write() as connection:
        await records.purge_lapsed(connection, now=now)
        await connection.execute(delete(proof_jtis).where(proof_jtis.c.expires_at <= now))


async def _run_sweeper(context: WalletContext) -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await sweep(context)
        except Exception as error:
            _log.warning("wallet sweep failed: %s", type(error).__name__)


async def prepare(context: WalletContext) -> None:
    await upgrade_to_head(
        context.database.engine, script_location=SCRIPT_LOCATION, version_table=VERSION_TABLE
    )
    await sweep(context)


def build_app(
    settings: WalletSettings,
    *,
    trust: TrustRegistry | None = None,
    context: WalletContext | None = None,
) -> FastAPI:
    """The wallet service; tests pass a ``context`` with their own clock and transport."""
    if context is None:
        if trust is None:
            raise ValueError("the wallet service needs a trust registry")
        context = build_context(settings, trust=trust)
    ready = context

    lifespan = service_lifespan(
        prepare=lambda: prepare(ready),
        background=[lambda: _run_sweeper(ready)],
        close=[ready.database.engine.dispose],
    )

    async def database_ready() -> None:
        await ping(ready.database.engine)

    async def registry_ready() -> None:
        ready.trust.snapshot(now=ready.clock())

    app = create_app(
        title="aanspraak wallet",
        version=VERSION,
        settings=settings,
        routers=[
            wallet.routes_account.router,
            wallet.routes_holdings.router,
            wallet.routes_authorization.router,
        ],
        readiness=[("database", database_ready), ("trust_registry", registry_ready)],
        lifespan=lifespan,
        description=DESCRIPTION,
        rate_limiter=limiter_from(settings, context.clock),
        rate_limited_paths=RATE_LIMITED_PATHS,
    )
    app.state.context = context
    return app
