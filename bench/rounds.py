"""Calibrated, interleaved rounds of CPU time: the in-process method of ``bench.issuer`` and
``bench.verifier``.

A subject is one timed path: ``prepare(n)`` makes the inputs of ``n`` calls off the clock
(single-use inputs), ``run(n)`` makes the calls. Each subject is calibrated to about
``seconds`` of CPU per round (which doubles as warm-up); then every round runs each group's
subjects one after the other, who goes first rotating from round to round, and records per
subject the units made per CPU second of this process (``time.process_time``) and per wall
second. A row is the median over rounds; its ratio is that median over the baseline's.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar


class Timed(Protocol):
    """What ``measure`` needs of a subject (``bench.issuer_inprocess.Subject``,
    ``bench.verifier.Subject``)."""

    @property
    def run(self) -> Callable[[int], object]: ...
    @property
    def prepare(self) -> Callable[[int], None]: ...

    iterations: int
    rates: list[float]
    """Per round, units made / CPU seconds of this process."""
    wall_rates: list[float]


S = TypeVar("S", bound=Timed)
T = TypeVar("T")


def rotated(items: Sequence[T], number: int) -> list[T]:
    """``items`` starting at ``number`` (modulo their count): who goes first rotates."""
    shift = number % len(items)
    return [*items[shift:], *items[:shift]]


def time_calls(subject: Timed, iterations: int) -> tuple[float, float]:
    """CPU and wall seconds of ``iterations`` calls; inputs are prepared before the clock."""
    subject.prepare(iterations)
    gc.collect()  # each round starts from the same heap state; GC stays on while timing
    cpu, wall = time.process_time(), time.perf_counter()
    subject.run(iterations)
    return time.process_time() - cpu, time.perf_counter() - wall


def iterations_for(subject: Timed, seconds: float) -> int:
    """Calls that take about ``seconds`` of CPU; doubles as warm-up."""
    iterations = 1
    while (elapsed := time_calls(subject, iterations)[0]) < min(0.05, seconds / 2):
        iterations *= 2
    return max(1, round(iterations * seconds / max(elapsed, 1e-9)))


def measure(
    subjects: Sequence[S],
    *,
    groups: Collection[str],
    group_of: Callable[[S], str],
    rounds: int,
    seconds: float,
    units: Callable[[S], int] = lambda _subject: 1,
) -> None:
    """Calibrate every subject, then ``rounds`` rounds, interleaved within each group.

    ``group_of`` places a subject in one of ``groups`` (run in that order); ``units`` is
    what one call makes (1 by default), so the rates are units per second.
    """
    for subject in subjects:
        subject.iterations = iterations_for(subject, seconds)
    for number in range(rounds):
        for group in groups:
            members = [s for s in subjects if group_of(s) == group]
            for subject in rotated(members, number):
                cpu, wall = time_calls(subject, subject.iterations)
                made = subject.iterations * units(subject)
                subject.rates.append(made / max(cpu, 1e-9))
                subject.wall_rates.append(made / max(wall, 1e-9))


@dataclass(frozen=True)
class Comparison:
    """One subject's medians over the rounds, and its ratio to a baseline measured alongside."""

    rate: float
    """Median units per CPU second."""
    wall_rate: float
    """Median units per wall second."""
    ratio: float
    """``rate`` / the baseline's median rate."""
    round_ratio_range: list[float]
    """Lowest and highest ratio within one round."""


def compare(subject: Timed, baseline: Timed) -> Comparison:
    per_round = [o / c for o, c in zip(subject.rates, baseline.rates, strict=True)]
    median = statistics.median(subject.rates)
    return Comparison(
        rate=median,
        wall_rate=statistics.median(subject.wall_rates),
        ratio=median / statistics.median(baseline.rates),
        round_ratio_range=[min(per_round), max(per_round)],
    )


def profiled(subject: Timed, *, seconds: float) -> tuple[int, pstats.Stats]:
    """cProfile of one subject for about ``seconds`` (main thread only): the calls made and
    their statistics by own time, to print (``print_stats(25)``)."""
    iterations = iterations_for(subject, seconds)
    subject.prepare(iterations)
    profiler = cProfile.Profile()
    profiler.enable()
    subject.run(iterations)
    profiler.disable()
    return iterations, pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("tottime")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every service benchmark takes: run length, output, HTTP rounds."""
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (smoke run)")
    parser.add_argument("--json", action="store_true", help="print a JSON report instead")
    parser.add_argument("--rounds", type=int, help="in-process rounds (default 11, quick 3)")
    parser.add_argument("--seconds", type=float, help="CPU seconds per round (default 0.25)")
    parser.add_argument("--http-rounds", type=int, help="HTTP rounds (default 5, quick 2)")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurement")
