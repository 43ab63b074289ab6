"""Database round trips per request of the verifier, over real HTTP on loopback (DESIGN §2).

Each step writes in at most one transaction; ``tests/runtime/round_trips.py`` says how the
work is counted. What each step may use:

* start (desk API): the API key read, then one write (the key is checked before the body);
* request object: one read, the transaction's row (the JAR is signed from it);
* response (direct_post and direct_post.jwt): one read, then one write. The envelope is
  opened (decrypted, ``state`` checked) without consuming anything, the presentation is
  verified with no transaction open (it may fetch issuer metadata and status lists), then
  the request is consumed and the decision stored in one write (``verifier.responses``);
* decision: the API key read, then one read of the transaction and its decision.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.runtime.round_trips import RoundTrips, Step, loopback_socket, serving, url_of
from tests.verifier.conftest import Desk, make_desk, scenario
from tests.verifier.wallet import Tamper, TestWallet


@dataclass
class Served:
    desk: Desk
    client: httpx.AsyncClient
    wallet: TestWallet
    trips: RoundTrips


@pytest.fixture(params=["direct_post", "direct_post.jwt"])
async def served(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> AsyncIterator[Served]:
    with loopback_socket() as listener:
        desks = make_desk(
            tmp_path, database_url, public_url=url_of(listener), response_mode=request.param
        )
        desk = await anext(desks)
        try:
            async with (
                serving(desk.app, listener) as url,
                httpx.AsyncClient(base_url=url, timeout=30) as client,
            ):
                trips = RoundTrips(desk.context.database.engine)
                try:
                    yield Served(desk, client, TestWallet(client, desk.clock), trips)
                finally:
                    trips.close()
        finally:
            async for _ in desks:
                pass


def assert_within(step: Step, *, transactions: int, statements: int) -> None:
    """At most one writing transaction, ``transactions`` in all, ``statements`` in all."""
    message = step.summary()
    assert step.write_transactions <= 1, message
    assert len(step.transactions) <= transactions, message
    assert step.statements <= statements, message
    assert step.outside == 0, message
    assert all(t.end in {"commit", "rollback"} for t in step.transactions), message


async def test_each_verifier_step_writes_in_one_transaction(served: Served) -> None:
    desk, trips = served.desk, served.trips
    case = scenario("zorgtoeslag", "single_income_35000")
    desk.give(case, served.wallet)
    with trips.step("start"):
        started = await served.client.post(
            "/desk/transactions", json={"regulation": "zorgtoeslag"}, headers=desk.headers()
        )
    assert started.status_code == 201, started.text
    link, transaction_id = started.json()["link"], started.json()["transaction_id"]
    with trips.step("request object"):
        request = await served.wallet.fetch_request(link)
    form = served.wallet.response_form(request, Tamper())
    with trips.step("response"):
        answered = await served.wallet.post(request, form)
    assert answered.status_code == 200, answered.text
    with trips.step("decision"):
        result = await served.client.get(
            f"/desk/transactions/{transaction_id}", headers=desk.headers()
        )
    assert result.status_code == 200, result.text
    assert result.json()["status"] == case.expect["status"]

    assert_within(trips.steps["start"], transactions=2, statements=2)
    assert_within(trips.steps["request object"], transactions=1, statements=1)
    assert_within(trips.steps["response"], transactions=2, statements=3)
    assert_within(trips.steps["decision"], transactions=2, statements=4)
    for name in ("start", "response"):
        assert trips.steps[name].write_transactions == 1, trips.steps[name].summary()
    for name in ("request object", "decision"):
        assert trips.steps[name].write_transactions == 0, trips.steps[name].summary()
