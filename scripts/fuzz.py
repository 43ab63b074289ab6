"""Fuzz every parser and every service operation for a set time, and print what happened.

    python -m scripts.fuzz --minutes 10

The targets are those of ``tests/fuzz``: the parsers of ``specs`` fed arbitrary and
near-valid input (only ``Rejected`` may escape; ``InvalidRegulation`` for regulation files),
and every operation of the issuer, the desk and the wallet service from their OpenAPI
documents (schemathesis over real HTTP on loopback; no 5xx). The time is split evenly over
the targets, in rounds of fresh random examples, until it is used up.

Prints examples per target, the total, crashes and 5xx answers; exits 1 when there was any.
For a service operation every answer below 500 counts as accepted. A crash prints its
target and the exception (hypothesis shrinks a parser crash to a small
input first; that input is printed above the figures).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import Phase, settings

from tests.fuzz.harness import Figures, Target, run_target
from tests.fuzz.openapi import ServerError, operation_targets, running_services
from tests.fuzz.profile import fuzz_settings
from tests.fuzz.targets import TARGETS

ROUND_EXAMPLES = 200
"""Examples per round of one target; a round is the unit the time budget is spent in."""


@dataclass
class Tally:
    figures: dict[str, Figures] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(f.examples for f in self.figures.values())


def _round(target: Target, profile: settings, tally: Tally) -> bool:
    """One round; False when the target crashed (it is then not run again)."""
    figures = tally.figures.setdefault(target.name, Figures())
    try:
        run_target(target, profile, figures)
    except ServerError as error:
        tally.server_errors.append(f"{target.name}: {error}")
        return False
    except Exception as error:  # any other escape is the crash being counted
        tally.crashes.append(f"{target.name}: {type(error).__name__}: {error}"[:400])
        traceback.print_exc()
        return False
    return True


def _spend(targets: Sequence[Target], seconds: float, profile: settings, tally: Tally) -> None:
    """Round-robin over ``targets`` until ``seconds`` have passed (at least one round each)."""
    deadline = time.monotonic() + seconds
    live = list(targets)
    first = True
    while live and (first or time.monotonic() < deadline):
        for target in list(live):
            if not first and time.monotonic() >= deadline:
                break
            if not _round(target, profile, tally):
                live.remove(target)
        first = False


def run(minutes: float, *, parser_share: float) -> Tally:
    tally = Tally()
    budget = minutes * 60
    parsers = fuzz_settings(ROUND_EXAMPLES, derandomize=False)
    print(f"parsers: {len(TARGETS)} targets, {budget * parser_share:.0f} s", flush=True)
    _spend(TARGETS, budget * parser_share, parsers, tally)
    operations = settings(
        fuzz_settings(ROUND_EXAMPLES // 4, derandomize=False),
        phases=[Phase.explicit, Phase.generate],
    )
    with (
        tempfile.TemporaryDirectory(prefix="aanspraak-fuzz-") as data,
        running_services(Path(data)) as services,
    ):
        targets = [t for service in services for t in operation_targets(service)]
        seconds = budget * (1 - parser_share)
        print(f"services: {len(targets)} operations, {seconds:.0f} s", flush=True)
        _spend(targets, seconds, operations, tally)
    return tally


def report(tally: Tally) -> str:
    width = max(len(name) for name in tally.figures)
    lines = [f"{'target':<{width}}  examples  accepted  refused"]
    for name, figures in tally.figures.items():
        lines.append(
            f"{name:<{width}}  {figures.examples:>8}  {figures.accepted:>8}  {figures.refused:>7}"
        )
    lines += [
        "",
        f"targets: {len(tally.figures)}",
        f"total examples: {tally.total}",
        f"crashes: {len(tally.crashes)}",
        f"5xx: {len(tally.server_errors)}",
        *(f"  crash: {c}" for c in tally.crashes),
        *(f"  5xx: {e}" for e in tally.server_errors),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="total time (default 10)")
    parser.add_argument(
        "--parser-share",
        type=float,
        default=0.6,
        help="part of the time for the parsers, the rest for the services (default 0.6)",
    )
    arguments = parser.parse_args(argv)
    tally = run(arguments.minutes, parser_share=arguments.parser_share)
    print(report(tally), flush=True)
    return 1 if tally.crashes or tally.server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
