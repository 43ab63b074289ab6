"""Catalogue S-01..S-16: the issuer's signature, its key, and the credential's own claims.

Through ``verify_sd_jwt_vc`` with the key resolvers the desk uses (a configured key, JWT VC
Issuer Metadata, ``x5c`` anchored in the registry) and the registry's ``check_issuer``. The
resolvers only choose among keys already fetched or configured: nothing in a token can make
the core fetch, so "no outbound fetch" holds by construction (DESIGN §1, ``specs.jose``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from specs.errors import (
    JoseReason,
    SdJwtVcReason,
    TrustReason,
    TypeMetadataReason,
)
from specs.jose import JwsAlg, StaticKeyResolver, b64url_encode, generate_private_key
from specs.jose import parse_public_jwk as parse_jwk
from specs.sd_jwt import NoKeyBinding
from specs.sd_jwt_vc import (
    AnchoredX5cResolver,
    JwtVcIssuerMetadataResolver,
    parse_jwt_vc_issuer_metadata,
    resolve_type_metadata,
    verify_anchored_chain,
    verify_sd_jwt_vc,
)
from specs.trust import IssuerEntry, TrustSnapshot, check_issuer
from tests.ca import new_ca, signing_key, x5c
from tests.pki import certificate, key_usage, self_signed_leaf
from tests.specs.forge import b64, digest, disclosure, sign_raw
from tests.threats.catalogue import not_built
from tests.threats.forge_threats import (
    CNF,
    ISS,
    ISSUER,
    NOW,
    ROOMY,
    VCT,
    components,
    vc,
    verify_vc,
)
from tests.threats.invariants import bounded_memory, rejected

MIB = 1024 * 1024
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
OTHER_VCT = "urn:nl:belastingdienst:household-assets:1"


def _unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64(json.dumps(header))}.{b64(json.dumps(payload))}.{b64url_encode(signature)}~"


def _metadata_resolver(*keys: Any, iss: str = ISS) -> JwtVcIssuerMetadataResolver:
    document = {"issuer": iss, "jwks": {"keys": [k.public.to_jwk() for k in keys]}}
    return JwtVcIssuerMetadataResolver(
        {iss: parse_jwt_vc_issuer_metadata(document, expected_issuer=iss)}
    )


def _with(resolver: Any, token: str, **options: Any) -> object:
    return rejected(
        lambda: verify_sd_jwt_vc(
            token, issuer_keys=resolver, key_binding=NoKeyBinding(), now=NOW, **options
        )
    )


def _snapshot(vcts: set[str], key_refs: set[str], issuer: str = ISS) -> TrustSnapshot:
    entry = IssuerEntry(issuer, frozenset(vcts), frozenset(key_refs), 0, NOW + 86_400, 0)
    return TrustSnapshot(issuers={issuer: entry}, as_of=NOW)


# --- S-01 .. S-04: algorithms and signature bytes -------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "nOnE", "", None])
def test_S_01_alg_none_in_every_spelling(alg: str | None) -> None:
    header: dict[str, Any] = (
        {"typ": "dc+sd-jwt"} if alg is None else {"alg": alg, "typ": "dc+sd-jwt"}
    )
    token = _unsigned(header, {"vct": VCT, "iss": ISS})
    assert rejected(lambda: verify_vc(token)) == JoseReason.ALG_NOT_ALLOWED


def test_S_01_empty_signature_under_es256_does_not_verify() -> None:
    jwt, _, _ = components(vc({"a": 1}))
    stripped = jwt.rsplit(".", 1)[0] + ".~"
    assert rejected(lambda: verify_vc(stripped)) == JoseReason.BAD_SIGNATURE


def _public_key_texts() -> dict[str, bytes]:
    public = ISSUER.public.key
    return {
        "pem": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "ssh": public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        "jwk-json": json.dumps(ISSUER.public.to_jwk()).encode(),
    }


@pytest.mark.parametrize("form", ["pem", "ssh", "jwk-json"])
def test_S_02_hmac_keyed_with_the_issuer_public_key(form: str) -> None:
    header = b64(json.dumps({"alg": "HS256", "typ": "dc+sd-jwt"}))
    payload = b64(json.dumps({"vct": VCT, "iss": ISS}))
    mac = hmac.new(_public_key_texts()[form], f"{header}.{payload}".encode(), hashlib.sha256)
    token = f"{header}.{payload}.{b64url_encode(mac.digest())}~"
    assert rejected(lambda: verify_vc(token)) == JoseReason.ALG_NOT_ALLOWED


def test_S_03_algorithm_and_key_must_agree() -> None:
    ed = generate_private_key(JwsAlg.ED25519)
    es256_token = vc({"a": 1})
    both = frozenset(JwsAlg)
    assert rejected(lambda: verify_vc(es256_token, key=ed, algorithms=both)) == (
        JoseReason.ALG_KEY_MISMATCH
    )
    es384 = sign_raw({"alg": "ES384", "typ": "dc+sd-jwt"}, {"vct": VCT}, ISSUER) + "~"
    assert rejected(lambda: verify_vc(es384)) == JoseReason.ALG_NOT_ALLOWED
    bound_to_ed = parse_jwk({**ISSUER.public.to_jwk(), "alg": "Ed25519"})
    assert _with(StaticKeyResolver(bound_to_ed), es256_token, algorithms=both) == (
        JoseReason.ALG_KEY_MISMATCH
    )


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-384", "x": "A" * 64, "y": "A" * 64},
        {"kty": "RSA", "n": "A" * 342, "e": "AQAB"},
    ],
    ids=["p384", "rsa"],
)
def test_S_03_keys_of_other_curves_or_types_are_never_loaded(jwk: dict[str, str]) -> None:
    """RFC 7517 §5: a key type we cannot use is skipped in a key set, so it never verifies."""
    assert rejected(lambda: parse_jwk(jwk)) == JoseReason.BAD_JWK
    document = {"issuer": ISS, "jwks": {"keys": [jwk]}}
    metadata = parse_jwt_vc_issuer_metadata(document, expected_issuer=ISS)
    assert metadata.keys == ()
    token = vc({"iss": ISS})
    resolver = JwtVcIssuerMetadataResolver({ISS: metadata})
    assert _with(resolver, token) == SdJwtVcReason.ISSUER_KEY_NOT_FOUND


@pytest.mark.parametrize(
    "signature",
    [
        bytes(64),
        bytes(63),
        bytes(65),
        bytes.fromhex("3006020101020101"),  # DER, not raw r||s
        bytes(32) + (1).to_bytes(32, "big"),  # r = 0
        (1).to_bytes(32, "big") + bytes(32),  # s = 0
        P256_ORDER.to_bytes(32, "big") * 2,  # r = s = n
        (1).to_bytes(32, "big") + (P256_ORDER + 1).to_bytes(32, "big"),  # s > n
    ],
    ids=["zeros", "63", "65", "der", "r0", "s0", "n", "s-over-n"],
)
def test_S_04_malformed_or_degenerate_signatures(signature: bytes) -> None:
    jwt, _, _ = components(vc({"a": 1}))
    token = jwt.rsplit(".", 1)[0] + "." + b64url_encode(signature) + "~"
    assert rejected(lambda: verify_vc(token)) == JoseReason.BAD_SIGNATURE


# --- S-05 .. S-08: the header ----------------------------------------------------------------


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "kid"])
def test_S_05_keys_are_never_taken_from_the_header(member: str) -> None:
    attacker = generate_private_key()
    value: Any = {
        "jwk": attacker.public.to_jwk(),
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "kid": "https://attacker.example/keys/1",
    }[member]
    token = vc(
        {"iss": ISS}, header={"alg": "ES256", "typ": "dc+sd-jwt", member: value}, key=attacker
    )
    assert rejected(lambda: verify_vc(token)) == JoseReason.BAD_SIGNATURE
    published = generate_private_key(kid="k1")
    assert _with(_metadata_resolver(published, generate_private_key(kid="k2")), token) == (
        SdJwtVcReason.ISSUER_KEY_NOT_FOUND
    )


@pytest.mark.parametrize(
    "extra",
    [{"crit": ["foo"]}, {"crit": ["b64"], "b64": False}, {"crit": ["exp"]}],
    ids=["unknown", "b64", "absent-member"],
)
def test_S_06_crit_is_never_understood(extra: dict[str, Any]) -> None:
    token = vc({"a": 1}, header={"alg": "ES256", "typ": "dc+sd-jwt", **extra})
    assert rejected(lambda: verify_vc(token)) == JoseReason.UNSUPPORTED_HEADER


@pytest.mark.parametrize(
    "typ",
    [
        None,
        "JWT",
        "vc+sd-jwt",
        "kb+jwt",
        "statuslist+jwt",
        "openid4vci-proof+jwt",
        "oauth-client-attestation+jwt",  # a wallet attestation presented as a credential
    ],
)
def test_S_07_typ_must_be_dc_sd_jwt(typ: str | None) -> None:
    header = {"alg": "ES256"} if typ is None else {"alg": "ES256", "typ": typ}
    token = vc({"a": 1}, header=header)
    assert rejected(lambda: verify_vc(token)) == JoseReason.TYP_MISMATCH


def test_S_07_legacy_typ_only_when_enabled() -> None:
    token = vc({"a": 1}, header={"alg": "ES256", "typ": "vc+sd-jwt"})
    assert verify_vc(token, accept_legacy_typ=True).vct == VCT


@pytest.mark.parametrize(
    "kid", ["../../etc/passwd", "' OR 1=1--", "k" * 10_240, "unknown", 7, None, ["k1"]]
)
def test_S_08_hostile_kid_finds_no_key(kid: Any) -> None:
    published = generate_private_key(kid="k1")
    resolver = _metadata_resolver(published, generate_private_key(kid="k2"))
    token = vc({"iss": ISS}, header={"alg": "ES256", "typ": "dc+sd-jwt", "kid": kid}, key=published)
    with bounded_memory(4 * MIB):
        assert _with(resolver, token) == SdJwtVcReason.ISSUER_KEY_NOT_FOUND


# --- S-09 .. S-11: where the issuer's key comes from ------------------------------------------


def _x5c_token(chain: list[str], key: Any) -> str:
    return vc({"iss": ISS}, header={"alg": "ES256", "typ": "dc+sd-jwt", "x5c": chain}, key=key)


def _anchored(ca_ref: str) -> AnchoredX5cResolver:
    return AnchoredX5cResolver(issuer=ISS, registered_key_refs={ca_ref})


def test_S_09_chain_to_a_registered_root_is_the_control() -> None:
    ca, key = new_ca(NOW), signing_key()
    assert (
        verify_sd_jwt_vc(
            _x5c_token(ca.chain(key, ISS), key),
            issuer_keys=_anchored(ca.key_ref),
            key_binding=NoKeyBinding(),
            now=NOW,
        ).issuer
        == ISS
    )


def test_S_09_roots_come_from_the_registry_never_from_x5c() -> None:
    ca, key = new_ca(NOW), signing_key()
    assert isinstance(key.key, ec.EllipticCurvePrivateKey)
    self_signed = x5c(self_signed_leaf(key.key, name="issuer", uri=ISS, now=NOW))
    assert _with(_anchored(ca.key_ref), _x5c_token(self_signed, key)) == (
        TrustReason.X5C_ROOT_NOT_REGISTERED
    )
    rogue = new_ca(NOW)  # a complete chain whose root the attacker made and sent along
    assert _with(_anchored(ca.key_ref), _x5c_token(rogue.chain(key, ISS), key)) == (
        TrustReason.X5C_ROOT_NOT_REGISTERED
    )


@pytest.mark.parametrize("defect", ["expired", "not-yet-valid", "no-signing-usage"])
def test_S_09_leaf_outside_validity_or_usage(defect: str) -> None:
    ca, key = new_ca(NOW), signing_key()
    assert isinstance(key.key, ec.EllipticCurvePrivateKey)
    at = datetime.fromtimestamp(NOW, tz=UTC)
    before, after = {
        "expired": (at - timedelta(days=10), at - timedelta(days=1)),
        "not-yet-valid": (at + timedelta(days=1), at + timedelta(days=10)),
        "no-signing-usage": (at - timedelta(days=1), at + timedelta(days=10)),
    }[defect]
    leaf = certificate(
        key.key,
        ca.key,
        subject="issuer",
        issuer="test CA",
        ca=False,
        not_before=before,
        not_after=after,
        san=[x509.UniformResourceIdentifier(ISS)],
        usage=key_usage(ca=False, digital_signature=defect != "no-signing-usage"),
    )
    token = _x5c_token(x5c(leaf, ca.root), key)
    assert _with(_anchored(ca.key_ref), token) == SdJwtVcReason.X5C_CHAIN_INVALID


def test_S_09_oversized_chains_are_refused_before_decoding() -> None:
    ca, key = new_ca(NOW), signing_key()
    long_chain = ["!not base64!"] * 50
    huge_cert = [base64.b64encode(bytes(MIB)).decode("ascii")]
    tokens = [_x5c_token(chain, key) for chain in (long_chain, huge_cert)]
    # The header itself must be decoded to find x5c; the certificates never are (zeros or
    # "!" would be x5c-chain-invalid if they were).
    with bounded_memory(32 * MIB):
        for token in tokens:
            assert _with(_anchored(ca.key_ref), token, limits=ROOMY) == (
                SdJwtVcReason.X5C_CHAIN_TOO_LARGE
            )


def test_S_10_signature_of_issuer_a_under_the_name_of_issuer_b() -> None:
    issuer_b = generate_private_key(kid="b-1")
    resolver = _metadata_resolver(issuer_b)
    header = {"alg": "ES256", "typ": "dc+sd-jwt", "kid": "b-1"}
    by_a = vc({"iss": ISS}, header=header, key=ISSUER)
    assert _with(resolver, by_a) == JoseReason.BAD_SIGNATURE


@pytest.mark.parametrize(
    "claimed",
    [ISS + "/", ISS + ".evil.example", ISS[:-3], "HTTPS://belastingdienst.example", ISS + "/x"],
)
def test_S_10_iss_must_match_exactly(claimed: str) -> None:
    key = generate_private_key(kid="k1")
    header = {"alg": "ES256", "typ": "dc+sd-jwt", "kid": "k1"}
    token = vc({"iss": claimed}, header=header, key=key)
    assert _with(_metadata_resolver(key), token) == SdJwtVcReason.ISSUER_KEY_NOT_FOUND
    snapshot = _snapshot({VCT}, {key.public.thumbprint()})
    assert (
        rejected(lambda: check_issuer(snapshot, issuer=claimed, vct=VCT, key_refs=[], now=NOW))
        == TrustReason.ISSUER_NOT_REGISTERED
    )


def test_S_11_only_the_mechanism_the_registry_pins_is_accepted() -> None:
    """The registry lists the x5c root: a metadata key (its thumbprint) is not registered.
    The registry lists a JWK thumbprint: an x5c chain has no registered root."""
    ca, key = new_ca(NOW), signing_key()
    pins_root = _snapshot({VCT}, {ca.key_ref})
    assert (
        rejected(
            lambda: check_issuer(
                pins_root, issuer=ISS, vct=VCT, key_refs=[key.public.thumbprint()], now=NOW
            )
        )
        == TrustReason.KEY_NOT_REGISTERED
    )
    pins_jwk = {key.public.thumbprint()}
    assert (
        rejected(
            lambda: verify_anchored_chain(
                ca.chain(key, ISS), issuer=ISS, registered_key_refs=pins_jwk, roots=(), now=NOW
            )
        )
        == TrustReason.X5C_ROOT_NOT_REGISTERED
    )


# --- S-12 .. S-15: the credential's claims and shape --------------------------------------------


@pytest.mark.parametrize(
    "name", ["exp", "nbf", "iss", "cnf", "vct", "vct#integrity", "aka_vcts", "status"]
)
def test_S_12_registered_claims_are_never_disclosures(name: str) -> None:
    value: Any = {
        "exp": NOW + 3600,
        "nbf": NOW - 60,
        "iss": ISS,
        "cnf": CNF,
        "vct": VCT,
        "vct#integrity": "sha256-" + base64.b64encode(bytes(32)).decode(),
        "aka_vcts": [OTHER_VCT],
        "status": {"status_list": {"idx": 1, "uri": "https://s.example/1"}},
    }[name]
    d = disclosure("salt-salt-salt", name, value)
    payload: dict[str, Any] = {"_sd": [digest(d)]}
    # For vct, the payload's only vct is the disclosed one.
    token = vc(json.dumps(payload), d) if name == "vct" else vc(payload, d)
    assert rejected(lambda: verify_vc(token)) == SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": NOW - 1}, JoseReason.EXPIRED),
        ({"exp": NOW}, JoseReason.EXPIRED),  # exp is exclusive (RFC 7519 §4.1.4)
        ({"exp": NOW - 0.5}, JoseReason.EXPIRED),  # a NumericDate may be fractional (§2)
        ({"nbf": NOW + 1}, JoseReason.NOT_YET_VALID),
        ({"iat": NOW + 86_400 * 365}, JoseReason.ISSUED_IN_FUTURE),
        ({"exp": "99999999999"}, JoseReason.BAD_TIME_CLAIM),
        ({"exp": True}, JoseReason.BAD_TIME_CLAIM),
        ({"exp": -1}, JoseReason.BAD_TIME_CLAIM),
        ({"nbf": None}, JoseReason.BAD_TIME_CLAIM),
    ],
)
def test_S_13_time_claims(claims: dict[str, Any], reason: JoseReason) -> None:
    """With no leeway; the desk's ``clock_leeway_seconds`` widens each bound by that much."""
    assert rejected(lambda: verify_vc(vc(claims), leeway=0)) == reason


def test_S_14_authorisation_is_per_issuer_and_exact_type() -> None:
    snapshot = _snapshot({VCT}, {ISSUER.public.thumbprint()})
    refs = [ISSUER.public.thumbprint()]
    other = verify_vc(vc({"iss": ISS, "vct": OTHER_VCT, "aka_vcts": [VCT]}))
    assert other.vct == OTHER_VCT
    assert (
        rejected(lambda: check_issuer(snapshot, issuer=ISS, vct=other.vct, key_refs=refs, now=NOW))
        == TrustReason.VCT_NOT_AUTHORISED
    )
    documents = {
        OTHER_VCT: json.dumps({"vct": OTHER_VCT, "extends": VCT}).encode(),
        VCT: json.dumps({"vct": VCT}).encode(),
    }
    resolved = resolve_type_metadata(OTHER_VCT, documents=documents, integrity=None)
    assert VCT in resolved.types  # B extends A ...
    assert (
        rejected(  # ... and still is not A for the registry
            lambda: check_issuer(snapshot, issuer=ISS, vct=resolved.vct, key_refs=refs, now=NOW)
        )
        == TrustReason.VCT_NOT_AUTHORISED
    )


@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        ("two-segments", JoseReason.MALFORMED_JWS),
        ("four-segments", JoseReason.MALFORMED_JWS),
        ("empty-payload", JoseReason.MALFORMED_JWS),
        ("array-payload", JoseReason.NOT_A_JSON_OBJECT),
    ],
)
def test_S_15_not_a_three_part_jws_over_an_object(shape: str, reason: JoseReason) -> None:
    jwt, _, _ = components(vc({"a": 1}))
    header, payload, signature = jwt.split(".")
    broken = {
        "two-segments": f"{header}.{payload}",
        "four-segments": f"{header}.{payload}.{signature}.{signature}",
        "empty-payload": f"{header}..{signature}",
        "array-payload": components(vc("[1, 2]"))[0],
    }[shape]
    assert rejected(lambda: verify_vc(broken + "~")) == reason


# --- S-16: type metadata ------------------------------------------------------------------


def _sri(data: bytes) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def test_S_16_extends_cycle_and_depth() -> None:
    a, b = "https://types.example/a", "https://types.example/b"
    cycle = {
        a: json.dumps({"vct": a, "extends": b}).encode(),
        b: json.dumps({"vct": b, "extends": a}).encode(),
    }
    assert rejected(lambda: resolve_type_metadata(a, documents=cycle, integrity=None)) == (
        TypeMetadataReason.EXTENDS_CYCLE
    )
    names = [f"https://types.example/{level}" for level in range(101)]
    chain = {
        name: json.dumps({"vct": name, "extends": names[level + 1]}).encode()
        for level, name in enumerate(names[:-1])
    }
    chain[names[-1]] = json.dumps({"vct": names[-1]}).encode()
    with bounded_memory(4 * MIB):
        assert (
            rejected(lambda: resolve_type_metadata(names[0], documents=chain, integrity=None))
            == TypeMetadataReason.EXTENDS_TOO_DEEP
        )


def test_S_16_integrity_mismatch_or_only_unsupported_algorithms() -> None:
    document = json.dumps({"vct": VCT, "name": "income"}).encode()
    tampered = json.dumps({"vct": VCT, "name": "income!"}).encode()
    documents = {VCT: tampered}
    assert resolve_type_metadata(VCT, documents={VCT: document}, integrity=_sri(document))
    assert (
        rejected(lambda: resolve_type_metadata(VCT, documents=documents, integrity=_sri(document)))
        == TypeMetadataReason.INTEGRITY_MISMATCH
    )
    md5 = "md5-" + base64.b64encode(hashlib.md5(document).digest()).decode()
    assert (
        rejected(lambda: resolve_type_metadata(VCT, documents={VCT: document}, integrity=md5))
        == TypeMetadataReason.INTEGRITY_UNSUPPORTED_ALG
    )


def test_S_16_credential_refused_for_its_type_metadata() -> None:
    not_built("type metadata fetching and checking during credential verification")


def test_S_16_svg_template_with_script_is_rendered_escaped() -> None:
    not_built("rendering of type metadata SVG templates in the wallet")
