"""How ``bench.hostile`` measures one refusal: wall time, Python allocations, resident memory.

* Time: wall clock of each repetition (median and max), measured with tracing off.
* Python allocations: ``tracemalloc``'s peak over one more run (in-process cases only;
  tracing slows allocation down, so it never runs while timing).
* Resident memory: the growth of a process's RSS high-water mark over one more run. Linux
  resets ``VmHWM`` to the current RSS when ``5`` is written to ``/proc/<pid>/clear_refs``
  (proc(5)), so the peak of one case is seen apart from the cases before it; this process
  for in-process cases, the server's for HTTP cases. Where that file cannot be written, the
  growth is not known (``None``) rather than guessed.

Targets (issue 10): a refusal under 200 ms (median) and under 32 MB (the larger of the two
memory figures). A refusal designed to wait for a deadline (a dripping peer) is judged by
its deadline instead: it must not outlast it by much.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runtime.fetcher import FetchRefused
from specs.errors import Rejected

TIME_TARGET_MS = 200.0
MEMORY_TARGET_MB = 32.0
DEADLINE_SLACK = 1.5
"""A deadline-bound refusal meets its target when it takes at most this times the deadline."""
MB = 1_000_000


@dataclass
class Row:
    """One line of the table: a hostile input and what it cost to refuse."""

    case: str
    input: str
    outcome: str = ""
    times: list[float] = field(default_factory=list)
    """Seconds per repetition."""
    python_peak: int | None = None
    """tracemalloc peak in bytes (in-process only)."""
    rss_growth: int | None = None
    """RSS high-water mark growth in bytes (this process, or the server's)."""
    deadline: float | None = None
    """Seconds the refusal is designed to wait (a dripping peer); the time target is this."""
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000 if self.times else float("nan")

    @property
    def max_ms(self) -> float:
        return max(self.times) * 1000 if self.times else float("nan")

    @property
    def peak_mb(self) -> float | None:
        known = [v for v in (self.python_peak, self.rss_growth) if v is not None]
        return max(known) / MB if known else None

    @property
    def time_met(self) -> bool:
        if self.deadline is not None:
            return self.median_ms <= self.deadline * DEADLINE_SLACK * 1000
        return self.median_ms < TIME_TARGET_MS

    @property
    def memory_met(self) -> bool:
        peak = self.peak_mb
        return peak is None or peak < MEMORY_TARGET_MB

    @property
    def met(self) -> bool:
        return self.time_met and self.memory_met

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "median_ms": round(self.median_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "peak_mb": None if self.peak_mb is None else round(self.peak_mb, 2),
            "time_met": self.time_met,
            "memory_met": self.memory_met,
        }


# --- resident memory ---------------------------------------------------------------------


def _status_kib(pid: int | str, name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _trim() -> None:
    """Hand freed heap back to the system (glibc), so this process's RSS is what it holds
    now and a later peak shows; without glibc the figure only errs on the low side."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def reset_high_water(pid: int | str = "self") -> int | None:
    """Reset ``pid``'s RSS high-water mark to its RSS; that RSS in bytes, or None."""
    if pid == "self":
        gc.collect()
        _trim()
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return None
    rss = _status_kib(pid, "VmRSS")
    return None if rss is None else rss * 1024


def high_water_growth(pid: int | str, base: int | None) -> int | None:
    """Bytes the high-water mark rose above ``base`` since :func:`reset_high_water`."""
    peak = _status_kib(pid, "VmHWM")
    if base is None or peak is None:
        return None
    return max(0, peak * 1024 - base)


@contextmanager
def rss_peak(pid: int | str = "self") -> Iterator[list[int | None]]:
    """``with rss_peak(pid) as grown:`` then ``grown[0]`` is the high-water growth."""
    grown: list[int | None] = [None]
    base = reset_high_water(pid)
    yield grown
    grown[0] = high_water_growth(pid, base)


# --- outcomes ----------------------------------------------------------------------------


def outcome_of(error: BaseException | None) -> str:
    """``Reason.MEMBER`` for a refusal, ``accepted`` when nothing refused."""
    if error is None:
        return "accepted"
    if isinstance(error, Rejected | FetchRefused):
        reason = error.reason
        return f"{type(reason).__name__}.{reason.name}"
    return f"raised {type(error).__name__}"


def run_once(call: Callable[[], object]) -> str:
    try:
        call()
    except Exception as error:  # the outcome is what is measured
        return outcome_of(error)
    return outcome_of(None)


def in_process(
    row: Row, call: Callable[[], object], *, repetitions: int, deadline: float | None = None
) -> Row:
    """Time ``call`` ``repetitions`` times, then one more run traced and RSS-watched."""
    row.deadline = deadline
    outcomes = set()
    for _ in range(repetitions):
        gc.collect()
        started = time.perf_counter()
        outcomes.add(run_once(call))
        row.times.append(time.perf_counter() - started)
    gc.collect()
    with rss_peak() as grown:  # tracemalloc's own tables are small next to a case's peak
        tracemalloc.start()
        try:
            outcomes.add(run_once(call))
            row.python_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    row.rss_growth = grown[0]
    row.outcome = " / ".join(sorted(outcomes))
    return row


def in_process_async(
    row: Row,
    call: Callable[[], Awaitable[object]],
    *,
    repetitions: int,
    deadline: float | None = None,
) -> Row:
    """:func:`in_process` for a coroutine function; each run gets its own event loop."""
    return in_process(
        row, lambda: asyncio.run(_awaited(call)), repetitions=repetitions, deadline=deadline
    )


async def _awaited(call: Callable[[], Awaitable[object]]) -> object:
    return await call()
