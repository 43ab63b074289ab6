"""The FastAPI application every role builds on: one error family, size cap, metrics, health.

Layers, outermost first (each a pure ASGI middleware)::

    MetricsMiddleware       counts every answer, 413s and 500s included, by route template
    SecurityHeaders         nosniff everywhere; no-store unless the route chose its caching
    RateLimitMiddleware     when the role asks for it: 429 per client address, before reading
    ServerErrorGuard        any unhandled exception -> fixed 500 body, one log line;
                            a storage outage -> 503 with Retry-After (runtime.storage_outage)
    BodyLimitMiddleware     Content-Length and streamed bodies capped at max_request_bytes
    StrictJsonBody          JSON bodies parsed strictly (RFC 7493) before any route sees them
    FastAPI                 WireError, validation, 404/405 handlers; the role's routers

DESIGN §3: errors on the wire are ``{"error", "error_description"}`` with fixed text. FastAPI's
own validation answer echoes the submitted input and Starlette's server-error path logs the
exception message with its traceback; both are replaced here. A 500 is logged as the exception's
class and the route template, nothing else, because exception messages can carry claim values,
tokens or SQL parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from prometheus_client import CollectorRegistry
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime import wire
from runtime.body_limit import BodyLimitMiddleware
from runtime.observability import (
    READINESS_TIMEOUT,
    MetricsMiddleware,
    ReadinessCheck,
    RequestMetrics,
    health_router,
    method_label,
    route_template,
)
from runtime.rate_limit import RateLimiter, RateLimitMiddleware
from runtime.settings import ServiceSettings
from runtime.storage_outage import RETRY_AFTER_SECONDS, is_storage_outage
from runtime.strict_json_body import StrictJsonBodyMiddleware

__all__ = ["ReadinessCheck", "create_app"]

_log = logging.getLogger("aanspraak.http")

_HTTP_STATUS_TO_WIRE: dict[int, type[wire.WireError]] = {
    400: wire.InvalidRequest,
    401: wire.Unauthorized,
    403: wire.Forbidden,
    404: wire.NotFound,
    405: wire.MethodNotAllowed,
    409: wire.Conflict,
    413: wire.PayloadTooLarge,
    415: wire.UnsupportedMediaType,
    503: wire.ServiceUnavailable,
}


def create_app(
    *,
    title: str,
    version: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    readiness: Sequence[ReadinessCheck] = (),
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    description: str = "",
    openapi_tags: list[dict[str, Any]] | None = None,
    readiness_timeout: float = READINESS_TIMEOUT,
    rate_limiter: RateLimiter | None = None,
    rate_limited_paths: Collection[str] = (),
    own_json_parsers: Collection[str] = (),
) -> FastAPI:
    """Build a role's app. ``app.state.settings`` and ``app.state.metrics_registry`` are set.

    Trailing-slash redirects are off: an API client gets a 404 for a wrong path instead of a
    redirect whose target is built from the request's Host header. With ``rate_limiter``,
    requests to ``rate_limited_paths`` are limited per client address (``runtime.rate_limit``).
    ``own_json_parsers``: paths whose routes parse their JSON body strictly themselves, with
    their protocol's error codes (``runtime.strict_json_body``).
    """
    app = FastAPI(
        title=title,
        version=version,
        description=description,
        openapi_tags=openapi_tags,
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.settings = settings
    registry = CollectorRegistry(auto_describe=True)
    app.state.metrics_registry = registry
    for router in routers:
        app.include_router(router)
    app.include_router(
        health_router(registry=registry, readiness=readiness, timeout=readiness_timeout)
    )
    app.add_exception_handler(wire.WireError, _wire_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_exception)
    # add_middleware puts each new layer outside the previous one.
    app.add_middleware(StrictJsonBodyMiddleware, own_parsers=own_json_parsers)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(ServerErrorGuard)
    if rate_limiter is not None:
        app.add_middleware(
            RateLimitMiddleware, limiter=rate_limiter, paths=frozenset(rate_limited_paths)
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(MetricsMiddleware, metrics=RequestMetrics(registry))
    return app


async def _wire_error(request: Request, exc: Exception) -> Response:
    del request
    if not isinstance(exc, wire.WireError):  # registered for WireError only
        raise exc
    return wire.render(exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    """A request that does not fit the endpoint's schema; the input is not repeated (§3)."""
    del request, exc
    return wire.render(wire.InvalidRequest("the request does not match the expected format"))


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Routing and framework failures (404, 405, unreadable body) in the one body shape."""
    del request
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    status = exc.status_code
    fallback = wire.ServerError if status >= 500 else wire.InvalidRequest
    error_class = _HTTP_STATUS_TO_WIRE.get(status, fallback)
    return wire.render(error_class(headers=exc.headers))


class ServerErrorGuard:
    """Turns any exception that escapes the app into the fixed ``server_error`` answer.

    It does not re-raise: the server would log the message and traceback. If the response
    had already started, the answer cannot change; the connection is left for the server to
    close, and the log line is the same.

    A storage outage (``runtime.storage_outage``) is the one designed 5xx: 503
    ``temporarily_unavailable`` with ``Retry-After``, logged as a warning by class and route.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except ClientDisconnect:  # the client left (or was cut off) mid-body: no one to answer
            _log.info("client left in %s %s", method_label(scope), route_template(scope))
        except Exception as exc:  # the last line of defence
            if is_storage_outage(exc):
                # Designed, not a bug: the client repeats after Retry-After (THREATS D-06).
                _log.warning(
                    "storage unavailable: %s in %s %s",
                    type(exc).__name__,
                    method_label(scope),
                    route_template(scope),
                )
                if not started:
                    outage = wire.ServiceUnavailable(
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
                    )
                    await wire.render(outage)(scope, receive, send)
                return
            # By class and route only: a traceback would carry the exception's message.
            _log.error(
                "unhandled %s in %s %s",
                type(exc).__name__,
                method_label(scope),
                route_template(scope),
            )
            if not started:
                await wire.render(wire.ServerError())(scope, receive, send)


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` on every response; ``Cache-Control: no-store``
    unless the route set its own (responses here carry tokens and personal data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
