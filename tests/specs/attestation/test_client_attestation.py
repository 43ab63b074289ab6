"""Wallet attestations as client authentication (OpenID4VCI 1.0 Appendix E, HAIP 1.0 §4.4.1,
draft-ietf-oauth-attestation-based-client-auth-07 §5.1, §5.2, §7): every rule, fed and checked."""

from __future__ import annotations

import base64
import inspect
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from specs.attestation import (
    CLIENT_ATTESTATION_POP_TYP,
    CLIENT_ATTESTATION_TYP,
    VerifiedClientAttestation,
    WalletProviderRoots,
    build_client_attestation,
    build_client_attestation_pop,
    verify_client_attestation,
)
from specs.errors import AttestationReason, JoseReason
from specs.jose import (
    JwsAlg,
    PrivateJwk,
    generate_private_key,
    parse_compact_jws,
    public_jwk_from_key,
    verify_signature,
)
from tests.pki import self_signed_leaf
from tests.specs.attestation.provider import (
    CLIENT_ID,
    ISSUER,
    NOW,
    PROVIDER,
    Provider,
    b64_der,
    sign,
)
from tests.support import assert_rejected, load_json, vectors_dir

WALLET_PROVIDER = Provider()
INSTANCE = generate_private_key()
CHALLENGE = "challenge-1"


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": PROVIDER,
        "sub": CLIENT_ID,
        "iat": NOW - 60,
        "exp": NOW + 240,
        "cnf": {"jwk": INSTANCE.public.to_jwk()},
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _attestation(
    header: dict[str, Any] | None = None, key: PrivateJwk | None = None, **claims: Any
) -> str:
    return sign(
        header or WALLET_PROVIDER.header(CLIENT_ATTESTATION_TYP),
        _claims(**claims),
        key or WALLET_PROVIDER.signer,
    )


def _pop(header: dict[str, Any] | None = None, key: PrivateJwk = INSTANCE, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "iss": CLIENT_ID,
        "aud": ISSUER,
        "jti": "jti-1",
        "iat": NOW - 5,
        "challenge": CHALLENGE,
    }
    claims.update(overrides)
    payload = {name: value for name, value in claims.items() if value is not None}
    return sign(header or {"typ": CLIENT_ATTESTATION_POP_TYP, "alg": "ES256"}, payload, key)


def _verify(
    attestation: object = None, pop: object = None, **overrides: Any
) -> VerifiedClientAttestation:
    arguments: dict[str, Any] = {
        "roots": WALLET_PROVIDER.roots,
        "client_id": CLIENT_ID,
        "audience": ISSUER,
        "challenge": CHALLENGE,
        "now": NOW,
        "leeway": 30,
        "max_attestation_age": 3600,
        "max_pop_age": 300,
    }
    arguments.update(overrides)
    return verify_client_attestation(
        _attestation() if attestation is None else attestation,
        _pop() if pop is None else pop,
        **arguments,
    )


# --- accepted ------------------------------------------------------------------------------


def test_haip_4_4_1_built_attestation_and_pop_authenticate_the_client() -> None:
    attestation = build_client_attestation(
        provider_key=WALLET_PROVIDER.signer,
        x5c=WALLET_PROVIDER.x5c,
        attester=PROVIDER,
        client_id=CLIENT_ID,
        instance_key=INSTANCE.public,
        now=NOW,
        lifetime=300,
        wallet_name="aanspraak",
    )
    pop = build_client_attestation_pop(
        instance_key=INSTANCE,
        client_id=CLIENT_ID,
        audience=ISSUER,
        jti="jti-7",
        now=NOW,
        challenge=CHALLENGE,
    )
    verified = _verify(attestation, pop)
    assert verified == VerifiedClientAttestation(
        client_id=CLIENT_ID,
        attester=PROVIDER,
        instance_key=INSTANCE.public,
        expires_at=NOW + 300,
        pop_jti="jti-7",
        pop_issued_at=NOW,
        wallet_name="aanspraak",
        status=None,
    )
    assert parse_compact_jws(attestation).header["x5c"] == WALLET_PROVIDER.x5c


def test_a_request_without_client_id_is_authenticated_as_the_attested_sub() -> None:
    assert _verify(client_id=None).client_id == CLIENT_ID


def test_without_a_server_challenge_the_pop_needs_none() -> None:
    assert _verify(pop=_pop(challenge=None), challenge=None).pop_jti == "jti-1"


def test_an_audience_array_naming_only_this_server_is_accepted() -> None:
    assert _verify(pop=_pop(aud=[ISSUER])).client_id == CLIENT_ID


def test_the_status_reference_is_returned_for_the_callers_check() -> None:
    status = {"status_list": {"idx": 3, "uri": "https://wallet-provider.example/status/1"}}
    assert _verify(_attestation(status=status)).status == status


def test_expectations_are_keyword_only_without_defaults() -> None:
    parameters = inspect.signature(verify_client_attestation).parameters
    for name in ("roots", "client_id", "audience", "challenge", "now", "leeway"):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters[name].default is inspect.Parameter.empty, name


# --- the provider's envelope ----------------------------------------------------------------


def test_the_attestation_typ_is_required() -> None:
    header = WALLET_PROVIDER.header("openid4vci-proof+jwt")
    assert_rejected(AttestationReason.CLIENT_ATTESTATION_TYP, _verify, _attestation(header))
    header = {"alg": "ES256", "x5c": WALLET_PROVIDER.x5c}
    assert_rejected(AttestationReason.CLIENT_ATTESTATION_TYP, _verify, _attestation(header))


@pytest.mark.parametrize("alg", ["ES384", "none", "HS256", "Ed25519", None])
def test_haip_7_only_es256_signs_an_attestation(alg: str | None) -> None:
    header = WALLET_PROVIDER.header(CLIENT_ATTESTATION_TYP, alg=alg)
    assert_rejected(AttestationReason.ALG_NOT_ALLOWED, _verify, _attestation(header))


def test_haip_4_4_1_the_provider_certificate_travels_in_x5c() -> None:
    header = WALLET_PROVIDER.header(CLIENT_ATTESTATION_TYP, x5c=None, kid="11")
    assert_rejected(AttestationReason.X5C_MISSING, _verify, _attestation(header))


def test_a_crit_header_is_not_understood() -> None:
    header = WALLET_PROVIDER.header(CLIENT_ATTESTATION_TYP, crit=["exp"])
    assert_rejected(JoseReason.UNSUPPORTED_HEADER, _verify, _attestation(header))


def test_a_provider_under_another_root_is_untrusted() -> None:
    stranger = Provider()
    token = _attestation(stranger.header(CLIENT_ATTESTATION_TYP), stranger.signer)
    assert_rejected(AttestationReason.CHAIN_UNTRUSTED, _verify, token)


def test_a_root_sent_in_x5c_earns_no_trust() -> None:
    stranger = Provider()
    header = stranger.header(CLIENT_ATTESTATION_TYP, x5c=[*stranger.x5c, b64_der(stranger.root)])
    assert_rejected(
        AttestationReason.CHAIN_UNTRUSTED, _verify, _attestation(header, stranger.signer)
    )


def test_a_self_signed_provider_certificate_is_refused_even_when_configured() -> None:
    key = WALLET_PROVIDER.signer.key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    self_signed = self_signed_leaf(key, name="provider", uri=PROVIDER, now=NOW)
    header = WALLET_PROVIDER.header(CLIENT_ATTESTATION_TYP, x5c=[b64_der(self_signed)])
    token = _attestation(header)
    assert_rejected(AttestationReason.CHAIN_UNTRUSTED, _verify, token)
    roots = WalletProviderRoots((self_signed,))
    assert_rejected(AttestationReason.CHAIN_UNTRUSTED, _verify, token, roots=roots)


@pytest.mark.parametrize("x5c", [[], "MIIB", ["not base64!"], [1]])
def test_a_broken_chain_is_untrusted(x5c: object) -> None:
    header = WALLET_PROVIDER.header(CLIENT_ATTESTATION_TYP, x5c=x5c)
    assert_rejected(AttestationReason.CHAIN_UNTRUSTED, _verify, _attestation(header))


def test_a_chain_longer_than_the_bound_is_refused_before_it_is_parsed() -> None:
    header = WALLET_PROVIDER.header(CLIENT_ATTESTATION_TYP, x5c=WALLET_PROVIDER.x5c * 3)
    assert_rejected(AttestationReason.CHAIN_TOO_LARGE, _verify, _attestation(header))


def test_an_attestation_not_signed_by_the_certified_key_is_refused() -> None:
    token = _attestation(key=generate_private_key())
    assert_rejected(AttestationReason.BAD_SIGNATURE, _verify, token)


def test_an_attestation_that_is_not_a_compact_jws_keeps_its_jose_reason() -> None:
    assert_rejected(JoseReason.MALFORMED_JWS, _verify, b"a.b.c")
    assert_rejected(JoseReason.MALFORMED_JWS, _verify, "a.b")
    assert_rejected(JoseReason.TOKEN_TOO_LARGE, _verify, "x" * 20_000)


# --- the attestation's claims ---------------------------------------------------------------


@pytest.mark.parametrize("missing", ["iss", "sub", "exp", "cnf"])
def test_required_attestation_claims(missing: str) -> None:
    token = sign(
        WALLET_PROVIDER.header(CLIENT_ATTESTATION_TYP),
        {name: value for name, value in _claims().items() if name != missing},
        WALLET_PROVIDER.signer,
    )
    assert_rejected(AttestationReason.CLAIM_MISSING, _verify, token)


@pytest.mark.parametrize(
    "claims",
    [{"sub": 7}, {"iss": ""}, {"exp": "soon"}, {"iat": True}, {"status": "valid"}],
    ids=["sub", "iss", "exp", "iat", "status"],
)
def test_malformed_attestation_claims(claims: dict[str, Any]) -> None:
    assert_rejected(AttestationReason.MALFORMED_CLAIM, _verify, _attestation(**claims))


def test_an_expired_attestation_is_refused() -> None:
    token = _attestation(iat=NOW - 600, exp=NOW - 31)
    assert_rejected(AttestationReason.EXPIRED, _verify, token)


def test_an_attestation_not_yet_valid_is_refused() -> None:
    assert_rejected(AttestationReason.NOT_YET_VALID, _verify, _attestation(nbf=NOW + 31))


def test_an_attestation_issued_in_the_future_is_refused() -> None:
    assert_rejected(AttestationReason.ISSUED_IN_FUTURE, _verify, _attestation(iat=NOW + 31))


def test_an_attestation_older_than_the_servers_policy_is_not_fresh() -> None:
    token = _attestation(iat=NOW - 7200, exp=NOW + 60)
    assert_rejected(AttestationReason.NOT_FRESH, _verify, token)


def test_without_iat_a_long_lived_attestation_cannot_show_it_is_fresh() -> None:
    assert _verify(_attestation(iat=None, exp=NOW + 600)).expires_at == NOW + 600
    token = _attestation(iat=None, exp=NOW + 7200)
    assert_rejected(AttestationReason.NOT_FRESH, _verify, token)


@pytest.mark.parametrize(
    "cnf",
    [
        "key",
        {},
        {"kid": "1"},
        {"jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}},
        {"jwk": generate_private_key(JwsAlg.ED25519).public.to_jwk()},
    ],
    ids=["not-an-object", "empty", "kid", "bad-point", "ed25519"],
)
def test_cnf_is_a_public_p256_jwk(cnf: object) -> None:
    assert_rejected(AttestationReason.CNF_INVALID, _verify, _attestation(cnf=cnf))


def test_cnf_never_holds_a_private_key() -> None:
    token = _attestation(cnf={"jwk": INSTANCE.to_jwk()})
    assert_rejected(AttestationReason.CNF_PRIVATE_KEY, _verify, token)


def test_the_requests_client_id_must_be_the_attested_sub() -> None:
    assert_rejected(AttestationReason.CLIENT_ID_MISMATCH, _verify, client_id="another-client")


# --- the PoP --------------------------------------------------------------------------------


def test_the_pop_typ_is_required() -> None:
    pop = _pop({"typ": CLIENT_ATTESTATION_TYP, "alg": "ES256"})
    assert_rejected(AttestationReason.POP_TYP, _verify, pop=pop)


def test_the_pop_is_es256() -> None:
    pop = _pop({"typ": CLIENT_ATTESTATION_POP_TYP, "alg": "none"})
    assert_rejected(AttestationReason.ALG_NOT_ALLOWED, _verify, pop=pop)


def test_the_pop_must_be_signed_by_the_attested_instance_key() -> None:
    pop = _pop(key=generate_private_key())
    assert_rejected(AttestationReason.POP_BAD_SIGNATURE, _verify, pop=pop)


def test_the_pop_issuer_is_the_attested_client() -> None:
    assert_rejected(AttestationReason.POP_ISSUER_MISMATCH, _verify, pop=_pop(iss="someone"))
    assert_rejected(AttestationReason.CLAIM_MISSING, _verify, pop=_pop(iss=None))


@pytest.mark.parametrize("aud", ["https://other.example", [ISSUER, "https://other.example"], None])
def test_the_pop_audience_is_this_server_alone(aud: object) -> None:
    assert_rejected(AttestationReason.POP_AUDIENCE, _verify, pop=_pop(aud=aud))


@pytest.mark.parametrize("jti", [None, 7, "", "j" * 257])
def test_the_pop_carries_a_jti(jti: object) -> None:
    assert_rejected(AttestationReason.POP_JTI_INVALID, _verify, pop=_pop(jti=jti))


def test_the_pop_iat_is_required_and_recent() -> None:
    assert_rejected(AttestationReason.CLAIM_MISSING, _verify, pop=_pop(iat=None))
    assert_rejected(AttestationReason.POP_STALE, _verify, pop=_pop(iat=NOW - 331))
    assert_rejected(AttestationReason.ISSUED_IN_FUTURE, _verify, pop=_pop(iat=NOW + 31))
    assert_rejected(AttestationReason.EXPIRED, _verify, pop=_pop(exp=NOW - 31))


def test_the_servers_challenge_must_be_in_the_pop() -> None:
    assert_rejected(AttestationReason.CHALLENGE_MISSING, _verify, pop=_pop(challenge=None))
    assert_rejected(AttestationReason.CHALLENGE_MISMATCH, _verify, pop=_pop(challenge="old"))
    assert_rejected(AttestationReason.MALFORMED_CLAIM, _verify, pop=_pop(challenge=5))


def test_an_oversized_pop_is_refused_before_decoding() -> None:
    assert_rejected(JoseReason.TOKEN_TOO_LARGE, _verify, pop="x" * 9_000)


# --- the specification's example ----------------------------------------------------------


def test_the_spec_example_attestation_is_self_signed_so_trusted_by_nobody() -> None:
    """OpenID4VCI 1.0 §A (Wallet Attestation JWT): its ``x5c`` holds one self-signed CA
    certificate. The signature is sound, but no chain leads to a configured root; not even
    that certificate configured as a root makes it a provider's signing certificate."""
    folder = vectors_dir("oid4vci", "normalized")
    token = (folder / "wallet_attestation.jwt").read_text(encoding="utf-8").strip()
    decoded = load_json(folder / "wallet_attestation.decoded.json")
    jws = parse_compact_jws(token)
    assert jws.header == decoded["header"]
    assert jws.payload == decoded["payload"]
    certificate_ = x509.load_der_x509_certificate(base64.b64decode(jws.header["x5c"][0]))
    verify_signature(jws, key=public_jwk_from_key(certificate_.public_key()), alg=JwsAlg.ES256)
    at = int(decoded["payload"]["nbf"]) + 60
    for roots in (WALLET_PROVIDER.roots, WalletProviderRoots((certificate_,))):
        assert_rejected(
            AttestationReason.CHAIN_UNTRUSTED,
            verify_client_attestation,
            token,
            _pop(),
            roots=roots,
            client_id=None,
            audience=ISSUER,
            challenge=None,
            now=at,
            leeway=30,
            max_attestation_age=86_400,
            max_pop_age=300,
        )
