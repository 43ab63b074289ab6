"""Database round trips per request of the issuer, over real HTTP on loopback (DESIGN §2).

Each protocol step writes in at most one transaction, so a crash leaves it done or not done,
and a step costs a bounded number of statements: what the counts below allow is what each
step needs (``tests/runtime/round_trips.py`` says how they are counted).

| step | transactions | why |
|---|---|---|
| offer (back office) | API key read, 1 write | the key is checked before the body is read |
| token | 1 write | the code spent, the access token stored, the webhook queued |
| nonce | none | a c_nonce is stateless until spent (``issuer.nonces``) |
| credential (batch 10) | token read, 1 write | nonce spent, offer locked, indices, issuance |
| deferred (pending, then issued) | token read, 1 write each | |
| notification | token read, 1 write | |
| status list | 1 read | the list's version; a changed list also reads its entries |

The "token read" is the access token, checked before the body is parsed, so a request with a
bad token never waits for the write lock. With an authorization code grant the credential
step takes one transaction more: its claims come from the agency's register, asked between
two transactions, never inside one (``issuer.issuance.request_credentials``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from issuer.context import IssuerContext
from tests.issuer.conftest import INCOME_CLAIMS, issuer_settings, running_issuer
from tests.issuer.wallet import PRE_AUTHORIZED, holder_key, proof_jwt
from tests.runtime.round_trips import RoundTrips, Step, loopback_socket, serving, url_of
from tests.support import Clock

BATCH = 10


@dataclass
class Served:
    url: str
    client: httpx.AsyncClient
    context: IssuerContext
    clock: Clock
    api_key: str
    trips: RoundTrips

    def backoffice(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture
async def served(tmp_path: Path, database_url: str) -> AsyncIterator[Served]:
    with loopback_socket() as listener:
        settings = issuer_settings(
            tmp_path, database_url, public_url=url_of(listener), profile="development"
        )
        async with running_issuer(settings) as issuer, serving(issuer.app, listener) as url:
            trips = RoundTrips(issuer.context.engine)
            try:
                async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                    yield Served(url, client, issuer.context, issuer.clock, issuer.api_key, trips)
            finally:
                trips.close()


def assert_within(step: Step, *, transactions: int, statements: int) -> None:
    """At most one writing transaction, ``transactions`` in all, ``statements`` in all."""
    message = step.summary()
    assert step.write_transactions <= 1, message
    assert len(step.transactions) <= transactions, message
    assert step.statements <= statements, message
    assert step.outside == 0, message
    assert all(t.end in {"commit", "rollback"} for t in step.transactions), message


async def offer(served: Served, *, deferred: bool = False) -> dict[str, object]:
    body = {
        "configuration_id": "household_income",
        "claims": INCOME_CLAIMS,
        "batch_size": BATCH,
        "deferred": deferred,
    }
    response = await served.client.post(
        "/backoffice/offers", json=body, headers=served.backoffice()
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def token(served: Served, created: dict[str, object]) -> str:
    offer_body = created["credential_offer"]
    assert isinstance(offer_body, dict)
    code = offer_body["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code}
    form["tx_code"] = str(created["tx_code"])
    response = await served.client.post("/token", data=form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def proofs(served: Served) -> list[str]:
    response = await served.client.post("/nonce")
    assert response.status_code == 200, response.text
    nonce = response.json()["c_nonce"]
    return [
        proof_jwt(holder_key(), audience=served.url, nonce=nonce, iat=served.clock())
        for _ in range(BATCH)
    ]


async def test_each_issuer_step_writes_in_one_transaction(served: Served) -> None:
    trips = served.trips
    with trips.step("offer"):
        created = await offer(served)
    with trips.step("token"):
        access_token = await token(served, created)
    with trips.step("nonce"):
        batch = await proofs(served)
    headers = {"Authorization": f"Bearer {access_token}"}
    body = {"credential_configuration_id": "household_income", "proofs": {"jwt": batch}}
    with trips.step("credential"):
        issued = await served.client.post("/credential", json=body, headers=headers)
    assert issued.status_code == 200, issued.text
    assert len(issued.json()["credentials"]) == BATCH
    notice = {"notification_id": issued.json()["notification_id"], "event": "credential_accepted"}
    with trips.step("notification"):
        response = await served.client.post("/notification", json=notice, headers=headers)
    assert response.status_code == 204, response.text
    with trips.step("status list"):
        response = await served.client.get("/status/1")
    assert response.status_code == 200, response.text

    assert_within(trips.steps["offer"], transactions=2, statements=4)
    assert_within(trips.steps["token"], transactions=1, statements=5)
    assert trips.steps["nonce"].transactions == []
    assert_within(trips.steps["credential"], transactions=2, statements=14)
    assert_within(trips.steps["notification"], transactions=2, statements=7)
    assert_within(trips.steps["status list"], transactions=1, statements=2)
    for name in ("offer", "token", "credential", "notification"):
        assert trips.steps[name].write_transactions == 1, trips.steps[name].summary()


async def test_deferred_steps_write_in_one_transaction(served: Served) -> None:
    trips = served.trips
    created = await offer(served, deferred=True)
    access_token = await token(served, created)
    headers = {"Authorization": f"Bearer {access_token}"}
    body = {
        "credential_configuration_id": "household_income",
        "proofs": {"jwt": await proofs(served)},
    }
    with trips.step("credential (deferred)"):
        pending = await served.client.post("/credential", json=body, headers=headers)
    assert pending.status_code == 202, pending.text
    transaction = {"transaction_id": pending.json()["transaction_id"]}
    with trips.step("deferred (pending)"):
        waiting = await served.client.post(
            "/deferred_credential", json=transaction, headers=headers
        )
    assert waiting.status_code == 202, waiting.text
    approve = await served.client.post(
        f"/backoffice/offers/{created['offer_id']}/approve", json={}, headers=served.backoffice()
    )
    assert approve.status_code == 204, approve.text
    with trips.step("deferred (issued)"):
        issued = await served.client.post("/deferred_credential", json=transaction, headers=headers)
    assert issued.status_code == 200, issued.text
    assert len(issued.json()["credentials"]) == BATCH

    assert_within(trips.steps["credential (deferred)"], transactions=2, statements=6)
    assert_within(trips.steps["deferred (pending)"], transactions=2, statements=3)
    assert_within(trips.steps["deferred (issued)"], transactions=2, statements=14)
