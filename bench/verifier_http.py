"""Verification through HTTP: one uvicorn worker, prepared ``direct_post.jwt`` answers.

The transactions are started in advance with library calls on the server's own database
(the desk's side is not what is measured), and the wallet's answers to them made: each one a
JWE to its transaction's own key. Then ``uvicorn --factory verifier.serve:app_from_environment``
(one worker, no access log) runs on loopback with the ``file`` trust backend, and the
agencies are served on their loopback origin (a thread of this process) so the server
fetches their metadata and status lists like any verifier. One warm-up round per case
fills its caches; after that the agencies are not asked again within the run.

A bounded ``httpx.AsyncClient`` posts the prepared bodies ``concurrency`` at a time to the
``response_uri``; each post's latency is timed from sending to the full response (queueing
behind the others included), answers/s over the wall time of a round. The server's CPU
seconds come from ``/proc/<pid>/stat`` (Linux). Afterwards every posted answer must have
been decided ``eligible`` in the server's database, or the run fails.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from aanspraak.loopback import serving
from bench.issuer_http import _cpu_seconds, _free_port, fsync_seconds, stop_server
from bench.verifier_workload import CASES, EXPECTED, Prepared, Workload, prepare_answer, require
from verifier.app import prepare
from verifier.tables import decisions

STARTUP_SECONDS = 60.0
DATABASE = "verifier-http.db"
RESPONSE_PATH = "/wallet/response"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class HttpFigures:
    """One case's rounds."""

    rates: list[float] = field(default_factory=list)
    """Per round, answers / wall seconds."""
    latencies: list[float] = field(default_factory=list)
    server_cpu_seconds: float | None = 0.0
    wall_seconds: float = 0.0
    answers: int = 0

    def summary(self) -> dict[str, Any]:
        latencies = sorted(self.latencies)
        p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
        cpu = self.server_cpu_seconds
        return {
            "answers_per_second": statistics.median(self.rates),
            "round_rates": self.rates,
            "latency_p50_ms": statistics.median(latencies) * 1000,
            "latency_p99_ms": p99 * 1000,
            "answers": self.answers,
            "server_cpu_seconds": cpu,
            "answers_per_server_cpu_second": self.answers / cpu if cpu else None,
            "server_busy": cpu / self.wall_seconds if cpu else None,
        }


def start_server(workload: Workload, port: int) -> subprocess.Popen[bytes]:
    """``uvicorn --factory verifier.serve:app_from_environment``, one worker, no access log."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "verifier.serve:app_from_environment",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    settings = workload.environment(f"http://127.0.0.1:{port}", database=DATABASE)
    environment = {**os.environ, **settings}
    with (workload.data_dir / "server.log").open("wb") as log:  # the child keeps its own
        return subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)


async def wait_ready(client: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("bench.verifier: the verifier server exited at start (server.log)")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("bench.verifier: the verifier server did not become ready")


async def _prepared(workload: Workload, public_url: str, count: int) -> dict[str, list[Prepared]]:
    """``count`` answered transactions per case on the server's database (migrated here)."""
    context = workload.context(workload.settings(public_url, database=DATABASE))
    try:
        await prepare(context)
        return {
            name: [await prepare_answer(context, workload, case) for _ in range(count)]
            for name, case in CASES.items()
        }
    finally:
        await context.fetcher.aclose()
        await context.database.engine.dispose()


async def _outcomes(workload: Workload, public_url: str) -> dict[str, int]:
    """How many decisions the server stored, per outcome."""
    context = workload.context(workload.settings(public_url, database=DATABASE))
    try:
        async with context.database.read() as connection:
            query = select(decisions.c.outcome, func.count()).group_by(decisions.c.outcome)
            rows = (await connection.execute(query)).all()
            return {str(outcome): int(count) for outcome, count in rows}
    finally:
        await context.fetcher.aclose()
        await context.database.engine.dispose()


async def _post(
    client: httpx.AsyncClient, answers: Sequence[Prepared], concurrency: int
) -> list[float]:
    """Post every answer, ``concurrency`` at a time; each post's latency."""
    gate = asyncio.Semaphore(concurrency)

    async def one(prepared: Prepared) -> float:
        async with gate:
            started = time.perf_counter()
            response = await client.post(RESPONSE_PATH, content=prepared.body, headers=FORM)
            latency = time.perf_counter() - started
            require(response.status_code == 200, f"http: {response.status_code} answer")
            return latency

    return await asyncio.gather(*(one(prepared) for prepared in answers))


async def _measure(
    workload: Workload, listener: socket.socket, *, rounds: int, answers: int, concurrency: int
) -> dict[str, Any]:
    port = _free_port()
    public_url = f"http://127.0.0.1:{port}"
    warm_up = 2 * concurrency
    prepared = await _prepared(workload, public_url, warm_up + rounds * answers)
    fsyncs = fsync_seconds(workload.data_dir)
    figures = {name: HttpFigures() for name in CASES}
    with serving(workload.agencies.app(), listener, name="agencies"):
        server = start_server(workload, port)
        try:
            limits = httpx.Limits(max_connections=concurrency)
            async with httpx.AsyncClient(base_url=public_url, limits=limits, timeout=60) as client:
                await wait_ready(client, server)
                for name in CASES:
                    await _post(client, prepared[name][:warm_up], concurrency)
                fetched = workload.agencies.fetches
                for number in range(rounds):
                    order = list(CASES)[number % len(CASES) :] + list(CASES)[: number % len(CASES)]
                    for name in order:
                        start = warm_up + number * answers
                        batch = prepared[name][start : start + answers]
                        await _round(client, server.pid, batch, concurrency, figures[name])
                require(workload.agencies.fetches == fetched, "http: a cache was refilled")
        finally:
            stop_server(server)
    stored = await _outcomes(workload, public_url)
    posted = len(CASES) * (warm_up + rounds * answers)
    require(stored == {EXPECTED: posted}, "http: every answer decided eligible")
    return {
        "cases": {name: figure.summary() for name, figure in figures.items()},
        "rounds": rounds,
        "answers": answers,
        "concurrency": concurrency,
        "fsync_ms": statistics.median(fsyncs + fsync_seconds(workload.data_dir)) * 1000,
    }


async def _round(
    client: httpx.AsyncClient,
    pid: int,
    batch: Sequence[Prepared],
    concurrency: int,
    figures: HttpFigures,
) -> None:
    cpu_before, started = _cpu_seconds(pid), time.perf_counter()
    latencies = await _post(client, batch, concurrency)
    elapsed = time.perf_counter() - started
    cpu_after = _cpu_seconds(pid)
    figures.rates.append(len(batch) / elapsed)
    figures.wall_seconds += elapsed
    figures.latencies += latencies
    figures.answers += len(batch)
    if cpu_before is None or cpu_after is None or figures.server_cpu_seconds is None:
        figures.server_cpu_seconds = None
    else:
        figures.server_cpu_seconds += cpu_after - cpu_before


def measure_http(
    workload: Workload, listener: socket.socket, *, rounds: int, answers: int, concurrency: int
) -> dict[str, Any]:
    """Answers per second through one uvicorn worker, per case; see the module docstring."""
    return asyncio.run(
        _measure(workload, listener, rounds=rounds, answers=answers, concurrency=concurrency)
    )
