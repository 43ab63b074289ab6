"""The plumbing every ``aanspraak verifier`` command shares: settings, context, exits.

Exit codes follow ``aanspraak.cli_io``: 0 done; 1 the verifier refused (no such transaction,
not allowed by the registry) or the database failed; 2 a usage or configuration error.
Messages are fixed texts: never claim values, codes or keys (DESIGN §3).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from aanspraak.cli_io import EXIT_USAGE, fail_usage, settings_problems
from aanspraak.cli_io import settings_from_environment as load_settings
from runtime.key_files import KeyFileError
from runtime.wire import InvalidRequest, WireError
from trust.backend import registry_from_settings
from trust.settings import TrustSettings
from verifier.app import prepare
from verifier.context import VerifierContext, build_context
from verifier.settings import VerifierSettings

T = TypeVar("T")
ENV_PREFIX = "AANSPRAAK_VERIFIER_"


def _problems(exc: ValidationError, prefix: str) -> str:
    return "; ".join(settings_problems(exc, prefix))


def settings_from_environment() -> VerifierSettings:
    """The service's settings; a problem names the variable, never its value."""
    return load_settings(VerifierSettings, ENV_PREFIX)


def _context(settings: VerifierSettings) -> VerifierContext:
    try:
        trust = registry_from_settings(TrustSettings())
        return build_context(settings, trust=trust)
    except ValidationError as exc:
        fail_usage(f"invalid settings: {_problems(exc, 'AANSPRAAK_TRUST_')}")
    except (KeyFileError, ValueError, PermissionError) as exc:
        fail_usage(str(exc))
    except OSError as exc:
        fail_usage(f"{exc.filename or 'a key file'}: cannot be read or created")
    except (SQLAlchemyError, ImportError):  # the URL may carry a password: not repeated
        fail_usage(f"{ENV_PREFIX}DATABASE_URL is not usable (is its driver installed?)")


def _refused(error: WireError) -> NoReturn:
    typer.echo(f"error: {error.error_description} ({error.error})", err=True)
    raise typer.Exit(EXIT_USAGE if isinstance(error, InvalidRequest) else 1)


def run_on_database(work: Callable[[VerifierContext], Awaitable[T]]) -> T:
    """Migrate, then ``work`` on the service's database; refusals become exits."""
    context = _context(settings_from_environment())

    async def main() -> T:
        try:
            await prepare(context)
            return await work(context)
        finally:
            await context.fetcher.aclose()
            await context.database.engine.dispose()

    try:
        return asyncio.run(main())
    except WireError as exc:
        _refused(exc)
    except (SQLAlchemyError, OSError) as exc:  # the class only: messages carry parameters
        typer.echo(f"error: the database could not be used ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from None


async def nothing_more(context: VerifierContext) -> None:
    """For ``serve``: the migration in ``run_on_database`` is all that is needed first."""
    del context
