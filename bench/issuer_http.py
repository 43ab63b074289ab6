"""Issuance through HTTP: one uvicorn worker, concurrent wallet flows, batches of 10.

The offers are made in advance with library calls on the server's own database (the back
office is not what is measured). Then a bounded ``httpx.AsyncClient`` runs whole wallet
flows, ``concurrency`` at a time: token, nonce, the 10 key proofs (built by the wallet after
the nonce arrives, on the client's side), credential. The credential request's latency is
timed from sending to the full response; credentials/s is over the wall time of a round.
The server's CPU seconds come from ``/proc/<pid>/stat`` (Linux), so the work the server
does per credential is known apart from the client's.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

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
from bench.issuer_workload import (
    BATCH,
    ISSUER_ID,
    PRE_AUTHORIZED,
    check_credentials,
    new_offer,
    prepared_context,
    proofs_for,
    require,
    settings_environment,
)
from issuer.context import system_clock
from specs.jose import PublicJwk, generate_private_key


@dataclass
class HttpFigures(Load):
    """The rounds' figures; a unit is a credential, a latency a credential request's (from
    sending it to its full response)."""

    fsync_seconds: float = 0.0
    """Median of one fsync in the data directory, before and after: what a commit waits for."""

    def summary(self) -> dict[str, Any]:
        p50, p99 = percentiles(self.latencies)
        return {
            "credentials_per_second": statistics.median(self.rates),
            "round_rates": self.rates,
            "latency_p50_ms": p50 * 1000,
            "latency_p99_ms": p99 * 1000,
            "requests": len(self.latencies),
            "credentials": self.units,
            "server_cpu_seconds": self.server_cpu_seconds,
            "credentials_per_server_cpu_second": self.per_server_cpu_second(),
            "server_busy": self.server_busy(),
            "fsync_ms": self.fsync_seconds * 1000,
        }


class Wallet:
    """The wallet side of a flow: the same 10 holder keys in every batch (the issuer cannot
    tell, and building keys is not what is measured)."""

    def __init__(self, client: httpx.AsyncClient, configuration: str) -> None:
        self.client, self.configuration = client, configuration
        self.keys = [generate_private_key() for _ in range(BATCH)]

    async def flow(self, code: str) -> tuple[list[str], float]:
        """token -> nonce -> proofs -> credential; the credentials and the request's latency."""
        token = await self.client.post(
            "/token", data={"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code}
        )
        require(token.status_code == 200, "http: token")
        nonce = await self.client.post("/nonce")
        require(nonce.status_code == 200, "http: nonce")
        proofs = proofs_for(
            self.keys, audience=ISSUER_ID, nonce=nonce.json()["c_nonce"], now=system_clock()
        )
        body = {"credential_configuration_id": self.configuration, "proofs": {"jwt": proofs}}
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        started = time.perf_counter()
        response = await self.client.post("/credential", json=body, headers=headers)
        latency = time.perf_counter() - started
        require(response.status_code == 200, "http: credential")
        return [item["credential"] for item in response.json()["credentials"]], latency


def _tally(done: list[tuple[list[str], float]]) -> tuple[int, list[float]]:
    """Credentials issued and the credential requests' latencies of a round of flows."""
    return sum(len(tokens) for tokens, _ in done), [latency for _, latency in done]


async def run_flows(
    wallet: Wallet,
    codes: list[str],
    figures: Load,
    *,
    pid: int,
    issuer_key: PublicJwk,
    configuration: str,
    warm_up: int,
    rounds: int,
    flows: int,
    concurrency: int,
    what: str,
) -> None:
    """The warm-up flows, their first credential checked, then ``rounds`` timed rounds of
    ``flows`` flows each, ``concurrency`` at a time, each on its own pre-authorized code."""
    done = await bounded(codes[:warm_up], wallet.flow, concurrency)
    check_credentials(
        done[0][0],
        issuer_key=issuer_key,
        holder_keys=[key.public for key in wallet.keys],
        configuration=configuration,
        now=system_clock(),
        what=what,
    )
    for number in range(rounds):
        batch = codes[warm_up + number * flows : warm_up + (number + 1) * flows]
        await figures.round(pid, bounded(batch, wallet.flow, concurrency), _tally)


async def _make_offers(
    data_dir: Path, configuration: str, count: int
) -> tuple[list[str], PublicJwk]:
    context = await prepared_context(data_dir, clock=system_clock)
    try:
        codes = [(await new_offer(context, configuration))[1] for _ in range(count)]
        return codes, context.keys.active.public
    finally:
        await context.engine.dispose()


async def measure_http(
    data_dir: Path, *, configuration: str, rounds: int, flows: int, concurrency: int
) -> HttpFigures:
    """Offers first, then the server; one warm-up round (checked), then the timed rounds."""
    warm_up = 2 * concurrency
    codes, issuer_key = await _make_offers(data_dir, configuration, warm_up + rounds * flows)
    fsyncs = fsync_seconds(data_dir)
    port = free_port()
    server = start_server(
        "issuer.serve:app_from_environment",
        port=port,
        settings=settings_environment(data_dir),
        data_dir=data_dir,
    )
    figures = HttpFigures()
    try:
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60.0
        ) as client:
            await wait_ready(
                client,
                server,
                exited="bench.issuer: the issuer server exited at start (see server.log)",
                not_ready="bench.issuer: the issuer server did not become ready",
            )
            await run_flows(
                Wallet(client, configuration),
                codes,
                figures,
                pid=server.pid,
                issuer_key=issuer_key,
                configuration=configuration,
                warm_up=warm_up,
                rounds=rounds,
                flows=flows,
                concurrency=concurrency,
                what="http",
            )
    finally:
        stop_server(server)
    figures.fsync_seconds = statistics.median(fsyncs + fsync_seconds(data_dir))
    return figures
