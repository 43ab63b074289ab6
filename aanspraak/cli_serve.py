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
    if port is not None:
        os.environ[f"{env_prefix}PORT"] = str(port)
    if host is not None:
        os.environ[f"{env_prefix}HOST"] = host
    loaded = settings()
    prepare()
    shown_host = f"[{loaded.host}]" if ":" in loaded.host else loaded.host
    typer.echo(
        f"{role} {loaded.public_url} listening on http://{shown_host}:{loaded.port}"
        f" ({workers} worker{'s' if workers > 1 else ''}){note}"
    )
    uvicorn.run(
        factory,
        factory=True,
        host=loaded.host,
        port=loaded.port,
        workers=workers,
        access_log=False,  # request paths hold ids that lead to codes, nonces and offers
    )
