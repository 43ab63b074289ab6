"""One desk's decisions are not another desk's: not readable, not amendable.

Keys are scoped by regulation *and* by desk (the key's name, which a rotation keeps): a
second desk deciding the same regulation sees another desk's transactions and decisions as
absent, even with the decision id from the citizen's receipt in hand.
"""

from __future__ import annotations

from tests.verifier.conftest import Desk, scenario

REFERRED = ("zorgtoeslag", "single_one_euro_over_income_limit_rounds_to_23_euro_and_is_referred")


async def _referral(desk: Desk) -> tuple[str, str]:
    desk.give(scenario(*REFERRED))
    started = await desk.start("zorgtoeslag")
    assert (await desk.wallet.answer(started["link"])).status_code == 200
    result = (await desk.result(started["transaction_id"])).json()
    assert result["status"] == "refer_hardship"
    return started["transaction_id"], result["decision"]["decision_id"]


async def test_another_desk_cannot_read_or_amend(desk: Desk) -> None:
    transaction_id, decision_id = await _referral(desk)
    other = await desk.context.api_keys.create(name="another desk", scope=["zorgtoeslag"])
    headers = desk.headers(other.secret)
    for path in (f"/desk/transactions/{transaction_id}", f"/desk/decisions/{decision_id}"):
        assert (await desk.client.get(path, headers=headers)).status_code == 404
    body = {"officer": "X", "outcome": "eligible", "grounds": "not mine"}
    amend = await desk.client.post(
        f"/desk/decisions/{decision_id}/follow-ups", json=body, headers=headers
    )
    assert amend.status_code == 404
    mine = await desk.client.get(f"/desk/decisions/{decision_id}", headers=desk.headers())
    assert mine.status_code == 200
    assert mine.json()["follow_ups"] == []


async def test_a_rotated_key_keeps_its_desks_decisions(desk: Desk) -> None:
    _transaction_id, decision_id = await _referral(desk)
    current = await desk.context.api_keys.authenticate(f"Bearer {desk.api_key}")
    rotated = await desk.context.api_keys.rotate(current.id, overlap_seconds=0)
    desk.clock.advance(1)
    shown = await desk.client.get(
        f"/desk/decisions/{decision_id}", headers=desk.headers(rotated.secret)
    )
    assert shown.status_code == 200


async def test_one_maatwerk_decision_per_referral(desk: Desk) -> None:
    _transaction_id, decision_id = await _referral(desk)
    body = {"officer": "J. Jansen", "outcome": "eligible", "grounds": "near miss"}
    path = f"/desk/decisions/{decision_id}/follow-ups"
    first = await desk.client.post(path, json=body, headers=desk.headers())
    assert first.status_code == 201
    second = await desk.client.post(path, json=body, headers=desk.headers())
    assert (second.status_code, second.json()["error"]) == (409, "conflict")
