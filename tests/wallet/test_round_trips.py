"""Database round trips per request of the wallet service, over real HTTP on loopback: the
phone talks to the wallet service, which talks to a running issuer and desk
(``aanspraak.town``). ``tests/runtime/round_trips.py`` says how the work is counted.

Every request proves the device with a DPoP proof whose ``jti`` is spent in a transaction of
its own before the step runs (``wallet.device_auth``; the session's account is read in the
same one): a replayed proof stays refused even when the step then fails, and no step calls
the issuer or the desk on a replayed proof. So each step writes in one transaction more than
its own work needs. A step's own work writes once, except where it commits on purpose
before it goes on (own writes):

* register: 1, the account;
* unlock: 2, the attempt is claimed (backoff) before the PIN is derived, the result recorded
  after (``wallet.accounts``);
* issuance start: 1, the pending step, after the issuer's token endpoint;
* issuance signatures: 1, the batch, the notices and the end of the step together
  (``wallet.receiving``);
* list: 0;
* presentation open: 1, the pending answer, after the request object is fetched;
* approve: 1, the slot reserved and the pending answer together (``wallet.answering``);
* send: 2, "signed" is committed before the vp_token leaves for the desk (from then on the
  instances are never released), the history entry after the desk's answer.

No transaction is ever held open across a call to another service.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aanspraak.town import Town
from tests.runtime.round_trips import RoundTrips, Step
from tests.wallet.town_fixtures import (
    PIN,
    desk_link,
    desk_result,
    issuable,
    receive,
    zorgtoeslag,
)
from wallet.device_client import SimulatedDevice, WalletServiceClient

INCOME = "urn:nl:belastingdienst:household-income:1"
BATCH = 10


@pytest.fixture
def trips(town: Town) -> Iterator[RoundTrips]:
    counting = RoundTrips(town.wallet.database.engine)
    try:
        yield counting
    finally:
        counting.close()


def assert_within(step: Step, *, own_writes: int, transactions: int, statements: int) -> None:
    """The proof's write and ``own_writes`` more, ``transactions`` and ``statements`` in all."""
    message = step.summary()
    assert step.write_transactions <= 1 + own_writes, message
    assert step.transactions[0].writes, message  # the proof's jti, first
    assert len(step.transactions) <= transactions, message
    assert step.statements <= statements, message
    assert step.outside == 0, message
    assert all(t.end in {"commit", "rollback"} for t in step.transactions), message


async def test_each_wallet_service_step_has_a_bounded_number_of_transactions(
    town: Town, trips: RoundTrips
) -> None:
    case = zorgtoeslag("single_income_35000")
    async with WalletServiceClient(town.wallet_url, SimulatedDevice()) as phone:
        with trips.step("register"):
            await phone.register(PIN)
        with trips.step("unlock"):
            await phone.unlock(PIN)
        income = next(c for c in case.credentials if c.vct == INCOME)
        offer = await town.offer(
            "household_income", issuable(dict(income.claims)), batch_size=BATCH
        )
        keys = phone.device.new_holder_keys(BATCH)
        body = {"offer": offer.link_by_reference, "tx_code": offer.tx_code, "keys": keys}
        with trips.step("issuance start"):
            started = await phone._json("POST", "/v1/issuances", json=body)
        assert started["status"] == "signatures_needed", started
        signatures = phone.device.sign(started["signing_requests"])
        with trips.step("issuance signatures"):
            stored = await phone._json(
                "POST",
                f"/v1/issuances/{started['id']}/signatures",
                json={"signatures": signatures},
            )
        assert stored["status"] != "signatures_needed", stored
        for credential in case.credentials:
            if credential.vct != INCOME:
                await receive(town, phone, credential.vct, issuable(dict(credential.claims)))
        with trips.step("list"):
            held = await phone.credentials()
        assert len(held) == len(case.credentials)

        link, transaction_id, key = await desk_link(town)
        with trips.step("presentation open"):
            opened = await phone.open_request(link)
        with trips.step("approve"):
            approved = await phone._json("POST", f"/v1/presentations/{opened['id']}/approve")
        signatures = phone.device.sign(approved["signing_requests"])
        with trips.step("send"):
            sent = await phone._json(
                "POST",
                f"/v1/presentations/{opened['id']}/signatures",
                json={"signatures": signatures},
            )
        assert sent["status"] == "sent", sent
        assert (await desk_result(town, transaction_id, key))["status"] == "eligible"

    steps = trips.steps
    assert_within(steps["register"], own_writes=1, transactions=2, statements=3)
    assert_within(steps["unlock"], own_writes=2, transactions=3, statements=4)
    assert_within(steps["issuance start"], own_writes=1, transactions=3, statements=4)
    assert_within(steps["issuance signatures"], own_writes=1, transactions=3, statements=16)
    assert_within(steps["list"], own_writes=0, transactions=2, statements=4)
    assert_within(steps["presentation open"], own_writes=1, transactions=3, statements=4)
    assert_within(steps["approve"], own_writes=1, transactions=3, statements=6)
    assert_within(steps["send"], own_writes=2, transactions=4, statements=7)
