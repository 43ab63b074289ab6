"""A cap on request bodies, enforced before and while the body is read (DESIGN §4).

A declared ``Content-Length`` above the cap is answered with 413 before the application runs.
A body without one (chunked transfer coding) is counted while it streams: the chunk that
crosses the cap is never handed to the application, and the middleware stops pulling from the
client at that point, so an oversized body is never read whole.

When the cap is crossed mid-stream, the application sees an exception from ``receive``. Some
frameworks turn that into an error response of their own (FastAPI answers 400 when reading a
body fails), so the middleware also replaces whatever response the application then starts
with the 413: the client always learns the real reason. (A response the application had
already started before reading its body cannot be replaced; it is cut off.)
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.wire import InvalidRequest, PayloadTooLarge, WireError, render


class BodyTooLarge(Exception):
    """Raised from ``receive`` once the body has crossed the cap; never reaches a client."""


class BodyLimitMiddleware:
    """Pure ASGI middleware: 413 ``invalid_request`` for bodies above ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():  # RFC 9110 §8.6: Content-Length = 1*DIGIT
                await render(InvalidRequest())(scope, receive, send)
                return
            if int(declared) > self.max_bytes:
                await render(_too_large())(scope, receive, send)
                return
        await _Guarded(self.max_bytes, receive, send).run(self.app, scope)


class _Guarded:
    """One request's counter and the receive/send wrappers that enforce it."""

    def __init__(self, max_bytes: int, receive: Receive, send: Send) -> None:
        self.max_bytes = max_bytes
        self.received = 0
        self.tripped = False
        self.started = False
        self._receive = receive
        self._send = send

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        try:
            await app(scope, self.receive, self.send)
        except Exception:  # BodyTooLarge, or what the application made of it
            if not self.tripped:
                raise
        if self.tripped and not self.started:
            self.started = True
            await render(_too_large())(scope, self._receive, self._send)

    async def receive(self) -> Message:
        if self.tripped:
            raise BodyTooLarge
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_bytes:
                self.tripped = True
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.tripped:
            return  # the application's own answer to a cut body; run() sends the 413
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _too_large() -> WireError:
    """413; the connection closes, since the rest of the body is never read (RFC 9112 §9.6)."""
    return PayloadTooLarge(headers={"Connection": "close"})
