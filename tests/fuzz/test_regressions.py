"""What the fuzzers found, each kept as an explicit example that once crashed.

* A JWS header whose ``alg`` is a JSON array or object made ``check_header`` raise
  ``TypeError`` (an unhashable value looked up in a set): every JWT kind that goes through it
  (the issuer-signed JWT, the KB-JWT, Status List Tokens, the trust list) crashed instead of
  refusing, and the verifier answered a wallet's presentation with a 500.
* The issuer's ``GET /status/{list_id}`` took any integer: one past 64 bits made the SQLite
  driver raise ``OverflowError`` (a 500; PostgreSQL's 32-bit column fails past 2**31 - 1).
* A regulation file whose reference (``input``, ``param``, ``def``) names a list, or whose
  YAML has a complex key (``? [a]``), made the loader raise ``TypeError`` instead of
  ``InvalidRegulation`` (``aanspraak regulations check`` printed a traceback).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from specs.errors import InvalidRegulation, JoseReason, Oid4vpReason, SdJwtVcReason
from specs.jose import JwsAlg, b64url_decode, b64url_encode
from specs.oid4vp.client_id import client_signing_key, parse_client_id
from specs.oid4vp.haip import check_haip_signer
from specs.sd_jwt import DEFAULT_ALGORITHMS, NoKeyBinding, verify_kb_jwt, verify_sd_jwt
from specs.sd_jwt_vc.x5c import decode_x5c
from specs.status_list import verify_status_list_token
from specs.trust.trust_list import TRUST_LIST_TYP, verify_trust_list
from tests.ca import new_ca
from tests.fuzz import (
    targets_oauth,
    targets_oid4vp,
    targets_other,
    targets_sd_jwt,
    targets_status_list,
)
from tests.fuzz.targets_sd_jwt import HOLDER, ISSUER, KEYS, NOW, POLICY, SD_HASH_INPUT, TYP
from tests.issuer.conftest import Issuer
from tests.specs.forge import sd_jwt, sign_raw
from tests.support import assert_rejected
from tests.verifier.conftest import Desk
from tests.verifier.refusals import assert_consumed, assert_wire_error, ready
from tests.verifier.wallet import Tamper

UNHASHABLE_ALGS = [[], ["ES256"], {"ES256": True}]


@pytest.mark.parametrize("alg", UNHASHABLE_ALGS, ids=["empty-list", "list", "object"])
def test_kb_jwt_with_an_unhashable_alg_is_refused(alg: Any) -> None:
    token = sign_raw({"alg": alg, "typ": "kb+jwt"}, {"iat": NOW}, HOLDER)
    assert_rejected(
        JoseReason.ALG_NOT_ALLOWED,
        verify_kb_jwt,
        token,
        holder_key=HOLDER.public,
        policy=POLICY,
        sd_hash_input=SD_HASH_INPUT,
        hash_alg="sha-256",
        now=NOW,
        algorithms=DEFAULT_ALGORITHMS,
    )


@pytest.mark.parametrize("alg", UNHASHABLE_ALGS, ids=["empty-list", "list", "object"])
def test_issuer_signed_jwt_with_an_unhashable_alg_is_refused(alg: Any) -> None:
    token = sd_jwt({"_sd": []}, [], ISSUER, header={"alg": alg, "typ": TYP})
    assert_rejected(
        JoseReason.ALG_NOT_ALLOWED,
        verify_sd_jwt,
        token,
        issuer_keys=KEYS,
        typ=TYP,
        key_binding=NoKeyBinding(),
        now=NOW,
    )


def test_status_list_token_with_an_unhashable_alg_is_refused() -> None:
    token = sign_raw(
        {"alg": ["ES256"], "typ": "statuslist+jwt"},
        targets_status_list.PAYLOAD,
        targets_status_list.KEY,
    )
    assert_rejected(
        JoseReason.ALG_NOT_ALLOWED,
        verify_status_list_token,
        token,
        key=targets_status_list.KEY.public,
        expected_uri=targets_status_list.SUBJECT,
        now=NOW,
        leeway=0,
        algorithms={JwsAlg.ES256},
        max_age=86_400,
    )


def test_trust_list_with_an_unhashable_alg_is_refused() -> None:
    token = sign_raw(
        {"alg": {"ES256": 1}, "typ": TRUST_LIST_TYP},
        targets_other.TRUST_CLAIMS,
        targets_other.GOVERNANCE,
    )
    assert_rejected(
        JoseReason.ALG_NOT_ALLOWED,
        verify_trust_list,
        token,
        governance_keys=targets_other.GOVERNANCE.public,
        now=NOW,
    )


def _with_kb_alg(vp_token: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every KB-JWT's header gets ``"alg": []`` (its signature no longer matters: the
    header is checked first)."""

    def rewrite(presentation: str) -> str:
        head, kb_jwt = presentation.rsplit("~", 1)
        header, payload, signature = kb_jwt.split(".")
        changed = {**json.loads(b64url_decode(header)), "alg": []}
        encoded = b64url_encode(json.dumps(changed).encode())
        return f"{head}~{encoded}.{payload}.{signature}"

    return {key: [rewrite(p) for p in values] for key, values in vp_token.items()}


async def test_the_desk_refuses_a_presentation_whose_kb_jwt_alg_is_a_list(desk: Desk) -> None:
    """Through the verifier's wallet endpoint: a 400 with the reason, never a 500; the
    request is used up, as for any other broken presentation."""
    started = await ready(desk)
    response = await desk.wallet.answer(started["link"], Tamper(rewrite_vp_token=_with_kb_alg))
    assert_wire_error(response, JoseReason.ALG_NOT_ALLOWED, error="vp_formats_not_supported")
    await assert_consumed(desk, started, JoseReason.ALG_NOT_ALLOWED)


@pytest.mark.parametrize("list_id", ["99999999999999999999", str(2**31), "-1"])
async def test_a_status_list_id_out_of_range_is_a_bad_request(issuer: Issuer, list_id: str) -> None:
    response = await issuer.client.get(f"/status/{list_id}")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


async def test_the_largest_status_list_id_is_looked_up(issuer: Issuer) -> None:
    response = await issuer.client.get(f"/status/{2**31 - 1}")
    assert response.status_code == 404, response.text


# --- regulation files -------------------------------------------------------------------------


def _regulation(edit: Any) -> str:
    document = yaml.safe_load(targets_other.REGULATION_TEXTS[0])
    edit(document)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def _first_test(document: dict[str, Any]) -> dict[str, Any]:
    node = document["requirements"]
    while "test" not in node:
        node = (node.get("all") or node.get("any"))[0]
    test: dict[str, Any] = node["test"]
    return test


def test_a_reference_to_a_list_is_an_invalid_regulation() -> None:
    def edit(document: dict[str, Any]) -> None:
        _first_test(document).clear()
        _first_test(document)["not"] = {"input": ["age"]}

    with pytest.raises(InvalidRegulation, match="unknown input"):
        targets_other._parse_regulation(_regulation(edit))


def test_a_comparison_with_a_list_reference_is_an_invalid_regulation() -> None:
    def edit(document: dict[str, Any]) -> None:
        _first_test(document).clear()
        _first_test(document)["lte"] = [{"input": ["age"]}, {"param": ["limit"]}]

    with pytest.raises(InvalidRegulation, match="unknown input"):
        targets_other._parse_regulation(_regulation(edit))


@pytest.mark.parametrize("key", ["? [a, b]\n: 1\n", "? {a: 1}\n: 1\n"])
def test_a_complex_yaml_key_is_an_invalid_regulation(key: str) -> None:
    with pytest.raises(InvalidRegulation, match="key is not a scalar"):
        targets_other._parse_regulation("id: x\n" + key)


def test_the_fuzz_samples_are_valid() -> None:
    """The starting points of the mutations are accepted, so a mutation is what fails."""
    targets_sd_jwt._verify(targets_sd_jwt.PRESENTATION)
    targets_sd_jwt._verify_kb(targets_sd_jwt.KB_JWT)
    targets_sd_jwt._verify_vc(targets_sd_jwt.VC)
    targets_status_list._verify(targets_status_list.TOKEN)
    targets_other._verify_trust_list(targets_other._signed_trust_list(targets_other.TRUST_CLAIMS))
    for text in targets_other.REGULATION_TEXTS:
        targets_other._parse_regulation(text)
    targets_oid4vp._verify_request(targets_oid4vp.REQUEST_OBJECT)
    targets_oid4vp._decrypt(targets_oid4vp.JWE)
    targets_oid4vp._parse_and_select(targets_oid4vp.RICH_QUERY)
    targets_oauth._verify_proof(targets_oauth.PROOF)
    targets_oauth._verify_dpop(targets_oauth.DPOP)
    targets_oauth._verify_client((targets_oauth.ATTESTATION, targets_oauth.POP))
    targets_oauth._verify_key_attestation(targets_oauth.KEY_ATTESTATION)


def _version_26_certificate() -> str:
    """A certificate whose version field says 26: ``cryptography`` raises ``InvalidVersion``
    for it, which is no ``ValueError`` (found by the long fuzz run on a key attestation)."""
    ca = new_ca(NOW)
    der = bytearray(ca.root.public_bytes(serialization.Encoding.DER))
    at = der.index(bytes.fromhex("a003020102"))  # [0] EXPLICIT INTEGER 2 (v3)
    der[at + 4] = 26
    return base64.b64encode(bytes(der)).decode("ascii")


def test_an_x5c_certificate_of_an_unknown_version_is_an_invalid_chain() -> None:
    assert_rejected(
        SdJwtVcReason.X5C_CHAIN_INVALID,
        decode_x5c,
        [_version_26_certificate()],
        max_chain_length=5,
        max_cert_bytes=16_384,
    )


def test_a_request_objects_certificate_of_an_unknown_version_is_refused() -> None:
    assert_rejected(Oid4vpReason.NOT_HAIP, check_haip_signer, [_version_26_certificate()])
    assert_rejected(
        Oid4vpReason.CERTIFICATE_INVALID,
        client_signing_key,
        parse_client_id("x509_san_dns:desk.example"),
        {"x5c": [_version_26_certificate()]},
        now=NOW,
        trust_roots=[],
        did_resolver=None,
    )
