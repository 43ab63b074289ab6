"""The ``aanspraak`` command imports a subcommand's module only when that subcommand runs,
and offers exactly the tree the docs are generated from (``aanspraak.cli.app``)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import typer

from aanspraak.cli import COMMANDS, build_app, lazy_command


def _shape(command: Any) -> dict[str, Any]:
    """Names of every parameter and subcommand, recursively."""
    shape: dict[str, Any] = {"params": sorted(p.name for p in command.params)}
    if hasattr(command, "commands"):
        shape["commands"] = {n: _shape(c) for n, c in sorted(command.commands.items())}
    return shape


def test_the_lazy_command_offers_the_whole_tree() -> None:
    whole = typer.main.get_command(build_app())
    lazy = lazy_command()
    context = lazy.make_context("aanspraak", ["--help"], resilient_parsing=True)
    assert lazy.list_commands(context) == list(COMMANDS)
    for name in COMMANDS:
        found = lazy.get_command(context, name)
        assert found is not None, name
        assert _shape(found) == _shape(whole.commands[name]), name  # type: ignore[attr-defined]
    assert lazy.get_command(context, "nonesuch") is None


PROBE = """
import json, sys
from aanspraak.cli import lazy_command
try:
    lazy_command()(sys.argv[1:], prog_name="aanspraak")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in ("web3", "aanspraak.demo", "aanspraak.serve_all",
      "verifier.app", "wallet.app", "issuer.app") if m in sys.modules)))
"""


def _imported_by(*argv: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True
    )
    imported: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return imported


def test_serving_one_role_imports_neither_the_others_nor_the_demo() -> None:
    assert _imported_by("issuer", "serve", "--help") == ["issuer.app"]
    assert _imported_by("sd-jwt", "decode", "--help") == []
