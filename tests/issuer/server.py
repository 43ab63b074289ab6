"""A real issuer process on loopback: started, killed with SIGKILL and restarted at will.

``python -m uvicorn --factory issuer.serve:app_from_environment`` runs as a child process
with its whole configuration in ``AANSPRAAK_ISSUER_*`` variables, exactly as an operator
runs it (development profile: plain http on ``127.0.0.1``, keys created on first start).
A restart reuses the port, the data directory and the database, so what the issuer
committed before a kill is what it finds after it.

A credential from an http issuer cannot pass ``verify_sd_jwt_vc``: its status reference is
refused unless it is https, and that function has no development switch. So
:func:`verify_credentials` checks the signature, ``typ`` and holder key through
``verify_sd_jwt`` and parses the status reference with ``allow_http=True`` itself.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from issuer.api_keys import create_api_key
from issuer.app import prepare
from issuer.context import build_context
from issuer.settings import IssuerSettings
from specs.sd_jwt import NoKeyBinding, VerifiedSdJwt, verify_sd_jwt
from specs.sd_jwt_vc import parse_jwt_vc_issuer_metadata
from specs.sd_jwt_vc.issuer_metadata import JwtVcIssuerMetadataResolver
from specs.status_list import StatusReference, parse_status_reference

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "AANSPRAAK_ISSUER_"
START_TIMEOUT = 60.0
VC_TYP = "dc+sd-jwt"


class ServerFailed(RuntimeError):
    """The issuer process exited or did not become ready; the message holds its log tail."""


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class IssuerServer:
    """One issuer deployment: a port, a data directory and a database, and its process."""

    data_dir: Path
    database_url: str
    overrides: dict[str, str] = field(default_factory=dict)
    """Further settings by field name (``{"status_list_size": "1024"}``)."""
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "uvicorn.log"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def environment(self) -> dict[str, str]:
        """The parent's environment without its own issuer settings, plus this deployment's."""
        env = {name: value for name, value in os.environ.items() if not name.startswith(PREFIX)}
        env.update(
            {
                f"{PREFIX}PROFILE": "development",
                f"{PREFIX}PUBLIC_URL": self.url,
                f"{PREFIX}DATA_DIR": str(self.data_dir),
                f"{PREFIX}DATABASE_URL": self.database_url,
            }
        )
        env.update({PREFIX + name.upper(): value for name, value in self.overrides.items()})
        return env

    def settings(self) -> IssuerSettings:
        """The same settings the process reads from :meth:`environment`."""
        return IssuerSettings(
            profile="development",  # type: ignore[arg-type]
            public_url=self.url,
            data_dir=self.data_dir,
            database_url=self.database_url,
            **self.overrides,  # type: ignore[arg-type]  # strings, as from the environment
        )

    async def start(self) -> None:
        if self.alive:
            raise RuntimeError("the issuer is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "issuer.serve:app_from_environment",
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.environment(), stdout=log, stderr=log
            )
        self.starts += 1
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise ServerFailed(f"the issuer exited at start:\n{self.log_tail()}")
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.02)
        self.kill()
        raise ServerFailed(f"the issuer was not ready in time:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no rollback beyond what the database does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    async def restart(self) -> None:
        self.kill()
        await self.start()

    def stop(self) -> None:
        """A clean stop (SIGTERM), falling back to SIGKILL."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def create_backoffice_key(self) -> str:
        """A back-office API key for every configuration, made through the library call.

        Run it before the first start: it also migrates the schema and creates the keys of
        the development profile, which the process then finds in place.
        """
        context = build_context(self.settings())
        try:
            await prepare(context)
            created = await create_api_key(
                context, name="back office", configurations=sorted(context.configurations.by_id)
            )
        finally:
            await context.engine.dispose()
        return created.secret


@asynccontextmanager
async def running_issuer(
    data_dir: Path, database_url: str, **overrides: str
) -> AsyncIterator[tuple[IssuerServer, str]]:
    """A started issuer and a back-office key; the process is stopped on the way out."""
    server = IssuerServer(data_dir, database_url, overrides)
    key = await server.create_backoffice_key()
    try:
        await server.start()
        yield server, key
    finally:
        server.stop()


@dataclass(frozen=True, slots=True)
class HttpCredential:
    """A credential the wallet verified, with its status reference."""

    token: str
    verified: VerifiedSdJwt
    status: StatusReference

    @property
    def claims(self) -> dict[str, Any]:
        return self.verified.claims


async def issuer_keys(client: httpx.AsyncClient, issuer: str) -> JwtVcIssuerMetadataResolver:
    """The issuer's keys from its JWT VC Issuer Metadata (SD-JWT VC §4), http allowed."""
    response = await client.get(f"{issuer}/.well-known/jwt-vc-issuer")
    response.raise_for_status()
    metadata = parse_jwt_vc_issuer_metadata(
        response.json(), expected_issuer=issuer, allow_http=True
    )
    return JwtVcIssuerMetadataResolver({issuer: metadata})


async def verify_credentials(
    client: httpx.AsyncClient, issuer: str, tokens: list[str], *, now: int
) -> list[HttpCredential]:
    """Signature, ``typ``, ``iss``, ``vct`` and the status reference of each credential."""
    resolver = await issuer_keys(client, issuer)
    checked = []
    for token in tokens:
        verified = verify_sd_jwt(
            token, issuer_keys=resolver, typ=VC_TYP, key_binding=NoKeyBinding(), now=now
        )
        assert verified.claims["iss"] == issuer
        assert isinstance(verified.claims.get("vct"), str)
        status = parse_status_reference(verified.claims["status"], allow_http=True)
        checked.append(HttpCredential(token, verified, status))
    return checked
