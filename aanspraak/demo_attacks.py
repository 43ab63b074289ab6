"""The demo's look at hostile input: the desk that just decided is attacked, and holds.

Four things an attacker can do with a desk's public endpoints (docs/hardening.md), each
answered with its wire error and nothing stored: answering a transaction that was answered
already (THREATS K-13), posting an oversized body (H-01), answering a transaction that does
not exist (V-01), and sending JSON that is not I-JSON (P-22). The wallet part uses the
citizen's own wallet, as a replaying app would.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

FORM = {"Content-Type": "application/x-www-form-urlencoded"}

Replay = Callable[[], Awaitable[dict[str, Any]]]


async def attack_desk(desk: str, api_key: str, replay: Replay) -> list[dict[str, Any]]:
    """Each attack with the desk's answer: HTTP status and the spec's error code."""
    attempts: list[dict[str, Any]] = []

    def keep(attack: str, status: int, error: str | None, reason: str | None = None) -> None:
        attempts.append({"attack": attack, "status": status, "error": error, "reason": reason})

    answered = await replay()
    keep("the same answer posted again", answered["status_code"], answered.get("error"))
    async with httpx.AsyncClient(base_url=desk, trust_env=False, timeout=10) as client:
        keep("an answer declaring 10 MB, the body never sent", await _declared_only(desk), None)
        unknown = await client.post(
            "/wallet/response",
            content=f"state={secrets.token_urlsafe(16)}&vp_token=%7B%7D".encode(),
            headers=FORM,
        )
        keep(
            "an answer to a transaction that does not exist",
            unknown.status_code,
            *_error(unknown),
        )
        not_json = await client.post(
            "/desk/transactions",
            content=b'{"regulation": NaN}',
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
        )
        keep("a desk request with NaN in its JSON", not_json.status_code, *_error(not_json))
    return attempts


async def _declared_only(desk: str) -> int:
    """The status of a response post that declares 10 MB and sends none of it: the desk must
    refuse on the declaration (413), before reading a byte of the body."""
    parts = urlsplit(desk)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(
            b"POST /wallet/response HTTP/1.1\r\nHost: desk\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nContent-Length: 10000000\r\n\r\n"
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    return int(status_line.split()[1])


def _error(response: httpx.Response) -> tuple[str | None, str | None]:
    """The wire error code and its description (a reason slug where the desk has one)."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    return body.get("error"), body.get("error_description")
