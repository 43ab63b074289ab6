"""The plumbing every ``aanspraak issuer`` command shares: settings, context, exits.

Exit codes follow ``aanspraak.cli_io``: 0 done; 1 the issuer refused (no such offer, a
conflict) or the database failed; 2 a usage or configuration error (bad input, invalid
settings, unusable key files). Messages are the issuer's fixed texts: never claim values,
codes or keys (DESIGN §3).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from aanspraak.cli_io import EXIT_USAGE, fail_usage
from aanspraak.cli_io import settings_from_environment as load_settings
from issuer.app import prepare
from issuer.configurations import UnknownConfiguration
from issuer.context import IssuerContext, build_context
from issuer.keys import KeyFileError
from issuer.settings import IssuerSettings
from runtime.wire import InvalidRequest, WireError

T = TypeVar("T")
ENV_PREFIX = "AANSPRAAK_ISSUER_"

#: Ids are hex today; older ids were base64url and could start with "-": give those after "--".
OfferId = Annotated[
    str, typer.Argument(help="The offer_id printed by `offer`; put -- before one starting with -.")
]
KeyId = Annotated[str, typer.Argument(help="The API key's id; put -- before one starting with -.")]


def print_json(shown: Any) -> None:
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


def settings_from_environment() -> IssuerSettings:
    """The service's settings; a problem names the variable, never its value."""
    return load_settings(IssuerSettings, ENV_PREFIX)


def loaded(load: Callable[[], T]) -> T:
    """Keys and configuration loaded at start; the messages name files, not their content."""
    try:
        return load()
    except (KeyFileError, UnknownConfiguration, PermissionError, ValueError) as exc:
        fail_usage(str(exc))
    except OSError as exc:
        fail_usage(f"{exc.filename or 'a key file'}: cannot be read or created")


def _refused(error: WireError) -> NoReturn:
    typer.echo(f"error: {error.error_description} ({error.error})", err=True)
    raise typer.Exit(EXIT_USAGE if isinstance(error, InvalidRequest) else 1)


def run_on_database(work: Callable[[IssuerContext], Awaitable[T]]) -> T:
    """Migrate, then ``work`` on the service's database; the issuer's refusals become exits."""
    settings = settings_from_environment()
    try:
        context = loaded(lambda: build_context(settings))
    except (SQLAlchemyError, ImportError):  # the URL may carry a password: not repeated
        fail_usage(f"{ENV_PREFIX}DATABASE_URL is not usable (is its driver installed?)")

    async def main() -> T:
        try:
            await prepare(context)
            return await work(context)
        finally:
            await context.engine.dispose()

    try:
        return asyncio.run(main())
    except WireError as exc:
        _refused(exc)
    except UnknownConfiguration:
        fail_usage("unknown credential configuration")
    except (SQLAlchemyError, OSError) as exc:  # the class only: messages carry parameters
        typer.echo(f"error: the database could not be used ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from None


async def nothing_more(context: IssuerContext) -> None:
    """For ``serve``: the migration in ``_run`` is all that is needed before the workers."""
    del context
