"""Replay, expiry and racing answers at the response endpoint (OpenID4VP 1.0 §14.2, §8.2).

A transaction takes one answer. The same bytes posted again, posted to another transaction,
posted after the transaction ended, or posted ten times at once must each end in exactly one
decision: the first valid answer wins, and whatever follows is told
``transaction-already-answered`` without touching the recorded outcome
(``verifier.responses``: a conditional UPDATE from ``pending`` that one post wins).

Every test runs for both response modes: ``direct_post`` (``plain_desk``, ``state`` finds the
transaction) and ``direct_post.jwt`` (``desk``, the JWE's ``kid`` finds it).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from specs.errors import Oid4vpReason, SdJwtReason
from specs.oid4vp.jwe import encrypt_response, select_response_key
from specs.oid4vp.response import direct_post_form, direct_post_jwt_form, response_payload
from tests.verifier.conftest import Desk
from tests.verifier.refusals import (
    EXPECTED,
    assert_consumed,
    assert_still_open,
    assert_wire_error,
    ready,
)
from tests.verifier.wallet import Tamper
from verifier.tables import decisions

MODES = ["desk", "plain_desk"]


@pytest.fixture(params=MODES, ids=["direct_post.jwt", "direct_post"])
def either_desk(request: pytest.FixtureRequest, database_url: str) -> Desk:
    """``desk`` or ``plain_desk``, on each database backend (named here so that the
    backend parametrises these tests as it does the others)."""
    desk: Desk = request.getfixturevalue(request.param)
    return desk


async def decision_rows(desk: Desk, transaction_id: str) -> int:
    async with desk.context.database.read() as connection:
        count = await connection.scalar(
            select(func.count())
            .select_from(decisions)
            .where(decisions.c.transaction_id == transaction_id)
        )
    return int(count or 0)


async def test_expired_transaction(either_desk: Desk) -> None:
    """A correct answer that arrives after ``transaction_ttl_seconds`` decides nothing."""
    desk = either_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    form = desk.wallet.response_form(request, Tamper())
    desk.clock.advance(desk.context.settings.transaction_ttl_seconds + 1)
    response = await desk.wallet.post(request, form)
    assert_wire_error(response, Oid4vpReason.TRANSACTION_EXPIRED)
    result = (await desk.result(started["transaction_id"])).json()
    assert result["status"] == "expired"
    assert (await desk.client.get(started["request_uri"])).status_code == 404
    assert await decision_rows(desk, started["transaction_id"]) == 0


async def test_replay_after_success(either_desk: Desk) -> None:
    """The same answer twice: the first is decided, the second refused, the record kept."""
    desk = either_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    form = desk.wallet.response_form(request, Tamper())
    first = await desk.wallet.post(request, form)
    assert first.status_code == 200, first.text
    decided = (await desk.result(started["transaction_id"])).json()
    assert decided["status"] == EXPECTED
    again = await desk.wallet.post(request, form)
    assert_wire_error(again, Oid4vpReason.ALREADY_ANSWERED)
    assert (await desk.result(started["transaction_id"])).json() == decided
    assert await decision_rows(desk, started["transaction_id"]) == 1


async def test_replay_of_the_same_bytes_while_another_transaction_waits(
    either_desk: Desk,
) -> None:
    """Captured answer of transaction A, posted again while B is open: the envelope names
    A (its ``state`` or its JWE's ``kid``), which is answered; B is untouched."""
    desk = either_desk
    first = await ready(desk)
    request = await desk.wallet.fetch_request(first["link"])
    captured = desk.wallet.response_form(request, Tamper())
    assert (await desk.wallet.post(request, captured)).status_code == 200
    second = await desk.start("zorgtoeslag")
    replayed = await desk.wallet.post(request, captured)
    assert_wire_error(replayed, Oid4vpReason.ALREADY_ANSWERED)
    await assert_still_open(desk, second)


async def _readdressed(
    desk: Desk, captured: dict[str, list[str]], started: dict[str, Any]
) -> dict[str, str]:
    """A's presentations in an envelope addressed to B: B's ``state``, and for
    ``direct_post.jwt`` encrypted to B's key (what an attacker who can fetch B's request
    object can build)."""
    target = await desk.wallet.fetch_request(started["link"])
    if target.response_mode == "direct_post":
        return direct_post_form(captured, target.state)
    assert target.client_metadata is not None
    recipient, enc = select_response_key(target.client_metadata)
    payload = response_payload(captured, target.state)
    return direct_post_jwt_form(encrypt_response(payload, recipient=recipient, enc=enc))


async def test_presentation_replayed_into_another_transaction(either_desk: Desk) -> None:
    """Cross-session replay: A's presentations in a valid envelope for B. The KB-JWTs carry
    A's nonce, so B refuses them; that answer was B's one answer (nonce mismatch), and A's
    decision stands."""
    desk = either_desk
    first = await ready(desk)
    request = await desk.wallet.fetch_request(first["link"])
    captured = desk.wallet.vp_token(request, Tamper())
    form = desk.wallet.response_form(request, Tamper())
    assert (await desk.wallet.post(request, form)).status_code == 200
    second = await desk.start("zorgtoeslag")
    response = await desk.wallet.post(request, await _readdressed(desk, captured, second))
    assert_wire_error(response, SdJwtReason.KB_NONCE_MISMATCH)
    await assert_consumed(desk, second, SdJwtReason.KB_NONCE_MISMATCH)
    assert (await desk.result(first["transaction_id"])).json()["status"] == EXPECTED


async def test_presentation_of_an_open_transaction_replayed_into_another(
    either_desk: Desk,
) -> None:
    """The same, before A was answered: B refuses, and A can still be answered by its
    wallet (its nonce was never used)."""
    desk = either_desk
    first = await ready(desk)
    request = await desk.wallet.fetch_request(first["link"])
    captured = desk.wallet.vp_token(request, Tamper())
    second = await desk.start("zorgtoeslag")
    response = await desk.wallet.post(request, await _readdressed(desk, captured, second))
    assert_wire_error(response, SdJwtReason.KB_NONCE_MISMATCH)
    await assert_consumed(desk, second, SdJwtReason.KB_NONCE_MISMATCH)
    await assert_still_open(desk, first)


async def test_concurrent_posts_of_one_answer(either_desk: Desk) -> None:
    """Ten posts of one valid answer at once: one 200, nine ``transaction-already-answered``,
    one decision row."""
    desk = either_desk
    started = await ready(desk)
    request = await desk.wallet.fetch_request(started["link"])
    form = desk.wallet.response_form(request, Tamper())
    responses = await asyncio.gather(*(desk.wallet.post(request, form) for _ in range(10)))
    accepted = [r for r in responses if r.status_code == 200]
    assert len(accepted) == 1, [r.text for r in responses]
    for refused in (r for r in responses if r.status_code != 200):
        assert_wire_error(refused, Oid4vpReason.ALREADY_ANSWERED)
    assert await decision_rows(desk, started["transaction_id"]) == 1
    assert (await desk.result(started["transaction_id"])).json()["status"] == EXPECTED
