"""The desk's side: keys and scopes, facts, the same-device response code, follow-ups,
expiry and retention, the request object's contents."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from specs.jose import parse_compact_jws
from specs.oid4vp.transaction_data import decode_transaction_data, transaction_data_hash
from tests.verifier.conftest import Desk, scenario
from tests.verifier.wallet import TestWallet
from verifier.sweeper import sweep
from verifier.tables import decisions, transactions

ELIGIBLE = ("zorgtoeslag", "single_income_35000")


async def _decided(desk: Desk, **body: object) -> dict[str, object]:
    desk.give(scenario(*ELIGIBLE))
    started = await desk.start("zorgtoeslag", **body)
    response = await desk.wallet.answer(started["link"])
    assert response.status_code == 200, response.text
    return {"started": started, "answer": response.json()}


async def test_desk_api_needs_a_key(desk: Desk) -> None:
    for headers in ({}, {"Authorization": "Bearer avk_nope"}, {"Authorization": "Basic x"}):
        response = await desk.client.post(
            "/desk/transactions", json={"regulation": "zorgtoeslag"}, headers=headers
        )
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_a_key_is_scoped_to_its_regulations(desk: Desk) -> None:
    narrow = await desk.context.api_keys.create(name="kwijtschelding", scope=["kwijtschelding"])
    response = await desk.client.post(
        "/desk/transactions",
        json={"regulation": "zorgtoeslag"},
        headers=desk.headers(narrow.secret),
    )
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    listed = await desk.client.get("/desk/regulations", headers=desk.headers(narrow.secret))
    assert [r["id"] for r in listed.json()["regulations"]] == ["kwijtschelding"]
    started = await desk.start("zorgtoeslag")
    other = await desk.client.get(
        f"/desk/transactions/{started['transaction_id']}", headers=desk.headers(narrow.secret)
    )
    assert other.status_code == 404  # another key's transactions look absent


async def test_unknown_regulation_and_bad_facts_are_refused_without_echo(desk: Desk) -> None:
    unknown = await desk.client.post(
        "/desk/transactions", json={"regulation": "nope"}, headers=desk.headers()
    )
    assert unknown.status_code == 404
    for facts in ({"not_an_input": 1}, {"age": "CANARY-fact-text"}):
        response = await desk.client.post(
            "/desk/transactions",
            json={"regulation": "zorgtoeslag", "facts": facts},
            headers=desk.headers(),
        )
        assert response.status_code == 400
        assert "CANARY" not in response.text
        assert "not_an_input" not in response.text


async def test_the_desk_facts_shrink_the_query(desk: Desk) -> None:
    full = await desk.start("zorgtoeslag")
    fewer = await desk.start("zorgtoeslag", facts={"age": 35})
    assert ("age_years",) in _asked(full["dcql_query"])
    assert ("age_years",) not in _asked(fewer["dcql_query"])


def _asked(query: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {tuple(c["path"]) for cq in query["credentials"] for c in cq["claims"]}


async def test_request_object_carries_purpose_nonce_and_encryption_key(desk: Desk) -> None:
    started = await desk.start("zorgtoeslag")
    request = await desk.wallet.fetch_request(started["link"])
    assert request.client_id == desk.context.client_id
    assert request.client_id.startswith("x509_hash:")
    assert request.response_mode == "direct_post.jwt"
    assert request.response_uri == desk.context.response_uri
    assert request.client_metadata is not None
    assert request.client_metadata["jwks"]["keys"][0]["alg"] == "ECDH-ES"
    assert request.transaction_data is not None
    assert len(request.transaction_data) == 1
    purpose = decode_transaction_data(
        request.transaction_data[0],
        credential_ids=[c["id"] for c in request.dcql_query["credentials"]],
    )
    assert purpose["regulation"] == "zorgtoeslag"
    assert purpose["version"] == started["regulation"]["version"]
    assert request.verifier_info
    assert request.verifier_info[0]["data"]["verifier"]
    assert len(request.nonce) >= 43
    assert request.state
    assert len(request.state) >= 43
    link = parse_qs(urlsplit(started["link"]).query)
    assert link["request_uri_method"] == ["post"]


async def test_request_uri_post_echoes_the_wallet_nonce(desk: Desk) -> None:
    wallet = TestWallet(desk.client, desk.clock, request_uri_method="post")
    started = await desk.start("zorgtoeslag")
    request = await wallet.fetch_request(started["link"])
    assert request.wallet_nonce is not None
    assert request.wallet_nonce.startswith("wn-")


async def test_two_transactions_never_share_nonce_state_or_key(desk: Desk) -> None:
    first = await desk.wallet.fetch_request((await desk.start("zorgtoeslag"))["link"])
    second = await desk.wallet.fetch_request((await desk.start("zorgtoeslag"))["link"])
    assert first.nonce != second.nonce
    assert first.state != second.state
    assert first.client_metadata != second.client_metadata


async def test_decision_is_signed_and_proves_the_purpose(desk: Desk) -> None:
    done = await _decided(desk)
    result = (await desk.result(done["started"]["transaction_id"])).json()  # type: ignore[index]
    signed = result["decision"]["signed_record"]
    jws = parse_compact_jws(signed)
    assert jws.header["typ"] == "aanspraak-decision+jwt"
    assert jws.payload == result["decision"]["record"]
    assert jws.payload["iss"] == desk.context.client_id
    assert len(jws.payload["purpose_hashes"]) == 1
    row_data = await _transaction_data(desk, done["started"]["transaction_id"])  # type: ignore[index]
    assert jws.payload["purpose_hashes"] == [transaction_data_hash(row_data[0])]
    assert result["decision"]["explanation"]["nl"][-1].startswith("Bent u het niet eens")


async def _transaction_data(desk: Desk, transaction_id: str) -> list[str]:
    import json

    async with desk.context.database.read() as connection:
        row = (
            await connection.execute(
                select(transactions.c.transaction_data).where(transactions.c.id == transaction_id)
            )
        ).one()
    data: list[str] = json.loads(row.transaction_data)
    return data


async def test_same_device_result_needs_the_response_code(desk: Desk) -> None:
    back = "https://desk.example/page"
    done = await _decided(desk, redirect_uri=back)
    redirect = done["answer"]["redirect_uri"]  # type: ignore[index]
    assert redirect.startswith(back + "#response_code=")
    code = redirect.split("response_code=", 1)[1]
    transaction_id = done["started"]["transaction_id"]  # type: ignore[index]
    without = await desk.result(transaction_id)
    assert (without.status_code, without.json()["error"]) == (403, "forbidden")
    wrong = await desk.result(transaction_id, response_code="x" * 43)
    assert wrong.status_code == 403
    right = await desk.result(transaction_id, response_code=code)
    assert right.status_code == 200
    assert right.json()["status"] == "eligible"


async def test_cross_device_answer_has_no_redirect(desk: Desk) -> None:
    done = await _decided(desk)
    assert done["answer"] == {}


async def test_request_object_is_gone_once_answered_or_expired(desk: Desk) -> None:
    done = await _decided(desk)
    request_uri = done["started"]["request_uri"]  # type: ignore[index]
    assert (await desk.client.get(request_uri)).status_code == 404
    late = await desk.start("zorgtoeslag")
    desk.clock.advance(desk.context.settings.transaction_ttl_seconds)
    assert (await desk.client.get(late["request_uri"])).status_code == 404
    result = (await desk.result(late["transaction_id"])).json()
    assert result["status"] == "expired"


async def test_results_expire_and_decisions_are_deleted_after_retention(desk: Desk) -> None:
    done = await _decided(desk)
    transaction_id = done["started"]["transaction_id"]  # type: ignore[index]
    result = (await desk.result(transaction_id)).json()
    decision_id = result["decision"]["decision_id"]
    desk.clock.advance(desk.context.settings.result_ttl_seconds + 1)
    assert (await desk.result(transaction_id)).status_code == 404
    assert (await sweep(desk.context))[0] >= 1
    kept = await desk.client.get(f"/desk/decisions/{decision_id}", headers=desk.headers())
    assert kept.status_code == 200
    desk.clock.advance(desk.context.settings.decision_retention_days * 86_400)
    assert (await sweep(desk.context))[1] == 1
    gone = await desk.client.get(f"/desk/decisions/{decision_id}", headers=desk.headers())
    assert gone.status_code == 404
    async with desk.context.database.read() as connection:
        count = (await connection.execute(select(func.count()).select_from(decisions))).scalar()
    assert count == 0


async def test_hardship_referral_gets_a_maatwerk_follow_up(desk: Desk) -> None:
    case = scenario(
        "zorgtoeslag", "single_one_euro_over_income_limit_rounds_to_23_euro_and_is_referred"
    )
    desk.give(case)
    started = await desk.start("zorgtoeslag")
    assert (await desk.wallet.answer(started["link"])).status_code == 200
    result = (await desk.result(started["transaction_id"])).json()
    assert result["status"] == "refer_hardship"
    record = result["decision"]["record"]
    assert record["hardship_referral"]["legal_basis"]["id"].startswith("BWBR")
    decision_id = result["decision"]["decision_id"]
    body = {
        "officer": "J. Jansen",
        "outcome": "eligible",
        "grounds": "near miss",
        "amount_cents": 2300,
    }
    created = await desk.client.post(
        f"/desk/decisions/{decision_id}/follow-ups", json=body, headers=desk.headers()
    )
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "maatwerk"
    shown = (await desk.client.get(f"/desk/decisions/{decision_id}", headers=desk.headers())).json()
    assert [f["grounds"] for f in shown["follow_ups"]] == ["near miss"]
    assert shown["follow_ups"][0]["objection"]["legal_basis"]["article"] == "6:7"


async def test_only_a_referral_can_be_followed_up(desk: Desk) -> None:
    done = await _decided(desk)
    result = (await desk.result(done["started"]["transaction_id"])).json()  # type: ignore[index]
    body = {"officer": "J. Jansen", "outcome": "not_eligible", "grounds": "no"}
    response = await desk.client.post(
        f"/desk/decisions/{result['decision']['decision_id']}/follow-ups",
        json=body,
        headers=desk.headers(),
    )
    assert (response.status_code, response.json()["error"]) == (409, "conflict")


async def test_a_regulation_version_governance_did_not_anchor_is_not_run(desk: Desk) -> None:
    desk.clock.advance(1)  # a newer list: the registry refuses an older one (rollback)
    desk.republish_trust_list(anchored=False)
    response = await desk.client.post(
        "/desk/transactions", json={"regulation": "zorgtoeslag"}, headers=desk.headers()
    )
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert "regulation-not-anchored" in response.json()["error_description"]
