"""The issuer as an operator runs it: a uvicorn process, real sockets on 127.0.0.1.

``python -m uvicorn --factory issuer.serve:app_from_environment`` with its configuration in
``AANSPRAAK_ISSUER_*`` variables (tests/issuer/server.py), in the development profile on
``http://127.0.0.1:PORT``, on SQLite and, where ``TEST_DATABASE_URL`` names a server, on
PostgreSQL; and once behind TLS, where the wallet accepts nothing but https.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from specs.jose import JwsAlg
from specs.status_list import StatusReference, StatusType, verify_status_list_token
from tests.issuer.conftest import INCOME_CLAIMS
from tests.issuer.server import IssuerServer, issuer_keys, running_issuer
from tests.issuer.wallet import Wallet, offer_from_link

GUARD_SECONDS = 120  # a hung process fails the test instead of the run; nothing is timed


def _now() -> int:
    return int(time.time())


async def _create_offer(
    client: httpx.AsyncClient, server: IssuerServer, key: str, **body: Any
) -> dict[str, Any]:
    created = await server.create_offer(client, key, **body)
    assert created["credential_offer"]["credential_issuer"] == server.url
    assert offer_from_link(created["link"]) == created["credential_offer"]
    assert created["qr"]["png_base64"]
    return created


async def _statuses(
    client: httpx.AsyncClient, issuer: str, references: list[StatusReference]
) -> list[int]:
    """Each credential's status as a verifier reads it from the published, signed list."""
    keys = await issuer_keys(client, issuer)
    found = []
    for reference in references:
        response = await client.get(reference.uri)
        assert response.headers["content-type"] == "application/statuslist+jwt"
        published = verify_status_list_token(
            response.text,
            key=keys,
            expected_uri=reference.uri,
            now=_now(),
            leeway=60,
            algorithms={JwsAlg.ES256},
            max_age=3_600,
        )
        found.append(published.status_of(reference))
    return found


async def _health(client: httpx.AsyncClient, server: IssuerServer) -> str:
    """``/livez`` and ``/readyz`` answer 200; returns the ``/metrics`` text."""
    assert (await client.get(f"{server.url}/livez")).status_code == 200
    ready = await client.get(f"{server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}
    metrics = await client.get(f"{server.url}/metrics")
    assert metrics.status_code == 200
    return metrics.text


async def test_a_wallet_receives_a_batch_from_a_uvicorn_process(
    tmp_path: Path, database_url: str
) -> None:
    async with (
        asyncio.timeout(GUARD_SECONDS),
        running_issuer(tmp_path / "issuer", database_url) as (server, key),
        httpx.AsyncClient(timeout=30) as client,
    ):
        created = await _create_offer(client, server, key, batch_size=3)
        assert created["credential_offer"]["credential_issuer"].startswith("http://127.0.0.1:")
        wallet = Wallet(client, _now, allow_http=True)
        received = await wallet.receive(created["credential_offer"], created["tx_code"], batch=3)
        notification = await client.post(
            received.metadata["notification_endpoint"],
            json={"notification_id": received.notification_id, "event": "credential_accepted"},
            headers={"Authorization": f"Bearer {received.access_token}"},
        )
        assert notification.status_code == 204
        assert {c.issuer for c in received.credentials} == {server.url}
        assert {c.claims["joint_assessed_income_cents"] for c in received.credentials} == {
            INCOME_CLAIMS["joint_assessed_income_cents"]
        }
        references = [c.status for c in received.credentials if c.status is not None]
        assert len({(r.uri, r.idx) for r in references}) == 3
        assert await _statuses(client, server.url, references) == [StatusType.VALID] * 3
        state = await client.get(
            f"{server.url}/backoffice/offers/{created['offer_id']}",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert state.json()["state"] == "delivered"
        assert state.json()["claims_held"] is False
        metrics = await _health(client, server)
    assert 'method="POST",route="/credential",status="200"} 1.0' in metrics
    assert 'method="POST",route="/token",status="200"} 1.0' in metrics
    assert server.log_tail().count("Finished server process") == 1  # a clean stop


async def test_the_issuer_serves_a_strict_wallet_over_tls(tmp_path: Path) -> None:
    """``https://127.0.0.1:PORT`` as public URL: a wallet that refuses http gets its batch."""
    database_url = f"sqlite+aiosqlite:///{tmp_path}/issuer.db"
    async with (
        asyncio.timeout(GUARD_SECONDS),
        running_issuer(tmp_path / "issuer", database_url, tls=True) as (server, key),
        httpx.AsyncClient(verify=server.client_tls(), timeout=30) as client,
    ):
        created = await _create_offer(client, server, key, batch_size=2)
        assert server.url.startswith("https://127.0.0.1:")
        received = await Wallet(client, _now).receive(
            created["credential_offer"], created["tx_code"], batch=2
        )
        assert {c.issuer for c in received.credentials} == {server.url}
        references = [c.status for c in received.credentials if c.status is not None]
        assert await _statuses(client, server.url, references) == [StatusType.VALID] * 2
        await _health(client, server)
