"""The verifier as a web service: ``build_app(settings, trust=...)`` and nothing else to wire.

At start the lifespan migrates the database to the newest schema and sweeps what expired;
a sweeper then runs every 30 s. ``/readyz`` checks the database and the trust registry.
"""

from __future__ import annotations

from fastapi import FastAPI

import verifier.routes_desk
import verifier.routes_page
import verifier.routes_wallet
from runtime.app import create_app
from runtime.database import ping
from runtime.lifespan import service_lifespan
from runtime.migrations import upgrade_to_head
from runtime.rate_limit import limiter_from
from trust.registry import TrustRegistry
from verifier.context import VerifierContext, build_context
from verifier.settings import VerifierSettings
from verifier.sweeper import run_sweeper, sweep

#: Limited per client address when ``rate_limit_per_minute`` is set (health and metrics
#: are not): the wallets' request and response endpoints, and the desk API with its result
#: endpoint (THREATS V-04, H-07).
RATE_LIMITED_PATHS = frozenset({"/wallet/", "/desk/"})
VERSION = "0.1.0"
SCRIPT_LOCATION = "verifier:migrations"
VERSION_TABLE = "verifier_alembic_version"

DESCRIPTION = """\
OpenID for Verifiable Presentations 1.0 for an eligibility desk: the desk starts a
transaction for a regulation (API key); the regulation is compiled into the minimal DCQL
query; the citizen's wallet answers by direct_post or direct_post.jwt; the verifier checks
every presentation (issuer signature and trust, status, key binding, the query, the purpose)
and keeps a signed decision record with its legal explanation, never the data.
"""


async def prepare(context: VerifierContext) -> None:
    """Migrate the schema and sweep once; what ``serve`` and the command line both need."""
    await upgrade_to_head(
        context.database.engine, script_location=SCRIPT_LOCATION, version_table=VERSION_TABLE
    )
    await sweep(context)


def build_app(
    settings: VerifierSettings,
    *,
    trust: TrustRegistry | None = None,
    context: VerifierContext | None = None,
) -> FastAPI:
    """The verifier app; tests pass a ``context`` with their own clock and fetcher."""
    if context is None:
        if trust is None:
            raise ValueError("the verifier needs a trust registry")
        context = build_context(settings, trust=trust)
    ready = context

    lifespan = service_lifespan(
        prepare=lambda: prepare(ready),
        background=[lambda: run_sweeper(ready)],
        close=[ready.fetcher.aclose, ready.database.engine.dispose],
    )

    async def database_ready() -> None:
        await ping(ready.database.engine)

    async def registry_ready() -> None:
        ready.trust.snapshot(now=ready.clock())

    app = create_app(
        title="aanspraak verifier",
        version=VERSION,
        settings=settings,
        routers=[
            verifier.routes_desk.router,
            verifier.routes_wallet.router,
            verifier.routes_page.router,
        ],
        readiness=[("database", database_ready), ("trust_registry", registry_ready)],
        lifespan=lifespan,
        description=DESCRIPTION,
        rate_limiter=limiter_from(settings, context.clock),
        rate_limited_paths=RATE_LIMITED_PATHS,
    )
    app.state.context = context
    return app
