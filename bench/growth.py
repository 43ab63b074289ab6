"""Cost growth: how the hot paths' time grows with what they are given, and one memory figure.

Run ``python -m bench.growth``; ``--quick`` for a smoke run, ``--json`` for machine-readable
output, ``--plots DIR`` for where the PNGs go (default ``bench/plots/``, not versioned),
``--rpc-url URL`` to read the registry from a node (anvil) instead of the in-process EVM.

Curves (one table and one PNG each; the modules say what is timed and what is checked):

1. ``disclosures``: SD-JWT VC + KB verification, 1..100 Disclosures (``growth_sdjwt``);
2. ``credentials``: the verifier's pipeline, 1..5 credentials per answer (``growth_sdjwt``);
3. ``status_first`` / ``status_cached``: a status lookup, 10^3..10^7 entries, first (token
   verified and inflated) and from the desk's cache (``growth_status``);
4. ``trust_cached``: cached trust decisions, 10..10^5 registry entries (``growth_trust``);
5. ``chain_read``: a full on-chain registry read, 10..1000 entries (``growth_trust``).

Per size the time per operation is the median over interleaved, calibrated rounds of CPU
time (``bench.rounds``, ``growth_measure``); the table gives it relative to the smallest
size and relative to linear growth from there. Verdict per curve: "linear or better" when
the growth exponent (the log-log slope of the time above the smallest size's, over the
largest sizes) is at most 1.2, or the curve is flat (``growth_measure``).
A MISS does not fail the command.

Memory (``growth_memory``): the peak RSS of a fresh process verifying one credential against
a 10^7-entry status list, beside the same process with a 10^3-entry list.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.growth_measure import MAX_EXPONENT, Curve
from bench.growth_memory import BASELINE, LARGE, MemoryFigure, measure_memory

PLOTS = Path(__file__).resolve().parent / "plots"


@dataclass(frozen=True)
class Plan:
    """Sizes and run lengths of one run."""

    rounds: int
    seconds: float
    disclosures: tuple[int, ...]
    credentials: tuple[int, ...]
    status: tuple[int, ...]
    registry: tuple[int, ...]
    chain: tuple[int, ...]
    chain_rounds: int
    memory: tuple[int, int]


def plan(args: argparse.Namespace) -> Plan:
    from bench.growth_sdjwt import CREDENTIALS, DISCLOSURES
    from bench.growth_status import SIZES
    from bench.growth_trust import CHAIN_SIZES, REGISTRY_SIZES

    if args.tiny:  # the smoke test's: every path, a few sizes, almost no timing
        chosen = Plan(
            1,
            0.002,
            (1, 2, 5),
            (1, 2, 3),
            (10**3, 10**4, 10**5),
            (10, 100, 1000),
            (2, 4, 6),
            1,
            (10**3, 10**4),
        )
    elif args.quick:
        chosen = Plan(
            3,
            0.05,
            DISCLOSURES,
            CREDENTIALS,
            SIZES,
            REGISTRY_SIZES,
            CHAIN_SIZES[:3],
            2,
            (BASELINE, LARGE),
        )
    else:
        chosen = Plan(
            7,
            0.2,
            DISCLOSURES,
            CREDENTIALS,
            SIZES,
            REGISTRY_SIZES,
            CHAIN_SIZES,
            3,
            (BASELINE, LARGE),
        )
    overrides = {"rounds": args.rounds, "seconds": args.seconds}
    return dataclasses.replace(chosen, **{k: v for k, v in overrides.items() if v is not None})


def run_curves(chosen: Plan, args: argparse.Namespace) -> list[Curve]:
    from bench.growth_sdjwt import credentials_curve, disclosure_curve
    from bench.growth_status import status_curves
    from bench.growth_trust import chain_read_curve, trust_cached_curve

    rounds, seconds = chosen.rounds, chosen.seconds
    steps: list[tuple[str, Callable[[], list[Curve]]]] = [
        (
            "disclosures",
            lambda: [disclosure_curve(chosen.disclosures, rounds=rounds, seconds=seconds)],
        ),
        (
            "credentials",
            lambda: [credentials_curve(chosen.credentials, rounds=rounds, seconds=seconds)],
        ),
        ("status", lambda: status_curves(chosen.status, rounds=rounds, seconds=seconds)),
        ("trust", lambda: [trust_cached_curve(chosen.registry, rounds=rounds, seconds=seconds)]),
        (
            "chain",
            lambda: [
                chain_read_curve(
                    chosen.chain, rounds=chosen.chain_rounds, seconds=seconds, rpc_url=args.rpc_url
                )
            ],
        ),
    ]
    curves: list[Curve] = []
    for name, step in steps:
        if not args.only or name in args.only:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            curves += step()
    return curves


def time_text(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:9.2f} s "
    if seconds >= 1e-3:
        return f"{seconds * 1e3:9.2f} ms"
    return f"{seconds * 1e6:9.2f} µs"


def print_curve(curve: Curve, plot: Path | None) -> None:
    print(f"\n{curve.title} ({curve.clock} time per operation)")
    print(f"  {curve.unit:>12}  {'per operation':>13}  {'x smallest':>10}  {'/ linear':>9}")
    for point in curve.points:
        print(
            f"  {point.size:>12,}  {time_text(point.seconds):>13}  {point.relative:>10.2f}"
            f"  {point.to_linear:>9.3f}"
        )
    print(f"  {curve.verdict()}")
    for note in curve.notes:
        print(f"  {note}")
    if plot is not None:
        print(f"  plot: {plot}")


def print_memory(figures: list[MemoryFigure]) -> None:
    print("\nPeak RSS of a fresh process verifying one credential and its status (VmHWM)")
    print(
        f"  {'entries':>12}  {'peak MiB':>9}  {'before verifying MiB':>20}  {'over baseline':>13}"
    )
    base = figures[0].peak_kib
    for figure in figures:
        over = (figure.peak_kib - base) / 1024
        print(
            f"  {figure.entries:>12,}  {figure.peak_kib / 1024:>9.1f}"
            f"  {figure.peak_before_kib / 1024:>20.1f}  {over:>+9.1f} MiB"
        )


def report(
    curves: list[Curve], memory: list[MemoryFigure], plots: dict[str, Path]
) -> dict[str, object]:
    return {
        "curves": [
            {
                "key": c.key,
                "title": c.title,
                "unit": c.unit,
                "clock": c.clock,
                "points": [dataclasses.asdict(p) for p in c.points],
                "growth_exponent": c.growth_exponent,
                "flat": c.flat,
                "whole_slope": c.whole_slope,
                "linear_or_better": c.linear_or_better,
                "notes": c.notes,
                "extra": c.extra,
                "plot": str(plots[c.key]) if c.key in plots else None,
            }
            for c in curves
        ],
        "memory": [dataclasses.asdict(m) for m in memory],
        "max_exponent": MAX_EXPONENT,
        "pass": all(c.linear_or_better for c in curves),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (smoke run)")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print a JSON report instead")
    parser.add_argument("--rounds", type=int, help="rounds per curve (default 7, quick 3)")
    parser.add_argument("--seconds", type=float, help="CPU seconds per round (default 0.2)")
    parser.add_argument("--plots", type=Path, default=PLOTS, help="where the PNGs go")
    parser.add_argument("--no-plots", action="store_true", help="draw nothing")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory figure")
    parser.add_argument("--rpc-url", help="read the registry from this node (e.g. anvil)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("disclosures", "credentials", "status", "trust", "chain"),
        help="measure only these curves",
    )
    args = parser.parse_args(argv)
    chosen = plan(args)
    curves = run_curves(chosen, args)
    memory = [] if args.no_memory else measure_memory(chosen.memory)
    plots: dict[str, Path] = {}
    if not args.no_plots:
        from bench.growth_plot import plot_curve

        plots = {curve.key: plot_curve(curve, args.plots) for curve in curves}
    if args.json:
        print(json.dumps(report(curves, memory, plots), indent=2))
        return 0
    print("cost growth, one thread; medians over interleaved rounds (python -m bench.growth)")
    for curve in curves:
        print_curve(curve, plots.get(curve.key))
    if memory:
        print_memory(memory)
    misses = [c.key for c in curves if not c.linear_or_better]
    print(
        f"\nlinear or better: {len(curves) - len(misses)}/{len(curves)} curves"
        + (f"; MISS: {', '.join(misses)}" if misses else "; PASS")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
