"""create_app: one error shape, nothing echoed, nothing leaked, health endpoints (DESIGN §3)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from runtime.app import ReadinessCheck, create_app
from runtime.settings import ServiceSettings

SETTINGS = ServiceSettings(public_url="https://svc.example.nl", database_url="sqlite://")
SERVER_ERROR = {"error": "server_error", "error_description": "internal error"}
NOT_MATCHING = {
    "error": "invalid_request",
    "error_description": "the request does not match the expected format",
}


class Item(BaseModel):
    name: str
    count: int


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/items")
    async def create_item(item: Item) -> dict[str, str]:
        return {"name": item.name}

    @router.get("/boom/{item_id}")
    async def boom(item_id: str) -> None:
        raise ValueError("secret-canary")

    @router.get("/status/{code}")
    async def http_status(code: int) -> None:
        raise HTTPException(status_code=code, detail="detail-canary")

    @router.get("/cached")
    async def cached() -> JSONResponse:
        return JSONResponse({"ok": True}, headers={"Cache-Control": "public, max-age=60"})

    return router


def _app(readiness: Sequence[ReadinessCheck] = (), **kwargs: object) -> FastAPI:
    return create_app(
        title="test",
        version="0",
        settings=SETTINGS,
        routers=[_router()],
        readiness=readiness,
        **kwargs,  # type: ignore[arg-type]
    )


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(_app()) as client:
        yield client


async def test_validation_error_does_not_echo_input(client: httpx.AsyncClient) -> None:
    response = await client.post("/items", json={"name": "echo-canary", "count": "echo-count"})
    assert response.status_code == 400
    assert response.json() == NOT_MATCHING
    assert "echo-canary" not in response.text
    assert "echo-count" not in response.text


async def test_malformed_json_does_not_echo_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/items", content=b'{"name": "echo-canary", ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == NOT_MATCHING


async def test_server_error_says_nothing(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await client.get("/boom/token-in-path-123")
    assert response.status_code == 500
    assert response.json() == SERVER_ERROR
    assert response.headers["cache-control"] == "no-store"
    assert "secret-canary" not in caplog.text
    service_log = [r.getMessage() for r in caplog.records if r.name != "httpx"]  # the client's
    assert not [line for line in service_log if "token-in-path-123" in line]
    [record] = [r for r in caplog.records if r.name == "aanspraak.http"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "unhandled ValueError in GET /boom/{item_id}"
    assert record.exc_info is None


async def test_unknown_path_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "error_description": "no such resource"}


async def test_trailing_slash_is_not_redirected(client: httpx.AsyncClient) -> None:
    response = await client.get("/cached/")
    assert response.status_code == 404


async def test_wrong_method_is_method_not_allowed(client: httpx.AsyncClient) -> None:
    response = await client.delete("/items")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (401, 401, "unauthorized"),
        (403, 403, "forbidden"),
        (409, 409, "conflict"),
        (415, 415, "invalid_request"),
        (418, 400, "invalid_request"),
        (502, 500, "server_error"),
        (503, 503, "temporarily_unavailable"),
    ],
)
async def test_http_exceptions_use_the_wire_shape(
    client: httpx.AsyncClient, raised: int, status: int, code: str
) -> None:
    response = await client.get(f"/status/{raised}")
    assert response.status_code == status
    assert response.json()["error"] == code
    assert "detail-canary" not in response.text


async def test_security_headers(client: httpx.AsyncClient) -> None:
    plain = await client.get("/livez")
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["cache-control"] == "no-store"
    cached = await client.get("/cached")
    assert cached.headers["x-content-type-options"] == "nosniff"
    assert cached.headers["cache-control"] == "public, max-age=60"


def test_state_and_schema() -> None:
    tags = [{"name": "offers", "description": "back office"}]
    app = _app(description="about", openapi_tags=tags)
    assert app.state.settings is SETTINGS
    assert isinstance(app.state.metrics_registry, CollectorRegistry)
    schema = app.openapi()
    assert schema["info"] == {"title": "test", "version": "0", "description": "about"}
    assert schema["tags"] == tags
    assert "/items" in schema["paths"]
    assert not {"/livez", "/readyz", "/metrics"} & schema["paths"].keys()


async def test_lifespan_is_used() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("start")
        yield
        events.append("stop")

    app = _app(lifespan=lifespan)
    async with app.router.lifespan_context(app):
        assert events == ["start"]
    assert events == ["start", "stop"]


async def test_livez(client: httpx.AsyncClient) -> None:
    response = await client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def _ok() -> None:
    return None


async def _broken() -> None:
    raise ConnectionRefusedError("db-password-canary")


async def _hangs() -> None:
    await asyncio.Event().wait()


async def test_readyz_all_ok() -> None:
    async with _client(_app([("database", _ok), ("registry", _ok)])) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "registry": "ok"}}


async def test_readyz_failing_check(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with _client(_app([("database", _broken), ("registry", _ok)])) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "failed", "registry": "ok"},
    }
    assert "readiness check database failed: ConnectionRefusedError" in caplog.text
    assert "db-password-canary" not in caplog.text


async def test_readyz_hanging_check_times_out() -> None:
    app = _app([("registry", _hangs), ("database", _ok)], readiness_timeout=0.05)
    async with _client(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"registry": "failed", "database": "ok"}


def test_readiness_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="readiness check names must be unique"):
        _app([("database", _ok), ("database", _ok)])
