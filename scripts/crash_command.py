"""The command line the crash harnesses share: what to run, where, and how to report it.

Each harness (``scripts.issuer_crash``, ``scripts.desk_crash``, ``scripts.wallet_crash``) takes
the same core options, runs in a temporary folder with a SQLite file there unless a database
URL is given, prints its figures and exits 1 when an invariant broke.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol

WINDOW = 0.030
"""A kill lands 0 to this many seconds after the request was sent ..."""
AIMED = 0.5
"""... or, for this share of kills, in the last stretch before the answer usually comes, where
the service commits."""
REPEAT_KILL = 0.25
"""The chance that the repeat of a killed request is killed as well."""


class Report(Protocol):
    violations: list[str]

    def lines(self) -> list[str]: ...


def crash_parser(description: str, *, seed: int) -> argparse.ArgumentParser:
    """``--kills``, ``--database-url``, ``--seed`` and ``--cut-share``; a harness adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--kills", type=int, default=200, help="kill points to reach")
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument(
        "--cut-share",
        type=float,
        default=0.0,
        help="share of kill points that cut the database connections instead (PostgreSQL, 0-1)",
    )
    return parser


def run_command(
    arguments: argparse.Namespace,
    *,
    name: str,
    run: Callable[[Path, str], Coroutine[Any, Any, Report]],
) -> int:
    """Run the harness in a temporary folder (``<name>.db`` there by default); print; exit."""
    with tempfile.TemporaryDirectory(prefix=f"{name}-crash-") as directory:
        data_dir = Path(directory)
        url = arguments.database_url or f"sqlite+aiosqlite:///{data_dir}/{name}.db"
        report = asyncio.run(run(data_dir, url))
    print("\n".join(report.lines()))
    return 1 if report.violations else 0


class CoreHarness(Protocol):
    """A harness that takes only the core options (``scripts.desk_crash``, ``wallet_crash``)."""

    def __call__(
        self, data_dir: Path, database_url: str, *, kills: int, seed: int, cut_share: float
    ) -> Coroutine[Any, Any, Report]: ...


def core_main(argv: list[str] | None, *, doc: str, name: str, harness: CoreHarness) -> int:
    """The whole command of a harness with the core options only."""
    arguments = crash_parser(doc.split("\n", 1)[0], seed=20261129).parse_args(argv)
    return run_command(
        arguments,
        name=name,
        run=lambda data_dir, url: harness(
            data_dir,
            url,
            kills=arguments.kills,
            seed=arguments.seed,
            cut_share=arguments.cut_share,
        ),
    )
