"""The issuer as a web service: ``build_app(settings)`` and nothing else to wire by hand.

At start the lifespan loads keys and configurations, migrates the database to the newest
schema, sweeps expired offers, and starts the sweeper and (if configured) the webhook
dispatcher; at stop it cancels them and closes the database.
"""

from __future__ import annotations

from fastapi import FastAPI

import issuer.routes_authorization
import issuer.routes_backoffice
import issuer.routes_metadata
import issuer.routes_protocol
from issuer.context import IssuerContext, build_context
from issuer.settings import IssuerSettings
from issuer.status_lists import StatusListTokens
from issuer.sweeper import run_sweeper, sweep
from issuer.webhooks import run_dispatcher
from runtime.app import create_app
from runtime.database import ping
from runtime.lifespan import service_lifespan
from runtime.migrations import upgrade_to_head
from runtime.rate_limit import limiter_from

#: Endpoints that parse their JSON body strictly themselves and answer in OpenID4VCI's own
#: error codes (``routes_protocol._json_body``).
OWN_JSON_PARSERS = frozenset({"/credential", "/deferred_credential", "/notification"})
VERSION = "0.1.0"
SCRIPT_LOCATION = "issuer:migrations"
VERSION_TABLE = "issuer_alembic_version"
#: The endpoints open to any wallet (docs/issuer.md): limited per client address when
#: ``rate_limit_per_minute`` is set; the back office, health and metrics are not.
RATE_LIMITED_PATHS = frozenset(
    {
        "/token",
        "/nonce",
        "/credential",
        "/deferred_credential",
        "/notification",
        "/par",
        "/authorize",
        "/authorize/callback",
    }
)

DESCRIPTION = """\
OpenID for Verifiable Credential Issuance 1.0 for an agency: the back office creates offers
(API key), the citizen's wallet redeems them with the pre-authorized code and tx_code and
receives SD-JWT VC credentials in batches of one-time instances. Revocation through Token
Status Lists. No credential content is kept after delivery.
"""


async def prepare(context: IssuerContext) -> None:
    """Migrate the schema and sweep once; what ``serve`` and the command line both need."""
    await upgrade_to_head(
        context.engine, script_location=SCRIPT_LOCATION, version_table=VERSION_TABLE
    )
    await sweep(context)


def build_app(settings: IssuerSettings, *, context: IssuerContext | None = None) -> FastAPI:
    """The issuer app; tests pass a ``context`` with their own clock."""
    ready = context or build_context(settings)
    loops = [lambda: run_sweeper(ready)]
    if settings.webhook_url is not None:
        loops.append(lambda: run_dispatcher(ready))
    lifespan = service_lifespan(
        prepare=lambda: prepare(ready), background=loops, close=[ready.engine.dispose]
    )
    context = ready

    async def database_ready() -> None:
        await ping(context.engine)

    app = create_app(
        title="aanspraak issuer",
        version=VERSION,
        settings=settings,
        routers=[
            issuer.routes_metadata.router,
            issuer.routes_protocol.router,
            issuer.routes_authorization.router,
            issuer.routes_backoffice.router,
        ],
        readiness=[("database", database_ready)],
        lifespan=lifespan,
        description=DESCRIPTION,
        rate_limiter=limiter_from(settings, context.clock),
        rate_limited_paths=RATE_LIMITED_PATHS,
        own_json_parsers=OWN_JSON_PARSERS,
    )
    app.state.context = context
    app.state.status_tokens = StatusListTokens()
    return app
