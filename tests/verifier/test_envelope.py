"""The rejection matrix, envelope side for ``direct_post`` (OpenID4VP 1.0 §8.2): the form.

A form that cannot be read, or that names no open transaction, proves nothing about who
sent it, so nothing is consumed: after each refusal the real wallet answers the same
transaction to a decision (``tests.verifier.refusals.assert_still_open``). The ``plain_desk``
answers by ``direct_post``, where ``state`` alone finds the transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from specs.errors import Oid4vpReason
from tests.verifier.conftest import Desk, make_desk
from tests.verifier.refusals import (
    assert_consumed,
    assert_still_open,
    assert_wire_error,
    ready,
    state_of,
)
from tests.verifier.wallet import Tamper
from verifier.responses import MAX_RESPONSE_BYTES

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def roomy_desk(tmp_path: Path, database_url: str) -> AsyncIterator[Desk]:
    """A ``direct_post`` desk whose HTTP body cap is above the response endpoint's own
    (``MAX_RESPONSE_BYTES``), so the endpoint's size rule is the one that answers."""
    async for made in make_desk(
        tmp_path,
        database_url,
        response_mode="direct_post",
        max_request_bytes=2 * MAX_RESPONSE_BYTES,
    ):
        yield made


async def test_unknown_state(plain_desk: Desk) -> None:
    desk = plain_desk
    started = await ready(desk)
    response = await desk.wallet.answer(started["link"], Tamper(state="state-of-no-request"))
    assert_wire_error(response, Oid4vpReason.UNKNOWN_STATE)
    await assert_still_open(desk, started)


async def test_missing_state(plain_desk: Desk) -> None:
    """§8.2 with ``state`` in the request: the answer must carry it back."""
    desk = plain_desk
    started = await ready(desk)

    def drop_state(form: dict[str, str]) -> dict[str, str]:
        return {name: value for name, value in form.items() if name != "state"}

    response = await desk.wallet.answer(started["link"], Tamper(rewrite_form=drop_state))
    assert_wire_error(response, Oid4vpReason.UNKNOWN_STATE)
    await assert_still_open(desk, started)


async def test_duplicate_parameter(plain_desk: Desk) -> None:
    """RFC 6749 §3.1: a parameter sent twice is refused, never "first one wins"."""
    desk = plain_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    form = desk.wallet.response_form(request, Tamper())
    body = urlencode(form) + "&" + urlencode({"state": form["state"]})
    response = await desk.client.post(request.response_uri, content=body, headers=FORM)
    assert_wire_error(response, Oid4vpReason.DUPLICATE_PARAMETER)
    await assert_still_open(desk, started)


async def test_json_body_labelled_as_a_form(plain_desk: Desk) -> None:
    desk = plain_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    body = b'{"vp_token": {}, "state": "' + state_of(request).encode() + b'"}'
    response = await desk.client.post(request.response_uri, content=body, headers=FORM)
    assert_wire_error(response, Oid4vpReason.MALFORMED_RESPONSE)
    await assert_still_open(desk, started)


async def test_form_that_is_not_utf8(plain_desk: Desk) -> None:
    """§8.2: the parameters are UTF-8; raw Latin-1 bytes are not a form."""
    desk = plain_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    body = urlencode({"state": state_of(request)}).encode() + b"&vp_token=\xe9t\xe9"
    response = await desk.client.post(request.response_uri, content=body, headers=FORM)
    assert_wire_error(response, Oid4vpReason.MALFORMED_RESPONSE)
    await assert_still_open(desk, started)


async def test_not_form_encoded(plain_desk: Desk) -> None:
    """A JSON body is refused by media type, before anything is read (§8.2)."""
    desk = plain_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    form = desk.wallet.response_form(request, Tamper())
    response = await desk.client.post(request.response_uri, json=form)
    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": "invalid_request",
        "error_description": Oid4vpReason.MALFORMED_RESPONSE.value,
    }
    await assert_still_open(desk, started)


def _padded(form: dict[str, str], size: int) -> bytes:
    """The real answer plus an unknown parameter (§8.1: ignored) up to ``size`` bytes."""
    body = urlencode(form).encode() + b"&padding="
    return body + b"x" * (size - len(body))


async def test_oversized_body_is_cut_at_the_http_cap(plain_desk: Desk) -> None:
    """The service-wide body cap (``max_request_bytes``) answers first: 413, unread."""
    desk = plain_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    body = _padded(desk.wallet.response_form(request, Tamper()), MAX_RESPONSE_BYTES + 1)
    response = await desk.client.post(request.response_uri, content=body, headers=FORM)
    assert response.status_code == 413, response.text
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "request body too large",
    }
    await assert_still_open(desk, started)


async def test_oversized_answer(roomy_desk: Desk) -> None:
    """Above the response endpoint's own cap (``MAX_RESPONSE_BYTES``), checked before
    parsing."""
    desk = roomy_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    body = _padded(desk.wallet.response_form(request, Tamper()), MAX_RESPONSE_BYTES + 1)
    response = await desk.client.post(request.response_uri, content=body, headers=FORM)
    assert_wire_error(response, Oid4vpReason.RESPONSE_TOO_LARGE)
    await assert_still_open(desk, started)


async def test_answer_without_vp_token(plain_desk: Desk) -> None:
    """Neither a ``vp_token`` nor an ``error``: for the right ``state`` this is the answer,
    and it consumes the request like any refused presentation."""
    desk = plain_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    response = await desk.wallet.post(request, {"state": state_of(request)})
    assert_wire_error(response, Oid4vpReason.VP_TOKEN_MISSING)
    await assert_consumed(desk, started, Oid4vpReason.VP_TOKEN_MISSING)


async def test_malformed_vp_token(plain_desk: Desk) -> None:
    """§8.1: a JSON object of query ids to non-empty arrays; a bare string is not one."""
    desk = plain_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    response = await desk.wallet.post(request, {"vp_token": '"eyJ..."', "state": state_of(request)})
    assert_wire_error(response, Oid4vpReason.MALFORMED_VP_TOKEN)
    await assert_consumed(desk, started, Oid4vpReason.MALFORMED_VP_TOKEN)
