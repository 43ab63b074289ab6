"""The bare baseline of ``bench.services``, measured: ``bench.services_bare_app`` under
uvicorn with the workers the desk had, posted the presentations of the desk's own prepared
answers by the same bounded client.

A unit is one verification of one SD-JWT VC + KB-JWT. For the ``assets`` case one desk
answer holds exactly one presentation, so (desk answers/s) / (bare verifications/s) is the
share of a bare verifier's throughput that the whole response-to-decision path keeps.

Each round also posts the same bodies to an endpoint that only reads them and answers 200,
rounds alternating (``bench.rounds.rotated``): the HTTP floor, what this client, uvicorn and
FastAPI allow on this machine without any verification. When the bare rate is near it, the
baseline is bound by HTTP and the client rather than by verifying.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.http_load import bounded
from bench.rounds import rotated
from bench.services_bare_app import AUDIENCE, EMPTY_PATH, ISSUER_JWK, VERIFY_PATH
from bench.services_figures import ServiceLoad, require, served
from bench.verifier_workload import Prepared, Workload

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def bare_body(prepared: Prepared) -> bytes:
    """The one presentation of a one-credential answer, and the nonce it is bound to."""
    (presentation,) = prepared.presentations
    form = {"vp_token": presentation, "nonce": prepared.expectations.nonce}
    return urlencode(form).encode("ascii")


async def _post(
    client: httpx.AsyncClient, bodies: Sequence[bytes], concurrency: int, *, path: str = VERIFY_PATH
) -> list[float]:
    """Post every body to ``path``, ``concurrency`` at a time; each post's latency."""

    async def one(body: bytes) -> float:
        started = time.perf_counter()
        response = await client.post(path, content=body, headers=FORM)
        latency = time.perf_counter() - started
        require(response.status_code == 200, f"bare: {response.status_code}")
        return latency

    return await bounded(bodies, one, concurrency)


async def measure_bare(
    workload: Workload,
    answers: Sequence[Prepared],
    *,
    workers: int,
    rounds: int,
    per_round: int,
    concurrency: int,
) -> dict[str, Any]:
    """Verifications per second through ``workers`` workers of the bare app, over the
    presentations of ``answers`` (reused round after round: nothing here is single use)."""
    bodies = [bare_body(prepared) for prepared in answers]
    require(bool(bodies), "bare: no presentations")
    agency = workload.agencies.issuing("household_assets")
    environment = {
        ISSUER_JWK: json.dumps(agency.key.public.to_jwk()),
        AUDIENCE: workload.client_id,
    }
    figures, floor = ServiceLoad(unit="verifications"), ServiceLoad(unit="posts")

    def batch(number: int) -> list[bytes]:
        return [bodies[(number * per_round + i) % len(bodies)] for i in range(per_round)]

    async with served(
        "bench.services_bare_app:app_from_environment",
        name=f"bare-{workers}",
        settings=environment,
        data_dir=workload.data_dir,
        workers=workers,
        concurrency=concurrency,
    ) as server:
        await _post(server.client, batch(0)[: 2 * concurrency * workers], concurrency)
        for number in range(rounds):
            for path, load in rotated([(VERIFY_PATH, figures), (EMPTY_PATH, floor)], number):
                work = _post(server.client, batch(number), concurrency, path=path)
                await load.round(server.process.pid, work, lambda done: (len(done), done))
        figures.peak_rss_bytes = server.peak_rss()
    http_floor = floor.summary()
    return figures.summary() | {
        "http_floor_per_second": http_floor["per_second"],
        "http_floor_latency_p50_ms": http_floor["latency_p50_ms"],
        "http_floor_per_server_cpu_second": http_floor["per_server_cpu_second"],
    }
