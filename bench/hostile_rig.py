"""The services ``bench.hostile`` attacks: real uvicorn processes, as ``bench.verifier_http``
and ``bench.issuer_http`` start them (one worker, no access log, SQLite in a temporary
directory), and the raw-socket clients that say what httpx cannot (a body that is only
declared, a chunked body that never ends, headers one byte at a time).

The verifier comes with ``bench.verifier_workload``: agencies on a loopback origin, a trust
list, and answers prepared in advance (``direct_post.jwt``, the ``assets`` case: one
credential per answer), so a legitimate verification can be posted between hostile ones.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from aanspraak.loopback import bound_listener, serving, url_of
from bench.http_load import free_port, start_server, stop_server, wait_ready
from bench.issuer_workload import prepared_context, settings_environment
from bench.verifier_workload import CASES, REGULATION, Prepared, Workload, prepare_answer, require
from specs.jose import b64url_decode
from verifier.app import prepare

DATABASE = "verifier-hostile.db"
RESPONSE_PATH = "/wallet/response"
FORM = "application/x-www-form-urlencoded"
CASE = CASES["assets"]


@dataclass
class Service:
    """A running server: where it listens and its process (for ``/proc/<pid>``)."""

    url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").split(":")
        return host, int(port)


@dataclass
class Verifier(Service):
    answers: list[Prepared] = field(default_factory=list)
    """Prepared answers not posted yet: take them with :meth:`answer`."""
    desk_key: str = ""
    kid: str = ""
    """The response key id of one open transaction: hostile JWEs name it, so they reach the
    header checks rather than failing on an unknown key."""
    transaction_id: str = ""

    def answer(self) -> Prepared:
        require(bool(self.answers), "hostile: out of prepared answers")
        return self.answers.pop()


def jwe_kid(body: bytes) -> str:
    """The ``kid`` in a prepared ``direct_post.jwt`` body's protected header."""
    token = parse_qs(body.decode("ascii"))["response"][0]
    kid = json.loads(b64url_decode(token.split(".", 1)[0]))["kid"]
    return str(kid)


async def _prepare_desk(
    workload: Workload, public_url: str, count: int
) -> tuple[list[Prepared], str]:
    context = workload.context(workload.settings(public_url, database=DATABASE))
    try:
        await prepare(context)
        answers = [await prepare_answer(context, workload, CASE) for _ in range(count)]
        created = await context.api_keys.create(name="desk", scope=[REGULATION])
        return answers, created.secret
    finally:
        await context.fetcher.aclose()
        await context.database.engine.dispose()


@asynccontextmanager
async def running_verifier(data_dir: Path, *, answers: int) -> AsyncIterator[Verifier]:
    """The desk with ``answers`` prepared answers (two more are spent warming its caches)."""
    with bound_listener() as listener:
        workload = Workload.create(data_dir, url_of(listener))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        prepared, secret = await _prepare_desk(workload, url, answers + 3)
        with serving(workload.agencies.app(), listener, name="agencies"):
            process = start_server(
                "verifier.serve:app_from_environment",
                port=port,
                settings=workload.environment(url, database=DATABASE),
                data_dir=data_dir,
            )
            try:
                async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                    await wait_ready(
                        client,
                        process,
                        exited="bench.hostile: the verifier exited at start (server.log)",
                        not_ready="bench.hostile: the verifier did not become ready",
                    )
                    for warm in prepared[:2]:  # fills the issuer-key and status caches
                        response = await client.post(
                            RESPONSE_PATH, content=warm.body, headers={"Content-Type": FORM}
                        )
                        require(response.status_code == 200, "hostile: warm-up answer")
                target = prepared[2]
                yield Verifier(
                    url,
                    process,
                    answers=prepared[3:],
                    desk_key=secret,
                    kid=jwe_kid(target.body),
                    transaction_id=target.transaction_id,
                )
            finally:
                stop_server(process)


@asynccontextmanager
async def running_issuer(data_dir: Path, *, per_minute: int = 0) -> AsyncIterator[Service]:
    """The issuer; ``per_minute`` > 0 turns its rate limiter on (burst 60, the default)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    context = await prepared_context(data_dir, clock=lambda: 0)
    await context.engine.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = settings_environment(data_dir)
    if per_minute:
        settings["AANSPRAAK_ISSUER_RATE_LIMIT_PER_MINUTE"] = str(per_minute)
    process = start_server(
        "issuer.serve:app_from_environment", port=port, settings=settings, data_dir=data_dir
    )
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            await wait_ready(
                client,
                process,
                exited="bench.hostile: the issuer exited at start (server.log)",
                not_ready="bench.hostile: the issuer did not become ready",
            )
        yield Service(url, process)
    finally:
        stop_server(process)


# --- raw sockets -------------------------------------------------------------------------


@dataclass
class RawAnswer:
    status: int
    error: str
    sent: int
    """Body bytes the client got out before the answer came (or the server closed)."""

    @property
    def outcome(self) -> str:
        return f"{self.status} {self.error}".strip()


def _head(service: Service, path: str, content_type: str, framing: str) -> bytes:
    host, port = service.address
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
        f"{framing}\r\n\r\n"
    ).encode("ascii")


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, str]:
    """Status and wire ``error`` of one HTTP/1.1 answer; ``0`` if the server just closed."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return 0, "closed"
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    try:
        return status, str(json.loads(body).get("error", ""))
    except (ValueError, AttributeError):
        return status, ""


async def post_declared(
    service: Service, path: str, *, declared: int, prefix: bytes, content_type: str = FORM
) -> RawAnswer:
    """Announce ``declared`` body bytes, send only ``prefix``: an answer shows the server
    decided without waiting for the rest (P-21, H-01, H-02)."""
    reader, writer = await asyncio.open_connection(*service.address)
    try:
        writer.write(_head(service, path, content_type, f"Content-Length: {declared}") + prefix)
        with suppress(ConnectionError):  # refused while this was still sending: read on
            await writer.drain()
        status, error = await _read_answer(reader)
        return RawAnswer(status, error, len(prefix))
    finally:
        writer.close()


async def post_chunked(
    service: Service, path: str, *, limit: int, content_type: str = FORM
) -> RawAnswer:
    """A chunked body without ``Content-Length``, written until the server answers or
    ``limit`` bytes are out (H-01): how much the server let in before refusing."""
    reader, writer = await asyncio.open_connection(*service.address)
    chunk = b"a" * 65536
    framed = f"{len(chunk):x}\r\n".encode("ascii") + chunk + b"\r\n"
    answer = asyncio.ensure_future(_read_answer(reader))
    sent = 0
    try:
        writer.write(_head(service, path, content_type, "Transfer-Encoding: chunked"))
        while sent < limit and not answer.done():
            writer.write(framed)
            try:
                await asyncio.wait_for(writer.drain(), timeout=5)
            except (ConnectionError, TimeoutError):
                break
            sent += len(chunk)
        if not answer.done():
            writer.write(b"0\r\n\r\n")  # the end of the body: nothing refused it
        try:
            status, error = await asyncio.wait_for(answer, timeout=30)
        except TimeoutError:
            status, error = 0, "no answer"
        return RawAnswer(status, error, sent)
    finally:
        answer.cancel()
        writer.close()
