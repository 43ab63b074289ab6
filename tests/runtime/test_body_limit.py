"""The request body cap: by Content-Length before reading, and while a chunked body streams."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel
from starlette.types import Message, Receive, Scope, Send

from runtime.app import create_app
from runtime.body_limit import BodyLimitMiddleware
from runtime.settings import ServiceSettings

LIMIT = 1024
CHUNK = 256
TOO_LARGE = {"error": "invalid_request", "error_description": "request body too large"}


class Note(BaseModel):
    text: str


class Seen:
    """What the handlers got to see."""

    def __init__(self) -> None:
        self.calls = 0
        self.bodies: list[bytes] = []


def _app(seen: Seen) -> FastAPI:
    router = APIRouter()

    @router.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        seen.calls += 1
        body = await request.body()
        seen.bodies.append(body)
        return {"length": len(body)}

    @router.post("/notes")
    async def notes(note: Note) -> dict[str, int]:
        seen.bodies.append(note.text.encode())
        return {"length": len(note.text)}

    settings = ServiceSettings(
        public_url="https://svc.example.nl", database_url="sqlite://", max_request_bytes=LIMIT
    )
    return create_app(title="limit", version="0", settings=settings, routers=[router])


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
async def client(seen: Seen) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(_app(seen))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client


class Chunks:
    """A chunked request body that counts how much of it was pulled."""

    def __init__(self, count: int, *, chunk: bytes = b"x" * CHUNK) -> None:
        self.count = count
        self.chunk = chunk
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.pulled += 1
            yield self.chunk


async def test_chunked_body_over_the_limit_is_cut(client: httpx.AsyncClient, seen: Seen) -> None:
    body = Chunks(100)  # 25 KiB, no Content-Length
    response = await client.post("/raw", content=body)
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response.headers["x-content-type-options"] == "nosniff"
    assert seen.calls == 1
    assert seen.bodies == []  # the handler never got the body
    assert body.pulled <= LIMIT // CHUNK + 1  # reading stopped at the chunk that crossed


async def test_chunked_body_over_the_limit_for_a_model(
    client: httpx.AsyncClient, seen: Seen
) -> None:
    """FastAPI answers 400 when reading a body fails; the client still gets the 413."""
    body = Chunks(100, chunk=b'{"text": "' + b"x" * (CHUNK - 10))
    response = await client.post(
        "/notes", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert seen.bodies == []
    assert body.pulled <= LIMIT // CHUNK + 1


async def test_chunked_body_at_the_limit_passes(client: httpx.AsyncClient, seen: Seen) -> None:
    response = await client.post("/raw", content=Chunks(LIMIT // CHUNK))
    assert response.status_code == 200
    assert response.json() == {"length": LIMIT}
    assert seen.bodies == [b"x" * LIMIT]


async def test_content_length_over_the_limit_refused_before_the_app(
    client: httpx.AsyncClient, seen: Seen
) -> None:
    response = await client.post("/raw", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert seen.calls == 0


async def test_content_length_at_the_limit_passes(client: httpx.AsyncClient, seen: Seen) -> None:
    response = await client.post("/raw", content=b"x" * LIMIT)
    assert response.status_code == 200
    assert seen.bodies == [b"x" * LIMIT]


class Exchange:
    """A raw ASGI exchange: records whether the body was read and what was sent."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.reads = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        self.reads += 1
        return {"type": "http.request", "body": self.body, "more_body": False}

    async def send(self, message: Message) -> None:
        self.sent.append(message)


def _scope(content_length: bytes) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-length", content_length)],
    }


async def _never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the application must not run")


async def test_declared_length_is_refused_without_reading() -> None:
    exchange = Exchange(b"")
    middleware = BodyLimitMiddleware(_never_called, max_bytes=LIMIT)
    await middleware(_scope(b"999999999"), exchange.receive, exchange.send)
    assert exchange.reads == 0
    assert exchange.sent[0]["status"] == 413
    assert (b"connection", b"close") in exchange.sent[0]["headers"]


@pytest.mark.parametrize("declared", [b"abc", b"-1", b"1 2", b""])
async def test_malformed_content_length_is_invalid_request(declared: bytes) -> None:
    exchange = Exchange(b"")
    middleware = BodyLimitMiddleware(_never_called, max_bytes=LIMIT)
    await middleware(_scope(declared), exchange.receive, exchange.send)
    assert exchange.reads == 0
    assert exchange.sent[0]["status"] == 400


def test_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="max_bytes must not be negative"):
        BodyLimitMiddleware(_never_called, max_bytes=-1)
