"""The whole transaction through the desk API and a standard-following wallet."""

from __future__ import annotations

from tests.verifier.conftest import Desk, scenario


async def test_zorgtoeslag_eligible_with_amount_and_explanation(desk: Desk) -> None:
    case = scenario("zorgtoeslag", "single_income_35000")
    desk.give(case)
    started = await desk.start("zorgtoeslag")
    assert started["link"].startswith("openid4vp://?")
    response = await desk.wallet.answer(started["link"])
    assert response.status_code == 200, response.text
    assert response.json() == {}
    result = (await desk.result(started["transaction_id"])).json()
    assert result["status"] == case.expect["status"]
    record = result["decision"]["record"]
    assert record["amount_cents"] == case.expect["amount_cents"]
    assert record["regulation"]["id"] == "zorgtoeslag"
    assert record["objection"]["legal_basis"]["id"] == "BWBR0005537"
    sources = {use["name"]: use["source"] for use in record["inputs"]}
    assert any(s and s["issuer"] == "https://belastingdienst.example" for s in sources.values())
