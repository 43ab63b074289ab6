"""Values a stranger controls never reach a query unshaped, and never make a 500.

PostgreSQL text cannot hold a NUL byte: a lookup with one would fail in the driver. Every
value the service looks up (``state``, the JWE ``kid``, the ``request_id`` of a link, ids in
desk paths) is checked for the shape the service gives it first; anything else finds
nothing. Runs on both backends.
"""

from __future__ import annotations

import json

from specs.errors import Oid4vpReason
from specs.jose import b64url_encode
from specs.oid4vp.jwe import encrypt_response, select_response_key
from specs.oid4vp.response import direct_post_jwt_form
from tests.verifier.conftest import Desk, scenario
from tests.verifier.refusals import assert_still_open, assert_wire_error, ready

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REFERRED = ("zorgtoeslag", "single_one_euro_over_income_limit_rounds_to_23_euro_and_is_referred")


async def test_nul_and_odd_state_find_nothing(desk: Desk) -> None:
    started = await ready(desk)
    for state in ("%00x", "a%00", "%C3%A9", "x" * 300):
        response = await desk.client.post(
            "/wallet/response", content=f"state={state}&vp_token=%7B%7D", headers=FORM
        )
        assert_wire_error(response, Oid4vpReason.UNKNOWN_STATE)
    await assert_still_open(desk, started)


async def test_nul_kid_finds_nothing(desk: Desk) -> None:
    started = await ready(desk)
    header = b64url_encode(
        json.dumps({"alg": "ECDH-ES", "enc": "A128GCM", "kid": "\u0000"}).encode()
    )
    token = f"{header}.AA.AA.AA.AA"
    response = await desk.client.post(
        "/wallet/response", data=direct_post_jwt_form(token), headers=FORM
    )
    assert_wire_error(response, Oid4vpReason.UNKNOWN_STATE)
    await assert_still_open(desk, started)


async def test_odd_ids_in_paths_are_not_found(desk: Desk) -> None:
    for path in (
        "/wallet/request/%00",
        "/wallet/request/..%2F",
        "/desk/transactions/%00",
        "/desk/decisions/%00",
        "/desk/transactions/" + "g" * 32,
    ):
        response = await desk.client.get(path, headers=desk.headers())
        assert response.status_code == 404, (path, response.text)


async def test_a_non_string_error_in_the_jwe_is_stored_as_a_wallet_error(desk: Desk) -> None:
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    assert request.client_metadata is not None
    recipient, enc = select_response_key(request.client_metadata)
    payload = {"state": request.state, "error": ["access_denied"]}
    jwe = encrypt_response(payload, recipient=recipient, enc=enc)
    response = await desk.wallet.post(request, direct_post_jwt_form(jwe))
    assert response.status_code == 200, response.text
    result = (await desk.result(started["transaction_id"])).json()
    assert (result["status"], result["reason"]) == ("declined", "wallet-error")


async def test_redirect_uri_must_be_an_allowed_https_origin(desk: Desk) -> None:
    for uri in (
        "javascript:alert(1)",
        "https://[::1",
        "https://evil.example/page",
        "https://desk.example/\u0000",
        "https://user@desk.example/page",
        "data:text/html,hi",
    ):
        response = await desk.client.post(
            "/desk/transactions",
            json={"regulation": "zorgtoeslag", "redirect_uri": uri},
            headers=desk.headers(),
        )
        assert response.status_code == 400, (uri, response.text)
        assert response.json()["error"] == "invalid_request"
    own = await desk.start("zorgtoeslag", redirect_uri=desk.context.url("/desk/page"))
    assert own["transaction_id"]


async def test_follow_up_text_with_nul_is_refused(desk: Desk) -> None:
    desk.give(
        scenario(
            "zorgtoeslag", "single_one_euro_over_income_limit_rounds_to_23_euro_and_is_referred"
        )
    )
    started = await desk.start("zorgtoeslag")
    assert (await desk.wallet.answer(started["link"])).status_code == 200
    decision_id = (await desk.result(started["transaction_id"])).json()["decision"]["decision_id"]
    body = {"officer": "J.\u0000", "outcome": "eligible", "grounds": "g\u0000"}
    response = await desk.client.post(
        f"/desk/decisions/{decision_id}/follow-ups", json=body, headers=desk.headers()
    )
    assert response.status_code == 400, response.text
    assert "\\u0000" not in response.text
