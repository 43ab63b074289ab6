"""Credential endpoint (OID4VCI 1.0 §8, Appendix F): each proof defect and request defect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.issuer.conftest import ISSUER, Issuer
from tests.issuer.test_token_endpoint import assert_error
from tests.issuer.wallet import holder_key, proof_jwt, public_jwk


@dataclass
class Session:
    issuer: Issuer
    metadata: dict[str, Any]
    access_token: str
    offer_id: str

    async def nonce(self) -> str:
        return await self.issuer.wallet.nonce(self.metadata)

    async def request(self, body: dict[str, Any], token: str | None = None) -> httpx.Response:
        return await self.issuer.wallet.credential_request(
            self.metadata, token or self.access_token, body
        )

    async def proofs(self, count: int = 1) -> list[str]:
        nonce = await self.nonce()
        now = self.issuer.clock()
        return [
            proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=now) for _ in range(count)
        ]


def body_with(proofs: list[str], configuration: str = "household_income") -> dict[str, Any]:
    return {"credential_configuration_id": configuration, "proofs": {"jwt": proofs}}


async def _session(issuer: Issuer, **offer: Any) -> Session:
    created = await issuer.offer(**offer)
    metadata = await issuer.wallet.issuer_metadata(ISSUER)
    token = await issuer.wallet.token(created["credential_offer"], created["tx_code"])
    return Session(issuer, metadata, token.json()["access_token"], created["offer_id"])


@pytest.fixture
async def session(issuer: Issuer) -> Session:
    return await _session(issuer)


async def test_without_a_bearer_token_the_answer_is_invalid_token(session: Session) -> None:
    proofs = await session.proofs()
    for authorization in [None, "Basic abc", "Bearer ", "Bearer unknown-token"]:
        headers = {"Authorization": authorization} if authorization else {}
        response = await session.issuer.client.post(
            "/credential", json=body_with(proofs), headers=headers
        )
        assert_error(response, 401, "invalid_token")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_expired_access_token_is_invalid_token(session: Session) -> None:
    proofs = await session.proofs()
    session.issuer.clock.advance(session.issuer.context.settings.access_token_ttl_seconds)
    assert_error(await session.request(body_with(proofs)), 401, "invalid_token")


ProofDefect = Callable[[ec.EllipticCurvePrivateKey, str, int], str]


def _typ(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    return proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now, header={"typ": "JWT"})


def _hs256(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    payload = {"aud": ISSUER, "iat": now, "nonce": nonce}
    headers = {"typ": "openid4vci-proof+jwt", "jwk": public_jwk(key)}
    return jwt.encode(
        payload, "a-shared-secret-of-32-bytes-long!", algorithm="HS256", headers=headers
    )


def _none_alg(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    signed = proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now)
    payload = signed.split(".")[1]
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"openid4vci-proof+jwt"}').decode()
    return f"{header}.{payload}."


def _no_key(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    payload = {"aud": ISSUER, "iat": now, "nonce": nonce}
    return jwt.encode(payload, key, algorithm="ES256", headers={"typ": "openid4vci-proof+jwt"})


def _kid(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    payload = {"aud": ISSUER, "iat": now, "nonce": nonce}
    headers = {"typ": "openid4vci-proof+jwt", "kid": "did:example:holder#0"}
    return jwt.encode(payload, key, algorithm="ES256", headers=headers)


def _kid_and_jwk(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    return proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now, header={"kid": "k"})


def _private_jwk(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    d = key.private_numbers().private_value.to_bytes(32, "big")
    jwk = {**public_jwk(key), "d": jwt.utils.base64url_encode(d).decode()}
    return proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now, header={"jwk": jwk})


def _audience(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    return proof_jwt(key, audience="https://other-issuer.example", nonce=nonce, iat=now)


def _stale(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    return proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now - 3_600)


def _future(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    return proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now + 3_600)


def _no_iat(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    payload = {"aud": ISSUER, "nonce": nonce}
    headers = {"typ": "openid4vci-proof+jwt", "jwk": public_jwk(key)}
    return jwt.encode(payload, key, algorithm="ES256", headers=headers)


def _no_nonce(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    return proof_jwt(key, audience=ISSUER, nonce=None, iat=now)


def _other_key_signed(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    other = holder_key()
    payload = {"aud": ISSUER, "iat": now, "nonce": nonce}
    headers = {"typ": "openid4vci-proof+jwt", "jwk": public_jwk(key)}
    return jwt.encode(payload, other, algorithm="ES256", headers=headers)


def _garbage(key: ec.EllipticCurvePrivateKey, nonce: str, now: int) -> str:
    return "not.a.jwt"


@pytest.mark.parametrize(
    "defect",
    [
        _typ,
        _hs256,
        _none_alg,
        _no_key,
        _kid,
        _kid_and_jwk,
        _private_jwk,
        _audience,
        _stale,
        _future,
        _no_iat,
        _no_nonce,
        _other_key_signed,
        _garbage,
    ],
)
async def test_each_proof_defect_is_invalid_proof(session: Session, defect: ProofDefect) -> None:
    nonce = await session.nonce()
    proof = defect(holder_key(), nonce, session.issuer.clock())
    response = await session.request(body_with([proof]))
    assert_error(response, 400, "invalid_proof", proof, nonce)


async def test_one_bad_proof_in_a_batch_fails_the_whole_request(issuer: Issuer) -> None:
    session = await _session(issuer, batch_size=3)
    nonce = await session.nonce()
    now = issuer.clock()
    proofs = [proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=now) for _ in range(2)]
    proofs.append(_audience(holder_key(), nonce, now))
    assert_error(await session.request(body_with(proofs)), 400, "invalid_proof")
    # Nothing was issued: the offer still has its claims and no status entries.
    state = await issuer.client.get(
        f"/backoffice/offers/{session.offer_id}", headers=issuer.backoffice()
    )
    assert state.json()["credentials"] == {}
    assert state.json()["claims_held"] is True


async def test_a_nonce_is_spent_by_one_request_only(session: Session) -> None:
    nonce = await session.nonce()
    now = session.issuer.clock()
    first = [proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=now)]
    assert (await session.request(body_with(first))).status_code == 200
    again = [proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=now)]
    other = await _session(session.issuer)
    assert_error(await other.request(body_with(again)), 400, "invalid_nonce", nonce)


async def test_concurrent_requests_with_one_nonce_exactly_one_wins(issuer: Issuer) -> None:
    sessions = [await _session(issuer) for _ in range(4)]
    nonce = await sessions[0].nonce()
    now = issuer.clock()
    responses = await asyncio.gather(
        *(
            s.request(body_with([proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=now)]))
            for s in sessions
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 400, 400, 400]
    assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_nonce"}


@pytest.mark.parametrize(
    "nonce",
    ["made-up-nonce", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x" * 200],
)
async def test_a_nonce_the_issuer_never_gave_is_invalid_nonce(session: Session, nonce: str) -> None:
    proof = proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=session.issuer.clock())
    assert_error(await session.request(body_with([proof])), 400, "invalid_nonce", nonce)


async def test_an_expired_nonce_is_invalid_nonce(issuer: Issuer) -> None:
    nonce = await (await _session(issuer)).nonce()
    ttl = issuer.context.settings.nonce_ttl_seconds
    issuer.clock.advance(ttl // 2)
    session = await _session(issuer)  # a fresh access token, still valid below
    issuer.clock.advance(ttl - ttl // 2)
    proof = proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=issuer.clock())
    assert_error(await session.request(body_with([proof])), 400, "invalid_nonce")


async def test_proofs_of_one_batch_must_share_the_nonce(issuer: Issuer) -> None:
    session = await _session(issuer, batch_size=2)
    now = issuer.clock()
    proofs = [
        proof_jwt(holder_key(), audience=ISSUER, nonce=await session.nonce(), iat=now)
        for _ in range(2)
    ]
    assert_error(await session.request(body_with(proofs)), 400, "invalid_nonce")


async def test_one_key_for_two_instances_is_invalid_proof(issuer: Issuer) -> None:
    session = await _session(issuer, batch_size=2)
    nonce, key, now = await session.nonce(), holder_key(), issuer.clock()
    proofs = [proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now) for _ in range(2)]
    assert_error(await session.request(body_with(proofs)), 400, "invalid_proof")


async def test_an_unknown_configuration_is_named_so(session: Session) -> None:
    response = await session.request(body_with(await session.proofs(), "no_such_type"))
    assert_error(response, 400, "unknown_credential_configuration", "no_such_type")


async def test_a_configuration_the_token_does_not_cover_is_denied(session: Session) -> None:
    response = await session.request(body_with(await session.proofs(), "household"))
    assert_error(response, 400, "credential_request_denied")


async def test_credential_identifiers_are_not_issued_here(session: Session) -> None:
    body = {"credential_identifier": "abc", "proofs": {"jwt": await session.proofs()}}
    assert_error(await session.request(body), 400, "unknown_credential_identifier")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"credential_configuration_id": "household_income", "proof": {}},
            "invalid_credential_request",
        ),
        ({"credential_configuration_id": "household_income"}, "invalid_proof"),
        (
            {"credential_configuration_id": "household_income", "proofs": {"ldp_vp": ["x"]}},
            "invalid_proof",
        ),
        ({"proofs": {"jwt": ["x"]}}, "invalid_credential_request"),
        ([], "invalid_credential_request"),
        (
            {"credential_configuration_id": "household_income", "proofs": {"jwt": ["x"] * 11}},
            "invalid_credential_request",
        ),
    ],
)
async def test_malformed_requests(session: Session, body: Any, code: str) -> None:
    assert_error(await session.request(body), 400, code)


async def test_duplicate_members_and_non_json_are_invalid_credential_request(
    session: Session,
) -> None:
    headers = {"Authorization": f"Bearer {session.access_token}"}
    for content, media_type in [
        (
            '{"credential_configuration_id":"a","credential_configuration_id":"b"}',
            "application/json",
        ),
        ("{not json", "application/json"),
        ('{"credential_configuration_id":"household_income"}', "text/plain"),
    ]:
        response = await session.issuer.client.post(
            "/credential", content=content, headers={**headers, "Content-Type": media_type}
        )
        assert_error(response, 400, "invalid_credential_request")


async def test_once_the_wallet_confirms_the_token_gets_no_second_batch(session: Session) -> None:
    first = await session.request(body_with(await session.proofs()))
    assert first.status_code == 200
    confirmed = await session.issuer.client.post(
        "/notification",
        json={"notification_id": first.json()["notification_id"], "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {session.access_token}"},
    )
    assert confirmed.status_code == 204
    response = await session.request(body_with(await session.proofs()))
    assert_error(response, 400, "credential_request_denied")


async def test_after_the_redelivery_window_the_token_gets_no_second_batch(
    session: Session,
) -> None:
    from issuer.sweeper import sweep

    assert (await session.request(body_with(await session.proofs()))).status_code == 200
    session.issuer.clock.advance(session.issuer.context.settings.redelivery_window_seconds)
    await sweep(session.issuer.context)
    response = await session.request(body_with(await session.proofs()))
    assert_error(response, 400, "credential_request_denied")


async def test_more_proofs_than_the_offer_allows_issue_only_the_offered_batch(
    issuer: Issuer,
) -> None:
    session = await _session(issuer, batch_size=2)
    response = await session.request(body_with(await session.proofs(4)))
    assert response.status_code == 200
    assert len(response.json()["credentials"]) == 2


async def test_an_access_token_in_the_query_string_is_not_accepted(session: Session) -> None:
    """RFC 6750 §2.3 is not offered: a token in a URL ends up in logs (THREATS I-08)."""
    response = await session.issuer.client.post(
        f"/credential?access_token={session.access_token}",
        json=body_with(await session.proofs()),
    )
    assert_error(response, 401, "invalid_token", session.access_token)
