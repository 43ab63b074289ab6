"""What the issuer publishes (OID4VCI 1.0 §12, RFC 8414, SD-JWT VC §4 and §5)."""

from __future__ import annotations

from pathlib import Path

from specs.oid4vci import issuer_metadata_url, parse_issuer_metadata
from specs.sd_jwt_vc import parse_jwt_vc_issuer_metadata
from tests.issuer.conftest import ISSUER, Issuer, issuer_settings, running_issuer
from tests.issuer.test_token_endpoint import assert_error


async def test_issuer_metadata_names_every_endpoint_and_configuration(issuer: Issuer) -> None:
    response = await issuer.client.get(issuer_metadata_url(ISSUER))
    document = response.json()
    parsed = parse_issuer_metadata(document, expected_issuer=ISSUER)
    assert parsed.credential_endpoint == f"{ISSUER}/credential"
    assert parsed.nonce_endpoint == f"{ISSUER}/nonce"
    assert parsed.deferred_credential_endpoint == f"{ISSUER}/deferred_credential"
    assert parsed.notification_endpoint == f"{ISSUER}/notification"
    assert parsed.batch_size == issuer.context.settings.max_batch_size
    income = document["credential_configurations_supported"]["household_income"]
    assert income["format"] == "dc+sd-jwt"
    assert income["vct"] == "urn:nl:belastingdienst:household-income:1"
    assert income["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == ["ES256"]
    assert set(document["credential_configurations_supported"]) == set(
        issuer.context.configurations.by_id
    )


async def test_an_issuer_of_one_instance_per_offer_advertises_no_batch_issuance(
    tmp_path: Path, database_url: str
) -> None:
    """§12.2.4: ``batch_size`` MUST be 2 or greater, so with ``MAX_BATCH_SIZE=1`` the member
    is left out (it was a 500 on the metadata endpoint)."""
    settings = issuer_settings(tmp_path, database_url, max_batch_size=1)
    async with running_issuer(settings) as single:
        response = await single.client.get(issuer_metadata_url(ISSUER))
    assert response.status_code == 200
    assert "batch_credential_issuance" not in response.json()
    assert parse_issuer_metadata(response.json(), expected_issuer=ISSUER).batch_size is None


async def test_the_issuer_is_its_own_authorization_server(issuer: Issuer) -> None:
    document = (await issuer.client.get("/.well-known/oauth-authorization-server")).json()
    assert document["issuer"] == ISSUER
    assert document["token_endpoint"] == f"{ISSUER}/token"
    assert document["pre-authorized_grant_anonymous_access_supported"] is True


async def test_jwt_vc_issuer_metadata_publishes_the_signing_key_by_thumbprint(
    issuer: Issuer,
) -> None:
    document = (await issuer.client.get("/.well-known/jwt-vc-issuer")).json()
    parsed = parse_jwt_vc_issuer_metadata(document, expected_issuer=ISSUER)
    (key,) = parsed.keys or ()
    assert key.kid == key.thumbprint() == issuer.context.keys.active.public.kid
    assert "d" not in document["jwks"]["keys"][0]


async def test_type_metadata_is_served_for_each_configuration(issuer: Issuer) -> None:
    for configuration in issuer.context.configurations.by_id.values():
        response = await issuer.client.get(f"/type-metadata/{configuration.id}")
        assert response.json()["vct"] == configuration.vct
    assert_error(await issuer.client.get("/type-metadata/nope"), 404, "not_found")


async def test_health_and_metrics(issuer: Issuer) -> None:
    assert (await issuer.client.get("/livez")).status_code == 200
    ready = await issuer.client.get("/readyz")
    assert ready.json()["checks"] == {"database": "ok"}
    await issuer.client.post("/nonce")
    metrics = (await issuer.client.get("/metrics")).text
    assert '"/nonce"' in metrics


async def test_an_unknown_status_list_is_not_found(issuer: Issuer) -> None:
    assert_error(await issuer.client.get("/status/99"), 404, "not_found")
    assert (await issuer.client.get("/status/not-a-number")).status_code in (400, 404)
