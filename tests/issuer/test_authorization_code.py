"""The authorization code flow at the issuer (HAIP 1.0 §4, §4.1, §4.3, §4.4): PAR, the
authorization endpoint, the citizen's login, the code and its redemption, over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.issuer.code_flow import (
    CLIENT_ID,
    CONFIGURATION,
    REDIRECT_URI,
    CodeClient,
    assert_error,
    code_issuer,
    tokens_of,
)
from tests.issuer.conftest import ISSUER, Issuer

__all__ = ["code_issuer"]


async def test_haip_4_1_every_configuration_has_a_scope_and_the_code_flow_is_advertised(
    code_issuer: Issuer,
) -> None:
    issuer = (await code_issuer.client.get("/.well-known/openid-credential-issuer")).json()
    configurations = issuer["credential_configurations_supported"]
    assert all(entry["scope"] == name for name, entry in configurations.items())
    server = (await code_issuer.client.get("/.well-known/oauth-authorization-server")).json()
    assert server["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert server["pushed_authorization_request_endpoint"] == f"{ISSUER}/par"
    assert server["require_pushed_authorization_requests"] is True
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["authorization_response_iss_parameter_supported"] is True
    assert server["dpop_signing_alg_values_supported"] == ["ES256"]
    assert server["response_types_supported"] == ["code"]
    assert set(server["scopes_supported"]) == set(configurations)
    assert server["token_endpoint_auth_methods_supported"] == ["none"]
    assert server["grant_types_supported"] == [
        "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        "authorization_code",
        "refresh_token",
    ]


async def test_without_an_authenticator_the_code_flow_is_off(issuer: Issuer) -> None:
    server = (await issuer.client.get("/.well-known/oauth-authorization-server")).json()
    assert "authorization_endpoint" not in server
    assert server["dpop_signing_alg_values_supported"] == ["ES256"]
    assert_error(await CodeClient(issuer).par(), 400, "invalid_request")
    form = {"grant_type": "refresh_token", "refresh_token": "x"}
    assert_error(await issuer.client.post("/token", data=form), 400, "unsupported_grant_type")


async def test_haip_4_3_par_gives_a_short_lived_urn_request_uri(code_issuer: Issuer) -> None:
    response = await CodeClient(code_issuer).par()
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == code_issuer.context.settings.authorization_request_ttl_seconds


async def test_haip_4_3_a_scope_must_name_exactly_one_configuration(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    assert_error(await client.par(scope="unknown_type"), 400, "invalid_scope")
    assert_error(await client.par(scope=f"{CONFIGURATION} rent"), 400, "invalid_scope")
    assert_error(await client.par(scope='bad"scope'), 400, "invalid_scope")


async def test_haip_4_3_par_refusals_with_their_codes(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    pushed_uri = "urn:ietf:params:oauth:request_uri:" + "a" * 43
    assert_error(await client.par(request_uri=pushed_uri), 400, "invalid_request")
    assert_error(await client.par(response_type="token"), 400, "unsupported_response_type")
    details = '[{"type":"openid_credential"}]'
    assert_error(
        await client.par(authorization_details=details), 400, "invalid_authorization_details"
    )
    assert_error(await client.par(code_challenge=None), 400, "invalid_request")
    assert_error(await client.par(code_challenge_method="plain"), 400, "invalid_request")
    assert_error(await client.par(redirect_uri="http://wallet.example/cb"), 400, "invalid_request")
    secret = await code_issuer.client.post(
        "/par", data=client.par_form(), headers={"Authorization": "Basic d2FsbGV0OnNlY3JldA=="}
    )
    assert_error(secret, 401, "invalid_client")


async def test_haip_4_3_authorize_accepts_only_a_request_uri_from_par(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    direct = await code_issuer.client.get("/authorize", params=client.par_form())
    assert_error(direct, 400, "invalid_request")
    unknown = "urn:ietf:params:oauth:request_uri:" + "b" * 43
    assert_error(await client.authorize(unknown), 400, "invalid_request")


async def test_haip_4_3_a_request_uri_works_once_for_its_client_only(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    request_uri = await client.request_uri()
    assert_error(await client.authorize(request_uri, "another-client"), 400, "invalid_request")
    assert (await client.authorize(request_uri)).status_code == 303
    assert_error(await client.authorize(request_uri), 400, "invalid_request")


async def test_haip_4_3_an_expired_request_uri_is_refused(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    request_uri = await client.request_uri()
    code_issuer.clock.advance(code_issuer.context.settings.authorization_request_ttl_seconds)
    assert_error(await client.authorize(request_uri), 400, "invalid_request")


async def test_haip_4_3_the_response_carries_code_state_and_iss(code_issuer: Issuer) -> None:
    response = await CodeClient(code_issuer).authorize(await CodeClient(code_issuer).request_uri())
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["state-1"]
    assert query["iss"] == [ISSUER]
    assert len(query["code"][0]) >= 43


async def test_the_development_login_form_posts_the_subject(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    page = await client.authorize(await client.request_uri(login_hint=None))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    handle = page.text.split('name="handle" value="', 1)[1].split('"', 1)[0]
    done = await code_issuer.client.post(
        "/authorize/callback", data={"handle": handle, "subject": "citizen-1"}
    )
    assert done.status_code == 303
    assert "code" in parse_qs(urlsplit(done.headers["location"]).query)
    again = await code_issuer.client.post(
        "/authorize/callback", data={"handle": handle, "subject": "citizen-1"}
    )
    assert_error(again, 400, "invalid_request")  # a login ends once
    assert_error(
        await code_issuer.client.post("/authorize/callback", data={}), 400, "invalid_request"
    )


async def test_a_cancelled_login_or_an_unknown_subject_is_access_denied(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    unknown = await client.authorize(await client.request_uri(login_hint="nobody-here"))
    query = parse_qs(urlsplit(unknown.headers["location"]).query)
    assert (query["error"], query["state"], query["iss"]) == (
        ["access_denied"],
        ["state-1"],
        [ISSUER],
    )
    page = await client.authorize(await client.request_uri(login_hint=None))
    handle = page.text.split('name="handle" value="', 1)[1].split('"', 1)[0]
    cancelled = await code_issuer.client.post("/authorize/callback", data={"handle": handle})
    assert parse_qs(urlsplit(cancelled.headers["location"]).query)["error"] == ["access_denied"]


async def test_haip_4_the_code_is_bound_to_the_pkce_verifier(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    code = await client.code()
    wrong = client.code_form(code, code_verifier="W" * 43)
    assert_error(await client.token(wrong), 400, "invalid_grant", code)
    assert_error(
        await client.token(client.code_form(code, code_verifier="short")), 400, "invalid_request"
    )
    tokens_of(await client.token(client.code_form(code)))  # a failed try did not spend it


async def test_haip_4_the_code_is_bound_to_redirect_uri_and_client(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    code = await client.code()
    other_uri = client.code_form(code, redirect_uri="https://wallet.example/other")
    assert_error(await client.token(other_uri), 400, "invalid_grant")
    assert_error(
        await client.token(client.code_form(code, client_id="other")), 400, "invalid_grant"
    )
    tokens_of(await client.token(client.code_form(code)))


async def test_rfc_6749_a_reused_code_revokes_the_tokens_issued_from_it(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    code = await client.code()
    first = tokens_of(await client.token(client.code_form(code)))
    assert first.token_type == "DPoP"
    assert_error(await client.token(client.code_form(code)), 400, "invalid_grant", code)
    assert_error(await client.credentials(first.access_token), 401, "invalid_token")
    assert first.refresh_token is not None
    assert_error(await client.refresh(first.refresh_token), 400, "invalid_grant")


async def test_an_expired_code_is_invalid_grant(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    code = await client.code()
    code_issuer.clock.advance(code_issuer.context.settings.authorization_code_ttl_seconds)
    assert_error(await client.token(client.code_form(code)), 400, "invalid_grant")


async def test_without_dpop_outside_haip_the_code_gives_a_bearer_token_only(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    response = await client.token(client.code_form(await client.code()), dpop=False)
    tokens = tokens_of(response)
    assert (tokens.token_type, tokens.refresh_token) == ("Bearer", None)
    assert tokens.body["scope"] == CONFIGURATION
    body = await client.credential_body()
    answer = await client.resource("/credential", tokens.access_token, body, scheme="Bearer")
    assert answer.status_code == 200, answer.text


async def test_haip_4_the_whole_flow_ends_in_verified_credentials(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    response = await client.credentials(tokens.access_token, batch=3)
    assert response.status_code == 200, response.text
    credentials = [item["credential"] for item in response.json()["credentials"]]
    verified = await code_issuer.wallet.verify(ISSUER, credentials)
    assert len(verified) == 3
    assert {v.claims["joint_assessed_income_cents"] for v in verified} == {2_850_000}
    assert CLIENT_ID not in str(verified[0].claims)
