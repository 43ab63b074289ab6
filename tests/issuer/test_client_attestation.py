"""Wallet attestations as client authentication at /par and /token (OpenID4VCI 1.0 Appendix
E; HAIP 1.0 §4.3, §4.4.1), over HTTP against a real issuer on each database backend."""

from __future__ import annotations

import copy
from typing import Any

import httpx
from sqlalchemy import func, select

from issuer.sweeper import sweep
from issuer.tables import client_attestation_pops
from specs.attestation import ATTESTATION_HEADER, POP_HEADER
from specs.errors import AttestationReason
from specs.jose import generate_private_key
from tests.issuer.attester import WalletAttester
from tests.issuer.code_flow import (
    CodeClient,
    assert_error,
    attested_issuer,
    attester_of,
    code_issuer,
    haip_issuer,
    pre_authorized_form,
    tokens_of,
)
from tests.issuer.conftest import ISSUER, Issuer

__all__ = ["attested_issuer", "code_issuer", "haip_issuer"]


async def _par(issuer: Issuer, headers: Any, **form: str) -> httpx.Response:
    """A pushed request with exactly the headers given (no DPoP is needed at /par)."""
    client = CodeClient(issuer, attest=False)
    return await issuer.client.post("/par", data=client.par_form(**form), headers=headers)


def _refused(response: httpx.Response, reason: AttestationReason, *secrets: str) -> None:
    """``invalid_client`` naming the rule, and nothing of what was sent."""
    assert_error(response, 401, "invalid_client", *secrets)
    assert response.json()["error_description"] == reason.value


async def test_haip_4_4_1_the_code_flow_authenticates_with_a_wallet_attestation(
    haip_issuer: Issuer,
) -> None:
    """PAR, token, credential and refresh, each PAR and token request attested."""
    client = CodeClient(haip_issuer)
    tokens = await client.tokens()
    assert tokens.token_type == "DPoP"
    assert (await client.credentials(tokens.access_token)).status_code == 200
    assert tokens.refresh_token is not None
    refreshed = tokens_of(await client.refresh(tokens.refresh_token))  # no client_id: the sub
    assert (await client.credentials(refreshed.access_token)).status_code == 200
    async with haip_issuer.context.read() as connection:
        seen = await connection.scalar(select(func.count()).select_from(client_attestation_pops))
    assert seen == 4  # PAR, token and its retry for the DPoP nonce, refresh: one PoP each


async def test_haip_4_4_1_strict_mode_requires_the_attestation_at_par_and_token(
    haip_issuer: Issuer,
) -> None:
    unattested = CodeClient(haip_issuer, attest=False)
    assert_error(await unattested.par(), 401, "invalid_client")
    created = await haip_issuer.offer()
    assert_error(await unattested.token(pre_authorized_form(created)), 401, "invalid_client")
    attested = CodeClient(haip_issuer)
    code = await attested.code()
    assert_error(await unattested.token(unattested.code_form(code)), 401, "invalid_client")
    tokens = tokens_of(await attested.token(attested.code_form(code)))
    assert tokens.refresh_token is not None
    refresh = CodeClient(haip_issuer, key=attested.key, nonce=attested.nonce, attest=False)
    assert_error(await refresh.refresh(tokens.refresh_token), 401, "invalid_client")


async def test_haip_4_4_1_strict_mode_issues_by_pre_authorized_code_to_an_attested_wallet(
    haip_issuer: Issuer,
) -> None:
    """OpenID4VCI §6.1 lets the pre-authorized grant be anonymous; HAIP §4.4 does not."""
    client = CodeClient(haip_issuer)
    created = await haip_issuer.offer()
    tokens = tokens_of(await client.token(pre_authorized_form(created)))
    assert (tokens.token_type, tokens.refresh_token) == ("DPoP", None)
    issued = await client.credentials(tokens.access_token)
    assert issued.status_code == 200, issued.text


async def test_haip_4_4_1_exactly_one_attestation_and_one_pop_header(
    attested_issuer: Issuer,
) -> None:
    attester = attester_of(attested_issuer)
    now = attested_issuer.clock()
    attestation = attester.attestation(now=now)
    pop = attester.pop(audience=ISSUER, now=now)
    for headers in (
        [(ATTESTATION_HEADER, attestation), (ATTESTATION_HEADER, attestation), (POP_HEADER, pop)],
        [(ATTESTATION_HEADER, attestation), (POP_HEADER, pop), (POP_HEADER, pop)],
        [(ATTESTATION_HEADER, attestation)],
        [(POP_HEADER, pop)],
    ):
        response = await _par(attested_issuer, headers)
        assert_error(response, 401, "invalid_client", attestation, pop)


async def test_haip_4_4_1_a_wallet_attestation_with_a_bad_signature_is_refused(
    attested_issuer: Issuer,
) -> None:
    attester = attester_of(attested_issuer)
    now = attested_issuer.clock()
    genuine = attester.attestation(now=now)
    other = attester.attestation(now=now, client_id="https://other.example/wallet")
    forged = genuine.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1]
    headers = {ATTESTATION_HEADER: forged, POP_HEADER: attester.pop(audience=ISSUER, now=now)}
    _refused(await _par(attested_issuer, headers), AttestationReason.BAD_SIGNATURE, forged)


async def test_haip_4_4_1_a_provider_under_an_unknown_root_is_refused(
    attested_issuer: Issuer,
) -> None:
    stranger = WalletAttester(name="unknown provider")
    headers = stranger.headers(audience=ISSUER, now=attested_issuer.clock())
    _refused(await _par(attested_issuer, headers), AttestationReason.CHAIN_UNTRUSTED)


async def test_haip_4_4_1_a_pop_for_another_audience_is_refused(attested_issuer: Issuer) -> None:
    attester = attester_of(attested_issuer)
    now = attested_issuer.clock()
    headers = {
        ATTESTATION_HEADER: attester.attestation(now=now),
        POP_HEADER: attester.pop(audience="https://other-issuer.example", now=now),
    }
    _refused(await _par(attested_issuer, headers), AttestationReason.POP_AUDIENCE)


async def test_haip_4_3_the_par_client_id_must_be_the_attestation_subject(
    attested_issuer: Issuer,
) -> None:
    headers = attester_of(attested_issuer).headers(audience=ISSUER, now=attested_issuer.clock())
    response = await _par(attested_issuer, headers, client_id="https://other.example/wallet")
    _refused(response, AttestationReason.CLIENT_ID_MISMATCH)


async def test_haip_4_4_1_a_pop_is_used_once(attested_issuer: Issuer) -> None:
    headers = attester_of(attested_issuer).headers(audience=ISSUER, now=attested_issuer.clock())
    assert (await _par(attested_issuer, headers)).status_code == 201
    replayed = await _par(attested_issuer, headers)
    _refused(replayed, AttestationReason.POP_REPLAYED, headers[POP_HEADER])


async def test_haip_4_4_1_an_expired_wallet_attestation_is_refused(
    attested_issuer: Issuer,
) -> None:
    attester = attester_of(attested_issuer)
    issued = attested_issuer.clock()
    attestation = attester.attestation(now=issued, lifetime=300)
    attested_issuer.clock.advance(400)
    headers = {
        ATTESTATION_HEADER: attestation,
        POP_HEADER: attester.pop(audience=ISSUER, now=attested_issuer.clock()),
    }
    _refused(await _par(attested_issuer, headers), AttestationReason.EXPIRED, attestation)


async def test_haip_4_4_1_a_stale_wallet_attestation_asks_for_a_fresh_one(
    attested_issuer: Issuer,
) -> None:
    """Valid, but issued longer ago than ``client_attestation_max_age_seconds`` (a day)."""
    attester = attester_of(attested_issuer)
    now = attested_issuer.clock()
    headers = {
        ATTESTATION_HEADER: attester.attestation(now=now - 2 * 86_400, lifetime=3 * 86_400),
        POP_HEADER: attester.pop(audience=ISSUER, now=now),
    }
    response = await _par(attested_issuer, headers)
    assert_error(response, 400, "use_fresh_attestation")
    assert response.json()["error_description"] == AttestationReason.NOT_FRESH.value


async def test_haip_4_4_1_a_refresh_by_another_attested_client_is_refused(
    haip_issuer: Issuer,
) -> None:
    """Without ``client_id`` in the form the attestation's ``sub`` names the client, and it
    must be the one the grant was issued to (RFC 6749 §6)."""
    client = CodeClient(haip_issuer)
    tokens = await client.tokens()
    assert tokens.refresh_token is not None
    other = copy.copy(attester_of(haip_issuer))
    other.client_id, other.instance_key = "https://other.example/wallet", generate_private_key()
    thief = CodeClient(haip_issuer, key=client.key, nonce=client.nonce, provider=other)
    assert_error(await thief.refresh(tokens.refresh_token), 400, "invalid_grant")


async def test_outside_strict_mode_the_attestation_is_optional_but_checked(
    attested_issuer: Issuer,
) -> None:
    anonymous = CodeClient(attested_issuer, attest=False)
    assert (await anonymous.par()).status_code == 201
    created = await attested_issuer.offer()
    assert tokens_of(await anonymous.token(pre_authorized_form(created), dpop=False))
    stranger = WalletAttester(name="unknown provider")
    headers = stranger.headers(audience=ISSUER, now=attested_issuer.clock())
    _refused(await _par(attested_issuer, headers), AttestationReason.CHAIN_UNTRUSTED)


async def test_an_issuer_without_wallet_provider_roots_refuses_attestations(
    code_issuer: Issuer,
) -> None:
    """The method is not offered (not in the metadata), so it is refused, not ignored."""
    headers = WalletAttester().headers(audience=ISSUER, now=code_issuer.clock())
    assert_error(await _par(code_issuer, headers), 401, "invalid_client")


async def test_a_client_secret_is_refused(attested_issuer: Issuer) -> None:
    response = await _par(attested_issuer, {"Authorization": "Basic d2FsbGV0OnNlY3JldA=="})
    assert_error(response, 401, "invalid_client", "d2FsbGV0OnNlY3JldA==")


_ALGS = {
    "client_attestation_signing_alg_values_supported": ["ES256"],
    "client_attestation_pop_signing_alg_values_supported": ["ES256"],
}
_AS_METADATA = "/.well-known/oauth-authorization-server"


async def test_haip_4_4_1_the_metadata_advertises_attestation_based_client_auth(
    attested_issuer: Issuer,
) -> None:
    document = (await attested_issuer.client.get(_AS_METADATA)).json()
    assert document["token_endpoint_auth_methods_supported"] == ["attest_jwt_client_auth", "none"]
    assert _ALGS.items() <= document.items()


async def test_haip_4_4_1_strict_metadata_offers_attestation_based_client_auth_only(
    haip_issuer: Issuer,
) -> None:
    document = (await haip_issuer.client.get(_AS_METADATA)).json()
    assert document["token_endpoint_auth_methods_supported"] == ["attest_jwt_client_auth"]
    assert _ALGS.items() <= document.items()


async def test_without_roots_the_metadata_offers_public_clients_only(code_issuer: Issuer) -> None:
    document = (await code_issuer.client.get(_AS_METADATA)).json()
    assert document["token_endpoint_auth_methods_supported"] == ["none"]
    assert not _ALGS.keys() & document.keys()


async def test_spent_pops_are_forgotten_once_too_old(attested_issuer: Issuer) -> None:
    headers = attester_of(attested_issuer).headers(audience=ISSUER, now=attested_issuer.clock())
    assert (await _par(attested_issuer, headers)).status_code == 201
    count = select(func.count()).select_from(client_attestation_pops)
    async with attested_issuer.context.read() as connection:
        assert await connection.scalar(count) == 1
    attested_issuer.clock.advance(60 + 30 + 1)  # the PoP's window and the leeway
    await sweep(attested_issuer.context)
    async with attested_issuer.context.read() as connection:
        assert await connection.scalar(count) == 0
