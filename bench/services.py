"""``python -m bench.services``: the services through HTTP on loopback, 1 and N uvicorn
workers, on SQLite and on PostgreSQL.

Per worker count and database, each on a fresh database (a new PostgreSQL database per run,
dropped afterwards):

* issuance (``bench.services_issuance``): whole pre-authorized flows, batch of 10;
* OID4VP response to decision (``bench.services_desk``): prepared ``direct_post`` and
  ``direct_post.jwt`` answers posted to the desk's ``response_uri``;
* the bare baseline (``bench.services_bare``): a FastAPI app that only verifies the SD-JWT
  VC + KB-JWT of the same answers, same uvicorn, workers and client; once per worker count
  (it has no database). Target: desk answers/s >= 0.5 x bare verifications/s;
* wallet presentation (``bench.services_wallet``): the phone's flow through the wallet
  service, with the issuer and the desk as their own servers;
* memory: the peak RSS of each server's processes under that load.

Usage: ``--quick`` (a smoke run), ``--json``, ``--no-postgres``, ``--database-url URL``
(else ``TEST_DATABASE_URL`` when it names a PostgreSQL server), ``--workers 1,2``,
``--parts issuance,oid4vp,wallet``. Method and targets: bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aanspraak.loopback import bound_listener, serving, url_of
from bench.services_bare import measure_bare
from bench.services_databases import SQLITE, Backend, server_version
from bench.services_desk import MODES, measure_desk
from bench.services_issuance import measure_issuance
from bench.services_report import TARGET, environment, print_report, verdicts
from bench.services_wallet import measure_wallet
from bench.verifier_workload import Workload

PARTS = ("issuance", "oid4vp", "wallet")


@dataclass(frozen=True)
class Counts:
    rounds: int
    flows: int
    """Issuance flows (of 10 credentials) per round."""
    answers: int
    """Desk answers (and bare verifications) per round."""
    wallet_answers: int
    """Wallet presentations per round, over all phones."""
    concurrency: int
    phones: int


FULL = Counts(rounds=3, flows=40, answers=200, wallet_answers=24, concurrency=4, phones=4)
QUICK = Counts(rounds=1, flows=4, answers=12, wallet_answers=2, concurrency=2, phones=2)


def _backends(args: argparse.Namespace) -> tuple[list[Backend], str | None]:
    """SQLite, and PostgreSQL when a server is named; a note when one is named but unused."""
    backends = [Backend(SQLITE)]
    url = args.database_url or os.environ.get("TEST_DATABASE_URL")
    if args.no_postgres or not url:
        return backends, None if args.no_postgres else "PostgreSQL: no server named, not run"
    postgresql = Backend.postgresql(url)
    try:
        version = asyncio.run(server_version(postgresql))
    except OSError as exc:
        return backends, f"PostgreSQL: the server cannot be reached ({type(exc).__name__})"
    return [*backends, postgresql], f"PostgreSQL {version}"


async def _run(
    workload: Workload,
    *,
    directory: Path,
    backends: list[Backend],
    workers_list: list[int],
    parts: set[str],
    counts: Counts,
) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {"issuance": [], "oid4vp": [], "bare": [], "wallet": []}
    c = counts
    for workers in workers_list:
        for backend in backends:
            where = {"backend": backend.name, "workers": workers}
            if "issuance" in parts:
                figures = await measure_issuance(
                    directory,
                    backend,
                    workers=workers,
                    rounds=c.rounds,
                    flows=c.flows,
                    concurrency=c.concurrency,
                )
                runs["issuance"].append(where | figures)
            if "oid4vp" in parts:
                for mode in MODES:
                    figures, answers = await measure_desk(
                        workload,
                        directory,
                        backend,
                        mode=mode,
                        workers=workers,
                        rounds=c.rounds,
                        answers=c.answers,
                        concurrency=c.concurrency,
                    )
                    runs["oid4vp"].append(where | {"mode": mode} | figures)
                if backend is backends[0]:  # the baseline has no database: once per workers
                    bare = await measure_bare(
                        workload,
                        answers,
                        workers=workers,
                        rounds=c.rounds,
                        per_round=c.answers,
                        concurrency=c.concurrency,
                    )
                    runs["bare"].append({"workers": workers} | bare)
            if "wallet" in parts:
                figures = await measure_wallet(
                    directory,
                    backend,
                    workers=workers,
                    rounds=c.rounds,
                    answers=c.wallet_answers,
                    concurrency=c.phones,
                )
                runs["wallet"].append(where | figures)
    return runs


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    base = FULL if not args.quick else QUICK
    counts = Counts(
        rounds=args.rounds or base.rounds,
        flows=args.flows or base.flows,
        answers=args.answers or base.answers,
        wallet_answers=args.wallet_answers or base.wallet_answers,
        concurrency=args.concurrency or base.concurrency,
        phones=args.phones or base.phones,
    )
    backends, database_note = _backends(args)
    workers_list = [int(w) for w in args.workers.split(",")]
    parts = {part for part in args.parts.split(",") if part}
    unknown = parts - set(PARTS)
    if unknown:
        raise SystemExit(f"bench.services: unknown part(s): {', '.join(sorted(unknown))}")
    with (
        tempfile.TemporaryDirectory(prefix="aanspraak-bench-services-") as data,
        bound_listener() as listener,  # the agencies' origin, for the desk runs
    ):
        directory = Path(data)
        workload = Workload.create(directory / "desk", url_of(listener))
        with serving(workload.agencies.app(), listener, name="agencies"):
            runs = asyncio.run(
                _run(
                    workload,
                    directory=directory,
                    backends=backends,
                    workers_list=workers_list,
                    parts=parts,
                    counts=counts,
                )
            )
    report: dict[str, Any] = {
        "environment": environment(database_note),
        "counts": counts.__dict__,
        "backends": [backend.name for backend in backends],
        "workers": workers_list,
        "runs": runs,
        "target": TARGET,
    }
    report["verdicts"] = verdicts(runs)
    report["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    return report


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.services",
        description="The services through HTTP on loopback: 1 and N workers, SQLite and "
        "PostgreSQL, against a bare verifying endpoint.",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run (tiny counts)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (postgresql+asyncpg://...); default TEST_DATABASE_URL",
    )
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts (1,2)")
    parser.add_argument("--parts", default=",".join(PARTS), help="which parts (all)")
    parser.add_argument("--rounds", type=int, help=f"timed rounds per run ({FULL.rounds})")
    parser.add_argument("--flows", type=int, help=f"issuance flows per round ({FULL.flows})")
    parser.add_argument("--answers", type=int, help=f"desk answers per round ({FULL.answers})")
    parser.add_argument(
        "--wallet-answers", type=int, help=f"wallet answers per round ({FULL.wallet_answers})"
    )
    parser.add_argument("--concurrency", type=int, help=f"requests in flight ({FULL.concurrency})")
    parser.add_argument("--phones", type=int, help=f"phones answering at once ({FULL.phones})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
