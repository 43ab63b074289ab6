"""Token endpoint (OID4VCI 1.0 §6, RFC 6749 §5): every way a redemption must fail, with its code."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.issuer.conftest import Issuer
from tests.issuer.wallet import PRE_AUTHORIZED


def token_form(created: dict[str, Any], tx_code: str | None) -> dict[str, str]:
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return form


def wrong_tx_code(tx_code: str) -> str:
    return str((int(tx_code) + 1) % 10 ** len(tx_code)).zfill(len(tx_code))


async def post_token(issuer: Issuer, form: dict[str, str]) -> httpx.Response:
    return await issuer.client.post("/token", data=form)


def assert_error(response: httpx.Response, status: int, code: str, *secrets: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert set(body) <= {"error", "error_description", "interval"}
    for secret in secrets:  # DESIGN §3: no echo of codes or input
        assert secret not in response.text


async def test_a_code_and_tx_code_give_a_bearer_token_not_to_be_cached(issuer: Issuer) -> None:
    created = await issuer.offer()
    response = await post_token(issuer, token_form(created, created["tx_code"]))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == issuer.context.settings.access_token_ttl_seconds
    assert len(body["access_token"]) >= 43


async def test_a_replayed_code_is_invalid_grant(issuer: Issuer) -> None:
    created = await issuer.offer()
    form = token_form(created, created["tx_code"])
    assert (await post_token(issuer, form)).status_code == 200
    assert_error(await post_token(issuer, form), 400, "invalid_grant", form["pre-authorized_code"])


async def test_concurrent_redemptions_exactly_one_wins(issuer: Issuer) -> None:
    created = await issuer.offer()
    form = token_form(created, created["tx_code"])
    responses = await asyncio.gather(*(post_token(issuer, form) for _ in range(8)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [400] * 7
    assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_grant"}


async def test_an_expired_code_is_invalid_grant(issuer: Issuer) -> None:
    created = await issuer.offer()
    issuer.clock.advance(issuer.context.settings.offer_ttl_seconds)
    assert_error(
        await post_token(issuer, token_form(created, created["tx_code"])), 400, "invalid_grant"
    )


async def test_an_unknown_code_is_invalid_grant(issuer: Issuer) -> None:
    form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": "not-a-code", "tx_code": "1"}
    assert_error(await post_token(issuer, form), 400, "invalid_grant", "not-a-code")


async def test_a_wrong_tx_code_is_invalid_grant_and_the_right_one_still_works(
    issuer: Issuer,
) -> None:
    created = await issuer.offer()
    wrong = wrong_tx_code(created["tx_code"])
    assert_error(await post_token(issuer, token_form(created, wrong)), 400, "invalid_grant", wrong)
    assert (await post_token(issuer, token_form(created, created["tx_code"]))).status_code == 200


async def test_brute_forcing_the_tx_code_locks_the_offer_for_good(issuer: Issuer) -> None:
    created = await issuer.offer()
    wrong = wrong_tx_code(created["tx_code"])
    for _ in range(issuer.context.settings.tx_code_max_attempts):
        assert_error(await post_token(issuer, token_form(created, wrong)), 400, "invalid_grant")
    assert_error(
        await post_token(issuer, token_form(created, created["tx_code"])), 400, "invalid_grant"
    )
    state = await issuer.client.get(
        f"/backoffice/offers/{created['offer_id']}", headers=issuer.backoffice()
    )
    assert state.json()["state"] == "locked"
    assert state.json()["claims_held"] is False


async def test_a_missing_tx_code_is_invalid_request(issuer: Issuer) -> None:
    created = await issuer.offer()
    assert_error(await post_token(issuer, token_form(created, None)), 400, "invalid_request")
    # ... and is not counted as a guess: the right code still works afterwards.
    assert (await post_token(issuer, token_form(created, created["tx_code"]))).status_code == 200


async def test_a_tx_code_for_an_offer_without_one_is_invalid_request(issuer: Issuer) -> None:
    created = await issuer.offer(tx_code=False)
    assert created["tx_code"] is None
    assert "tx_code" not in created["credential_offer"]["grants"][PRE_AUTHORIZED]
    assert_error(await post_token(issuer, token_form(created, "123456")), 400, "invalid_request")
    assert (await post_token(issuer, token_form(created, None))).status_code == 200


async def test_other_grant_types_are_unsupported(issuer: Issuer) -> None:
    form = {"grant_type": "authorization_code", "code": "x"}
    assert_error(await post_token(issuer, form), 400, "unsupported_grant_type")


async def test_a_repeated_parameter_is_invalid_request(issuer: Issuer) -> None:
    created = await issuer.offer()
    form = token_form(created, created["tx_code"])
    body = "&".join(f"{k}={v}" for k, v in form.items()) + f"&tx_code={form['tx_code']}"
    response = await issuer.client.post(
        "/token", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_error(response, 400, "invalid_request")


async def test_a_json_body_is_invalid_request(issuer: Issuer) -> None:
    created = await issuer.offer()
    response = await issuer.client.post("/token", json=token_form(created, created["tx_code"]))
    assert_error(response, 400, "invalid_request")


async def test_an_oversized_body_is_refused_before_it_is_read(issuer: Issuer) -> None:
    huge = "a" * (issuer.context.settings.max_request_bytes + 1)
    response = await issuer.client.post(
        "/token",
        content=f"grant_type={huge}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"
