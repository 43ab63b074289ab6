"""``aanspraak <role> serve`` as a real process: started, waited for, stopped, its output kept.

The serve tests of every role do the same around their own checks: pick a free port, start
the command, wait until ``/livez`` answers, and afterwards stop it and read what it printed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from tests.issuer.server import free_port

START_SECONDS = 20


@dataclass
class Served:
    base: str
    client: httpx.Client
    stdout: str = ""
    stderr: str = ""


@contextmanager
def serve_command(role: str) -> Iterator[Served]:
    """Run ``aanspraak <role> serve --port P``; the environment configures the rest."""
    port = free_port()
    command = [sys.executable, "-m", "aanspraak", role, "serve", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, trust_env=False, timeout=2.0)
    served = Served(base, client)
    try:
        with client:
            deadline = time.monotonic() + START_SECONDS
            answer = None
            while answer is None and time.monotonic() < deadline and server.poll() is None:
                try:
                    answer = client.get("/livez")
                except httpx.TransportError:
                    time.sleep(0.1)
            assert answer is not None, "the service did not start"
            assert answer.json() == {"status": "ok"}
            yield served
    finally:
        server.terminate()
        served.stdout, served.stderr = server.communicate(timeout=15)
