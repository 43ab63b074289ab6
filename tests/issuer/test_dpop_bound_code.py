"""Authorization codes bound to a DPoP key (RFC 9449 §10), on SQLite and PostgreSQL.

A pushed authorization request names the key by ``dpop_jkt`` or by a DPoP proof sent to the
PAR endpoint (an authorization server with PAR and DPoP supports both); the token request
must then prove that key. A mismatch is ``invalid_grant`` and does not spend the code, so
someone who took the code from the browser's redirect gets nothing, and the wallet still can.
"""

from __future__ import annotations

import httpx

from specs.jose import generate_private_key
from tests.issuer.code_flow import CodeClient, assert_error, code_issuer, tokens_of
from tests.issuer.conftest import Issuer

__all__ = ["code_issuer"]  # the fixture, by name


async def test_rfc_9449_10_a_code_bound_by_dpop_jkt_needs_that_key(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    code = await client.code(dpop_jkt=client.key.public.thumbprint())
    thief = CodeClient(code_issuer, verifier=client.verifier)  # the same verifier, another key
    assert_error(await thief.token(client.code_form(code)), 400, "invalid_grant", code)
    assert_error(await client.token(client.code_form(code), dpop=False), 400, "invalid_grant")
    tokens_of(await client.token(client.code_form(code)))  # the refusals did not spend it


async def test_rfc_9449_10_a_dpop_proof_at_par_binds_the_code(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    response = await _par_with_proof(client)
    assert response.status_code == 201, response.text
    authorized = await client.authorize(response.json()["request_uri"])
    code = httpx.URL(authorized.headers["location"]).params["code"]
    thief = CodeClient(code_issuer, verifier=client.verifier)
    assert_error(await thief.token(client.code_form(code)), 400, "invalid_grant", code)
    tokens_of(await client.token(client.code_form(code)))


async def test_rfc_9449_10_dpop_jkt_must_be_the_key_of_the_proof_at_par(
    code_issuer: Issuer,
) -> None:
    client = CodeClient(code_issuer)
    other = generate_private_key().public.thumbprint()
    assert_error(await _par_with_proof(client, dpop_jkt=other), 400, "invalid_dpop_proof")


async def test_rfc_9449_10_a_malformed_dpop_jkt_is_refused(code_issuer: Issuer) -> None:
    client = CodeClient(code_issuer)
    assert_error(await client.par(dpop_jkt="not-a-thumbprint"), 400, "invalid_request")


async def _par_with_proof(client: CodeClient, **overrides: str) -> httpx.Response:
    """PAR with a DPoP proof, answering ``use_dpop_nonce`` once (RFC 9449 §8)."""
    for _ in range(2):
        headers = {"DPoP": client.proof("POST", "/par"), **client.client_headers()}
        response = await client.http.post(
            "/par", data=client.par_form(**overrides), headers=headers
        )
        nonce = response.headers.get("dpop-nonce")
        if response.status_code != 400 or response.json()["error"] != "use_dpop_nonce":
            return response
        client.nonce = nonce
    return response
