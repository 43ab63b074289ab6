"""``aanspraak <role> serve``: one role under uvicorn, configured by its environment.

``--port`` and ``--host`` override the role's ``AANSPRAAK_<ROLE>_PORT`` / ``_HOST`` by setting
them, so every worker process (each builds its app from the environment, through the role's
``serve.app_from_environment`` factory) sees the same values. The caller prepares the
database and keys once before the workers start, so they do not race to create them.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import typer
import uvicorn

from runtime.settings import ServiceSettings
from runtime.slow_clients import SERVICE_HTTP_PROTOCOL


def serve_role(
    *,
    role: str,
    env_prefix: str,
    factory: str,
    port: int | None,
    host: str | None,
    workers: int,
    settings: Callable[[], ServiceSettings],
    prepare: Callable[[], object],
    note: str = "",
) -> None:
    override_address(env_prefix, port=port, host=host)
    loaded = settings()
    prepare()
    typer.echo(
        f"{role} {loaded.public_url} listening on {shown_address('http', loaded.host, loaded.port)}"
        f" ({workers} worker{'s' if workers > 1 else ''}){note}"
    )
    uvicorn.run(
        factory,
        factory=True,
        host=loaded.host,
        port=loaded.port,
        workers=workers,
        access_log=False,  # request paths hold ids that lead to codes, nonces and offers
        http=SERVICE_HTTP_PROTOCOL,  # slow clients are cut off (runtime.slow_clients)
    )


def override_address(env_prefix: str, *, port: int | None, host: str | None) -> None:
    """Options win over the role's ``_PORT`` / ``_HOST`` by becoming them: whatever builds
    the app from the environment afterwards (a worker, ``aanspraak serve``) sees the same."""
    if port is not None:
        os.environ[f"{env_prefix}PORT"] = str(port)
    if host is not None:
        os.environ[f"{env_prefix}HOST"] = host


def shown_address(scheme: str, host: str, port: int) -> str:
    """``scheme://host:port``, an IPv6 host in brackets (RFC 3986 §3.2.2)."""
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
