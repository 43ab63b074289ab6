"""The back-office API: API keys, scopes, rotation, input checks, and the offer it returns."""

from __future__ import annotations

import json

import pytest

from issuer.api_keys import create_api_key
from tests.issuer.conftest import INCOME_CLAIMS, ISSUER, Issuer
from tests.issuer.test_token_endpoint import assert_error


async def test_an_offer_has_link_qr_and_a_numeric_tx_code(issuer: Issuer) -> None:
    created = await issuer.offer(batch_size=2)
    offer = created["credential_offer"]
    assert offer["credential_issuer"] == ISSUER
    assert offer["credential_configuration_ids"] == ["household_income"]
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant["tx_code"]["input_mode"] == "numeric"
    assert grant["tx_code"]["length"] == len(created["tx_code"]) == 6
    assert created["tx_code"].isdigit()
    assert created["link"].startswith("openid-credential-offer://?credential_offer=")
    assert created["link_by_reference"].startswith(
        "openid-credential-offer://?credential_offer_uri="
    )
    assert created["qr"]["svg"].startswith("<svg")
    assert created["qr"]["png_base64"].startswith("iVBOR")  # the PNG signature, base64
    by_reference = await issuer.client.get(created["credential_offer_uri"])
    assert by_reference.json() == offer


async def test_the_offer_by_reference_is_gone_once_redeemed(issuer: Issuer) -> None:
    created = await issuer.offer()
    await issuer.wallet.receive(created["credential_offer"], created["tx_code"])
    response = await issuer.client.get(created["credential_offer_uri"])
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("authorization", [None, "Bearer aak_wrong", "Basic x", "Bearer "])
async def test_without_a_valid_key_the_back_office_is_closed(
    issuer: Issuer, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    body = {"configuration_id": "household_income", "claims": INCOME_CLAIMS}
    response = await issuer.client.post("/backoffice/offers", json=body, headers=headers)
    assert_error(response, 401, "unauthorized")


async def test_a_key_is_scoped_to_its_configurations(issuer: Issuer) -> None:
    municipal = await create_api_key(issuer.context, name="gemeente", configurations=["household"])
    body = {"configuration_id": "household_income", "claims": INCOME_CLAIMS}
    response = await issuer.client.post(
        "/backoffice/offers", json=body, headers=issuer.backoffice(municipal.secret)
    )
    assert_error(response, 403, "forbidden")
    created = await issuer.offer()
    response = await issuer.client.get(
        f"/backoffice/offers/{created['offer_id']}", headers=issuer.backoffice(municipal.secret)
    )
    assert_error(response, 404, "not_found")


async def test_rotation_keeps_the_old_key_for_the_overlap_only(issuer: Issuer) -> None:
    rotated = await issuer.client.post(
        "/backoffice/api-keys/rotate", json={"overlap_seconds": 60}, headers=issuer.backoffice()
    )
    assert rotated.status_code == 200
    fresh = rotated.json()["api_key"]
    body = {"configuration_id": "household_income", "claims": INCOME_CLAIMS}
    for key in (issuer.api_key, fresh):
        response = await issuer.client.post(
            "/backoffice/offers", json=body, headers=issuer.backoffice(key)
        )
        assert response.status_code == 201
    issuer.clock.advance(60)
    old = await issuer.client.post(
        "/backoffice/offers", json=body, headers=issuer.backoffice(issuer.api_key)
    )
    assert_error(old, 401, "unauthorized")
    new = await issuer.client.post(
        "/backoffice/offers", json=body, headers=issuer.backoffice(fresh)
    )
    assert new.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"configuration_id": "no_such", "claims": INCOME_CLAIMS}, 400, "invalid_request"),
        ({"configuration_id": "household_income"}, 400, "invalid_request"),
        ({"configuration_id": "household_income", "claims": {}}, 400, "invalid_request"),
        (
            {"configuration_id": "household_income", "claims": {"secret_canary_claim": 1}},
            400,
            "invalid_request",
        ),
        (
            {"configuration_id": "household_income", "claims": {**INCOME_CLAIMS, "iss": "x"}},
            400,
            "invalid_request",
        ),
        (
            {"configuration_id": "household_income", "claims": INCOME_CLAIMS, "batch_size": 0},
            400,
            "invalid_request",
        ),
        (
            {"configuration_id": "household_income", "claims": INCOME_CLAIMS, "batch_size": 11},
            400,
            "invalid_request",
        ),
        (
            {"configuration_id": "household_income", "claims": INCOME_CLAIMS, "subject": "s"},
            400,
            "invalid_request",
        ),
        (
            {"configuration_id": "household_income", "claims": INCOME_CLAIMS, "extra": 1},
            400,
            "invalid_request",
        ),
        (
            {"configuration_id": "household_income", "subject": "citizen-1"},
            400,
            "invalid_request",
        ),
    ],
)
async def test_bad_offers_are_refused_without_echo(
    issuer: Issuer, body: dict[str, object], status: int, code: str
) -> None:
    response = await issuer.client.post(
        "/backoffice/offers", json=body, headers=issuer.backoffice()
    )
    assert_error(response, status, code, "secret_canary_claim", "2850000")


async def test_claims_are_sealed_at_rest(issuer: Issuer) -> None:
    canary = {**INCOME_CLAIMS, "joint_assessed_income_cents": 1_234_567_891}
    await issuer.offer(claims=canary)
    from sqlalchemy import select

    from issuer.tables import offers

    async with issuer.context.read() as connection:
        rows = (await connection.execute(select(offers))).all()
    dump = json.dumps([[str(value) for value in row] for row in rows])
    assert "1234567891" not in dump
    assert "joint_assessed_income_cents" not in dump


async def test_unknown_offers_are_not_found(issuer: Issuer) -> None:
    for path in ("/backoffice/offers/nope", "/offers/nope"):
        headers = issuer.backoffice() if path.startswith("/backoffice") else {}
        assert_error(await issuer.client.get(path, headers=headers), 404, "not_found")
    response = await issuer.client.post(
        "/backoffice/offers/nope/status", json={"status": "revoked"}, headers=issuer.backoffice()
    )
    assert_error(response, 404, "not_found")


async def test_revoking_an_unredeemed_offer_withdraws_it(issuer: Issuer) -> None:
    created = await issuer.offer()
    response = await issuer.client.post(
        f"/backoffice/offers/{created['offer_id']}/status",
        json={"status": "revoked"},
        headers=issuer.backoffice(),
    )
    assert response.json()["changed"] == 0
    state = await issuer.client.get(
        f"/backoffice/offers/{created['offer_id']}", headers=issuer.backoffice()
    )
    assert state.json()["state"] == "withdrawn"
    assert state.json()["claims_held"] is False
    token = await issuer.wallet.token(created["credential_offer"], created["tx_code"])
    assert_error(token, 400, "invalid_grant")
    assert_error(await issuer.client.get(created["credential_offer_uri"]), 404, "not_found")
    suspend = await issuer.client.post(
        f"/backoffice/offers/{created['offer_id']}/status",
        json={"status": "suspended"},
        headers=issuer.backoffice(),
    )
    assert_error(suspend, 409, "conflict")
