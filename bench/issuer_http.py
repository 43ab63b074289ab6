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

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

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

STARTUP_SECONDS = 60.0


@dataclass
class HttpFigures:
    rates: list[float] = field(default_factory=list)
    """Per round, credentials / wall seconds."""
    latencies: list[float] = field(default_factory=list)
    """Seconds from sending a credential request to its full response, every request."""
    server_cpu_seconds: float | None = 0.0
    wall_seconds: float = 0.0
    credentials: int = 0
    fsync_seconds: float = 0.0
    """Median of one fsync in the data directory, before and after: what a commit waits for."""

    def summary(self) -> dict[str, Any]:
        latencies = sorted(self.latencies)
        p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
        cpu = self.server_cpu_seconds
        return {
            "credentials_per_second": statistics.median(self.rates),
            "round_rates": self.rates,
            "latency_p50_ms": statistics.median(latencies) * 1000,
            "latency_p99_ms": p99 * 1000,
            "requests": len(latencies),
            "credentials": self.credentials,
            "server_cpu_seconds": cpu,
            "credentials_per_server_cpu_second": self.credentials / cpu if cpu else None,
            "server_busy": cpu / self.wall_seconds if cpu else None,
            "fsync_ms": self.fsync_seconds * 1000,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process (Linux ``/proc``); None where there is no ``/proc``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fsync_seconds(directory: Path, *, samples: int = 21) -> list[float]:
    """Seconds of one fsync after a 4 KiB append in ``directory``, ``samples`` times.

    SQLite runs with ``synchronous=FULL`` (``runtime.database``): each commit waits for one,
    and the issuer's commits are serialised, so this bounds the HTTP rate on slow disks.
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


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """``uvicorn --factory issuer.serve:app_from_environment``, one worker, no access log."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "issuer.serve:app_from_environment",
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
    environment = {**os.environ, **settings_environment(data_dir)}
    with (data_dir / "server.log").open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)


async def wait_ready(client: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("bench.issuer: the issuer server exited at start (see server.log)")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("bench.issuer: the issuer server did not become ready")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


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


async def _flows(
    wallet: Wallet, codes: Sequence[str], concurrency: int
) -> list[tuple[list[str], float]]:
    gate = asyncio.Semaphore(concurrency)

    async def bounded(code: str) -> tuple[list[str], float]:
        async with gate:
            return await wallet.flow(code)

    return await asyncio.gather(*(bounded(code) for code in codes))


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
    port = _free_port()
    server = start_server(data_dir, port)
    figures = HttpFigures()
    try:
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60.0
        ) as client:
            await wait_ready(client, server)
            wallet = Wallet(client, configuration)
            done = await _flows(wallet, codes[:warm_up], concurrency)
            check_credentials(
                done[0][0],
                issuer_key=issuer_key,
                holder_keys=[key.public for key in wallet.keys],
                configuration=configuration,
                now=system_clock(),
                what="http",
            )
            for number in range(rounds):
                batch = codes[warm_up + number * flows : warm_up + (number + 1) * flows]
                cpu_before, started = _cpu_seconds(server.pid), time.perf_counter()
                done = await _flows(wallet, batch, concurrency)
                elapsed = time.perf_counter() - started
                cpu_after = _cpu_seconds(server.pid)
                issued = sum(len(tokens) for tokens, _ in done)
                figures.rates.append(issued / elapsed)
                figures.wall_seconds += elapsed
                figures.latencies += [latency for _, latency in done]
                figures.credentials += issued
                if cpu_before is None or cpu_after is None or figures.server_cpu_seconds is None:
                    figures.server_cpu_seconds = None
                else:
                    figures.server_cpu_seconds += cpu_after - cpu_before
    finally:
        stop_server(server)
    figures.fsync_seconds = statistics.median(fsyncs + fsync_seconds(data_dir))
    return figures
