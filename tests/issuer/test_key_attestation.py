"""Key attestations at the credential endpoint (OpenID4VCI 1.0 Appendix D, F.1, F.3; HAIP 1.0
§4.5.1): ``jwt`` proofs carrying ``key_attestation``, and the ``attestation`` proof type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from specs.errors import AttestationReason
from specs.jose import parse_public_jwk
from tests.issuer.attester import WalletAttester, public_of
from tests.issuer.code_flow import (
    CONFIGURATION,
    CodeClient,
    assert_error,
    attested_issuer,
    attester_of,
    code_flow_issuer,
    code_issuer,
    haip_issuer,
)
from tests.issuer.conftest import ISSUER, Issuer
from tests.issuer.wallet import holder_key, proof_jwt

__all__ = ["attested_issuer", "code_issuer", "haip_issuer"]


@pytest.fixture
async def demanding_issuer(tmp_path: Path, database_url: str) -> AsyncIterator[Issuer]:
    """Strict mode with least levels: key storage ``high``, user authentication
    ``moderate`` or better (Appendix D.2)."""
    async with code_flow_issuer(
        tmp_path,
        database_url,
        attester=WalletAttester(),
        haip=True,
        development_ca=True,
        key_attestation_key_storage="iso_18045_high",
        key_attestation_user_authentication="iso_18045_moderate",
    ) as issuer:
        yield issuer


async def _c_nonce(issuer: Issuer) -> str:
    return await issuer.wallet.nonce({"nonce_endpoint": f"{ISSUER}/nonce"})


def _jwt_body(
    keys: list[ec.EllipticCurvePrivateKey], *, nonce: str, now: int, key_attestation: str | None
) -> dict[str, Any]:
    header = {} if key_attestation is None else {"key_attestation": key_attestation}
    proofs = [proof_jwt(key, audience=ISSUER, nonce=nonce, iat=now, header=header) for key in keys]
    return {"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": proofs}}


def _attestation_body(attestation: str) -> dict[str, Any]:
    return {"credential_configuration_id": CONFIGURATION, "proofs": {"attestation": [attestation]}}


async def _request(issuer: Issuer, body: dict[str, Any] | None = None) -> httpx.Response:
    """Tokens by the code flow (attested when the issuer has a provider), then ``body``."""
    client = CodeClient(issuer)
    tokens = await client.tokens()
    return await client.credentials(tokens.access_token, body=body)


def _refused(response: httpx.Response, reason: AttestationReason) -> None:
    assert_error(response, 400, "invalid_proof")
    assert response.json()["error_description"] == reason.value


async def _assert_a_strangers_key_attestation_is_refused(issuer: Issuer) -> None:
    """A proof whose key attestation a provider signed under a root the issuer does not
    trust: refused whether attestations are required (strict mode) or optional."""
    nonce, now, key = await _c_nonce(issuer), issuer.clock(), holder_key()
    stranger = WalletAttester(name="unknown provider")
    attestation = stranger.key_attestation([public_of(key)], nonce=nonce, now=now)
    body = _jwt_body([key], nonce=nonce, now=now, key_attestation=attestation)
    _refused(await _request(issuer, body), AttestationReason.CHAIN_UNTRUSTED)


def _holder_keys(response: httpx.Response) -> set[str]:
    """The RFC 7638 thumbprints of the keys the issued credentials are bound to (``cnf``)."""
    assert response.status_code == 200, response.text
    thumbprints = set()
    for item in response.json()["credentials"]:
        payload = jwt.decode(item["credential"].split("~")[0], options={"verify_signature": False})
        thumbprints.add(parse_public_jwk(payload["cnf"]["jwk"]).thumbprint())
    return thumbprints


async def test_haip_4_5_1_strict_mode_issues_to_attested_keys(haip_issuer: Issuer) -> None:
    response = await _request(haip_issuer)  # CodeClient attests its batch
    assert len(_holder_keys(response)) == 1


async def test_haip_4_5_1_strict_mode_requires_a_key_attestation(haip_issuer: Issuer) -> None:
    keys, now = [holder_key()], haip_issuer.clock()
    body = _jwt_body(keys, nonce=await _c_nonce(haip_issuer), now=now, key_attestation=None)
    _refused(await _request(haip_issuer, body), AttestationReason.KEY_ATTESTATION_MISSING)


async def test_haip_4_5_1_a_proof_key_the_attestation_does_not_name_is_refused(
    haip_issuer: Issuer,
) -> None:
    nonce, now = await _c_nonce(haip_issuer), haip_issuer.clock()
    someone_else = public_of(holder_key())
    attestation = attester_of(haip_issuer).key_attestation([someone_else], nonce=nonce, now=now)
    body = _jwt_body([holder_key()], nonce=nonce, now=now, key_attestation=attestation)
    _refused(await _request(haip_issuer, body), AttestationReason.KEY_NOT_ATTESTED)


async def test_haip_4_5_1_the_key_attestation_answers_the_proofs_nonce(
    haip_issuer: Issuer,
) -> None:
    nonce, now = await _c_nonce(haip_issuer), haip_issuer.clock()
    key = holder_key()
    attestation = attester_of(haip_issuer).key_attestation(
        [public_of(key)], nonce=await _c_nonce(haip_issuer), now=now
    )
    body = _jwt_body([key], nonce=nonce, now=now, key_attestation=attestation)
    _refused(await _request(haip_issuer, body), AttestationReason.KEY_ATTESTATION_NONCE_MISMATCH)


async def test_haip_4_5_1_a_key_attestation_of_an_unknown_provider_is_refused(
    haip_issuer: Issuer,
) -> None:
    await _assert_a_strangers_key_attestation_is_refused(haip_issuer)


async def test_haip_4_5_1_the_attestation_proof_type_issues_one_credential_per_key(
    haip_issuer: Issuer,
) -> None:
    keys = [public_of(holder_key()) for _ in range(3)]
    nonce, now = await _c_nonce(haip_issuer), haip_issuer.clock()
    attestation = attester_of(haip_issuer).key_attestation(keys, nonce=nonce, now=now)
    response = await _request(haip_issuer, _attestation_body(attestation))
    assert _holder_keys(response) == {key.thumbprint() for key in keys}


async def test_haip_4_5_1_an_attestation_proof_with_a_nonce_not_issued_is_invalid_nonce(
    haip_issuer: Issuer,
) -> None:
    keys = [public_of(holder_key())]
    attestation = attester_of(haip_issuer).key_attestation(
        keys, nonce="not-a-c-nonce", now=haip_issuer.clock()
    )
    response = await _request(haip_issuer, _attestation_body(attestation))
    assert_error(response, 400, "invalid_nonce", "not-a-c-nonce")


async def test_haip_4_5_1_an_attestation_proof_must_carry_the_c_nonce(haip_issuer: Issuer) -> None:
    keys = [public_of(holder_key())]
    attestation = attester_of(haip_issuer).key_attestation(
        keys, nonce=None, now=haip_issuer.clock()
    )
    response = await _request(haip_issuer, _attestation_body(attestation))
    _refused(response, AttestationReason.KEY_ATTESTATION_NONCE_MISSING)


async def test_haip_4_5_1_the_attested_levels_must_meet_the_issuers(
    demanding_issuer: Issuer,
) -> None:
    attester = attester_of(demanding_issuer)
    for levels, reason in (
        (
            {"key_storage": ["iso_18045_moderate"], "user_authentication": ["iso_18045_high"]},
            AttestationReason.KEY_STORAGE_INSUFFICIENT,
        ),
        (
            {"key_storage": ["iso_18045_high"], "user_authentication": ["iso_18045_basic"]},
            AttestationReason.USER_AUTHENTICATION_INSUFFICIENT,
        ),
    ):
        nonce, now, key = await _c_nonce(demanding_issuer), demanding_issuer.clock(), holder_key()
        attestation = attester.key_attestation([public_of(key)], nonce=nonce, now=now, **levels)
        body = _jwt_body([key], nonce=nonce, now=now, key_attestation=attestation)
        _refused(await _request(demanding_issuer, body), reason)
    nonce, now, key = await _c_nonce(demanding_issuer), demanding_issuer.clock(), holder_key()
    enough = attester.key_attestation(
        [public_of(key)], nonce=nonce, now=now, user_authentication=["iso_18045_moderate"]
    )
    body = _jwt_body([key], nonce=nonce, now=now, key_attestation=enough)
    assert _holder_keys(await _request(demanding_issuer, body)) == {public_of(key).thumbprint()}


async def test_outside_strict_mode_a_key_attestation_is_optional_but_checked(
    attested_issuer: Issuer,
) -> None:
    nonce, now = await _c_nonce(attested_issuer), attested_issuer.clock()
    plain = _jwt_body([holder_key()], nonce=nonce, now=now, key_attestation=None)
    assert len(_holder_keys(await _request(attested_issuer, plain))) == 1
    await _assert_a_strangers_key_attestation_is_refused(attested_issuer)


async def test_without_roots_the_attestation_proof_type_is_not_accepted(
    code_issuer: Issuer,
) -> None:
    attestation = WalletAttester().key_attestation(
        [public_of(holder_key())], nonce=await _c_nonce(code_issuer), now=code_issuer.clock()
    )
    response = await _request(code_issuer, _attestation_body(attestation))
    assert_error(response, 400, "invalid_proof")


async def _proof_types(issuer: Issuer) -> dict[str, Any]:
    response = await issuer.client.get("/.well-known/openid-credential-issuer")
    entries = response.json()["credential_configurations_supported"].values()
    proof_types = [entry["proof_types_supported"] for entry in entries]
    assert all(item == proof_types[0] for item in proof_types)
    found: dict[str, Any] = proof_types[0]
    return found


_ES256 = {"proof_signing_alg_values_supported": ["ES256"]}


async def test_haip_4_5_1_strict_metadata_requires_key_attestations(haip_issuer: Issuer) -> None:
    required = {**_ES256, "key_attestations_required": {}}
    assert await _proof_types(haip_issuer) == {"jwt": required, "attestation": required}


async def test_haip_4_5_1_metadata_names_the_least_levels(demanding_issuer: Issuer) -> None:
    required = {
        **_ES256,
        "key_attestations_required": {
            "key_storage": ["iso_18045_high"],
            "user_authentication": ["iso_18045_high", "iso_18045_moderate"],
        },
    }
    assert await _proof_types(demanding_issuer) == {"jwt": required, "attestation": required}


async def test_outside_strict_mode_metadata_offers_the_attestation_proof_type(
    attested_issuer: Issuer,
) -> None:
    """§12.2.4: ``key_attestations_required`` only where the issuer requires them."""
    attestation = {**_ES256, "key_attestations_required": {}}
    assert await _proof_types(attested_issuer) == {"jwt": _ES256, "attestation": attestation}


async def test_without_roots_metadata_offers_jwt_proofs_only(code_issuer: Issuer) -> None:
    assert await _proof_types(code_issuer) == {"jwt": _ES256}
