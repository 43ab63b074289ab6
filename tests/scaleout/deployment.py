"""A role deployed as an operator scales it out: several ``aanspraak <role> serve --workers 2``
processes on one machine, one public URL, one shared PostgreSQL database.

Each process listens on its own loopback port; together they stand for the replicas behind a
load balancer. They share what replicas must share: the settings, the data directory (the
development profile's keys: signing, storage, token and nonce keys), and the database. The
keys and the schema are made once before any process starts (``tests.scaleout.roles``), as
``aanspraak.cli_serve`` asks of the caller; then all processes start at once.

A client reaches a chosen process through :class:`Via`, a transport that sends what is
addressed to the public URL to that process's port, the way a balancer would; every URL a
client builds or signs (DPoP ``htu``, proof ``aud``, ``response_uri``) stays the public one.

Each role gets a database of its own (the roles are separate organisations, and their
schemas share table names such as ``api_keys``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.child_service import ChildService
from tests.issuer.server import free_port
from tests.threats.service_process import TRUST_PREFIX, TrustFile

PREFIXES = tuple(f"AANSPRAAK_{role.upper()}_" for role in ("issuer", "verifier", "wallet"))
WORKERS = 2
STARTING = 2
STOP_SECONDS = 15


@dataclass
class ServeProcess(ChildService):
    """One ``aanspraak <role> serve --workers 2`` process of a deployment."""

    role: str
    name: str
    data_dir: Path
    values: Mapping[str, str]
    """The role's settings by field name (``public_url``, ``database_url``, ...)."""
    trust: TrustFile
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def label(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.name}.log"

    def environment(self) -> dict[str, str]:
        """The parent's environment without any role's settings, plus this deployment's."""
        ours = (*PREFIXES, TRUST_PREFIX)
        env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
        prefix = f"AANSPRAAK_{self.role.upper()}_"
        env.update({prefix + name.upper(): value for name, value in self.values.items()})
        env.update(self.trust.environment())
        return env

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "aanspraak", self.role, "serve",
            "--port", str(self.port), "--workers", str(WORKERS),
        ]  # fmt: skip


@dataclass
class Deployment:
    """The processes of one role, their public URL and their shared database."""

    role: str
    public_url: str
    database_url: str
    processes: list[ServeProcess]

    @property
    def values(self) -> Mapping[str, str]:
        """The role's settings by field name, the same in every process."""
        return self.processes[0].values

    def via(self, index: int, **options: object) -> httpx.AsyncClient:
        """A client whose requests to the public URL reach process ``index``."""
        return httpx.AsyncClient(
            transport=Via({self.public_url: self.processes[index].url}),
            trust_env=False,
            timeout=60.0,
            **options,  # type: ignore[arg-type]
        )

    def clients(self, count: int) -> list[httpx.AsyncClient]:
        """``count`` clients spread over the processes in turn (each its own connection)."""
        return [self.via(i % len(self.processes)) for i in range(count)]

    def stop(self) -> None:
        stop(self)

    def unhandled(self) -> list[str]:
        """Every process's unplanned errors (a 500 or a traceback): none may appear."""
        return [f"{p.name}: {line}" for p in self.processes for line in p.unhandled()]


class Via(httpx.AsyncBaseTransport):
    """Sends requests for a public origin to one process's origin; others pass unchanged."""

    def __init__(self, routes: Mapping[str, str]) -> None:
        self._routes = {httpx.URL(public): httpx.URL(actual) for public, actual in routes.items()}
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for public, actual in self._routes.items():
            if (request.url.host, request.url.port) == (public.host, public.port):
                request.url = request.url.copy_with(host=actual.host, port=actual.port)
                break
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def plan_deployment(
    role: str,
    directory: Path,
    database_url: str,
    trust: TrustFile,
    *,
    settings: Mapping[str, str] | None = None,
    count: int = 2,
) -> Deployment:
    """``count`` processes of ``role``, not started; the first one's port is the public
    URL's. Its :attr:`Deployment.values` are what :mod:`tests.scaleout.roles` prepares
    (keys, schema) before :func:`start` runs the processes."""
    ports = [free_port() for _ in range(count)]
    public_url = f"http://127.0.0.1:{ports[0]}"
    values = {
        "profile": "development",
        "public_url": public_url,
        "data_dir": str(directory / "data"),
        "database_url": database_url,
        **(settings or {}),
    }
    processes = [
        ServeProcess(role, f"{role}-{index}", directory / "data", values, trust, port)
        for index, port in enumerate(ports)
    ]
    return Deployment(role, public_url, database_url, processes)


async def start(*deployments: Deployment) -> None:
    """Start the processes of ``deployments`` (their keys and schema are in place, so
    nothing is raced), :data:`STARTING` at a time: each start imports the whole service in
    three processes, and a busy machine must not push one past its start deadline. On a
    failure every one is stopped."""
    processes = [p for deployment in deployments for p in deployment.processes]
    starting = asyncio.Semaphore(STARTING)

    async def start_one(process: ServeProcess) -> None:
        async with starting:
            await process.start()

    try:
        await asyncio.gather(*(start_one(process) for process in processes))
    except BaseException:
        for process in processes:
            process.kill()
        raise


def stop(*deployments: Deployment) -> None:
    """SIGTERM to every process first, then wait for each (SIGKILL after its grace time):
    the shutdowns run side by side."""
    running = [
        p.process
        for deployment in deployments
        for p in deployment.processes
        if p.process is not None and p.process.poll() is None
    ]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
