"""Credential Offers with the ``authorization_code`` grant (HAIP 1.0 §4.2; OpenID4VCI 1.0
§4.1.1 ``issuer_state``, §5.1.3): made by the back office, answered by a PAR that names the
offer's ``issuer_state``, over HTTP on each database backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from issuer.codes import digest
from issuer.tables import offers
from specs.oid4vci import parse_credential_offer
from tests.issuer.code_flow import (
    CONFIGURATION,
    SUBJECT,
    CodeClient,
    assert_error,
    code_flow_issuer,
    tokens_of,
    write_subject,
)
from tests.issuer.conftest import INCOME_CLAIMS, ISSUER, Issuer
from tests.issuer.wallet import offer_from_link

OTHER_SUBJECT = "citizen-2"


@pytest.fixture
async def code_issuer(tmp_path: Path, database_url: str) -> AsyncIterator[Issuer]:
    """The code-flow issuer, whose subject source also knows a second citizen."""
    write_subject(tmp_path / "subjects", OTHER_SUBJECT, {**INCOME_CLAIMS, "year": 2025})
    async with code_flow_issuer(tmp_path, database_url) as issuer:
        yield issuer


async def _post_offer(issuer: Issuer, **body: Any) -> httpx.Response:
    body = {"configuration_id": CONFIGURATION, "grant": "authorization_code", **body}
    return await issuer.client.post("/backoffice/offers", json=body, headers=issuer.backoffice())


async def _offer(issuer: Issuer, **body: Any) -> dict[str, Any]:
    response = await _post_offer(issuer, **body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _issuer_state(created: dict[str, Any]) -> str:
    value: str = created["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
    return value


async def _state(issuer: Issuer, offer_id: str) -> dict[str, Any]:
    response = await issuer.client.get(
        f"/backoffice/offers/{offer_id}", headers=issuer.backoffice()
    )
    assert response.status_code == 200, response.text
    described: dict[str, Any] = response.json()
    return described


def _query(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 303, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)


async def test_haip_4_2_an_authorization_code_offer_carries_issuer_state_only(
    code_issuer: Issuer,
) -> None:
    created = await _offer(code_issuer, subject=SUBJECT)
    issuer_state = _issuer_state(created)
    assert created["credential_offer"] == {
        "credential_issuer": ISSUER,
        "credential_configuration_ids": [CONFIGURATION],
        "grants": {"authorization_code": {"issuer_state": issuer_state}},
    }
    assert len(issuer_state) >= 43
    assert created["tx_code"] is None
    parsed = parse_credential_offer(created["credential_offer"])
    assert (parsed.issuer_state, parsed.pre_authorized_code, parsed.tx_code) == (
        issuer_state,
        None,
        None,
    )
    assert offer_from_link(created["link"]) == created["credential_offer"]
    assert set(created["qr"]) == {"svg", "png_base64"}
    by_reference = await code_issuer.client.get(f"/offers/{created['offer_id']}")
    assert by_reference.json() == created["credential_offer"]
    state = await _state(code_issuer, created["offer_id"])
    assert (state["grant"], state["state"], state["claims_held"]) == (
        "authorization_code",
        "offered",
        False,
    )
    async with code_issuer.context.read() as connection:
        row = (
            await connection.execute(select(offers).where(offers.c.id == created["offer_id"]))
        ).one()
    assert row.issuer_state_digest == digest(issuer_state)
    assert issuer_state not in repr(tuple(row))


async def test_haip_4_2_an_authorization_code_offer_takes_no_claims_tx_code_or_deferral(
    code_issuer: Issuer, issuer: Issuer
) -> None:
    refusals = [
        await _post_offer(code_issuer, claims=INCOME_CLAIMS),
        await _post_offer(code_issuer, tx_code=True),
        await _post_offer(code_issuer, deferred=True),
        await _post_offer(code_issuer, subject="nobody-here"),
        await _post_offer(issuer),  # no authenticator: the code flow is off
    ]
    for response in refusals:
        assert_error(response, 400, "invalid_request", str(INCOME_CLAIMS["year"]))
    assert (await _post_offer(code_issuer, tx_code=False)).status_code == 201
    pre_authorized = await issuer.offer()
    assert pre_authorized["tx_code"] is not None  # the default grant keeps its tx_code
    assert (await _state(issuer, pre_authorized["offer_id"]))["grant"] == "pre-authorized_code"


async def test_haip_4_2_from_offer_to_credential_under_the_offer_id(code_issuer: Issuer) -> None:
    created = await _offer(code_issuer, subject=SUBJECT, batch_size=2)
    client = CodeClient(code_issuer)
    code = await client.code(issuer_state=_issuer_state(created))
    assert (await _state(code_issuer, created["offer_id"]))["state"] == "authorized"
    assert (await code_issuer.client.get(f"/offers/{created['offer_id']}")).status_code == 404
    tokens = tokens_of(await client.token(client.code_form(code)))
    assert tokens.body["scope"] == CONFIGURATION
    response = await client.credentials(tokens.access_token, batch=2)
    assert response.status_code == 200, response.text
    credentials = [item["credential"] for item in response.json()["credentials"]]
    verified = await code_issuer.wallet.verify(ISSUER, credentials)
    assert {v.claims["joint_assessed_income_cents"] for v in verified} == {2_850_000}
    state = await _state(code_issuer, created["offer_id"])
    assert (state["state"], state["credentials"]) == ("issued", {"valid": 2})
    revoked = await code_issuer.client.post(
        f"/backoffice/offers/{created['offer_id']}/status",
        json={"status": "revoked"},
        headers=code_issuer.backoffice(),
    )
    assert revoked.json()["changed"] == 2


async def test_haip_4_2_an_offer_without_a_subject_takes_whoever_logs_in(
    code_issuer: Issuer,
) -> None:
    created = await _offer(code_issuer)
    client = CodeClient(code_issuer)
    code = await client.code(issuer_state=_issuer_state(created), login_hint=OTHER_SUBJECT)
    tokens = tokens_of(await client.token(client.code_form(code)))
    response = await client.credentials(tokens.access_token)
    assert response.status_code == 200, response.text
    verified = await code_issuer.wallet.verify(
        ISSUER, [response.json()["credentials"][0]["credential"]]
    )
    assert verified[0].claims["year"] == 2025


async def test_oid4vci_5_1_3_an_unknown_used_or_expired_issuer_state_is_refused(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    unknown = "u" * 43
    assert_error(await client.par(issuer_state=unknown), 400, "invalid_request", unknown)
    used = _issuer_state(await _offer(code_issuer))
    await client.request_uri(issuer_state=used)
    assert_error(await client.par(issuer_state=used), 400, "invalid_request", used)
    expiring = await _offer(code_issuer, expires_in=60)
    code_issuer.clock.advance(60)
    expired = _issuer_state(expiring)
    assert_error(await client.par(issuer_state=expired), 400, "invalid_request", expired)
    pre_authorized = await code_issuer.offer()
    code = pre_authorized["credential_offer"]["grants"][
        "urn:ietf:params:oauth:grant-type:pre-authorized_code"
    ]["pre-authorized_code"]
    assert_error(await client.par(issuer_state=code), 400, "invalid_request", code)
    response = await client.par(issuer_state=unknown)
    assert "issuer_state" in response.json()["error_description"]


async def test_oid4vci_5_1_3_a_withdrawn_offer_is_refused(code_issuer: Issuer) -> None:
    created = await _offer(code_issuer, subject=SUBJECT)
    withdrawn = await code_issuer.client.post(
        f"/backoffice/offers/{created['offer_id']}/status",
        json={"status": "revoked"},
        headers=code_issuer.backoffice(),
    )
    assert withdrawn.json()["changed"] == 0
    client = CodeClient(code_issuer)
    assert_error(await client.par(issuer_state=_issuer_state(created)), 400, "invalid_request")


async def test_haip_4_2_the_scope_must_be_the_offered_configuration(code_issuer: Issuer) -> None:
    created = await _offer(code_issuer, subject=SUBJECT)
    client = CodeClient(code_issuer)
    issuer_state = _issuer_state(created)
    assert_error(await client.par(issuer_state=issuer_state, scope="rent"), 400, "invalid_scope")
    assert (await _state(code_issuer, created["offer_id"]))["state"] == "offered"
    await client.request_uri(issuer_state=issuer_state)  # the refusal did not spend it
    assert (await _state(code_issuer, created["offer_id"]))["state"] == "used"


async def test_haip_4_2_another_citizen_logging_in_is_access_denied(code_issuer: Issuer) -> None:
    created = await _offer(code_issuer, subject=OTHER_SUBJECT)
    client = CodeClient(code_issuer)
    issuer_state = _issuer_state(created)
    denied = await client.authorize(
        await client.request_uri(issuer_state=issuer_state, login_hint=SUBJECT)
    )
    query = _query(denied)
    assert (query["error"], query["state"], query["iss"]) == (
        ["access_denied"],
        ["state-1"],
        [ISSUER],
    )
    assert "code" not in query
    assert (await _state(code_issuer, created["offer_id"]))["state"] == "denied"
    assert_error(await client.par(issuer_state=issuer_state), 400, "invalid_request")


async def test_haip_4_2_an_offer_that_ends_during_the_login_grants_nothing(
    code_issuer: Issuer,
) -> None:
    created = await _offer(code_issuer, subject=SUBJECT)
    client = CodeClient(code_issuer)
    request_uri = await client.request_uri(issuer_state=_issuer_state(created), login_hint=None)
    page = await client.authorize(request_uri)
    handle = page.text.split('name="handle" value="', 1)[1].split('"', 1)[0]
    await code_issuer.client.post(
        f"/backoffice/offers/{created['offer_id']}/status",
        json={"status": "revoked"},
        headers=code_issuer.backoffice(),
    )
    done = await code_issuer.client.post(
        "/authorize/callback", data={"handle": handle, "subject": SUBJECT}
    )
    assert _query(done)["error"] == ["access_denied"]
    assert (await _state(code_issuer, created["offer_id"]))["state"] == "withdrawn"


async def test_haip_4_2_two_concurrent_pars_use_the_offer_once(code_issuer: Issuer) -> None:
    created = await _offer(code_issuer, subject=SUBJECT)
    issuer_state = _issuer_state(created)
    clients = [CodeClient(code_issuer) for _ in range(2)]
    responses = await asyncio.gather(*(c.par(issuer_state=issuer_state) for c in clients))
    assert sorted(r.status_code for r in responses) == [201, 400]
    refused = next(r for r in responses if r.status_code == 400)
    assert_error(refused, 400, "invalid_request", issuer_state)
    assert (await _state(code_issuer, created["offer_id"]))["state"] == "used"


async def test_without_issuer_state_the_wallet_starts_the_flow_itself(code_issuer: Issuer) -> None:
    created = await _offer(code_issuer, subject=SUBJECT)
    client = CodeClient(code_issuer)
    tokens_of(await client.token(client.code_form(await client.code())))
    assert (await _state(code_issuer, created["offer_id"]))["state"] == "offered"
