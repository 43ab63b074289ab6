"""Every service's JSON bodies are parsed strictly before a route sees them."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, Body

from runtime.app import create_app
from runtime.settings import ServiceSettings

router = APIRouter()
SETTINGS = ServiceSettings(public_url="https://svc.example.nl", database_url="sqlite://")


DOCUMENT = Body()


@router.post("/echo")
async def echo(document: dict[str, object] = DOCUMENT) -> dict[str, object]:
    return {"members": sorted(document)}


def _client() -> httpx.AsyncClient:
    app = create_app(title="t", version="0", settings=SETTINGS, routers=[router])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e400}',
        b'{"a": 1, "a": 2}',
        b'{"a": "\\ud800"}',
        '{"a": 1}'.encode("utf-16"),
        b'{"a": 1} {"b": 2}',
        b"[" * 65 + b"]" * 65,
    ],
    ids=["nan", "infinity", "overflow", "duplicate", "surrogate", "utf-16", "two-texts", "deep"],
)
async def test_a_json_body_the_strict_parser_refuses_is_a_400(body: bytes) -> None:
    async with _client() as client:
        answer = await client.post("/echo", content=body, headers=JSON)
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_request",
        "error_description": "the request does not match the expected format",
    }


async def test_a_charset_other_than_utf_8_is_a_415() -> None:
    async with _client() as client:
        answer = await client.post(
            "/echo",
            content=b'{"a": 1}',
            headers={"Content-Type": "application/json; charset=latin-1"},
        )
    assert answer.status_code == 415
    assert answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=UTF-8"])
async def test_valid_json_reaches_the_route_unchanged(content_type: str) -> None:
    async with _client() as client:
        answer = await client.post(
            "/echo",
            content=b'{"b": [1, 2.5], "a": "\\u00e9"}',
            headers={"Content-Type": content_type},
        )
    assert answer.status_code == 200
    assert answer.json() == {"members": ["a", "b"]}


async def test_other_media_types_pass_untouched() -> None:
    async with _client() as client:
        answer = await client.post(
            "/echo", content=b"a=NaN", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    assert answer.status_code == 400  # the route's own validation, not this layer's
    assert answer.json()["error_description"] == "the request does not match the expected format"


async def test_a_body_without_a_content_type_is_never_read_as_json() -> None:
    """The strict parser sees only JSON media types; a body without one must not reach a
    JSON route through the framework's lax parser (FastAPI 0.132 and later refuse it)."""
    async with _client() as client:
        answer = await client.post("/echo", content=b'{"a": NaN, "a": 1e400}')
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
