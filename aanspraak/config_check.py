"""``aanspraak config check``: every role's configuration checked, nothing started.

A deployment sets a few dozen ``AANSPRAAK_*`` variables for three services and the registry;
a typo in one should show before a restart, not as a service that refuses to come up. The
check builds each role's settings exactly as its service does (the same classes from the
same environment) and adds the two refusals a service makes next from configuration alone:
a database URL whose async driver cannot be loaded, and a trust registry that cannot be
opened (a chain backend without a node, a file backend whose governance key or trust list
cannot be read). It connects to nothing and creates nothing: the development profile's keys
are not made, no database is opened, no node is asked.

Problems are named by their variable and never repeat its value (``cli_io.settings_problems``,
the rule of every command): a database URL may carry a password, a key may be inline.
``aanspraak serve`` runs the same check before it starts anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from aanspraak.cli_io import EXIT_USAGE, settings_problems
from issuer.settings import IssuerSettings
from runtime.key_files import KeyFileError, load_public_key
from runtime.settings import ServiceSettings
from trust.settings import TrustSettings
from verifier.settings import VerifierSettings
from wallet.settings import WalletSettings

TRUST_PREFIX = "AANSPRAAK_TRUST_"
S = TypeVar("S")


class Role(StrEnum):
    """What can be checked: the three services and the registry two of them read."""

    ISSUER = "issuer"
    WALLET = "wallet"
    VERIFIER = "verifier"
    TRUST = "trust"


SERVICES: dict[Role, tuple[type[ServiceSettings], str]] = {
    Role.ISSUER: (IssuerSettings, "AANSPRAAK_ISSUER_"),
    Role.WALLET: (WalletSettings, "AANSPRAAK_WALLET_"),
    Role.VERIFIER: (VerifierSettings, "AANSPRAAK_VERIFIER_"),
}


def problems_of(role: Role) -> list[str]:
    """What is wrong with ``role``'s configuration, one line per problem; empty: usable."""
    if role is Role.TRUST:
        return _trust_problems()
    settings_class, prefix = SERVICES[role]
    loaded = _settings(settings_class, prefix)
    if isinstance(loaded, list):
        return loaded
    if not database_url_usable(loaded.database_url):
        return [f"{prefix}DATABASE_URL: not usable (is its async driver installed?)"]
    return []


def database_url_usable(url: str) -> bool:
    """The URL parses and names an installed async driver; nothing is connected to."""
    try:
        dialect = make_url(url).get_dialect()
        dialect.import_dbapi()
    except (SQLAlchemyError, ImportError, ValueError):
        return False
    return bool(getattr(dialect, "is_async", False))


def _settings(build: Callable[[], S], prefix: str) -> S | list[str]:
    try:
        return build()
    except ValidationError as exc:
        return settings_problems(exc, prefix)
    except SettingsError as exc:  # a list variable that is not JSON; the text names the field
        field = re.search(r'field "(\w+)"', str(exc))
        return [f"{prefix}{field.group(1).upper()}: not valid JSON" if field else str(exc)]


def _trust_problems() -> list[str]:
    """What ``trust.backend.registry_from_settings`` would refuse, named by variable."""
    loaded = _settings(TrustSettings, TRUST_PREFIX)
    if isinstance(loaded, list):
        return loaded
    if loaded.backend == "chain":
        if loaded.rpc_url is None:  # the in-process chain exists only inside the demo
            return [
                f"{TRUST_PREFIX}RPC_URL: required by the chain backend outside the demo "
                f"(or set {TRUST_PREFIX}BACKEND=file)"
            ]
        return []
    problems = []
    if loaded.governance_key_file is not None:
        try:
            load_public_key(loaded.governance_key_file)
        except (KeyFileError, OSError, ValueError):  # the error's text would show the path
            problems.append(f"{TRUST_PREFIX}GOVERNANCE_KEY_FILE: not a readable public key")
    if loaded.trust_list_file is not None and not loaded.trust_list_file.is_file():
        problems.append(f"{TRUST_PREFIX}TRUST_LIST_FILE: no such file")
    return problems


def check(
    role: Annotated[
        Role | None, typer.Option(help="Check one role only (default: every role).")
    ] = None,
) -> None:
    """Check the configuration of every role from the environment; start nothing.

    Prints "<role>: OK", or one line per problem naming the variable, never its value.
    Exits 2 when a role is not usable.
    """
    invalid = []
    for each in [role] if role is not None else list(Role):
        problems = problems_of(each)
        for problem in problems or ["OK"]:
            typer.echo(f"{each.value}: {problem}")
        if problems:
            invalid.append(each.value)
    if invalid:
        typer.echo(f"error: invalid configuration: {', '.join(invalid)}", err=True)
        raise typer.Exit(EXIT_USAGE)


app = typer.Typer(
    help="The configuration of the roles, read from the environment.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("check")(check)
