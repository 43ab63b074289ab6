"""The spec's own examples (../shared/vectors/oid4vci; see SOURCES.md there).

``examples/`` are the OpenID4VCI 1.0 example files, ``inline/`` the JSON bodies written in
the text (file names carry the source line), ``normalized/`` HTTP examples as JSON bodies.
Each example is fed to the parser for its message; examples of features we do not implement
(``di_vp`` proofs, object-valued credentials, the pre-1.0 request shape) must be refused with
the exact reason, never half-accepted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specs.errors import JoseReason, Oid4vciReason
from specs.jose import JwsAlg
from specs.oid4vci import (
    CredentialOffer,
    TxCode,
    parse_configurations,
    parse_credential_offer,
    parse_credential_request,
    parse_credential_response,
    parse_deferred_request,
    parse_issuer_metadata,
    parse_notification_request,
    verify_jwt_proof,
)
from tests.support import assert_rejected, load_json, vectors_dir

SPEC_ISSUER = "https://credential-issuer.example.com"
PROOF_IAT = 1701960444  # the iat of the Appendix F.1 example proof


def _example(name: str) -> Any:
    return load_json(vectors_dir("oid4vci", "examples") / name)


def _inline(name: str) -> Any:
    return load_json(vectors_dir("oid4vci", "inline") / name)


def _normalized(name: str) -> Any:
    return load_json(vectors_dir("oid4vci", "normalized") / name)


def _verify_proof(token: str, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "audience": SPEC_ISSUER,
        "now": PROOF_IAT + 10,
        "max_age": 300,
        "leeway": 30,
        "algorithms": {JwsAlg.ES256},
        "require_nonce": True,
    }
    arguments.update(overrides)
    return verify_jwt_proof(token, **arguments)


# --- §4.1 Credential Offers -------------------------------------------------------------


def test_offer_with_two_configurations_and_a_described_tx_code() -> None:
    offer = parse_credential_offer(_example("credential_offer_multiple_credentials.json"))
    assert offer == CredentialOffer(
        credential_issuer=SPEC_ISSUER,
        configuration_ids=("UniversityDegreeCredential", "org.iso.18013.5.1.mDL"),
        pre_authorized_code="oaKazRN8I0IbtZ0C7JuMn5",
        tx_code=TxCode("numeric", 4, "Please provide the one-time code that was sent via e-mail"),
        issuer_state=None,
    )


def test_offer_with_an_empty_tx_code_object_still_requires_a_code() -> None:
    offer = parse_credential_offer(_example("credential_offer_by_reference.json"))
    assert offer.pre_authorized_code == "adhjhdjajkdkhjhdj"
    assert offer.tx_code == TxCode(input_mode="numeric", length=0, description=None)


def test_offer_with_only_a_tx_code_description() -> None:
    offer = parse_credential_offer(_example("credential_offer_pre-authz_code.json"))
    assert offer.tx_code is not None
    assert offer.tx_code.length == 0
    assert (offer.tx_code.description or "").startswith("Please provide the one-time code")


def test_offer_for_the_authorization_code_flow() -> None:
    offer = parse_credential_offer(_normalized("credential_offer_authz_code.body.json"))
    assert offer.pre_authorized_code is None
    assert offer.issuer_state == "eyJhbGciOiJSU0Et...FYUaBy"
    assert offer.configuration_ids == ("UniversityDegreeCredential",)


# --- §12.2 Credential Issuer Metadata ---------------------------------------------------


def test_long_issuer_metadata_example() -> None:
    document = _example("credential_issuer_metadata_sd_jwt_long.json")
    metadata = parse_issuer_metadata(document, expected_issuer=SPEC_ISSUER)
    assert metadata.credential_endpoint == f"{SPEC_ISSUER}/credential"
    assert metadata.nonce_endpoint == f"{SPEC_ISSUER}/nonce"
    assert metadata.deferred_credential_endpoint == f"{SPEC_ISSUER}/deferred_credential"
    assert metadata.notification_endpoint == f"{SPEC_ISSUER}/notification"
    assert metadata.authorization_servers == ("https://server.example.com",)
    assert metadata.batch_size == 10
    assert metadata.encryption_required is True  # we could not talk to this issuer
    assert list(metadata.configurations) == ["SD_JWT_VC_example_in_OpenID4VCI"]
    assert [item["locale"] for item in metadata.display] == ["en-US", "fr-FR"]


def test_long_issuer_metadata_fetched_for_another_identifier_is_refused() -> None:
    document = _example("credential_issuer_metadata_sd_jwt_long.json")
    assert_rejected(
        Oid4vciReason.ISSUER_MISMATCH,
        parse_issuer_metadata,
        document,
        expected_issuer=f"{SPEC_ISSUER}/",
    )


def test_signed_metadata_payload_carries_the_same_parameters() -> None:
    """§12.2.3: the payload of signed metadata holds the parameters as top-level claims."""
    payload = _normalized("credential_issuer_metadata_sd_jwt_jwt.decoded.json")["payload"]
    metadata = parse_issuer_metadata(payload, expected_issuer=payload["sub"])
    assert metadata.encryption_required is False
    assert metadata.nonce_endpoint is None


@pytest.mark.parametrize(
    "name",
    [
        "credential_metadata_sd_jwt_vc.json",
        "credential_metadata_jwt_vc_json.json",
        "credential_metadata_ldp_vc.json",
        "credential_metadata_mso_mdoc.json",
    ],
)
def test_configuration_examples(name: str) -> None:
    supported = _example(name)["credential_configurations_supported"]
    assert parse_configurations(supported) == supported


# --- §8.2 Credential Requests and Appendix F.1 proofs -----------------------------------


def test_credential_request_by_configuration_id() -> None:
    request = parse_credential_request(_inline("L0879_credential_request.json"), max_proofs=1)
    assert request.configuration_id == "org.iso.18013.5.1.mDL"
    assert len(request.jwt_proofs) == 1
    # The example prints only the proof's header: it is not a JWS.
    assert_rejected(JoseReason.MALFORMED_JWS, _verify_proof, request.jwt_proofs[0])


def test_credential_request_for_two_instances() -> None:
    body = _inline("L0898_credential_request.json")
    request = parse_credential_request(body, max_proofs=2)
    assert request.credential_identifier == "CivilEngineeringDegree-2023"
    assert len(request.jwt_proofs) == 2
    assert_rejected(Oid4vciReason.TOO_MANY_PROOFS, parse_credential_request, body, max_proofs=1)


def test_credential_request_with_a_di_vp_proof_is_refused() -> None:
    assert_rejected(
        Oid4vciReason.UNSUPPORTED_PROOF_TYPE,
        parse_credential_request,
        _inline("L0921_credential_request.json"),
        max_proofs=1,
    )


def test_pre_1_0_request_by_format_is_refused() -> None:
    assert_rejected(
        Oid4vciReason.AMBIGUOUS_CREDENTIAL_REQUEST,
        parse_credential_request,
        _example("credential_request_iso_mdl.json"),
        max_proofs=1,
    )


def _spec_proof() -> str:
    token: str = _inline("L2664_jwt_proof_type.json")["jwt"][0]
    return token


def test_jwt_proof_example_verifies() -> None:
    proof = _verify_proof(_spec_proof())
    assert proof.nonce == "LarRGSbmUPYtRYO6BQ4yn8"
    assert proof.issued_at == PROOF_IAT
    assert proof.client_id is None
    assert proof.holder_key.members["x"] == "nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4"


def test_jwt_proof_example_for_another_issuer_is_refused() -> None:
    assert_rejected(
        Oid4vciReason.PROOF_AUDIENCE,
        _verify_proof,
        _spec_proof(),
        audience="https://issuer.example",
    )


def test_jwt_proof_example_is_stale_today() -> None:
    assert_rejected(Oid4vciReason.PROOF_STALE, _verify_proof, _spec_proof(), now=1_790_000_000)


def test_jwt_proof_example_with_a_flipped_signature_bit_is_refused() -> None:
    token = _spec_proof()
    head, _, signature = token.rpartition(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert_rejected(JoseReason.BAD_SIGNATURE, _verify_proof, f"{head}.{flipped}")


# --- §8.3 / §9 Credential and Deferred Responses, §9.1 and §11.1 requests ---------------


@pytest.mark.parametrize(
    ("name", "count", "notification_id"),
    [
        ("L0985_credential_response.json", 1, None),
        ("L1001_credential_response.json", 2, "3fwe98js"),
        ("L1132_deferred_credential_response.json", 2, "3fwe98js"),
    ],
)
def test_credential_response_examples(name: str, count: int, notification_id: str | None) -> None:
    response = parse_credential_response(_inline(name))
    assert len(response.credentials) == count
    assert response.notification_id == notification_id
    assert response.transaction_id is None


@pytest.mark.parametrize(
    ("name", "interval"),
    [("L1020_credential_response.json", 3600), ("L1151_deferred_credential_response.json", 86400)],
)
def test_deferral_examples(name: str, interval: int) -> None:
    response = parse_credential_response(_inline(name))
    assert (response.transaction_id, response.interval) == ("8xLOxBtZp8", interval)
    assert response.credentials == ()


@pytest.mark.parametrize(
    "name",
    [
        "credential_response_sd_jwt_vc.body.json",
        "credential_response_jwt_vc_json.body.json",
        "credential_response_mso_mdoc.body.json",
    ],
)
def test_string_encoded_credentials_from_the_format_profiles(name: str) -> None:
    response = parse_credential_response(_normalized(name))
    assert len(response.credentials) == 1


def test_sd_jwt_vc_response_carries_the_credential_unchanged() -> None:
    body = _normalized("credential_response_sd_jwt_vc.body.json")
    response = parse_credential_response(body)
    assert response.credentials[0] == body["credentials"][0]["credential"]
    assert response.credentials[0].endswith("~")


def test_object_valued_credential_is_refused() -> None:
    assert_rejected(
        Oid4vciReason.MALFORMED_CREDENTIAL_RESPONSE,
        parse_credential_response,
        _normalized("credential_response_ldp_vc.body.json"),
    )


def test_deferred_request_example() -> None:
    assert parse_deferred_request(_inline("L1101_deferred_credential_request.json")) == "8xLOxBtZp8"


def test_notification_examples() -> None:
    accepted = parse_notification_request(_inline("L1221_notification_request.json"))
    assert (accepted.notification_id, accepted.event) == ("3fwe98js", "credential_accepted")
    failed = parse_notification_request(_inline("L1235_notification_request.json"))
    assert failed.event == "credential_failure"
    assert failed.description == "Could not store the Credential. Out of storage."


def test_every_example_file_is_used() -> None:
    """A new example in the vectors should get a test here (or a reason why not)."""
    folder: Path = vectors_dir("oid4vci")
    source = Path(__file__).read_text(encoding="utf-8")
    unused_on_purpose = (
        # authorization details, PAR, token and nonce responses, error bodies, attestations,
        # claims paths and signed metadata belong to flows this package does not implement
        "authorization_details",
        "L0599_",
        "L0728_",
        "L0772_",
        "L0813_",
        "L1061_",
        "L1171_",
        "L1272_",
        "L2463_",
        "L2529_",
        "L2585_",
        "L2733_",
        "L2775_",
        "wallet_attestation",
        "issuer_jwks",
        "index.json",
        "credential_issuer_metadata_sd_jwt_jwt.jwt",
    )
    names = [
        path.name
        for path in folder.rglob("*")
        # .txt files are the HTTP messages as printed; their bodies are in normalized/
        if path.is_file() and path.suffix != ".txt"
    ]
    missing = [
        name
        for name in names
        if name not in source and not any(skip in name for skip in unused_on_purpose)
    ]
    assert missing == []
