"""What ``bench.growth`` computes from a curve: time per operation at each size, and a verdict.

A curve is one operation timed at several sizes. Every size is a ``bench.rounds`` subject
(calibrated to about ``seconds`` of CPU per round, rounds interleaved with a rotating order,
so drift hits every size alike); the time per operation is 1 / the median rate.

The verdict, "linear or better", looks at the part of the time that grows: with
``e = t(n) - t(n0)`` (the time above the smallest size's) and ``d = n - n0``, the
least-squares slope of log(e) against log(d) over the upper half of the sizes (the largest
``max(3, ceil(k / 2))`` of the ``k`` sizes above the smallest) is the growth exponent; it
must be at most ``MAX_EXPONENT``. A curve whose time at the largest size is within
``FLAT_SHARE`` of the smallest's is flat (better than linear) and passes without a fit: its
``e`` is noise.

Why not the plain log-log slope of ``t``: most operations here carry a fixed cost (two
signature checks, a JWT to verify) that hides growth. 300 µs fixed plus 0.1 µs x n² has a
slope of 0.6 over n = 10..100, yet it is quadratic; its growth exponent is 2. Fixed cost
plus a linear part has a growth exponent of exactly 1 at any sizes. Why the upper half and
a fit: the top is where a superlinear term shows, and one noisy point cannot swing a fit of
three or more. 1.2 leaves room for the noise of a shared machine and for memory effects (a
list that leaves the CPU cache) while a quadratic term (1.5 to 2 over these ranges) misses.
The plain log-log slope over the whole range is printed beside it, for information.
"""

from __future__ import annotations

import gc
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.rounds import measure

MAX_EXPONENT = 1.2
FLAT_SHARE = 0.25


@dataclass
class Subject:
    """One size of one curve: ``run(n)`` makes ``n`` operations (``bench.rounds.Timed``)."""

    size: int
    run: Callable[[int], object]
    prepare: Callable[[int], None] = lambda _iterations: None
    iterations: int = 0
    rates: list[float] = field(default_factory=list)
    """Per round, operations / CPU seconds of this process."""
    wall_rates: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Point:
    size: int
    seconds: float
    """Median time per operation."""
    relative: float
    """``seconds`` / the time at the smallest size."""
    to_linear: float
    """``relative`` / (size / smallest size): 1.0 is exactly linear, below 1 better."""


@dataclass(frozen=True)
class Curve:
    """A measured curve, what is printed as one table and drawn as one PNG."""

    key: str
    title: str
    unit: str
    """What a size counts (``disclosures``, ``entries``, ...)."""
    clock: str
    """``cpu`` or ``wall``: what the times are."""
    points: list[Point]
    notes: list[str] = field(default_factory=list)
    """Extra lines printed under the table (RPC calls per read, what was checked)."""
    extra: dict[str, list[float]] = field(default_factory=dict)
    """Per-size figures besides time (for ``--json``), e.g. RPC calls per read."""

    @property
    def flat(self) -> bool:
        """The largest size costs at most ``FLAT_SHARE`` more than the smallest."""
        return self.points[-1].seconds <= (1 + FLAT_SHARE) * self.points[0].seconds

    @property
    def growth_exponent(self) -> float | None:
        """The exponent of the growing part (module docstring); ``None`` when flat."""
        if self.flat:
            return None
        base = self.points[0]
        upper = self.points[-upper_count(len(self.points) - 1) :]
        grown = [(p.size - base.size, p.seconds - base.seconds) for p in upper]
        return fitted_slope([(d, e) for d, e in grown if e > 0])

    @property
    def whole_slope(self) -> float:
        return fitted_slope([(p.size, p.seconds) for p in self.points])

    @property
    def linear_or_better(self) -> bool:
        exponent = self.growth_exponent
        return exponent is None or exponent <= MAX_EXPONENT

    def verdict(self) -> str:
        exponent = self.growth_exponent
        growth = (
            f"flat (largest size within {FLAT_SHARE:.0%} of the smallest)"
            if exponent is None
            else f"growth exponent {exponent:.2f} over the largest sizes"
        )
        verdict = "PASS" if self.linear_or_better else "MISS"
        return (
            f"{growth}; log-log slope {self.whole_slope:.2f}; "
            f"linear or better (<= {MAX_EXPONENT}): {verdict}"
        )


def upper_count(points: int) -> int:
    """How many of the largest sizes the verdict's fit uses (module docstring)."""
    return min(points, max(3, math.ceil(points / 2)))


def fitted_slope(pairs: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of log(y) on log(x) over ``(x, y)`` pairs; ``inf`` for fewer than
    two (a growth that cannot be fitted is not called linear)."""
    if len(pairs) < 2:
        return math.inf
    xs = [math.log(x) for x, _ in pairs]
    ys = [math.log(y) for _, y in pairs]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def points_from(sizes: Sequence[int], seconds: Sequence[float]) -> list[Point]:
    """The table's columns from the medians, relative to the smallest size."""
    base_size, base = sizes[0], seconds[0]
    return [
        Point(size, s, s / base, (s / base) / (size / base_size))
        for size, s in zip(sizes, seconds, strict=True)
    ]


def time_subjects(
    subjects: Sequence[Subject], *, rounds: int, seconds: float, clock: str = "cpu"
) -> list[float]:
    """Median seconds per operation of each subject, rounds interleaved across all of them.

    What the setup made is frozen first (``gc.freeze``), so the collection before each
    timed call (``bench.rounds.time_calls``) does not walk every loaded module and setup
    object: with web3 and the services imported that walk alone takes tens of ms.
    """
    gc.collect()
    gc.freeze()
    measure(subjects, groups=("all",), group_of=lambda _s: "all", rounds=rounds, seconds=seconds)
    return [1 / statistics.median(s.rates if clock == "cpu" else s.wall_rates) for s in subjects]
