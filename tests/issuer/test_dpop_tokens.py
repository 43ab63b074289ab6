"""DPoP-bound access tokens (RFC 9449; HAIP 1.0 §4): binding at the token endpoint, server
nonces, replay, the key check and the scheme at the credential, deferred and notification
endpoints, and strict HAIP mode."""

from __future__ import annotations

from specs.dpop import new_jti
from specs.errors import DpopReason
from specs.jose import generate_private_key
from tests.issuer.code_flow import (
    CodeClient,
    assert_error,
    code_issuer,
    haip_issuer,
    pre_authorized_form,
    tokens_of,
)
from tests.issuer.conftest import Issuer

__all__ = ["code_issuer", "haip_issuer"]


async def test_haip_4_a_proof_without_the_servers_nonce_gets_use_dpop_nonce(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    form = client.code_form(await client.code())
    first = await client.token_request(form)
    assert_error(first, 400, "use_dpop_nonce")
    assert first.headers["dpop-nonce"] == client.nonce
    answer = await client.token_request(form)
    tokens = tokens_of(answer)
    assert tokens.token_type == "DPoP"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["dpop-nonce"]  # the next proof's nonce comes with every answer


async def test_haip_4_an_old_or_forged_nonce_gets_a_new_one(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    await client.token_request(client.code_form(await client.code()))
    stale = client.nonce
    code_issuer.clock.advance(code_issuer.context.settings.dpop_nonce_ttl_seconds)
    form = client.code_form(await client.code())
    assert_error(await client.token_request(form, nonce=stale), 400, "use_dpop_nonce")
    assert client.nonce != stale
    assert_error(await client.token_request(form, nonce="forged-nonce"), 400, "use_dpop_nonce")
    tokens_of(await client.token_request(form))


async def test_haip_4_a_replayed_proof_is_refused_at_the_token_endpoint(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    form = client.code_form(await client.code())
    await client.token_request(form)
    jti = new_jti(lambda n: b"\x07" * n)
    tokens_of(await client.token_request(form, jti=jti))
    again = await client.token_request(client.code_form(await client.code()), jti=jti)
    assert_error(again, 400, "invalid_dpop_proof")
    assert again.json()["error_description"] == DpopReason.PROOF_REPLAYED.value


async def test_a_proof_for_another_url_is_invalid_dpop_proof(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    form = client.code_form(await client.code())
    await client.token_request(form)
    headers = {"DPoP": client.proof("POST", "/credential")}
    response = await code_issuer.client.post("/token", data=form, headers=headers)
    assert_error(response, 400, "invalid_dpop_proof")
    assert response.json()["error_description"] == DpopReason.HTU_MISMATCH.value
    two = [("DPoP", client.proof("POST", "/token")), ("DPoP", client.proof("POST", "/token"))]
    assert_error(
        await code_issuer.client.post("/token", data=form, headers=two), 400, "invalid_dpop_proof"
    )


async def test_haip_4_credential_requests_carry_a_proof_with_ath_and_nonce(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    client.nonce = None
    body = await client.credential_body()
    first = await client.resource("/credential", tokens.access_token, body)
    assert_error(first, 401, "use_dpop_nonce")
    assert first.headers["www-authenticate"] == 'DPoP algs="ES256", error="use_dpop_nonce"'
    assert first.headers["dpop-nonce"] == client.nonce
    no_ath = {
        "DPoP": client.proof("POST", "/credential"),
        "Authorization": f"DPoP {tokens.access_token}",
    }
    refused = await code_issuer.client.post("/credential", json=body, headers=no_ath)
    assert_error(refused, 401, "invalid_dpop_proof", tokens.access_token)
    assert refused.json()["error_description"] == DpopReason.ATH_MISSING.value
    assert (await client.resource("/credential", tokens.access_token, body)).status_code == 200


async def test_rfc_9449_7_1_a_dpop_bound_token_sent_as_bearer_is_refused(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    body = await client.credential_body()
    response = await client.resource("/credential", tokens.access_token, body, scheme="Bearer")
    assert_error(response, 401, "invalid_token", tokens.access_token)
    assert response.headers["www-authenticate"].startswith("DPoP")


async def test_rfc_9449_a_proof_by_another_key_is_refused(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    body = await client.credential_body()
    response = await client.resource(
        "/credential", tokens.access_token, body, key=generate_private_key()
    )
    assert_error(response, 401, "invalid_token")


async def test_rfc_9449_a_replayed_proof_is_refused_at_the_credential_endpoint(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    jti = new_jti(lambda n: b"\x09" * n)
    assert (await client.credentials(tokens.access_token)).status_code == 200
    body = await client.credential_body()
    assert (
        await client.resource("/credential", tokens.access_token, body, jti=jti)
    ).status_code == 200
    again = await client.resource(
        "/credential", tokens.access_token, await client.credential_body(), jti=jti
    )
    assert_error(again, 401, "invalid_dpop_proof")
    assert again.json()["error_description"] == DpopReason.PROOF_REPLAYED.value


async def test_notification_and_deferred_endpoints_take_dpop_tokens(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    issued = (await client.credentials(tokens.access_token)).json()
    notification = {"notification_id": issued["notification_id"], "event": "credential_accepted"}
    answer = await client.resource("/notification", tokens.access_token, notification)
    assert answer.status_code == 204, answer.text
    deferred = await client.resource(
        "/deferred_credential", tokens.access_token, {"transaction_id": "x"}
    )
    assert_error(deferred, 400, "invalid_transaction_id")
    bearer = await client.resource(
        "/notification", tokens.access_token, notification, scheme="Bearer"
    )
    assert_error(bearer, 401, "invalid_token")


async def test_outside_haip_the_pre_authorized_flow_may_bind_its_token(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    created = await code_issuer.offer()
    response = await client.token(pre_authorized_form(created))
    tokens = tokens_of(response)
    assert (tokens.token_type, tokens.refresh_token) == ("DPoP", None)
    assert (await client.credentials(tokens.access_token)).status_code == 200


async def test_haip_4_strict_mode_requires_dpop_at_the_token_endpoint(haip_issuer: Issuer) -> None:
    client = CodeClient(haip_issuer)
    created = await haip_issuer.offer()
    form = pre_authorized_form(created)
    assert_error(await client.token(form, dpop=False), 400, "invalid_dpop_proof")
    code_form = client.code_form(await client.code())
    assert_error(await client.token(code_form, dpop=False), 400, "invalid_dpop_proof")
    tokens = tokens_of(await client.token(form))
    assert tokens.token_type == "DPoP"
    assert (await client.credentials(tokens.access_token)).status_code == 200


async def test_haip_4_strict_mode_refuses_bearer_at_every_resource(haip_issuer: Issuer) -> None:
    client = CodeClient(haip_issuer)
    tokens = await client.tokens()
    body = await client.credential_body()
    for path in ("/credential", "/deferred_credential", "/notification"):
        response = await client.resource(path, tokens.access_token, body, scheme="Bearer")
        assert_error(response, 401, "invalid_token", tokens.access_token)
        assert response.headers["www-authenticate"] == 'DPoP algs="ES256", error="invalid_token"'
    nothing = await haip_issuer.client.post("/credential", json=body)
    assert_error(nothing, 401, "invalid_token")
