"""The desk's verifier scaled out: two processes of two workers on one PostgreSQL database.

A transaction is answered once, whichever process and worker the wallet's posts reach
(OpenID4VP 1.0 §8.2, §8.3; THREATS D-04): the first post to consume the request stores the
one decision, every other one is refused with ``invalid_request`` and the slug
``transaction-already-answered``, whether it repeats the same body or carries another valid
presentation. The request object (not single use: a wallet may fetch it again) reads the
same from every process, since both derive the nonce and state from the shared keys. After
each race the database is read: one decision, the answered transaction's secrets gone.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from scripts.desk_crash_invariants import ALREADY_ANSWERED
from tests.scaleout.conftest import Desks
from tests.scaleout.races import CONTENDERS, ROUNDS, contenders, outcomes, race
from tests.threats.service_process import harness_engine
from tests.verifier.desk_process import DESK_FACTS, INCOME_VCT, REGULATION
from tests.verifier.wallet import Tamper, TestWallet, new_holder_key
from verifier.tables import decisions, transactions

INCOME = {"year": 2026, "joint_assessed_income_cents": 2_400_000, "has_allowance_partner": False}


@pytest.fixture
async def database(desks: Desks) -> AsyncIterator[AsyncEngine]:
    engine = harness_engine(desks.deployment.database_url)
    yield engine
    await engine.dispose()


def _now() -> int:
    return int(time.time())


async def _start(desks: Desks, process: int = 0) -> tuple[str, str]:
    """The desk starts a zorgtoeslag transaction: its link and id."""
    async with desks.deployment.via(process) as client:
        started = await client.post(
            f"{desks.url}/desk/transactions",
            json={"regulation": REGULATION, "facts": DESK_FACTS},
            headers=desks.headers(),
        )
    assert started.status_code == 201, started.text
    body = started.json()
    return str(body["link"]), str(body["transaction_id"])


def _wallet(desks: Desks, client: httpx.AsyncClient) -> TestWallet:
    """A wallet holding its own income statement, bound to its own key."""
    wallet = TestWallet(client, _now)
    holder = new_holder_key()
    token, _ = desks.agencies.issue(
        desks.agency, INCOME_VCT, INCOME, holder=holder.public, with_status=False
    )
    wallet.hold(token, holder, INCOME_VCT)
    return wallet


async def _result(desks: Desks, transaction_id: str, process: int) -> dict[str, Any]:
    async with desks.deployment.via(process) as client:
        read = await client.get(
            f"{desks.url}/desk/transactions/{transaction_id}", headers=desks.headers()
        )
    assert read.status_code == 200, read.text
    result: dict[str, Any] = read.json()
    return result


async def _assert_decided_once(database: AsyncEngine, transaction_id: str) -> None:
    async with database.connect() as connection:
        row = (
            await connection.execute(
                select(transactions).where(transactions.c.id == transaction_id)
            )
        ).one()
        count = await connection.scalar(
            select(func.count())
            .select_from(decisions)
            .where(decisions.c.transaction_id == transaction_id)
        )
    assert row.status == "decided"
    assert row.decision_id is not None
    assert row.answered_at is not None
    assert (row.response_key_sealed, row.desk_facts_sealed) == (None, None)
    assert count == 1


def _assert_one_winner(answers: list[httpx.Response]) -> None:
    assert outcomes(answers) == {(200, None): 1, (400, "invalid_request"): CONTENDERS - 1}
    refused = {a.json()["error_description"] for a in answers if a.status_code == 400}
    assert refused == {ALREADY_ANSWERED}


def _no_unplanned_errors(desks: Desks) -> None:
    assert desks.deployment.unhandled() == []


async def test_one_answer_posted_at_once_to_every_process_is_decided_once(
    desks: Desks, database: AsyncEngine
) -> None:
    """A wallet whose connection seemed to break posts the same response again and again,
    to whichever process the balancer picks."""
    for _ in range(ROUNDS):
        link, transaction_id = await _start(desks)
        async with contenders(desks.deployment, CONTENDERS) as clients:
            wallet = _wallet(desks, clients[0])
            request = await wallet.fetch_request(link)
            form = wallet.response_form(request, Tamper())
            answers = await race(
                [partial(c.post, request.response_uri, data=form) for c in clients]
            )
        _assert_one_winner(answers)
        await _assert_decided_once(database, transaction_id)
    _no_unplanned_errors(desks)


async def test_different_valid_answers_at_once_leave_one_decision(
    desks: Desks, database: AsyncEngine
) -> None:
    """Several wallets that all saw the link answer with presentations of their own: the
    first to consume the request is decided, the others are too late."""
    for _ in range(ROUNDS):
        link, transaction_id = await _start(desks, process=1)
        async with contenders(desks.deployment, CONTENDERS) as clients:
            forms = []
            for client in clients:
                wallet = _wallet(desks, client)
                request = await wallet.fetch_request(link)
                forms.append(wallet.response_form(request, Tamper()))
            answers = await race(
                [
                    partial(client.post, request.response_uri, data=form)
                    for client, form in zip(clients, forms, strict=True)
                ]
            )
        _assert_one_winner(answers)
        await _assert_decided_once(database, transaction_id)
        results = [await _result(desks, transaction_id, process) for process in (0, 1)]
        assert results[0] == results[1]
        assert results[0]["status"] == "eligible"
    _no_unplanned_errors(desks)


async def test_the_request_object_fetched_at_once_reads_the_same_from_every_process(
    desks: Desks,
) -> None:
    link, _ = await _start(desks)
    async with contenders(desks.deployment, CONTENDERS) as clients:
        requests = await race([partial(TestWallet(c, _now).fetch_request, link) for c in clients])
    assert len({(r.client_id, r.nonce, r.state, r.response_uri) for r in requests}) == 1
    _no_unplanned_errors(desks)
