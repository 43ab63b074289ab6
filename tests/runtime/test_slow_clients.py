"""The read deadline of ``runtime.slow_clients``, over both of uvicorn's HTTP parsers.

A real uvicorn server on loopback, raw sockets as clients. The deadline is shortened to a
fraction of a second; the checks are about what is closed and what is answered, with
generous patience, never about how fast.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn

from runtime.slow_clients import (
    SERVICE_HTTP_PROTOCOL,
    ReadDeadline,
    ReadDeadlineH11Protocol,
)

DEADLINE = 0.3
PATIENCE = 10.0
PROTOCOLS: list[type[asyncio.Protocol]] = [ReadDeadlineH11Protocol]
try:
    from runtime.slow_clients import ReadDeadlineHttpToolsProtocol

    PROTOCOLS.append(ReadDeadlineHttpToolsProtocol)
except ImportError:  # pragma: no cover - httptools is in uvicorn[standard]
    pass


async def app(scope: dict[str, object], receive: object, send: object) -> None:
    """Echo the body's length; ``/slow`` answers after three deadlines."""
    assert scope["type"] in {"http", "lifespan"}
    if scope["type"] == "lifespan":
        return
    size = 0
    while True:
        message = await receive()  # type: ignore[operator]
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    if scope["path"] == "/slow":
        await asyncio.sleep(DEADLINE * 3)
    body = str(size).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )  # type: ignore[operator]
    await send({"type": "http.response.body", "body": body})  # type: ignore[operator]


@asynccontextmanager
async def serving(protocol: type[asyncio.Protocol]) -> AsyncIterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    config = uvicorn.Config(app, http=protocol, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    """Everything until the server closes, or what came within the patience."""
    chunks = []
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), PATIENCE):
            chunks.append(chunk)
    except TimeoutError:
        chunks.append(b"<still open>")
    return b"".join(chunks)


async def _one_answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """The status line's start and the one-byte body of the next answer."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), PATIENCE)
    return head[: len(b"HTTP/1.1 200")], await asyncio.wait_for(reader.readexactly(1), PATIENCE)


@pytest.fixture(autouse=True)
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ReadDeadline, "read_deadline_seconds", DEADLINE)


def test_the_services_use_a_protocol_with_the_deadline() -> None:
    assert issubclass(SERVICE_HTTP_PROTOCOL, ReadDeadline)
    assert SERVICE_HTTP_PROTOCOL is PROTOCOLS[-1]  # httptools where it is installed


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
@pytest.mark.parametrize(
    "sent",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
    ],
    ids=["half-a-head", "half-a-body"],
)
async def test_a_request_that_stops_arriving_is_closed_unanswered(
    protocol: type[asyncio.Protocol], sent: bytes
) -> None:
    async with serving(protocol) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(sent)
        await writer.drain()
        assert await _read_all(reader) == b""
        writer.close()


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
async def test_a_whole_request_is_answered_however_long_the_application_takes(
    protocol: type[asyncio.Protocol],
) -> None:
    async with serving(protocol) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        await writer.drain()
        assert await _one_answer(reader) == (b"HTTP/1.1 200", b"3")
        writer.close()


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
async def test_pipelined_requests_behind_a_slow_answer_are_all_answered(
    protocol: type[asyncio.Protocol],
) -> None:
    async with serving(protocol) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na"
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nbb"
        )
        await writer.drain()
        answered = await _read_all(reader)
        assert answered.count(b"HTTP/1.1 200") == 2
        assert answered.endswith(b"2")
        writer.close()


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
async def test_each_request_on_a_kept_alive_connection_gets_its_own_deadline(
    protocol: type[asyncio.Protocol],
) -> None:
    async with serving(protocol) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(3):
            await asyncio.sleep(DEADLINE / 2)  # each request within its deadline, not all three
            writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na")
            await writer.drain()
            assert await _one_answer(reader) == (b"HTTP/1.1 200", b"1")
        writer.write(b"POST / HTTP/1.1\r\n")  # then one that stops arriving
        await writer.drain()
        assert await _read_all(reader) == b""
        writer.close()
