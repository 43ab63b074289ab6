"""Load through HTTP on uvicorn: what ``bench.issuer_http``, ``bench.verifier_http`` and
``bench.services`` share.

The server runs as a child process (``uvicorn --factory``, one worker by default or
``workers`` of them, no access log) on a free loopback port; a bounded client keeps
``concurrency`` requests in flight; per round the wall time and the server's CPU seconds
(``/proc/<pid>/stat``, Linux) are taken around the whole round, so the server's work per unit
is known apart from the client's. With several workers uvicorn's supervisor forks them as
its children, so CPU and peak memory are summed over the server's process tree.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

STARTUP_SECONDS = 60.0

T = TypeVar("T")
R = TypeVar("R")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process (Linux ``/proc``); None where there is no ``/proc``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (parents from ``/proc/<n>/stat``); ``[pid]`` alone
    where there is no ``/proc``."""
    children: dict[int, list[int]] = {}
    try:
        entries = [entry.name for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    except OSError:
        return [pid]
    for name in entries:
        try:
            parent = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += children.get(current, [])
    return tree


def tree_cpu_seconds(pid: int) -> float | None:
    """``cpu_seconds`` summed over ``process_tree(pid)``: a multi-worker server's CPU. A
    process that ended is no longer counted, so rounds are taken while the workers live."""
    own = cpu_seconds(pid)
    if own is None:
        return None
    return own + sum(cpu_seconds(child) or 0.0 for child in process_tree(pid)[1:])


def peak_rss_bytes(pid: int) -> int | None:
    """The high-water mark of resident memory (``VmHWM``, proc(5)) summed over the server's
    process tree: what its processes held at their peaks; None where there is no ``/proc``."""
    total, seen = 0, False
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) * 1024
                seen = True
    return total if seen else None


def fsync_seconds(directory: Path, *, samples: int = 21) -> list[float]:
    """Seconds of one fsync after a 4 KiB append in ``directory``, ``samples`` times.

    SQLite runs with ``synchronous=FULL`` (``runtime.database``): each commit waits for one,
    and the server's commits are serialised, so this bounds the HTTP rate on slow disks.
    """
    times = []
    with (directory / "fsync.probe").open("ab") as probe:
        for _ in range(samples):
            probe.write(b"\0" * 4096)
            probe.flush()
            started = time.perf_counter()
            os.fsync(probe.fileno())
            times.append(time.perf_counter() - started)
    (directory / "fsync.probe").unlink()
    return times


def start_server(
    factory: str,
    *,
    port: int,
    settings: Mapping[str, str],
    data_dir: Path,
    workers: int = 1,
    log_name: str = "server.log",
) -> subprocess.Popen[bytes]:
    """``<factory>`` served as the services serve it (``bench.serve_factory``: uvicorn,
    ``workers`` worker processes, no access log); its output in ``data_dir/<log_name>``;
    ``settings`` added to this process's environment."""
    command = [sys.executable, "-m", "bench.serve_factory", factory, str(port), str(workers)]
    environment = {**os.environ, **settings}
    with (data_dir / log_name).open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)


async def wait_ready(
    client: httpx.AsyncClient, server: subprocess.Popen[bytes], *, exited: str, not_ready: str
) -> None:
    """Until ``/readyz`` answers 200; ``SystemExit(exited)`` if the server stops first,
    ``SystemExit(not_ready)`` after ``STARTUP_SECONDS``."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(exited)
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(not_ready)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


async def bounded(
    items: Sequence[T], call: Callable[[T], Awaitable[R]], concurrency: int
) -> list[R]:
    """``call`` on every item, ``concurrency`` at a time; the results in the items' order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: T) -> R:
        async with gate:
            return await call(item)

    return await asyncio.gather(*(one(item) for item in items))


def percentiles(latencies: Sequence[float]) -> tuple[float, float]:
    """The median and the 99th percentile (the only one, with a single latency)."""
    ordered = sorted(latencies)
    p99 = statistics.quantiles(ordered, n=100)[98] if len(ordered) > 1 else ordered[0]
    return statistics.median(ordered), p99


@dataclass
class Load:
    """Rounds against one server process; a unit is what the rates count (a credential, an
    answer)."""

    rates: list[float] = field(default_factory=list)
    """Per round, units / wall seconds."""
    latencies: list[float] = field(default_factory=list)
    """Seconds from sending a request to its full response, every timed request."""
    server_cpu_seconds: float | None = 0.0
    """The server's CPU over all rounds; None where it cannot be read."""
    wall_seconds: float = 0.0
    units: int = 0

    async def round(
        self, pid: int, work: Awaitable[T], tally: Callable[[T], tuple[int, list[float]]]
    ) -> None:
        """Await one round's ``work`` between the clocks; ``tally`` then tells the units it
        made and its latencies. The CPU is the server's whole process tree (its workers)."""
        cpu_before, started = tree_cpu_seconds(pid), time.perf_counter()
        done = await work
        elapsed = time.perf_counter() - started
        cpu_after = tree_cpu_seconds(pid)
        units, latencies = tally(done)
        self.rates.append(units / elapsed)
        self.wall_seconds += elapsed
        self.latencies += latencies
        self.units += units
        if cpu_before is None or cpu_after is None or self.server_cpu_seconds is None:
            self.server_cpu_seconds = None
        else:
            self.server_cpu_seconds += cpu_after - cpu_before

    def per_server_cpu_second(self) -> float | None:
        cpu = self.server_cpu_seconds
        return self.units / cpu if cpu else None

    def server_busy(self) -> float | None:
        """Server CPU seconds / wall seconds of the rounds."""
        cpu = self.server_cpu_seconds
        return cpu / self.wall_seconds if cpu else None
