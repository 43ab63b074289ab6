"""Resource bounds under hostile input: what refusing each [DoS] case of the threat catalogue
costs, and what an attack costs legitimate verifications.

Run ``python -m bench.hostile``; ``--quick`` for a smoke run (smaller bombs, one or two
repetitions, short holds), ``--json`` for machine-readable output, ``--no-load`` to skip
part two.

Part one, one row per hostile input (``bench.hostile_inputs`` builds them): the outcome
(the Reason member, the fetcher's reason, or the HTTP status and wire error code), the
rejection time (median and max over the repetitions) and the peak memory of one refusal
(``bench.hostile_measure``: tracemalloc and this process's RSS high-water mark in process;
the server's RSS high-water mark over HTTP). Targets: under 200 ms and under 32 MB; a
refusal that is designed to wait for a deadline (a dripping peer) is held to its deadline.

* in process (``bench.hostile_cases``): P-19, P-20, P-21 through ``verify_sd_jwt_vc``; T-01
  through ``decode_status_list`` and ``verify_status_list_token``; T-13 and H-13 through
  ``SafeFetcher``, C-05 through the chain reader, against hostile loopback servers
  (``bench.hostile_servers``);
* over HTTP (``bench.hostile_http``, ``bench.hostile_slow``): P-21, V-11, H-01, H-02, H-04
  and the result endpoint of H-07 at a verifier process; I-17 and the token endpoint of
  H-07 at issuer processes, without and with the rate limiter.

Part two (``bench.hostile_load``): the p99 latency of legitimate verifications, quiet and
while 100 hostile requests are kept in flight against the same server; target: at most 3x.

No figure fails the command (bench/README.md): a row that misses a target is printed as a
FINDING, with its cause where it is known.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.hostile_cases import (
    QUICK,
    Sizes,
    chain_rows,
    fetcher_rows,
    sd_jwt_rows,
    status_list_rows,
)
from bench.hostile_http import nonce_flood, result_flood, token_flood, verifier_rows
from bench.hostile_load import measure_load
from bench.hostile_measure import MEMORY_TARGET_MB, TIME_TARGET_MS, Row
from bench.hostile_rig import running_issuer, running_verifier
from bench.hostile_servers import hostile_server
from bench.hostile_slow import slow_rows
from bench.sd_jwt import environment
from runtime.slow_clients import READ_DEADLINE_SECONDS


@dataclass(frozen=True)
class Plan:
    sizes: Sizes
    flood: int
    """Requests per flood (I-17, H-07)."""
    slow_connections: int
    hold: float
    """Seconds a slow client is kept before the bench gives up on the server closing it."""
    load_answers: int
    """Legitimate answers per phase of part two."""
    concurrency: int = 4
    in_flight: int = 100


#: The slow clients are held past the services' read deadline, to see them cut off.
FULL = Plan(
    Sizes(), flood=2_000, slow_connections=50, hold=READ_DEADLINE_SECONDS + 5, load_answers=200
)
SMOKE = Plan(QUICK, flood=100, slow_connections=5, hold=2.0, load_answers=10, in_flight=20)


def _in_process(plan: Plan) -> list[Row]:
    rows = sd_jwt_rows(plan.sizes) + status_list_rows(plan.sizes)
    with hostile_server() as server:
        rows += fetcher_rows(server, plan.sizes) + chain_rows(server, plan.sizes)
    return rows


async def _services(plan: Plan, data_dir: Path, *, load: bool) -> tuple[list[Row], Any]:
    slow_answers = 2 * int(plan.hold / 0.5 + 2)
    answers = slow_answers + (2 * plan.load_answers if load else 0)
    rows: list[Row] = []
    async with running_verifier(data_dir / "verifier", answers=answers) as verifier:
        rows += await verifier_rows(verifier, repetitions=plan.sizes.repetitions)
        rows.append(await result_flood(verifier, count=plan.flood))
        rows += await slow_rows(verifier, connections=plan.slow_connections, hold=plan.hold)
        figures = None
        if load:
            figures = await measure_load(
                verifier,
                answers=plan.load_answers,
                concurrency=plan.concurrency,
                in_flight=plan.in_flight,
            )
    async with running_issuer(data_dir / "issuer") as issuer:
        rows.append(await nonce_flood(issuer, count=plan.flood, limited=False))
    async with running_issuer(data_dir / "issuer-limited", per_minute=600) as issuer:
        rows.append(await nonce_flood(issuer, count=plan.flood, limited=True))
        rows.append(await token_flood(issuer, count=plan.flood))
    return rows, figures


def measure(plan: Plan, *, load: bool = True) -> dict[str, Any]:
    started = time.perf_counter()
    rows = _in_process(plan)
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as directory:
        http_rows, figures = asyncio.run(_services(plan, Path(directory), load=load))
    rows += http_rows
    order = {case: index for index, case in enumerate(CASE_ORDER)}
    rows.sort(key=lambda row: order.get(row.case, len(order)))
    return {
        "environment": environment(),
        "repetitions": plan.sizes.repetitions,
        "deadline_repetitions": plan.sizes.deadline_repetitions,
        "targets": {"time_ms": TIME_TARGET_MS, "memory_mb": MEMORY_TARGET_MB},
        "rows": [row.as_json() for row in rows],
        "findings": [f"{row.case} {row.input}" for row in rows if not row.met],
        "load": figures,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }


CASE_ORDER = [
    "P-19", "P-20", "P-21", "T-01", "T-13", "C-05", "I-17", "V-11",
    "H-01", "H-02", "H-04", "H-07", "H-13",
]  # fmt: skip


def _memory(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.1f}"


def _verdict(row: dict[str, Any]) -> str:
    missed = [name for name in ("time", "memory") if not row[f"{name}_met"]]
    if missed:
        return "MISS " + "+".join(missed)
    return "deadline" if row["deadline"] is not None else "yes"


def print_report(report: dict[str, Any]) -> None:
    env = report["environment"]
    print(
        f"bench.hostile: Python {env['python']}, {env['cpus']} CPUs; {report['repetitions']} "
        f"repetitions per case ({report['deadline_repetitions']} when a deadline is waited "
        f"for); targets < {report['targets']['time_ms']:.0f} ms, "
        f"< {report['targets']['memory_mb']:.0f} MB"
    )
    header = f"{'case':6}{'input':46}{'outcome':44}{'med ms':>9}{'max ms':>9}"
    print(header + f"{'py MB':>7}{'RSS MB':>8}  met")
    for row in report["rows"]:
        print(
            f"{row['case']:6}{row['input'][:45]:46}{row['outcome'][:43]:44}"
            f"{row['median_ms']:>9.1f}{row['max_ms']:>9.1f}"
            f"{_memory(row['python_peak']):>7}{_memory(row['rss_growth']):>8}  {_verdict(row)}"
        )
    notes = [row for row in report["rows"] if row["note"] or row["deadline"] is not None]
    if notes:
        print("\nnotes:")
        for row in notes:
            deadline = f"deadline {row['deadline']:.1f} s" if row["deadline"] is not None else ""
            text = "; ".join(part for part in (deadline, row["note"]) if part)
            print(f"  {row['case']} {row['input']}: {text}")
    print()
    for finding in report["findings"]:
        print(f"FINDING: {finding}")
    if not report["findings"]:
        print("every case met both targets")
    load = report["load"]
    if load is not None:
        print(
            f"\nlegitimate verifications under attack: {load['answers']} answers per phase, "
            f"{load['concurrency']} in flight; {load['in_flight']} hostile requests in flight"
        )
        print(f"{'':14}{'p50 ms':>9}{'p99 ms':>9}")
        print(f"{'quiet':14}{load['quiet_p50_ms']:>9.1f}{load['quiet_p99_ms']:>9.1f}")
        print(f"{'under attack':14}{load['attacked_p50_ms']:>9.1f}{load['attacked_p99_ms']:>9.1f}")
        statuses = ", ".join(f"{s} x{n}" for s, n in sorted(load["hostile_statuses"].items()))
        print(
            f"hostile requests: {load['hostile_sent']:,} "
            f"({load['hostile_per_second']:,.0f}/s): {statuses}"
        )
        verdict = "MET" if load["met"] else "MISSED"
        print(
            f"{verdict}: p99 under attack / quiet = {load['ratio']:.2f} "
            f"(target <= {load['target']:.0f}); 5xx: {load['server_errors'] or 'none'}"
        )
    print(f"\n(ran {report['elapsed_seconds']} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.hostile", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small and short")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--no-load", action="store_true", help="skip part two (the load)")
    args = parser.parse_args(argv)
    # The refusals log at WARNING on purpose; here they would only hide the table.
    logging.getLogger().setLevel(logging.ERROR)
    report = measure(SMOKE if args.quick else FULL, load=not args.no_load)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
