"""The ``aanspraak`` command: the front door to every role (DESIGN §1, aanspraak/).

Each subcommand's module is imported when that subcommand runs, not before: the demo pulls in
an in-process chain, the registry commands web3, each role its whole app, and a process that
serves one role (``aanspraak issuer serve --workers 4``, started once per worker restart and
per deployment) should not wait for the others. ``COMMANDS`` names where each one lives;
``app`` (the whole tree, every module imported) is built on first access, for the generated
docs and the tests.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer._click.core import Command, Context  # typer's own copy of click, its classes' base
from typer.core import TyperGroup

HELP = "aanspraak: citizen-held credentials that decide eligibility without pooling data."

COMMANDS: dict[str, tuple[str, str]] = {
    "sd-jwt": ("aanspraak.sd_jwt_cli", "app"),
    "regulations": ("aanspraak.regulations_cli", "app"),
    "registry": ("aanspraak.registry_cli", "app"),
    "issuer": ("aanspraak.issuer_cli", "app"),
    "verifier": ("aanspraak.verifier_cli", "app"),
    "wallet": ("aanspraak.wallet_cli", "app"),
    "demo": ("aanspraak.demo", "run"),
    "serve": ("aanspraak.serve_all", "serve"),
    "config": ("aanspraak.config_check", "app"),
}
"""Subcommand -> (module, attribute): a ``typer.Typer`` group or a command function."""


def _target(name: str) -> Any:
    module, attribute = COMMANDS[name]
    return getattr(importlib.import_module(module), attribute)


def _register(tree: typer.Typer, name: str) -> None:
    target = _target(name)
    if isinstance(target, typer.Typer):
        tree.add_typer(target, name=name)
    else:
        tree.command(name)(target)


def build_app() -> typer.Typer:
    """The whole command tree as one Typer app (imports every subcommand's module)."""
    tree = typer.Typer(
        help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )
    for name in COMMANDS:
        _register(tree, name)
    return tree


def _command(ctx: Context, name: str) -> Command | None:
    """One subcommand, built exactly as ``build_app`` builds it (a one-entry tree), alone.

    Typer turns an app of one command into that command, so a lone entry is taken as it is,
    and a group of one entry is looked up in it.
    """
    tree = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    _register(tree, name)
    command = typer.main.get_command(tree)
    if isinstance(command, TyperGroup):
        found: Command | None = command.get_command(ctx, name)
        return found
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The top-level group, importing a subcommand's module only when it is asked for."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        return _command(ctx, cmd_name) if cmd_name in COMMANDS else None


def lazy_command() -> TyperGroup:
    return LazyGroup(name="aanspraak", help=HELP, no_args_is_help=True)


def __getattr__(name: str) -> Any:
    if name == "app":
        tree = build_app()
        globals()["app"] = tree
        return tree
    raise AttributeError(name)


def main() -> None:
    lazy_command()(prog_name="aanspraak")
