"""Catalogue cases I-08..I-10 and I-15..I-17: access tokens and DPoP at the credential
endpoint, the credential request's target, wallet attestations, the nonce endpoint and the
notification endpoint (OpenID4VCI 1.0 §6-§8, §11, Appendix E; RFC 9449; HAIP 1.0 §4).

Over HTTP against the issuer app on each database backend; each refusal is checked for its
exact status and code, for no 5xx (INV-2), for no secret echoed, and for an unchanged
database where the request must change nothing (INV-4).
"""

from __future__ import annotations

import base64
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from issuer.nonces import new_nonce
from runtime.dev_ca import create_development_ca
from specs.attestation import (
    ATTESTATION_HEADER,
    POP_HEADER,
    build_client_attestation,
    build_client_attestation_pop,
)
from specs.dpop import new_jti
from specs.errors import AttestationReason, DpopReason
from specs.jose import PrivateJwk, generate_private_key, public_jwk_from_key
from tests.issuer.attester import PROVIDER, WalletAttester
from tests.issuer.code_flow import (
    CodeClient,
    attested_issuer,
    attester_of,
    code_issuer,
    pre_authorized_form,
)
from tests.issuer.conftest import ISSUER, Issuer, issuer, issuer_settings, running_issuer
from tests.issuer.test_credential_endpoint import Session, _session, body_with
from tests.support import START
from tests.threats.invariants import bounded_memory, no_server_error, snapshot
from tests.threats.test_issuance import refused, unchanged

__all__ = ["attested_issuer", "code_issuer", "issuer"]

MIB = 1024 * 1024


@pytest.fixture
async def session(issuer: Issuer) -> Session:
    return await _session(issuer)


# -- I-08 access tokens and DPoP at the credential endpoint -------------------------------------


async def test_I_08_an_access_token_in_the_query_string_is_401(session: Session) -> None:
    """RFC 6750 §2.3 is not offered: a token in a URL ends up in logs and caches."""
    body = body_with(await session.proofs())
    url = f"/credential?access_token={session.access_token}"
    response = await unchanged(session.issuer, lambda: session.issuer.client.post(url, json=body))
    refused(response, 401, "invalid_token", session.access_token)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_I_08_an_expired_access_token_is_401(session: Session) -> None:
    body = body_with(await session.proofs())
    session.issuer.clock.advance(session.issuer.context.settings.access_token_ttl_seconds)
    response = await unchanged(session.issuer, lambda: session.request(body))
    refused(response, 401, "invalid_token", session.access_token)


DPOP_DEFECTS = {
    "htm": (DpopReason.HTM_MISMATCH, {"method": "GET"}),
    "htu": (DpopReason.HTU_MISMATCH, {"path": "/nonce"}),
    "ath": (DpopReason.ATH_MISMATCH, {"access_token": "another-access-token"}),
}


@pytest.mark.parametrize("defect", sorted(DPOP_DEFECTS))
async def test_I_08_a_dpop_proof_for_another_request_is_invalid_dpop_proof(
    code_issuer: Issuer, defect: str
) -> None:
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    body = await client.credential_body()
    assert (await client.credentials(tokens.access_token, body=body)).status_code == 200
    body = await client.credential_body()
    reason, change = DPOP_DEFECTS[defect]
    proof = client.proof(
        str(change.get("method", "POST")),
        str(change.get("path", "/credential")),
        access_token=str(change.get("access_token", tokens.access_token)),
    )
    headers = {"Authorization": f"DPoP {tokens.access_token}", "DPoP": proof}
    response = await unchanged(
        code_issuer, lambda: code_issuer.client.post("/credential", json=body, headers=headers)
    )
    refused(response, 401, "invalid_dpop_proof", tokens.access_token, proof)
    assert response.json()["error_description"] == reason.value


async def test_I_08_a_replayed_dpop_jti_is_invalid_dpop_proof(code_issuer: Issuer) -> None:
    """The first use of a ``jti`` is remembered (a documented change); its replay is not."""
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    jti = "threat-I-08-replayed-jti-0001"
    first = await client.credentials(tokens.access_token)
    assert first.status_code == 200
    once = await client.resource(
        "/credential", tokens.access_token, await client.credential_body(), jti=jti
    )
    assert once.status_code == 200, once.text
    body = await client.credential_body()
    again = await unchanged(
        code_issuer, lambda: client.resource("/credential", tokens.access_token, body, jti=jti)
    )
    refused(again, 401, "invalid_dpop_proof", tokens.access_token)
    assert again.json()["error_description"] == DpopReason.PROOF_REPLAYED.value


async def test_I_08_a_dpop_proof_without_the_server_nonce_gets_use_dpop_nonce(
    code_issuer: Issuer,
) -> None:
    """RFC 9449 §9: the resource server answers 401 ``use_dpop_nonce`` with a fresh nonce."""
    client = CodeClient(code_issuer)
    tokens = await client.tokens()
    client.nonce = None
    body = await client.credential_body()
    response = await unchanged(
        code_issuer, lambda: client.resource("/credential", tokens.access_token, body)
    )
    refused(response, 401, "use_dpop_nonce", tokens.access_token)
    assert response.headers["dpop-nonce"]


# -- I-09 the credential request asks for what the token does not cover ------------------------


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ({"credential_configuration_id": "household"}, "credential_request_denied"),
        ({"credential_configuration_id": "no_such_type"}, "unknown_credential_configuration"),
        ({"credential_identifier": "no-such-identifier"}, "unknown_credential_identifier"),
    ],
)
async def test_I_09_a_request_outside_the_token_is_refused(
    session: Session, target: dict[str, str], code: str
) -> None:
    """A token for household_income asking for household (another configuration the issuer
    offers) is denied (§8.3.1.2 ``credential_request_denied``); an unknown configuration or
    identifier is named as unknown."""
    body = {**target, "proofs": {"jwt": await session.proofs()}}
    response = await unchanged(session.issuer, lambda: session.request(body))
    refused(response, 400, code, *target.values())


# -- I-10 wallet attestations (client authentication at the token endpoint) ---------------------


def _self_signed(attester: WalletAttester, now: int) -> str:
    """An attestation signed by the trusted root itself, ``x5c`` that one certificate."""
    root = attester.ca
    signer = PrivateJwk(root.key, public_jwk_from_key(root.key.public_key()))
    der = base64.b64encode(root.certificate.public_bytes(Encoding.DER)).decode()
    return build_client_attestation(
        provider_key=signer,
        x5c=[der],
        attester=PROVIDER,
        client_id=attester.client_id,
        instance_key=attester.instance_key.public,
        now=now,
        lifetime=3_600,
    )


def _stranger_self_signed(attester: WalletAttester, now: int) -> str:
    """A self-made root that nobody configured, signing for the genuine instance key."""
    ca = create_development_ca(name="self-made root", now=START, days=365)
    signer = PrivateJwk(ca.key, public_jwk_from_key(ca.key.public_key()))
    der = base64.b64encode(ca.certificate.public_bytes(Encoding.DER)).decode()
    return build_client_attestation(
        provider_key=signer,
        x5c=[der],
        attester=PROVIDER,
        client_id=attester.client_id,
        instance_key=attester.instance_key.public,
        now=now,
        lifetime=3_600,
    )


def _attestation_headers(attester: WalletAttester, now: int, defect: str) -> dict[str, str]:
    genuine = attester.attestation(now=now)
    pop = attester.pop(audience=ISSUER, now=now)
    if defect == "bad-signature":
        other = attester.attestation(now=now, client_id="https://other.example/wallet")
        genuine = genuine.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1]
    elif defect == "expired":
        genuine = attester.attestation(now=now - 7_200, lifetime=3_600)
    elif defect == "pop-audience":
        pop = attester.pop(audience="https://other-issuer.example", now=now)
    elif defect == "pop-other-key":
        pop = build_client_attestation_pop(
            instance_key=generate_private_key(),
            client_id=attester.client_id,
            audience=ISSUER,
            jti=new_jti(os.urandom),
            now=now,
            challenge=None,
        )
    elif defect == "self-signed-root":
        genuine = _self_signed(attester, now)
    elif defect == "self-signed-stranger":
        genuine = _stranger_self_signed(attester, now)
    return {ATTESTATION_HEADER: genuine, POP_HEADER: pop}


ATTESTATION_DEFECTS = {
    "bad-signature": AttestationReason.BAD_SIGNATURE,
    "expired": AttestationReason.EXPIRED,
    "pop-audience": AttestationReason.POP_AUDIENCE,
    "pop-other-key": AttestationReason.POP_BAD_SIGNATURE,
    "self-signed-root": AttestationReason.CHAIN_UNTRUSTED,
    "self-signed-stranger": AttestationReason.CHAIN_UNTRUSTED,
}


@pytest.mark.parametrize("defect", sorted(ATTESTATION_DEFECTS))
async def test_I_10_a_bad_wallet_attestation_is_invalid_client(
    attested_issuer: Issuer, defect: str
) -> None:
    created = await attested_issuer.offer()
    form = pre_authorized_form(created)
    headers = _attestation_headers(attester_of(attested_issuer), attested_issuer.clock(), defect)
    response = await unchanged(
        attested_issuer, lambda: attested_issuer.client.post("/token", data=form, headers=headers)
    )
    refused(response, 401, "invalid_client", *headers.values(), form["tx_code"])
    assert response.json()["error_description"] == ATTESTATION_DEFECTS[defect].value
    # The code was not spent on the refused client: an anonymous wallet still redeems it.
    assert (await attested_issuer.client.post("/token", data=form)).status_code == 200


async def test_I_10_a_reused_pop_jti_is_invalid_client(attested_issuer: Issuer) -> None:
    """The PoP's first use (at /par) is remembered, a documented change; the replay at the
    token endpoint changes nothing and spends no code."""
    headers = attester_of(attested_issuer).headers(audience=ISSUER, now=attested_issuer.clock())
    client = CodeClient(attested_issuer, attest=False)
    first = await attested_issuer.client.post("/par", data=client.par_form(), headers=headers)
    assert first.status_code == 201, first.text
    form = pre_authorized_form(await attested_issuer.offer())
    response = await unchanged(
        attested_issuer, lambda: attested_issuer.client.post("/token", data=form, headers=headers)
    )
    refused(response, 401, "invalid_client", headers[POP_HEADER], form["tx_code"])
    assert response.json()["error_description"] == AttestationReason.POP_REPLAYED.value


# -- I-15 the nonce endpoint: headers, and nonces without collisions or structure ---------------


async def test_I_15_nonce_answers_are_not_stored_and_carry_only_the_nonce(issuer: Issuer) -> None:
    answers = [await issuer.client.post("/nonce") for _ in range(5)]
    for answer in answers:
        no_server_error(answer)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-store"  # §7.2
        assert answer.headers["content-type"] == "application/json"
        assert list(answer.json()) == ["c_nonce"]
    assert len({answer.json()["c_nonce"] for answer in answers}) == 5


def test_I_15_a_hundred_thousand_nonces_neither_collide_nor_show_structure() -> None:
    """10^5 nonces of one second: the 16 random bytes of each are checked position by
    position (a chi-square over the 256 byte values, 255 degrees of freedom: the bound
    400 lies beyond p = 10^-8), and no nonce repeats in full or in its random part."""
    count, key = 100_000, b"threat-I-15-key-of-32-bytes-long"
    with bounded_memory(64 * MIB):
        nonces = [new_nonce(key=key, now=START, ttl=300) for _ in range(count)]
        assert len(set(nonces)) == count
        raw = [base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)) for n in nonces]
        randoms = b"".join(item[8:24] for item in raw)
    assert len({randoms[i : i + 16] for i in range(0, len(randoms), 16)}) == count
    expected = count / 256
    for position in range(16):
        seen = Counter(randoms[position::16])
        chi_square = sum((seen.get(v, 0) - expected) ** 2 / expected for v in range(256))
        assert chi_square < 400, (position, chi_square)
    macs = Counter(item[-1] for item in raw)  # the MAC's last byte is as flat
    assert sum((macs.get(v, 0) - expected) ** 2 / expected for v in range(256)) < 400


# -- I-16 notifications: twice, and for an unknown id ----------------------------------------


async def _notify(session: Session, notification_id: str) -> httpx.Response:
    return await session.issuer.client.post(
        "/notification",
        json={"notification_id": notification_id, "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {session.access_token}"},
    )


async def test_I_16_a_repeated_notification_succeeds_and_changes_nothing(
    session: Session,
) -> None:
    issued = await session.request(body_with(await session.proofs()))
    notification_id = issued.json()["notification_id"]
    first = await _notify(session, notification_id)
    assert first.status_code == 204, first.text
    again = await unchanged(session.issuer, lambda: _notify(session, notification_id))
    no_server_error(again)
    assert again.status_code == 204


async def test_I_16_an_unknown_notification_id_is_invalid_notification_id(
    session: Session,
) -> None:
    assert (await session.request(body_with(await session.proofs()))).status_code == 200
    response = await unchanged(session.issuer, lambda: _notify(session, "not-an-id"))
    refused(response, 400, "invalid_notification_id", "not-an-id")


async def test_I_16_another_offers_notification_id_is_unknown_here(issuer: Issuer) -> None:
    """§11.3: the id must belong to the token's own issuance, not to anyone's."""
    mine, theirs = await _session(issuer), await _session(issuer)
    assert (await mine.request(body_with(await mine.proofs()))).status_code == 200
    other = await theirs.request(body_with(await theirs.proofs()))
    foreign = other.json()["notification_id"]
    response = await unchanged(issuer, lambda: _notify(mine, foreign))
    refused(response, 400, "invalid_notification_id", foreign)


# -- I-17 a nonce flood ------------------------------------------------------------------------


async def test_I_17_a_nonce_flood_stores_nothing(issuer: Issuer) -> None:
    """Stateless nonces (``issuer.nonces``): a flood writes no row and holds no memory."""
    url = issuer.context.settings.database_url
    before = await snapshot(url)
    with bounded_memory(32 * MIB):
        for _ in range(500):
            answer = await issuer.client.post("/nonce")
            assert answer.status_code == 200
    assert await snapshot(url) == before


@pytest.fixture
async def limited_issuer(tmp_path: Path, database_url: str) -> AsyncIterator[Issuer]:
    """An issuer limiting each client address to a burst of 5, then 60 per minute."""
    settings = issuer_settings(tmp_path, database_url, rate_limit_per_minute=60, rate_limit_burst=5)
    async with running_issuer(settings) as started:
        yield started


def _client_at(issuer: Issuer, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=issuer.app, client=(address, 40_000))
    return httpx.AsyncClient(transport=transport, base_url=ISSUER)


async def test_I_17_a_flooding_client_gets_429_and_others_do_not(limited_issuer: Issuer) -> None:
    url = limited_issuer.context.settings.database_url
    before = await snapshot(url)
    answers = [await limited_issuer.client.post("/nonce") for _ in range(50)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 45
    for answer in answers[5:]:
        no_server_error(answer)
        refused(answer, 429, "try_later")
        assert answer.headers["retry-after"] == "1"
    async with _client_at(limited_issuer, "203.0.113.7") as other:
        assert (await other.post("/nonce")).status_code == 200
    limited_issuer.clock.advance(1)  # one second refills one request
    assert (await limited_issuer.client.post("/nonce")).status_code == 200
    assert (await limited_issuer.client.post("/nonce")).status_code == 429
    assert await snapshot(url) == before


async def test_I_17_the_limit_guards_the_token_endpoint_per_address(
    limited_issuer: Issuer,
) -> None:
    """Guessing tx_codes across many offers from one address (I-03's per-IP limit) stops at
    the bucket: the limited requests are not even read, so no guess is counted."""
    created = [await limited_issuer.offer() for _ in range(6)]
    forms = [pre_authorized_form(c) | {"tx_code": "000000"} for c in created]
    answers = [await limited_issuer.client.post("/token", data=form) for form in forms]
    assert [a.status_code for a in answers[:5]] == [400] * 5
    refused(answers[5], 429, "try_later", forms[5]["pre-authorized_code"])
    state = await limited_issuer.client.get(
        f"/backoffice/offers/{created[5]['offer_id']}", headers=limited_issuer.backoffice()
    )
    assert state.json()["state"] == "offered", state.json()
    for path in ("/livez", "/.well-known/openid-credential-issuer"):
        assert (await limited_issuer.client.get(path)).status_code == 200  # not limited
