"""Request metrics and health endpoints every service exposes.

Metrics are labelled with the route *template* (``/things/{thing_id}``), never the raw path:
paths can carry tokens and codes, and DESIGN §3 keeps those out of everything we emit. The
method label is limited to the methods HTTP defines, so a client cannot grow the label set.
Each app has its own registry (``app.state.metrics_registry``), so two apps in one process
(the demo, the tests) never share counters.

``/livez`` says the process answers. ``/readyz`` runs the service's readiness checks, each
under a timeout, so a hanging dependency reads as failed instead of hanging the probe.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ReadinessCheck = tuple[str, Callable[[], Awaitable[None]]]

READINESS_TIMEOUT = 2.0
UNROUTED = "unrouted"  # no route matched, or the request was answered before routing
KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)

_log = logging.getLogger("aanspraak.http")


class RequestMetrics:
    """The counters of one app, registered in its own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ("method", "route", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from request to the end of the response, by method and route template.",
            ("method", "route"),
            registry=registry,
        )

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


def method_label(scope: Scope) -> str:
    """The request method, or ``OTHER`` for anything HTTP does not define (RFC 9110 §9)."""
    method = str(scope.get("method", ""))
    return method if method in KNOWN_METHODS else "OTHER"


def route_template(scope: Scope) -> str:
    """The template of the route that handled this request, or ``unrouted``.

    The router records the matched route in the scope. FastAPI records it as declared in its
    own router, so a prefix added by ``include_router`` is missing from ``route.path``; the
    prefix is recovered as the part of the path before the route's own match. A prefix that
    itself holds path parameters would carry their values, so it is replaced by ``{prefix}``.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return UNROUTED
    pattern = getattr(route, "path_regex", None)
    path = str(scope.get("path", ""))
    if not isinstance(pattern, re.Pattern) or pattern.match(path):
        return template
    split = next((i for i, c in enumerate(path) if c == "/" and pattern.match(path[i:])), None)
    if split is None:
        return template
    own_parameters = set(getattr(route, "param_convertors", {}))
    if set(scope.get("path_params", {})) - own_parameters:
        return "{prefix}" + template
    return path[:split] + template


class MetricsMiddleware:
    """Pure ASGI middleware: counts every HTTP response and its latency.

    ``clock`` is injectable (a monotonic seconds counter); latency is never asserted on in
    tests, but the seam keeps the middleware free of hidden time sources.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: RequestMetrics,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = self.clock()
        status = 500

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            self.metrics.observe(
                method=method_label(scope),
                route=route_template(scope),
                status=status,
                seconds=self.clock() - start,
            )


async def run_check(name: str, check: Callable[[], Awaitable[None]], *, timeout: float) -> bool:
    """One readiness check; any exception or a timeout means not ready (logged by class)."""
    try:
        await asyncio.wait_for(check(), timeout)
    except Exception as exc:  # any failure of a dependency means "not ready"
        _log.warning("readiness check %s failed: %s", name, type(exc).__name__)
        return False
    return True


def health_router(
    *,
    registry: CollectorRegistry,
    readiness: Sequence[ReadinessCheck],
    timeout: float = READINESS_TIMEOUT,
) -> APIRouter:
    """``/livez``, ``/readyz`` and ``/metrics``; operational, so left out of the API schema."""
    checks = tuple(readiness)
    if len({name for name, _ in checks}) != len(checks):
        raise ValueError("readiness check names must be unique")
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = await asyncio.gather(
            *(run_check(name, check, timeout=timeout) for name, check in checks)
        )
        names = (name for name, _ in checks)
        outcome = {name: "ok" if ok else "failed" for name, ok in zip(names, results, strict=True)}
        ready = all(results)
        body = {"status": "ok" if ready else "unavailable", "checks": outcome}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
