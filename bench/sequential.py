"""Wall time of sequential operations over HTTP: the method of ``bench.wallet_service`` and
``bench.haip``, and their shared command line.

An operation is one whole protocol step as a client runs it (several round trips, commits,
signatures), so it is timed on the wall clock, one after the other, after a warm-up; a row
is the median (its rate 1 / median) and the 99th percentile of those times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any


async def timed(operation: Callable[[], Awaitable[None]], count: int, warmup: int) -> list[float]:
    """``warmup`` untimed runs of ``operation``, then the wall times of ``count`` more."""
    for _ in range(warmup):
        await operation()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        await operation()
        times.append(time.perf_counter() - started)
    return times


def summary_row(times: list[float]) -> dict[str, float]:
    """Rate, median and 99th percentile of one operation's times, in ms."""
    ordered = sorted(times)
    median = statistics.median(ordered)
    return {
        "per_second": round(1 / median, 1),
        "p50_ms": round(median * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
    }


def print_table(report: dict[str, Any], *, title: str, ratio_key: str, width: int) -> None:
    """``title``, the machine, and one line per figure: rate, p50, p99 and its ratio."""
    env = report["environment"]
    print(
        f"{title}: Python {env['python']}, {env['cpus']} CPUs; {report['count']} sequential "
        f"operations after {report['warmup']} warm-up, wall time"
    )
    print(f"{'':{width}}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>7}")
    for name, row in report["figures"].items():
        ratio = row.get(ratio_key, 1.0)
        print(f"{name:{width}}{row['per_second']:>8}{row['p50_ms']:>9}{row['p99_ms']:>9}{ratio:>7}")
    print(f"\n(ran {report['elapsed_seconds']} s)")


def command(
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str,
    default_count: int,
    run: Callable[[int, int], dict[str, Any]],
    print_report: Callable[[dict[str, Any]], None],
) -> int:
    """``--count``, ``--warmup``, ``--quick`` (3 operations after 1), ``--json``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--count", type=int, default=None, help=f"operations measured ({default_count})"
    )
    parser.add_argument("--warmup", type=int, default=None, help="operations not measured (3)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 operations")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    count = args.count or (3 if args.quick else default_count)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    report = run(count, warmup)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0
