"""Assertions shared by the rejection matrix (test_rejections, test_jwe_defects, test_replay,
test_dependencies): what the wallet is told, and what the desk sees afterwards.

A refused answer is checked on both sides. The wallet gets the wire error of the response
endpoint (``verifier.wire_tables.RESPONSE_ERRORS``): the HTTP status, the OpenID4VP / RFC 6749
``error`` code and the reason's slug as ``error_description``. Then either the transaction was
consumed (OpenID4VP 1.0 §8.2 and ``verifier.responses``: a presentation that fails
verification still uses up the request) and the desk reads ``rejected`` with that reason, or
it was not (a bad envelope proves nothing about who sent it) and the real wallet can still
answer and get a decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from runtime.scenarios import Scenario
from specs.errors import Reason
from specs.jose import PrivateJwk
from specs.oid4vp.request_object import AuthorizationRequest
from tests.verifier.conftest import Desk, scenario
from tests.verifier.wallet import TestWallet, new_holder_key

Part = tuple[str, str, Mapping[str, Any]]
"""One credential to issue: the issuer, the ``vct`` and the claims."""

EXPECTED = "eligible"


def eligible_case() -> Scenario:
    """One citizen with four credentials from four agencies; the rules say eligible."""
    case = scenario("zorgtoeslag", "single_income_35000")
    assert case.expect["status"] == EXPECTED
    return case


def parts_of(case: Scenario) -> list[Part]:
    return [(c.issuer, c.vct, dict(c.claims)) for c in case.credentials]


def give_parts(
    desk: Desk,
    parts: Sequence[Part],
    *,
    holder: PrivateJwk | None = None,
    wallet: TestWallet | None = None,
) -> dict[str, int | None]:
    """Issue exactly these credentials (by any agency, registered or not) to one holder
    key; returns each ``vct``'s status index. ``Desk.give`` for hand-made credentials."""
    key = holder or new_holder_key()
    target = wallet or desk.wallet
    indices: dict[str, int | None] = {}
    for issuer, vct, claims in parts:
        token, index = desk.agencies.issue(issuer, vct, claims, holder=key.public)
        target.hold(token, key, vct)
        indices[vct] = index
    return indices


def state_of(request: AuthorizationRequest) -> str:
    """The request's ``state``: the verifier always sets one (its transaction handle)."""
    assert request.state is not None
    return request.state


async def ready(desk: Desk) -> dict[str, Any]:
    """Give the desk's wallet the eligible citizen's credentials and start a transaction."""
    desk.give(eligible_case())
    return await desk.start("zorgtoeslag")


def assert_wire_error(
    response: httpx.Response, reason: Reason, *, status: int = 400, error: str = "invalid_request"
) -> None:
    """The wallet's view: status, wire code, the reason's slug, and nothing else."""
    assert response.status_code == status, response.text
    assert response.json() == {"error": error, "error_description": reason.value}
    assert response.headers["cache-control"] == "no-store"


async def assert_consumed(desk: Desk, started: dict[str, Any], reason: Reason) -> None:
    """The desk's view of a consumed request: ``rejected`` with exactly this reason, and the
    request object is no longer served (§5.10: answered means gone)."""
    result = await desk.result(started["transaction_id"])
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["status"] == "rejected"
    assert body["reason"] == reason.value
    assert "decision" not in body
    assert (await desk.client.get(started["request_uri"])).status_code == 404


async def assert_declined(desk: Desk, started: dict[str, Any], code: str) -> None:
    """The desk's view of a wallet's error response (§8.5): ``declined`` with the wire code
    the wallet sent (or ``wallet-error``), no decision, and the request used up."""
    result = await desk.result(started["transaction_id"])
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["status"] == "declined"
    assert body["reason"] == code
    assert "decision" not in body
    assert (await desk.client.get(started["request_uri"])).status_code == 404


async def assert_still_open(desk: Desk, started: dict[str, Any]) -> None:
    """Nothing was consumed: still pending, and the real wallet's answer is decided."""
    pending = (await desk.result(started["transaction_id"])).json()
    assert pending["status"] == "pending"
    answered = await desk.wallet.answer(started["link"])
    assert answered.status_code == 200, answered.text
    assert answered.json() == {}
    result = (await desk.result(started["transaction_id"])).json()
    assert result["status"] == EXPECTED


async def assert_undetermined(
    desk: Desk, started: dict[str, Any], response: httpx.Response
) -> dict[str, Any]:
    """A dependency could not be read: the wallet gets a normal answer, the desk a signed
    "cannot verify" record, never an eligible one. Returns that record."""
    assert response.status_code == 200, response.text
    assert response.json() == {}
    result = (await desk.result(started["transaction_id"])).json()
    assert result["status"] == "undetermined"
    record: dict[str, Any] = result["decision"]["record"]
    assert record["outcome"] == "undetermined"
    assert record["amount_cents"] is None
    assert "trace" not in record
    return record
