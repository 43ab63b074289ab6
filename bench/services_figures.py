"""What every run of ``bench.services`` measures, and the server it measures.

A run is one service (or the bare baseline) as a uvicorn child with 1 or N workers on one
fresh database: a checked warm-up, then timed rounds of a bounded client (``http_load``).
Its figures: units per wall second (median over rounds), p50 and p99 of the timed requests
(send to full response, queueing behind the client's other requests included), the server
tree's CPU seconds, and the peak RSS of the server's processes, read from ``/proc`` while
they still live, after the load.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.http_load import Load, free_port, peak_rss_bytes, percentiles, start_server, stop_server
from bench.http_load import wait_ready as wait_until_ready

MIB = 1024 * 1024


@dataclass
class ServiceLoad(Load):
    """One run's rounds; ``unit`` names what the rates count (credentials, answers, ...)."""

    unit: str = "requests"
    peak_rss_bytes: int | None = None

    def summary(self) -> dict[str, Any]:
        p50, p99 = percentiles(self.latencies) if self.latencies else (0.0, 0.0)
        rss = self.peak_rss_bytes
        return {
            "unit": self.unit,
            "per_second": statistics.median(self.rates) if self.rates else 0.0,
            "round_rates": self.rates,
            "latency_p50_ms": p50 * 1000,
            "latency_p99_ms": p99 * 1000,
            "units": self.units,
            "server_cpu_seconds": self.server_cpu_seconds,
            "per_server_cpu_second": self.per_server_cpu_second(),
            "server_busy": self.server_busy(),
            "peak_rss_mib": None if rss is None else rss / MIB,
        }


@dataclass
class Served:
    """A server child with its base URL and a bounded client on it."""

    process: subprocess.Popen[bytes]
    url: str
    client: httpx.AsyncClient

    def peak_rss(self) -> int | None:
        return peak_rss_bytes(self.process.pid)


@contextlib.asynccontextmanager
async def served(
    factory: str,
    *,
    name: str,
    settings: Mapping[str, str],
    data_dir: Path,
    workers: int,
    concurrency: int,
    port: int | None = None,
) -> AsyncIterator[Served]:
    """``factory`` under uvicorn with ``workers`` workers, ready, and a client keeping at most
    ``concurrency`` connections to it; stopped on exit. Its log is ``data_dir/<name>.log``."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    process = start_server(
        factory,
        port=port,
        settings=settings,
        data_dir=data_dir,
        workers=workers,
        log_name=f"{name}.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=url, limits=limits, timeout=60.0, trust_env=False
        ) as client:
            await wait_until_ready(
                client,
                process,
                exited=f"bench.services: the {name} server exited at start (see {name}.log)",
                not_ready=f"bench.services: the {name} server did not become ready",
            )
            yield Served(process, url, client)
    finally:
        stop_server(process)


def require(condition: bool, what: str) -> None:
    if not condition:  # not an assert: python -O must not turn the check off
        raise SystemExit(f"bench.services: broken path, not timed: {what}")
