"""A service as a child process on loopback: started, waited for, killed and restarted.

The crash harnesses and the process tests run each role the way an operator does (uvicorn
with the role's ``serve.app_from_environment`` factory, configured by environment), and kill
it with SIGKILL at will. What differs per role is the command and the environment; the rest
(spawning with the log kept, waiting for ``/readyz``, killing, stopping, reading the log) is
here, once.
"""

from __future__ import annotations

import asyncio
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0


class ServerFailed(RuntimeError):
    """The process exited or did not become ready; the message holds its log tail."""


class ChildService:
    """The process side of a deployment; a subclass says what to run and how it is set up."""

    data_dir: Path
    process: subprocess.Popen[bytes] | None

    @property
    def label(self) -> str:
        raise NotImplementedError

    @property
    def url(self) -> str:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        raise NotImplementedError

    def client_tls(self) -> ssl.SSLContext | bool:
        """What an ``httpx`` client passes as ``verify`` to reach this service."""
        return True

    @property
    def log_path(self) -> Path:
        return self.data_dir / "uvicorn.log"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def start(self) -> None:
        if self.alive:
            raise RuntimeError(f"the {self.label} is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.environment(), stdout=log, stderr=log
            )
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(
            timeout=2.0, verify=self.client_tls(), trust_env=False
        ) as client:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise ServerFailed(f"the {self.label} exited at start:\n{self.log_tail()}")
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.02)
        self.kill()
        raise ServerFailed(f"the {self.label} was not ready in time:\n{self.log_tail()}")

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

    def unhandled(self) -> list[str]:
        """The service's own "unhandled ..." lines (a 500 it did not plan) and tracebacks."""
        if not self.log_path.exists():
            return []
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if "unhandled " in line or "Traceback" in line]
