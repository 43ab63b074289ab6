"""Bounded input for the command line: files and stdin are read with a cap, never whole.

Exit codes are the contract other tools test against: 0 success, 1 the input was rejected
(one line ``rejected: <reason-slug>`` on stderr), 2 a usage or configuration error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsError

from specs.errors import Rejected
from specs.jose import PrivateJwk, PublicJwk, loads_strict, parse_private_jwk, parse_public_jwk

EXIT_REJECTED = 1
EXIT_USAGE = 2
MAX_FILE_CHARS = 1024 * 1024


S = TypeVar("S", bound=BaseSettings)


def fail_usage(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def settings_problems(exc: ValidationError, prefix: str) -> list[str]:
    """Each problem named by its variable (``prefix`` + the field in capitals), one spanning
    several settings as ``settings``; never the value, which may be a password in a URL."""
    return [
        f"{prefix + '_'.join(map(str, e['loc'])).upper() if e['loc'] else 'settings'}: {e['msg']}"
        for e in exc.errors()
    ]


def fail_rejected(error: Rejected) -> NoReturn:
    typer.echo(f"rejected: {error.reason.value}", err=True)
    raise typer.Exit(EXIT_REJECTED)


def read_stdin(max_chars: int) -> str:
    """Read at most ``max_chars`` (+1 to detect overflow) and strip surrounding whitespace."""
    data = sys.stdin.read(max_chars + 1)
    return data.strip() if len(data) <= max_chars else data


def read_json_file(path: Path, what: str) -> Any:
    """Strict JSON from ``path``, or from stdin when ``path`` is ``-``; bounded, and errors
    never show the data."""
    if str(path) == "-":
        text, where, be = read_stdin(MAX_FILE_CHARS), f"the {what} on stdin", "are"
    else:
        try:
            with path.open(encoding="utf-8") as handle:
                text = handle.read(MAX_FILE_CHARS + 1)
        except (OSError, UnicodeDecodeError):
            fail_usage(f"cannot read the {what} file")
        where, be = f"the {what} file", "is"
    if len(text) > MAX_FILE_CHARS:
        fail_usage(f"{where} {be} larger than {MAX_FILE_CHARS} characters")
    try:
        return loads_strict(text)
    except Rejected as exc:
        fail_usage(f"{where} {be} not valid JSON ({exc.reason.value})")


def read_private_key(path: Path, what: str) -> PrivateJwk:
    try:
        return parse_private_jwk(read_json_file(path, what))
    except Rejected as exc:
        fail_usage(f"the {what} file is not a usable private JWK ({exc.reason.value})")


def read_public_key(path: Path, what: str) -> PublicJwk:
    try:
        return parse_public_jwk(read_json_file(path, what))
    except Rejected as exc:
        fail_usage(f"the {what} file is not a usable public JWK ({exc.reason.value})")


def settings_from_environment(settings_class: type[S], prefix: str) -> S:
    """A role's settings from its environment; a problem names the variable, never its value."""
    try:
        return settings_class()
    except ValidationError as exc:
        fail_usage(f"invalid settings: {'; '.join(settings_problems(exc, prefix))}")
    except SettingsError as exc:  # a list variable that is not JSON; names the field only
        fail_usage(f"invalid settings: {exc}")
