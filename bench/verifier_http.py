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
import socket
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from aanspraak.loopback import serving
from bench.http_load import (
    Load,
    bounded,
    free_port,
    fsync_seconds,
    percentiles,
    start_server,
    stop_server,
    wait_ready,
)
from bench.rounds import rotated
from bench.verifier_workload import CASES, EXPECTED, Prepared, Workload, prepare_answer, require
from verifier.app import prepare
from verifier.settings import VerifierSettings
from verifier.tables import decisions

DATABASE = "verifier-http.db"
RESPONSE_PATH = "/wallet/response"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class HttpFigures(Load):
    """One case's rounds; a unit is an answer, a latency a post's."""

    def summary(self) -> dict[str, Any]:
        p50, p99 = percentiles(self.latencies)
        return {
            "answers_per_second": statistics.median(self.rates),
            "round_rates": self.rates,
            "latency_p50_ms": p50 * 1000,
            "latency_p99_ms": p99 * 1000,
            "answers": self.units,
            "server_cpu_seconds": self.server_cpu_seconds,
            "answers_per_server_cpu_second": self.per_server_cpu_second(),
            "server_busy": self.server_busy(),
        }


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
    return await stored_outcomes(workload, workload.settings(public_url, database=DATABASE))


async def stored_outcomes(workload: Workload, settings: VerifierSettings) -> dict[str, int]:
    """How many decisions the desk of ``settings`` stored, per outcome."""
    context = workload.context(settings)
    try:
        async with context.database.read() as connection:
            query = select(decisions.c.outcome, func.count()).group_by(decisions.c.outcome)
            rows = (await connection.execute(query)).all()
            return {str(outcome): int(count) for outcome, count in rows}
    finally:
        await context.fetcher.aclose()
        await context.database.engine.dispose()


async def post_answers(
    client: httpx.AsyncClient, answers: Sequence[Prepared], concurrency: int
) -> list[float]:
    """Post every answer, ``concurrency`` at a time; each post's latency."""

    async def one(prepared: Prepared) -> float:
        started = time.perf_counter()
        response = await client.post(RESPONSE_PATH, content=prepared.body, headers=FORM)
        latency = time.perf_counter() - started
        require(response.status_code == 200, f"http: {response.status_code} answer")
        return latency

    return await bounded(answers, one, concurrency)


async def _measure(
    workload: Workload, listener: socket.socket, *, rounds: int, answers: int, concurrency: int
) -> dict[str, Any]:
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    warm_up = 2 * concurrency
    prepared = await _prepared(workload, public_url, warm_up + rounds * answers)
    fsyncs = fsync_seconds(workload.data_dir)
    figures = {name: HttpFigures() for name in CASES}
    with serving(workload.agencies.app(), listener, name="agencies"):
        server = start_server(
            "verifier.serve:app_from_environment",
            port=port,
            settings=workload.environment(public_url, database=DATABASE),
            data_dir=workload.data_dir,
        )
        try:
            limits = httpx.Limits(max_connections=concurrency)
            async with httpx.AsyncClient(base_url=public_url, limits=limits, timeout=60) as client:
                await wait_ready(
                    client,
                    server,
                    exited="bench.verifier: the verifier server exited at start (server.log)",
                    not_ready="bench.verifier: the verifier server did not become ready",
                )
                for name in CASES:
                    await post_answers(client, prepared[name][:warm_up], concurrency)
                fetched = workload.agencies.fetches
                for number in range(rounds):
                    for name in rotated(list(CASES), number):
                        start = warm_up + number * answers
                        batch = prepared[name][start : start + answers]
                        work = post_answers(client, batch, concurrency)
                        await figures[name].round(server.pid, work, lambda done: (len(done), done))
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


def measure_http(
    workload: Workload, listener: socket.socket, *, rounds: int, answers: int, concurrency: int
) -> dict[str, Any]:
    """Answers per second through one uvicorn worker, per case; see the module docstring."""
    return asyncio.run(
        _measure(workload, listener, rounds=rounds, answers=answers, concurrency=concurrency)
    )
