"""The issuer scaled out: two processes of two workers on one PostgreSQL database.

Single-use things stay single use whichever process and worker a request lands on:
a pre-authorized code gives one access token (OID4VCI 1.0 §6.3: the rest ``invalid_grant``),
a c_nonce serves one credential request (§7.2, §8.3.1.2: the rest ``invalid_nonce``), a DPoP
proof is accepted once (RFC 9449 §11.1: the rest ``invalid_dpop_proof``), wrong tx_codes
lock the offer after exactly the allowed number of attempts, and a notification repeated at
once is recorded once (§11.1: idempotent). After each race the database is read: one row
where there must be one, nothing half written. And a flow whose steps land on different
processes completes.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from issuer.codes import digest
from issuer.tables import (
    access_tokens,
    dpop_proofs,
    issuances,
    nonces,
    offers,
    status_entries,
    webhook_outbox,
)
from specs.dpop import build_dpop_proof, new_jti
from specs.jose import generate_private_key
from specs.status_list import StatusType
from tests.issuer.conftest import INCOME_CLAIMS
from tests.issuer.wallet import PRE_AUTHORIZED, Wallet, holder_key, proof_jwt
from tests.scaleout.conftest import Issuers
from tests.scaleout.races import CONTENDERS, ROUNDS, contenders, outcomes, race, winners
from tests.threats.service_process import harness_engine

CONFIGURATION = "household_income"


@pytest.fixture
async def database(issuers: Issuers) -> AsyncIterator[AsyncEngine]:
    engine = harness_engine(issuers.deployment.database_url)
    yield engine
    await engine.dispose()


def _now() -> int:
    return int(time.time())


async def _offer(issuers: Issuers, **body: Any) -> dict[str, Any]:
    async with issuers.deployment.via(0) as client:
        response = await client.post(
            f"{issuers.url}/backoffice/offers",
            json={"configuration_id": CONFIGURATION, "claims": INCOME_CLAIMS, **body},
            headers=issuers.headers(),
        )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _token_form(created: dict[str, Any], tx_code: str | None = None) -> dict[str, str]:
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    return {
        "grant_type": PRE_AUTHORIZED,
        "pre-authorized_code": code,
        "tx_code": created["tx_code"] if tx_code is None else tx_code,
    }


async def _access_token(issuers: Issuers, created: dict[str, Any], process: int = 0) -> str:
    async with issuers.deployment.via(process) as client:
        response = await client.post(f"{issuers.url}/token", data=_token_form(created))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _nonce(client: httpx.AsyncClient, issuers: Issuers) -> str:
    response = await client.post(f"{issuers.url}/nonce")
    assert response.status_code == 200, response.text
    return str(response.json()["c_nonce"])


def _credential_body(issuers: Issuers, nonce: str, count: int = 1) -> dict[str, Any]:
    """Proofs for fresh holder keys, addressed to the public URL (Appendix F.1 ``aud``)."""
    proofs = [
        proof_jwt(holder_key(), audience=issuers.url, nonce=nonce, iat=_now()) for _ in range(count)
    ]
    return {"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": proofs}}


async def _rows(connection: AsyncConnection, table: Any, *where: Any) -> int:
    counted = await connection.scalar(select(func.count()).select_from(table).where(*where))
    return int(counted or 0)


def _no_unplanned_errors(issuers: Issuers) -> None:
    assert issuers.deployment.unhandled() == []


async def test_a_pre_authorized_code_redeemed_at_once_gives_one_access_token(
    issuers: Issuers, database: AsyncEngine
) -> None:
    for _ in range(ROUNDS):
        created = await _offer(issuers)
        form = _token_form(created)
        async with contenders(issuers.deployment, CONTENDERS) as clients:
            answers = await race(
                [partial(c.post, f"{issuers.url}/token", data=form) for c in clients]
            )
        assert outcomes(answers) == {(200, None): 1, (400, "invalid_grant"): CONTENDERS - 1}
        async with database.connect() as connection:
            offer = (
                await connection.execute(select(offers).where(offers.c.id == created["offer_id"]))
            ).one()
            assert offer.state == "redeemed"
            assert offer.sealed_offer is None
            assert offer.sealed_claims is not None  # kept for the credential request
            tokens = await _rows(connection, access_tokens, access_tokens.c.offer_id == offer.id)
            assert tokens == 1
    _no_unplanned_errors(issuers)


async def test_wrong_tx_codes_from_every_process_lock_the_offer_after_exactly_the_limit(
    issuers: Issuers, database: AsyncEngine
) -> None:
    """Five attempts are allowed (``tx_code_max_attempts``); eight wrong ones arrive at
    once. Counting in a locked row: exactly five count, the offer locks, the rest are
    refused as a locked code, and the right tx_code afterwards is refused too."""
    for _ in range(ROUNDS):
        created = await _offer(issuers)
        wrong = str((int(created["tx_code"]) + 1) % 10 ** len(created["tx_code"])).zfill(
            len(created["tx_code"])
        )
        form = _token_form(created, tx_code=wrong)
        async with contenders(issuers.deployment, CONTENDERS) as clients:
            answers = await race(
                [partial(c.post, f"{issuers.url}/token", data=form) for c in clients]
            )
        assert outcomes(answers) == {(400, "invalid_grant"): CONTENDERS}
        async with database.connect() as connection:
            offer = (
                await connection.execute(select(offers).where(offers.c.id == created["offer_id"]))
            ).one()
        assert (offer.state, offer.tx_attempts) == ("locked", 5)
        assert offer.sealed_claims is None  # a locked offer keeps no claims
        async with issuers.deployment.via(1) as client:
            late = await client.post(f"{issuers.url}/token", data=_token_form(created))
        assert (late.status_code, late.json()["error"]) == (400, "invalid_grant")
    _no_unplanned_errors(issuers)


async def test_one_c_nonce_serves_one_credential_request_across_processes(
    issuers: Issuers, database: AsyncEngine
) -> None:
    """Each contender holds an access token of its own offer and proves with the same
    c_nonce: one batch is issued, the rest are ``invalid_nonce`` and their offers are
    untouched (a fresh nonce then issues them)."""
    for _ in range(ROUNDS):
        created = [await _offer(issuers) for _ in range(CONTENDERS)]
        tokens = [await _access_token(issuers, c, i % 2) for i, c in enumerate(created)]
        async with issuers.deployment.via(1) as client:
            nonce = await _nonce(client, issuers)
        bodies = [_credential_body(issuers, nonce) for _ in tokens]
        async with contenders(issuers.deployment, CONTENDERS) as clients:
            answers = await race(
                [
                    partial(
                        client.post,
                        f"{issuers.url}/credential",
                        json=body,
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for client, body, token in zip(clients, bodies, tokens, strict=True)
                ]
            )
        assert outcomes(answers) == {(200, None): 1, (400, "invalid_nonce"): CONTENDERS - 1}
        offer_ids = [c["offer_id"] for c in created]
        async with database.connect() as connection:
            assert await _rows(connection, nonces, nonces.c.digest == digest(nonce)) == 1
            issued = await _rows(connection, issuances, issuances.c.offer_id.in_(offer_ids))
            assert issued == 1
            states = (
                await connection.execute(select(offers.c.state).where(offers.c.id.in_(offer_ids)))
            ).scalars()
            assert sorted(states) == ["issued"] + ["redeemed"] * (CONTENDERS - 1)
        losers = [t for t, a in zip(tokens, answers, strict=True) if a.status_code != 200]
        async with issuers.deployment.via(0) as client:
            for token in losers:
                retried = await client.post(
                    f"{issuers.url}/credential",
                    json=_credential_body(issuers, await _nonce(client, issuers)),
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert retried.status_code == 200, retried.text
    _no_unplanned_errors(issuers)


async def test_repeats_on_one_access_token_at_once_leave_one_live_batch(
    issuers: Issuers, database: AsyncEngine
) -> None:
    """A wallet that lost its answer may repeat the request (fresh proofs) in the redelivery
    window; repeats arriving together are served one after the other on the locked offer,
    so exactly one batch stays live and every superseded one is revoked: no offer yields
    two usable batches, no status index belongs to two credentials."""
    for _ in range(ROUNDS):
        created = await _offer(issuers, batch_size=2)
        token = await _access_token(issuers, created)
        async with contenders(issuers.deployment, CONTENDERS) as clients:
            fresh = [await _nonce(c, issuers) for c in clients]
            answers = await race(
                [
                    partial(
                        client.post,
                        f"{issuers.url}/credential",
                        json=_credential_body(issuers, nonce, 2),
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for client, nonce in zip(clients, fresh, strict=True)
                ]
            )
        assert outcomes(answers) == {(200, None): CONTENDERS}
        async with database.connect() as connection:
            rows = (
                await connection.execute(
                    select(issuances).where(issuances.c.offer_id == created["offer_id"])
                )
            ).all()
            entries = (
                await connection.execute(
                    select(status_entries).where(status_entries.c.offer_id == created["offer_id"])
                )
            ).all()
        assert len(rows) == CONTENDERS
        live = [row.id for row in rows if not row.superseded]
        assert len(live) == 1
        assert len(entries) == 2 * CONTENDERS  # every batch its own indices
        for entry in entries:
            expected = StatusType.VALID if entry.issuance_id in live else StatusType.INVALID
            assert entry.status == int(expected)
    _no_unplanned_errors(issuers)


async def _dpop_nonce(client: httpx.AsyncClient, issuers: Issuers, form: dict[str, str]) -> str:
    """The issuer's DPoP-Nonce, from the ``use_dpop_nonce`` answer to a proof without one."""
    key = generate_private_key()
    proof = build_dpop_proof(
        key=key, method="POST", url=f"{issuers.url}/token", now=_now(), jti=new_jti(os.urandom)
    )
    response = await client.post(f"{issuers.url}/token", data=form, headers={"DPoP": proof})
    assert (response.status_code, response.json()["error"]) == (400, "use_dpop_nonce")
    return response.headers["DPoP-Nonce"]


async def test_a_dpop_proof_is_accepted_once_whichever_process_sees_it(
    issuers: Issuers, database: AsyncEngine
) -> None:
    """One proof (one ``jti``) sent with the token requests of different offers: the first
    to be recorded binds its token, the others are replays (``invalid_dpop_proof``) and
    their codes stay unredeemed."""
    for _ in range(ROUNDS):
        created = [await _offer(issuers) for _ in range(CONTENDERS)]
        forms = [_token_form(c) for c in created]
        key = generate_private_key()
        async with contenders(issuers.deployment, CONTENDERS) as clients:
            nonce = await _dpop_nonce(clients[1], issuers, forms[0])
            proof = build_dpop_proof(
                key=key,
                method="POST",
                url=f"{issuers.url}/token",
                now=_now(),
                jti=new_jti(os.urandom),
                nonce=nonce,
            )
            answers = await race(
                [
                    partial(client.post, f"{issuers.url}/token", data=form, headers={"DPoP": proof})
                    for client, form in zip(clients, forms, strict=True)
                ]
            )
        assert outcomes(answers) == {(200, None): 1, (400, "invalid_dpop_proof"): CONTENDERS - 1}
        assert winners(answers)[0].json()["token_type"] == "DPoP"
        offer_ids = [c["offer_id"] for c in created]
        async with database.connect() as connection:
            states = (
                await connection.execute(select(offers.c.state).where(offers.c.id.in_(offer_ids)))
            ).scalars()
            assert sorted(states) == ["offered"] * (CONTENDERS - 1) + ["redeemed"]
            bound = await _rows(connection, access_tokens, access_tokens.c.offer_id.in_(offer_ids))
            assert bound == 1
            assert await _rows(connection, dpop_proofs) >= 1
    _no_unplanned_errors(issuers)


async def test_a_notification_repeated_at_once_is_recorded_once(
    issuers: Issuers, database: AsyncEngine
) -> None:
    """§11.1: the wallet may repeat a notification; repeats arriving together change the
    issuance once and tell the agency's system once (one webhook event)."""
    for _ in range(ROUNDS):
        created = await _offer(issuers)
        token = await _access_token(issuers, created)
        async with issuers.deployment.via(1) as client:
            issued = await client.post(
                f"{issuers.url}/credential",
                json=_credential_body(issuers, await _nonce(client, issuers)),
                headers={"Authorization": f"Bearer {token}"},
            )
        assert issued.status_code == 200, issued.text
        body = {"notification_id": issued.json()["notification_id"], "event": "credential_accepted"}
        async with contenders(issuers.deployment, CONTENDERS) as clients:
            answers = await race(
                [
                    partial(
                        client.post,
                        f"{issuers.url}/notification",
                        json=body,
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for client in clients
                ]
            )
        assert outcomes(answers) == {(204, None): CONTENDERS}
        async with database.connect() as connection:
            row = (
                await connection.execute(
                    select(issuances).where(issuances.c.offer_id == created["offer_id"])
                )
            ).one()
            events = (
                await connection.execute(
                    select(webhook_outbox.c.payload).where(
                        webhook_outbox.c.event == "notification.received"
                    )
                )
            ).scalars()
        assert row.event == "credential_accepted"
        told = [p for p in events if created["offer_id"] in p]
        assert len(told) == 1, told
    _no_unplanned_errors(issuers)


async def test_a_flow_whose_steps_land_on_different_processes_completes(
    issuers: Issuers,
) -> None:
    """Token from one process, nonce and credential from the other, the issuer's keys and
    status list from either: the shared database and keys make them one issuer."""
    created = await _offer(issuers, batch_size=3)
    token = await _access_token(issuers, created, process=0)
    async with issuers.deployment.via(1) as other:
        nonce = await _nonce(other, issuers)
        issued = await other.post(
            f"{issuers.url}/credential",
            json=_credential_body(issuers, nonce, 3),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert issued.status_code == 200, issued.text
    credentials = [item["credential"] for item in issued.json()["credentials"]]
    assert len(credentials) == 3
    async with issuers.deployment.via(0) as first, issuers.deployment.via(1) as second:
        for client in (first, second):
            verified = await Wallet(client, _now, allow_http=True).verify(issuers.url, credentials)
            income = INCOME_CLAIMS["joint_assessed_income_cents"]
            assert [c.claims["joint_assessed_income_cents"] for c in verified] == [income] * 3
        accepted = await first.post(
            f"{issuers.url}/notification",
            json={
                "notification_id": issued.json()["notification_id"],
                "event": "credential_accepted",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert accepted.status_code == 204, accepted.text
    _no_unplanned_errors(issuers)
