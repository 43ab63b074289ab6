"""JSON request bodies are parsed strictly before any route sees them.

Starlette decodes a JSON body with ``json.loads``, which accepts ``NaN`` and ``Infinity``,
lets a repeated member silently win, turns ``1e400`` into infinity and reads UTF-16 by its
byte order mark. A value such as ``NaN`` or a lone surrogate then fails far from the input,
when the service writes it into a token or a database, and the client got a 500 (THREATS P-22,
P-23, P-24, H-03). The same strict parser that guards tokens (``specs.jose.strict_json``,
RFC 8259 with the I-JSON rules of RFC 7493) checks every ``application/json`` and ``+json``
body here, once, so each route gets only JSON every later step can carry:

* not UTF-8, not one JSON text, ``NaN``/``Infinity``, an overflowing number, a repeated
  member, a lone surrogate, nesting deeper than ``MAX_DEPTH`` -> 400 ``invalid_request``;
* a ``charset`` other than UTF-8 -> 415 (RFC 8259 §8.1: JSON exchanged between systems is
  UTF-8; the parameter has no other meaning for ``application/json``).

The body is read inside the size cap (``runtime.body_limit`` sits outside this layer), so
buffering it costs at most the cap; the route then reads the same bytes again. Other media
types (forms, JWTs) pass untouched: their own parsers are strict already.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.wire import InvalidRequest, UnsupportedMediaType, render
from specs.errors import Rejected
from specs.jose.strict_json import loads_strict

#: Deeper than any body a route takes (DCQL queries, back-office claims), far below recursion.
MAX_DEPTH = 64
_UTF8 = frozenset({"utf-8", "utf8"})


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class StrictJsonBodyMiddleware:
    """Pure ASGI middleware: refuses JSON bodies the strict parser refuses (module docstring).

    ``own_parsers``: paths whose routes read their body with the same strict parser and
    answer with their protocol's own error code (OpenID4VCI's ``invalid_credential_request``
    at the credential endpoint, not a generic ``invalid_request``); they pass untouched.
    """

    def __init__(self, app: ASGIApp, *, own_parsers: Collection[str] = ()) -> None:
        self.app = app
        self.own_parsers = frozenset(own_parsers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.own_parsers:
            await self.app(scope, receive, send)
            return
        content_type = Headers(scope=scope).get("content-type", "")
        media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
        if not _is_json(media_type):
            await self.app(scope, receive, send)
            return
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "charset" and value.strip().strip('"') not in _UTF8:
                await render(UnsupportedMediaType("JSON bodies are UTF-8"))(scope, receive, send)
                return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if body.strip():
            try:
                loads_strict(body, max_depth=MAX_DEPTH)
            except Rejected:
                refusal = InvalidRequest("the request does not match the expected format")
                await render(refusal)(scope, receive, send)
                return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages``, then the server's own ``receive``: a later
    call waits for the real disconnect (Starlette listens for it while streaming)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
