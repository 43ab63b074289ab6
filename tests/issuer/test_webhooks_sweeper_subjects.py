"""Webhooks (outbox, signed, retried), the expiry sweep, and the file subject source."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from issuer.context import build_context
from issuer.sweeper import sweep
from issuer.tables import offers, webhook_outbox
from issuer.webhooks import SIGNATURE_HEADER, deliver_due
from tests.issuer.conftest import INCOME_CLAIMS, Issuer, issuer_settings
from tests.quiet_http_server import QuietHTTPServer
from tests.support import Clock

SECRET = "webhook-secret-for-tests"


class _Receiver(BaseHTTPRequestHandler):
    calls: list[tuple[dict[str, str], bytes]]
    fail_first: list[bool]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.fail_first and self.fail_first.pop():
            self.send_response(503)
        else:
            type(self).calls.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"calls": [], "fail_first": [True]})
    server = QuietHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


async def test_redeemed_offers_and_notifications_reach_the_webhook_signed(
    tmp_path: Path, database_url: str, receiver: tuple[str, type[_Receiver]]
) -> None:
    url, handler = receiver
    settings = issuer_settings(tmp_path, database_url, webhook_url=url, webhook_secret=SECRET)
    from issuer.api_keys import create_api_key
    from issuer.app import build_app
    from tests.issuer.wallet import Wallet

    clock = Clock()
    context = build_context(settings, clock=clock)
    app = build_app(settings, context=context)
    async with app.router.lifespan_context(app):
        key = await create_api_key(context, name="bo", configurations=["household_income"])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
            issuer = Issuer(app, context, client, clock, key.secret, Wallet(client, clock))
            created = await issuer.offer()
            received = await issuer.wallet.receive(created["credential_offer"], created["tx_code"])
            await client.post(
                "/notification",
                json={"notification_id": received.notification_id, "event": "credential_deleted"},
                headers={"Authorization": f"Bearer {received.access_token}"},
            )
        async with httpx.AsyncClient(timeout=5) as http:
            assert await deliver_due(context, http) == 2  # first call answered 503
            clock.advance(2)
            assert await deliver_due(context, http) == 1
            assert await deliver_due(context, http) == 0
    events = []
    for headers, body in handler.calls:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers[SIGNATURE_HEADER] == expected
        document = json.loads(body)
        assert document["offer_id"] == created["offer_id"]
        assert "2850000" not in body.decode()
        assert created["tx_code"] not in body.decode()
        events.append(document["event"])
    assert sorted(events) == ["notification.received", "offer.delivered", "offer.redeemed"]


def test_a_webhook_without_a_secret_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="webhook_secret"):
        issuer_settings(tmp_path, "sqlite+aiosqlite:///x.db", webhook_url="https://hook.example")


async def test_expired_offers_lose_their_claims(issuer: Issuer) -> None:
    created = await issuer.offer()
    issuer.clock.advance(issuer.context.settings.offer_ttl_seconds)
    assert await sweep(issuer.context) == 1
    async with issuer.context.read() as connection:
        row = (
            await connection.execute(select(offers).where(offers.c.id == created["offer_id"]))
        ).one()
    assert row.state == "expired"
    assert row.sealed_claims is None
    assert row.sealed_offer is None
    assert await sweep(issuer.context) == 0


async def test_no_outbox_rows_without_a_webhook(issuer: Issuer) -> None:
    created = await issuer.offer()
    await issuer.wallet.receive(created["credential_offer"], created["tx_code"])
    async with issuer.context.read() as connection:
        assert (await connection.execute(select(webhook_outbox))).all() == []


async def test_offers_by_subject_come_from_the_source(tmp_path: Path, database_url: str) -> None:
    source = tmp_path / "subjects" / "household_income"
    source.mkdir(parents=True)
    (source / "citizen-7.json").write_text(json.dumps(INCOME_CLAIMS))
    settings = issuer_settings(tmp_path, database_url, subject_source_dir=tmp_path / "subjects")
    from issuer.app import prepare
    from issuer.offers import OfferRequest, create_offer
    from runtime.wire import InvalidRequest

    context = build_context(settings, clock=Clock())
    await prepare(context)
    request = OfferRequest("household_income", None, "citizen-7", 1, False, True, None)
    everything = frozenset(context.configurations.by_id)
    created = await create_offer(context, request, api_key_id=None, allowed=everything)
    assert created.tx_code is not None
    for subject in ("citizen-8", "../../etc/passwd"):
        missing = OfferRequest("household_income", None, subject, 1, False, True, None)
        with pytest.raises(InvalidRequest):
            await create_offer(context, missing, api_key_id=None, allowed=everything)
    await context.engine.dispose()
