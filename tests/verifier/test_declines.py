"""The citizen declines, or the wallet cannot answer: an Authorization Error Response
(OpenID4VP 1.0 §8.5) posted to the ``response_uri``.

§8.2: a Response URI that processed an error response answers 200 (with a ``redirect_uri``
when it has one). §8.3: with ``direct_post.jwt`` the wallet may send the error unencrypted
(it may have nothing to encrypt with). The desk then reads ``declined`` with the wire code the
wallet sent; a code outside §8.5 and RFC 6749 §4.1.2.1 is stored as ``wallet-error``, so a
wallet cannot write its own text into the desk's records. The error ends the transaction like
any answer; an error for an unknown ``state`` consumes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from specs.errors import Oid4vpReason
from specs.oid4vp.jwe import encrypt_response, select_response_key
from specs.oid4vp.request_object import AuthorizationRequest
from specs.oid4vp.response import direct_post_jwt_form
from tests.verifier.conftest import Desk
from tests.verifier.refusals import (
    assert_declined,
    assert_still_open,
    assert_wire_error,
    ready,
    state_of,
)

DECLINED = {"error": "access_denied", "error_description": "the citizen said no"}


async def post_error(
    desk: Desk, started: dict[str, Any], error: dict[str, str], *, encrypt: bool = False
) -> tuple[AuthorizationRequest, httpx.Response]:
    """Post ``error`` (with the request's ``state``) in the clear or inside the JWE."""
    request = await desk.wallet.fetch_request(started["link"])
    payload = {**error, "state": state_of(request)}
    if not encrypt:
        return request, await desk.wallet.post(request, payload)
    assert request.client_metadata is not None
    recipient, enc = select_response_key(request.client_metadata)
    jwe = encrypt_response(payload, recipient=recipient, enc=enc)
    return request, await desk.wallet.post(request, direct_post_jwt_form(jwe))


def assert_received(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json() == {}


async def test_declined_by_direct_post(plain_desk: Desk) -> None:
    started = await ready(plain_desk)
    _request, response = await post_error(plain_desk, started, DECLINED)
    assert_received(response)
    await assert_declined(plain_desk, started, "access_denied")


async def test_declined_unencrypted_to_an_encrypted_request(desk: Desk) -> None:
    """§8.3: an error response may come without encryption; a presentation may not."""
    started = await ready(desk)
    _request, response = await post_error(desk, started, DECLINED)
    assert_received(response)
    await assert_declined(desk, started, "access_denied")


async def test_declined_inside_the_jwe(desk: Desk) -> None:
    started = await ready(desk)
    _request, response = await post_error(desk, started, DECLINED, encrypt=True)
    assert_received(response)
    await assert_declined(desk, started, "access_denied")


async def test_wallet_unavailable(desk: Desk) -> None:
    """Another §8.5 code is kept as sent."""
    started = await ready(desk)
    _request, response = await post_error(desk, started, {"error": "wallet_unavailable"})
    assert_received(response)
    await assert_declined(desk, started, "wallet_unavailable")


async def test_unknown_error_code_is_not_stored_as_sent(plain_desk: Desk) -> None:
    started = await ready(plain_desk)
    error = {"error": "<script>alert(1)</script>", "error_description": "BSN 123456782"}
    _request, response = await post_error(plain_desk, started, error)
    assert_received(response)
    await assert_declined(plain_desk, started, "wallet-error")
    result = (await plain_desk.result(started["transaction_id"])).text
    assert "script" not in result
    assert "123456782" not in result


async def test_error_for_an_unknown_state_consumes_nothing(plain_desk: Desk) -> None:
    desk = plain_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    response = await desk.wallet.post(request, {**DECLINED, "state": "state-of-no-request"})
    assert_wire_error(response, Oid4vpReason.UNKNOWN_STATE)
    await assert_still_open(desk, started)


async def test_error_after_the_answer_changes_nothing(desk: Desk) -> None:
    """A decline that arrives after the decision cannot overwrite it."""
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    assert (await desk.wallet.answer(started["link"])).status_code == 200
    decided = (await desk.result(started["transaction_id"])).json()
    response = await desk.wallet.post(request, {**DECLINED, "state": state_of(request)})
    assert_wire_error(response, Oid4vpReason.ALREADY_ANSWERED)
    assert (await desk.result(started["transaction_id"])).json() == decided


async def test_declined_in_the_same_device_flow(desk: Desk) -> None:
    """§8.2 allows a ``redirect_uri`` for error responses too; its ``response_code`` then
    guards the result like a decision's (§13.3, §14.3 session fixation)."""
    started = await desk.start("zorgtoeslag", redirect_uri="https://desk.example/klaar")
    _request, response = await post_error(desk, started, DECLINED, encrypt=True)
    assert response.status_code == 200, response.text
    redirect = response.json()["redirect_uri"]
    assert redirect.startswith("https://desk.example/klaar#response_code=")
    (code,) = parse_qs(urlsplit(redirect).fragment)["response_code"]
    assert (await desk.result(started["transaction_id"])).status_code == 403
    result = (await desk.result(started["transaction_id"], response_code=code)).json()
    assert result["status"] == "declined"
    assert result["reason"] == "access_denied"
