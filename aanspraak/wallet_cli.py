"""``aanspraak wallet``: run the wallet service that mobile wallet apps talk to.

``serve`` reads the same ``AANSPRAAK_WALLET_*`` and ``AANSPRAAK_TRUST_*`` variables as the
service (``docs/wallet.example.env``). Before uvicorn starts it checks them, loads the PIN
secret and the session key (the development profile creates them; production refuses to,
since a lost PIN secret makes every vault unreadable) and migrates the database, once: so a
configuration problem is one line on stderr instead of a traceback in every worker, and the
workers do not all migrate at the same moment.

Exit codes follow ``aanspraak.cli_io``: 0 done; 1 the database could not be used; 2 a usage or
configuration error. Messages name a variable or a file, never a value (a database URL may
carry a password).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from aanspraak.cli_io import fail_usage, settings_problems
from aanspraak.cli_io import settings_from_environment as load_settings
from aanspraak.cli_serve import serve_role
from runtime.key_files import KeyFileError
from trust.backend import registry_from_settings
from trust.settings import TrustSettings
from wallet.app import prepare
from wallet.context import WalletContext, build_context
from wallet.settings import WalletSettings

ENV_PREFIX = "AANSPRAAK_WALLET_"

app = typer.Typer(
    help="The citizen's wallet service for mobile wallet apps.",
    no_args_is_help=True,
    add_completion=False,
)


def _problems(exc: ValidationError, prefix: str) -> str:
    return "; ".join(settings_problems(exc, prefix))


def settings_from_environment() -> WalletSettings:
    """The service's settings; a problem names the variable, never its value."""
    return load_settings(WalletSettings, ENV_PREFIX)


def _context(settings: WalletSettings) -> WalletContext:
    """What a worker will build, built once here so its problems surface before uvicorn."""
    try:
        return build_context(settings, trust=registry_from_settings(TrustSettings()))
    except ValidationError as exc:
        fail_usage(f"invalid settings: {_problems(exc, 'AANSPRAAK_TRUST_')}")
    except (KeyFileError, ValueError, PermissionError) as exc:
        fail_usage(str(exc))
    except OSError as exc:
        fail_usage(f"{exc.filename or 'a key file'}: cannot be read or created")
    except (SQLAlchemyError, ImportError):  # the URL may carry a password: not repeated
        fail_usage(f"{ENV_PREFIX}DATABASE_URL is not usable (is its driver installed?)")


def prepare_once() -> None:
    """Secrets loaded (or, in development, created) and the schema migrated, then let go."""
    context = _context(settings_from_environment())

    async def main() -> None:
        try:
            await prepare(context)
        finally:
            await context.database.engine.dispose()

    try:
        asyncio.run(main())
    except (SQLAlchemyError, OSError) as exc:  # the class only: messages carry parameters
        typer.echo(f"error: the database could not be used ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from None


@app.command("serve")
def serve(
    port: Annotated[int | None, typer.Option(help="Port (default: AANSPRAAK_WALLET_PORT).")] = None,
    host: Annotated[
        str | None, typer.Option(help="Address (default: AANSPRAAK_WALLET_HOST).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Run the wallet service under uvicorn; each worker builds its app from the environment."""
    serve_role(
        role="wallet",
        env_prefix=ENV_PREFIX,
        factory="wallet.serve:app_from_environment",
        port=port,
        host=host,
        workers=workers,
        settings=settings_from_environment,
        prepare=prepare_once,
        note="; API under /v1",
    )
