"""The whole pre-authorized code flow, as a wallet following OpenID4VCI 1.0 runs it."""

from __future__ import annotations

from specs.jose import JwsAlg
from specs.sd_jwt import DEFAULT_LIMITS, split_compact
from specs.status_list import StatusType, verify_status_list_token
from tests.issuer.conftest import ISSUER, Issuer


async def test_a_wallet_receives_a_batch_of_one_time_credentials(issuer: Issuer) -> None:
    created = await issuer.offer(batch_size=3)
    received = await issuer.wallet.receive(created["credential_offer"], created["tx_code"], batch=3)
    assert len(received.credentials) == 3
    for credential in received.credentials:
        assert credential.issuer == ISSUER
        assert credential.vct == "urn:nl:belastingdienst:household-income:1"
        assert credential.claims["joint_assessed_income_cents"] == 2_850_000
        assert credential.status is not None
    # One-time instances are unlinkable: keys, status indices, salts and signatures differ;
    # the timestamps are rounded to the day and therefore equal.
    keys = {str(c.claims["cnf"]["jwk"]) for c in received.credentials}
    indices = {c.status.idx for c in received.credentials if c.status}
    disclosures = [
        set(split_compact(t, limits=DEFAULT_LIMITS).disclosures) for t in received.tokens
    ]
    signatures = {t.split("~")[0].rsplit(".", 1)[1] for t in received.tokens}
    assert len(keys) == len(indices) == len(signatures) == 3
    assert not disclosures[0] & disclosures[1]
    assert not disclosures[1] & disclosures[2]
    assert len({c.claims["iat"] for c in received.credentials}) == 1
    assert received.credentials[0].claims["iat"] % 86_400 == 0


async def test_claims_are_held_only_until_the_wallet_confirms(issuer: Issuer) -> None:
    created = await issuer.offer()
    received = await issuer.wallet.receive(created["credential_offer"], created["tx_code"])
    path = f"/backoffice/offers/{created['offer_id']}"
    state = (await issuer.client.get(path, headers=issuer.backoffice())).json()
    assert state["state"] == "issued"
    assert state["claims_held"] is True  # for a retry, should the response have been lost
    notified = await issuer.client.post(
        "/notification",
        json={"notification_id": received.notification_id, "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {received.access_token}"},
    )
    assert notified.status_code == 204
    state = (await issuer.client.get(path, headers=issuer.backoffice())).json()
    assert state["state"] == "delivered"
    assert state["claims_held"] is False
    assert state["credentials"] == {"valid": 1}


async def test_without_confirmation_the_claims_go_when_the_window_ends(issuer: Issuer) -> None:
    from issuer.sweeper import sweep

    created = await issuer.offer()
    await issuer.wallet.receive(created["credential_offer"], created["tx_code"])
    issuer.clock.advance(issuer.context.settings.redelivery_window_seconds - 1)
    await sweep(issuer.context)
    path = f"/backoffice/offers/{created['offer_id']}"
    assert (await issuer.client.get(path, headers=issuer.backoffice())).json()["claims_held"]
    issuer.clock.advance(1)
    await sweep(issuer.context)
    state = (await issuer.client.get(path, headers=issuer.backoffice())).json()
    assert state["state"] == "delivered"
    assert state["claims_held"] is False


async def test_revocation_suspension_and_reinstatement_show_in_the_status_list(
    issuer: Issuer,
) -> None:
    created = await issuer.offer(batch_size=2)
    received = await issuer.wallet.receive(created["credential_offer"], created["tx_code"], batch=2)
    offer_id = created["offer_id"]

    async def statuses() -> list[int]:
        found = []
        for credential in received.credentials:
            assert credential.status is not None
            response = await issuer.client.get(credential.status.uri)
            assert response.headers["content-type"] == "application/statuslist+jwt"
            verified = verify_status_list_token(
                response.text,
                key=issuer.context.keys.active.public,
                expected_uri=credential.status.uri,
                now=issuer.clock(),
                leeway=0,
                max_age=86_400,
                algorithms={JwsAlg.ES256},
            )
            found.append(verified.status_of(credential.status))
        return found

    assert await statuses() == [StatusType.VALID] * 2
    for status, expected in [
        ("suspended", StatusType.SUSPENDED),
        ("valid", StatusType.VALID),
        ("revoked", StatusType.INVALID),
    ]:
        response = await issuer.client.post(
            f"/backoffice/offers/{offer_id}/status",
            json={"status": status},
            headers=issuer.backoffice(),
        )
        assert response.status_code == 200, response.text
        assert response.json()["changed"] == 2
        assert await statuses() == [expected] * 2
    again = await issuer.client.post(
        f"/backoffice/offers/{offer_id}/status",
        json={"status": "valid"},
        headers=issuer.backoffice(),
    )
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"


async def test_derived_predicate_claims_are_computed_and_selectively_disclosable(
    issuer: Issuer,
) -> None:
    assets = {"reference_date": "2026-01-01", "joint_assets_cents": 1_000_000}
    created = await issuer.offer(configuration_id="household_assets", claims=assets)
    received = await issuer.wallet.receive(created["credential_offer"], created["tx_code"])
    (credential,) = received.credentials
    claims = credential.claims
    assert claims["joint_assets_within_zorgtoeslag_limit_single"] is True
    assert claims["joint_assets_within_kwijtschelding_limit_single"] is False
    revealed = {path[0] for path in credential.sd_jwt.processed.revealed_paths.values()}
    assert "joint_assets_within_zorgtoeslag_limit_single" in revealed
    assert "reference_date" not in revealed  # Type Metadata: sd never


async def test_the_back_office_cannot_set_a_derived_predicate_claim(issuer: Issuer) -> None:
    claims = {
        "reference_date": "2026-01-01",
        "joint_assets_cents": 99_000_000,
        "joint_assets_within_zorgtoeslag_limit_single": True,
    }
    response = await issuer.client.post(
        "/backoffice/offers",
        json={"configuration_id": "household_assets", "claims": claims},
        headers=issuer.backoffice(),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
