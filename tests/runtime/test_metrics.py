"""Request metrics: route templates, never raw paths; one registry per app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client.parser import text_string_to_metric_families

from runtime.app import create_app
from runtime.settings import ServiceSettings


def _app() -> FastAPI:
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, int]:
        return {"length": len(thing_id)}

    @router.post("/upload")
    async def upload() -> None:
        return None

    settings = ServiceSettings(
        public_url="https://svc.example.nl", database_url="sqlite://", max_request_bytes=1024
    )
    return create_app(title="metrics", version="0", settings=settings, routers=[router])


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client


async def _metrics_after(*, prefix: str, path: str) -> str:
    inner = APIRouter()

    @inner.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, int]:
        return {"length": len(thing_id)}

    outer = APIRouter()
    outer.include_router(inner, prefix=prefix)
    settings = ServiceSettings(public_url="https://svc.example.nl", database_url="sqlite://")
    app = create_app(title="metrics", version="0", settings=settings, routers=[outer])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc") as c:
        assert (await c.get(path)).status_code == 200
        return (await c.get("/metrics")).text


def _requests(text: str) -> dict[tuple[str, str, str], float]:
    """``http_requests_total`` samples by (method, route, status)."""
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "http_requests"
        for s in family.samples
        if s.name == "http_requests_total"
    }


async def test_route_template_not_raw_path(client: httpx.AsyncClient) -> None:
    await client.get("/things/secret-token-123")
    await client.get("/things/secret-token-456")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "secret-token" not in response.text
    lines = [line for line in response.text.splitlines() if "/things/{thing_id}" in line]
    assert any(line.startswith("http_requests_total{") for line in lines)
    assert _requests(response.text)[("GET", "/things/{thing_id}", "200")] == 2.0
    assert 'http_request_duration_seconds_count{method="GET",route="/things/{thing_id}"} 2.0' in (
        response.text
    )


async def test_unmatched_paths_share_one_label(client: httpx.AsyncClient) -> None:
    await client.get("/no/such/secret-path-1")
    await client.get("/secret-path-2")
    text = (await client.get("/metrics")).text
    assert "secret-path" not in text
    assert _requests(text)[("GET", "unrouted", "404")] == 2.0


async def test_bodies_refused_before_routing_are_unrouted(client: httpx.AsyncClient) -> None:
    response = await client.post("/upload", content=b"x" * 2048)
    assert response.status_code == 413
    text = (await client.get("/metrics")).text
    assert _requests(text)[("POST", "unrouted", "413")] == 1.0


async def test_include_prefixes_are_part_of_the_template() -> None:
    text = await _metrics_after(prefix="/v1", path="/v1/things/secret-token-789")
    assert "secret-token" not in text
    assert _requests(text)[("GET", "/v1/things/{thing_id}", "200")] == 1.0


async def test_parametrised_prefixes_are_not_spelled_out() -> None:
    text = await _metrics_after(prefix="/tenants/{tenant}", path="/tenants/secret-tenant/things/x")
    assert "secret-tenant" not in text
    assert _requests(text)[("GET", "{prefix}/things/{thing_id}", "200")] == 1.0


async def test_unknown_methods_do_not_grow_labels(client: httpx.AsyncClient) -> None:
    await client.request("BREW-secret", "/things/x")
    text = (await client.get("/metrics")).text
    assert "BREW" not in text
    assert _requests(text)[("OTHER", "/things/{thing_id}", "405")] == 1.0


async def test_registries_are_per_app() -> None:
    first, second = _app(), _app()
    assert first.state.metrics_registry is not second.state.metrics_registry
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(first), base_url="http://svc"
    ) as client:
        await client.get("/livez")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(second), base_url="http://svc"
    ) as client:
        text = (await client.get("/metrics")).text
    assert ("GET", "/livez", "200") not in _requests(text)
