"""The signed trust list (specs/trust/trust_list.py): DESIGN §1 ``file`` backend, pure half.

Round trips first, then each refusal with its exact reason: the JWS rules (jose reasons),
the time claims, and every kind of malformed entry (``registry-entry-malformed``). Keys are
generated per test (STYLE §7).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from specs.errors import JoseReason, TrustReason
from specs.jose import (
    JwsAlg,
    PrivateJwk,
    PublicJwk,
    StaticKeyResolver,
    b64url_decode,
    b64url_encode,
    generate_private_key,
    sign_compact_jws,
)
from specs.trust import RegulationAnchor, TrustSnapshot, check_issuer, check_verifier, claim_key
from specs.trust.trust_list import (
    TRUST_LIST_TYP,
    build_trust_list,
    trust_list_claims,
    verify_signed_trust_list,
    verify_trust_list,
)
from tests.conftest import FIXED_NOW
from tests.specs.forge import sign_raw
from tests.specs.trust.test_decisions import (
    DESK,
    ISSUER,
    OLD_KEY,
    REGULATION,
    VALID_FROM_DATE,
    VCT,
    VERSION,
    issuer_entry,
    key_ref,
    snapshot,
    verifier_entry,
)
from tests.support import assert_rejected

GOVERNANCE = "https://governance.example"
TTL = 7 * 24 * 3600
REGISTRY = snapshot(
    [issuer_entry(key_refs=frozenset({OLD_KEY, key_ref("new")}))],
    [
        verifier_entry(
            permissions={
                REGULATION: frozenset({claim_key(["address", "locality"])}),
                "huurtoeslag": frozenset({claim_key(["children", None, 0]), claim_key(["é"])}),
            }
        )
    ],
    [RegulationAnchor(REGULATION, VERSION, VALID_FROM_DATE, 0)],
)


@pytest.fixture
def governance() -> PrivateJwk:
    return generate_private_key(JwsAlg.ES256, kid="governance-2026")


def build(key: PrivateJwk, registry: TrustSnapshot = REGISTRY, **changes: Any) -> str:
    arguments: dict[str, Any] = {"governance_id": GOVERNANCE, "now": FIXED_NOW, "ttl": TTL}
    arguments.update(changes)
    return build_trust_list(registry, key=key, **arguments)


def verify(token: str, key: PublicJwk, now: int = FIXED_NOW, **options: Any) -> TrustSnapshot:
    return verify_trust_list(token, governance_keys=key, now=now, **options)


def signed_claims(key: PrivateJwk, change: Callable[[dict[str, Any]], object]) -> str:
    """A valid payload changed by ``change`` (in place), signed as it is."""
    claims = copy.deepcopy(
        trust_list_claims(REGISTRY, governance_id=GOVERNANCE, now=FIXED_NOW, ttl=TTL)
    )
    change(claims)
    return sign_compact_jws(claims, key=key, typ=TRUST_LIST_TYP)


# -- round trips ---------------------------------------------------------------------------


def test_round_trip_gives_back_the_registry_as_of_signing_time(governance: PrivateJwk) -> None:
    verified = verify(build(governance), governance.public, now=FIXED_NOW + 60)
    assert verified.issuers == REGISTRY.issuers
    assert verified.verifiers == REGISTRY.verifiers
    assert verified.anchors == REGISTRY.anchors
    assert verified.as_of == FIXED_NOW
    assert verified.source == f"trust-list:{GOVERNANCE}"


def test_verified_list_drives_the_decisions(governance: PrivateJwk) -> None:
    registry = verify(build(governance), governance.public)
    assert check_issuer(registry, issuer=ISSUER, vct=VCT, key_refs=[OLD_KEY], now=FIXED_NOW)
    assert check_verifier(
        registry,
        client_id=DESK,
        regulation="huurtoeslag",
        claims=[["children", None, 0], ["é"]],
        now=FIXED_NOW,
    )


def test_verified_details_carry_expiry_governance_and_key(governance: PrivateJwk) -> None:
    details = verify_signed_trust_list(
        build(governance), governance_keys=governance.public, now=FIXED_NOW
    )
    assert details.expires_at == FIXED_NOW + TTL
    assert details.governance_id == GOVERNANCE
    assert details.key == governance.public


def test_empty_registry_round_trips(governance: PrivateJwk) -> None:
    verified = verify(build(governance, snapshot()), governance.public)
    assert (verified.issuers, verified.verifiers, verified.anchors) == ({}, {}, {})


def test_equal_registries_give_equal_payloads(governance: PrivateJwk) -> None:
    """Sorted output: the same registry signs to the same payload, whatever the set order."""
    reordered = snapshot(
        [issuer_entry(key_refs=frozenset({key_ref("new"), OLD_KEY}))],
        REGISTRY.verifiers.values(),  # type: ignore[arg-type]
        REGISTRY.anchors.values(),  # type: ignore[arg-type]
    )
    assert build(governance).split(".")[1] == build(governance, reordered).split(".")[1]


def test_a_resolver_can_choose_among_governance_keys(governance: PrivateJwk) -> None:
    """Rotation of the governance key: the caller's resolver picks among keys it trusts."""
    verified = verify_trust_list(
        build(governance),
        governance_keys=StaticKeyResolver(governance.public),
        now=FIXED_NOW,
    )
    assert verified.issuers == REGISTRY.issuers


def test_expectations_are_keyword_only_without_defaults() -> None:
    """STYLE §3: the keys and the clock cannot be forgotten."""
    for function, names in (
        (verify_trust_list, {"governance_keys", "now"}),
        (verify_signed_trust_list, {"governance_keys", "now"}),
        (build_trust_list, {"key", "governance_id", "now", "ttl"}),
    ):
        parameters = inspect.signature(function).parameters
        for name in names:
            assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
            assert parameters[name].default is inspect.Parameter.empty, name


# -- the JWS ------------------------------------------------------------------------------


def test_tampered_payload_fails_the_signature(governance: PrivateJwk) -> None:
    header, _, signature = build(governance).split(".")
    other = build(governance, snapshot([issuer_entry(issuer="https://attacker.example")]))
    forged = ".".join([header, other.split(".")[1], signature])
    assert_rejected(JoseReason.BAD_SIGNATURE, verify, forged, governance.public)


def test_tampered_signature_fails(governance: PrivateJwk) -> None:
    header, payload, signature = build(governance).split(".")
    flipped = b64url_encode(bytes(b ^ 1 for b in b64url_decode(signature)))
    assert_rejected(
        JoseReason.BAD_SIGNATURE, verify, f"{header}.{payload}.{flipped}", governance.public
    )


def test_list_signed_by_another_key_fails(governance: PrivateJwk) -> None:
    impostor = generate_private_key(JwsAlg.ES256)
    assert_rejected(JoseReason.BAD_SIGNATURE, verify, build(impostor), governance.public)


@pytest.mark.parametrize("typ", ["JWT", "statuslist+jwt", "dc+sd-jwt", "trust-list+jwt"])
def test_other_token_types_are_not_trust_lists(governance: PrivateJwk, typ: str) -> None:
    """RFC 8725 §3.11: a token our governance key signed for another purpose is refused."""
    claims = trust_list_claims(REGISTRY, governance_id=GOVERNANCE, now=FIXED_NOW, ttl=TTL)
    token = sign_compact_jws(claims, key=governance, typ=typ)
    assert_rejected(JoseReason.TYP_MISMATCH, verify, token, governance.public)


def test_the_media_type_prefix_is_accepted(governance: PrivateJwk) -> None:
    """RFC 7515 §4.1.9: ``application/`` may be written out."""
    claims = trust_list_claims(REGISTRY, governance_id=GOVERNANCE, now=FIXED_NOW, ttl=TTL)
    token = sign_compact_jws(claims, key=governance, typ="application/" + TRUST_LIST_TYP)
    assert verify(token, governance.public).issuers == REGISTRY.issuers


@pytest.mark.parametrize("alg", ["none", "HS256", "ES384", ""])
def test_algorithms_outside_the_allowlist_are_refused(governance: PrivateJwk, alg: str) -> None:
    claims = trust_list_claims(REGISTRY, governance_id=GOVERNANCE, now=FIXED_NOW, ttl=TTL)
    token = sign_raw({"alg": alg, "typ": TRUST_LIST_TYP}, claims, governance)
    assert_rejected(JoseReason.ALG_NOT_ALLOWED, verify, token, governance.public)


def test_an_ed25519_governance_key_is_not_allowed() -> None:
    """ES256 only (DESIGN §4): the builder refuses before signing, the verifier too."""
    ed25519 = generate_private_key(JwsAlg.ED25519)
    assert_rejected(JoseReason.ALG_NOT_ALLOWED, build, ed25519)
    claims = trust_list_claims(REGISTRY, governance_id=GOVERNANCE, now=FIXED_NOW, ttl=TTL)
    token = sign_compact_jws(claims, key=ed25519, typ=TRUST_LIST_TYP)
    assert_rejected(JoseReason.ALG_NOT_ALLOWED, verify, token, ed25519.public)


def test_a_crit_header_is_refused(governance: PrivateJwk) -> None:
    claims = trust_list_claims(REGISTRY, governance_id=GOVERNANCE, now=FIXED_NOW, ttl=TTL)
    token = sign_compact_jws(
        claims, key=governance, typ=TRUST_LIST_TYP, extra_header={"crit": ["exp"]}
    )
    assert_rejected(JoseReason.UNSUPPORTED_HEADER, verify, token, governance.public)


def test_oversized_list_is_refused_before_decoding(governance: PrivateJwk) -> None:
    token = build(governance)
    assert_rejected(
        JoseReason.TOKEN_TOO_LARGE, verify, token, governance.public, max_bytes=len(token) - 1
    )
    assert verify(token, governance.public, max_bytes=len(token)).issuers


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "a.b.c.d", "ü.x.y"])
def test_garbage_is_a_malformed_jws(governance: PrivateJwk, token: str) -> None:
    assert_rejected(JoseReason.MALFORMED_JWS, verify, token, governance.public)


def test_segments_that_are_not_base64url_are_refused(governance: PrivateJwk) -> None:
    assert_rejected(JoseReason.BAD_BASE64URL, verify, "not base64.x.y", governance.public)


def test_duplicate_members_in_the_payload_are_refused(governance: PrivateJwk) -> None:
    """RFC 7515 §5.2 / I-JSON: a second ``issuers`` must not silently win."""
    payload = (
        f'{{"iss":"{GOVERNANCE}","iat":{FIXED_NOW},"exp":{FIXED_NOW + TTL},'
        '"issuers":[],"issuers":[],"verifiers":[],"anchors":[]}'
    )
    token = sign_raw({"alg": "ES256", "typ": TRUST_LIST_TYP}, payload, governance)
    assert_rejected(JoseReason.DUPLICATE_JSON_KEY, verify, token, governance.public)


# -- time ---------------------------------------------------------------------------------


def test_expired_list_is_refused_at_exp_exactly(governance: PrivateJwk) -> None:
    token = build(governance)
    assert verify(token, governance.public, now=FIXED_NOW + TTL - 1).issuers
    assert_rejected(JoseReason.EXPIRED, verify, token, governance.public, now=FIXED_NOW + TTL)


def test_leeway_extends_exp_by_that_many_seconds(governance: PrivateJwk) -> None:
    token = build(governance)
    assert verify(token, governance.public, now=FIXED_NOW + TTL, leeway=1).issuers
    assert_rejected(
        JoseReason.EXPIRED, verify, token, governance.public, now=FIXED_NOW + TTL + 1, leeway=1
    )


def test_list_issued_in_the_future_is_refused(governance: PrivateJwk) -> None:
    token = build(governance, now=FIXED_NOW + 10)
    assert_rejected(JoseReason.ISSUED_IN_FUTURE, verify, token, governance.public)
    assert verify(token, governance.public, leeway=10).as_of == FIXED_NOW + 10


def test_expiry_is_checked_before_the_entries(governance: PrivateJwk) -> None:
    token = signed_claims(governance, lambda c: c["issuers"].append("junk"))
    assert_rejected(JoseReason.EXPIRED, verify, token, governance.public, now=FIXED_NOW + TTL)


def _set(name: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda claims: claims.__setitem__(name, value)


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda claims: claims.pop(name)


@pytest.mark.parametrize(
    "change",
    [
        _drop("exp"),  # a list without exp would be good forever
        _drop("iat"),
        _set("exp", str(FIXED_NOW + TTL)),
        _set("exp", float(FIXED_NOW + TTL)),
        _set("exp", True),
        _set("iat", -1),
        _set("iat", None),
    ],
    ids=["no-exp", "no-iat", "string-exp", "float-exp", "bool-exp", "negative-iat", "null-iat"],
)
def test_iat_and_exp_must_be_whole_seconds(
    governance: PrivateJwk, change: Callable[[dict[str, Any]], None]
) -> None:
    token = signed_claims(governance, change)
    assert_rejected(JoseReason.BAD_TIME_CLAIM, verify, token, governance.public)


@pytest.mark.parametrize("ttl", [0, -1, True, 1.5])
def test_builder_refuses_a_ttl_that_is_not_a_positive_integer(
    governance: PrivateJwk, ttl: object
) -> None:
    assert_rejected(JoseReason.BAD_TIME_CLAIM, build, governance, ttl=ttl)


# -- malformed entries ---------------------------------------------------------------------

REF = key_ref("table")
_LAST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# 32 bytes leave two unused bits in the last character; setting one is a second spelling.
NON_CANONICAL_REF = REF[:-1] + _LAST[_LAST.index(REF[-1]) | 1]


def _in(section: str, member: str, value: object) -> Callable[[dict[str, Any]], None]:
    """Set ``member`` of the first entry of ``section`` (``None`` member: the whole entry)."""

    def change(claims: dict[str, Any]) -> None:
        if member:
            claims[section][0][member] = value
        else:
            claims[section][0] = value

    return change


def _claims(*paths: object) -> Callable[[dict[str, Any]], None]:
    """Replace the desk's claims for one regulation."""
    return _in("verifiers", "permissions", {REGULATION: list(paths)})


def _twice(section: str, **changes: object) -> Callable[[dict[str, Any]], None]:
    """A second entry with the same identifier (R-06: ambiguity is refused)."""
    return lambda claims: claims[section].append(claims[section][0] | changes)


MALFORMED: dict[str, Callable[[dict[str, Any]], object]] = {
    "unknown-top-level-member": _set("nbf", FIXED_NOW),
    "no-anchors": _drop("anchors"),
    "iss-empty": _set("iss", ""),
    "iss-number": _set("iss", 7),
    "issuers-object": _set("issuers", {}),
    "verifiers-null": _set("verifiers", None),
    "anchors-string": _set("anchors", "[]"),
    # issuers
    "issuer-entry-string": _in("issuers", "", ISSUER),
    "issuer-unknown-member": lambda c: c["issuers"][0].update(revoked=True),
    "issuer-missing-member": lambda c: c["issuers"][0].pop("effective_from"),
    "issuer-id-empty": _in("issuers", "issuer", ""),
    "issuer-id-number": _in("issuers", "issuer", 1),
    "vcts-string": _in("issuers", "vcts", VCT),
    "vct-number": _in("issuers", "vcts", [1]),
    "vct-empty": _in("issuers", "vcts", [""]),
    "vct-duplicate": _in("issuers", "vcts", [VCT, VCT]),
    "key-refs-null": _in("issuers", "key_refs", None),
    "key-ref-31-bytes": _in("issuers", "key_refs", [b64url_encode(bytes(31))]),
    "key-ref-33-bytes": _in("issuers", "key_refs", [b64url_encode(bytes(33))]),
    "key-ref-padded": _in("issuers", "key_refs", [REF + "="]),
    "key-ref-standard-alphabet": _in("issuers", "key_refs", ["+/" + REF[2:]]),
    "key-ref-non-canonical-bits": _in("issuers", "key_refs", [NON_CANONICAL_REF]),
    "key-ref-hex": _in("issuers", "key_refs", [bytes(32).hex()]),
    "key-ref-whitespace": _in("issuers", "key_refs", [REF + "\n"]),
    "key-ref-number": _in("issuers", "key_refs", [32]),
    "key-ref-duplicate": _in("issuers", "key_refs", [REF, REF]),
    "valid-until-equals-valid-from": _in("issuers", "valid_until", FIXED_NOW - 1000),
    "valid-until-before-valid-from": _in("issuers", "valid_until", FIXED_NOW - 2000),
    "valid-from-negative": _in("issuers", "valid_from", -1),
    "valid-from-bool": _in("issuers", "valid_from", True),
    "valid-from-float": _in("issuers", "valid_from", float(FIXED_NOW - 1000)),
    "valid-until-string": _in("issuers", "valid_until", str(FIXED_NOW + 1000)),
    "effective-from-null": _in("issuers", "effective_from", None),
    "issuer-twice-with-conflicting-keys": _twice("issuers", key_refs=[REF]),
    # verifiers
    "client-id-empty": _in("verifiers", "client_id", ""),
    "legal-basis-number": _in("verifiers", "legal_basis", 26),
    "verifier-unknown-member": lambda c: c["verifiers"][0].update(scope="all"),
    "verifier-window-empty": _in("verifiers", "valid_until", FIXED_NOW - 1000),
    "permissions-list": _in("verifiers", "permissions", [REGULATION]),
    "permissions-regulation-empty": _in("verifiers", "permissions", {"": ['["a"]']}),
    "claims-string": _in("verifiers", "permissions", {REGULATION: '["a"]'}),
    "claim-path-spaced": _claims('["address", "locality"]'),
    "claim-path-escaped": _claims('["\\u00e9"]'),
    "claim-path-not-json": _claims('["address"'),
    "claim-path-empty": _claims("[]"),
    "claim-path-negative-index": _claims('["children",-1]'),
    "claim-path-float-index": _claims('["children",1.5]'),
    "claim-path-boolean": _claims("[true]"),
    "claim-path-nested": _claims('[["a"]]'),
    "claim-path-object": _claims('{"a":1}'),
    "claim-path-number": _claims("5"),
    "claim-path-null": _claims("null"),
    "claim-path-string": _claims('"address"'),
    "claim-path-array-not-string": _claims(["address"]),
    "claim-path-duplicate": _claims('["a"]', '["a"]'),
    "verifier-twice": _twice("verifiers", legal_basis="another basis"),
    # anchors
    "regulation-empty": _in("anchors", "regulation", ""),
    "version-uppercase-hex": _in("anchors", "version", VERSION.upper()),
    "version-md5": _in("anchors", "version", "md5:" + "ab" * 16),
    "version-short": _in("anchors", "version", VERSION[:-2]),
    "version-number": _in("anchors", "version", 1),
    "valid-from-date-compact": _in("anchors", "valid_from", "20260101"),
    "valid-from-date-unpadded": _in("anchors", "valid_from", "2026-1-1"),
    "valid-from-date-impossible": _in("anchors", "valid_from", "2026-02-30"),
    "valid-from-datetime": _in("anchors", "valid_from", "2026-01-01T00:00:00"),
    "valid-from-date-number": _in("anchors", "valid_from", 20260101),
    "anchor-effective-from-negative": _in("anchors", "effective_from", -5),
    "anchor-unknown-member": lambda c: c["anchors"][0].update(authority="DT"),
    "anchor-twice": _twice("anchors", version="sha256:" + "cd" * 32),
}


@pytest.mark.parametrize("change", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_entries_reject_the_whole_list(
    governance: PrivateJwk, change: Callable[[dict[str, Any]], object]
) -> None:
    token = signed_claims(governance, change)
    assert_rejected(TrustReason.MALFORMED_ENTRY, verify, token, governance.public)


def test_the_table_changes_start_from_a_valid_list(governance: PrivateJwk) -> None:
    """Positive control: unchanged, the payload the table edits verifies."""
    assert verify(signed_claims(governance, lambda _: None), governance.public).issuers


@pytest.mark.parametrize(
    "registry",
    [
        snapshot([issuer_entry(valid_until=FIXED_NOW - 1000)]),
        snapshot([issuer_entry(vcts=frozenset({""}))]),
        snapshot([issuer_entry(key_refs=frozenset({"not-a-hash"}))]),
        snapshot([], [verifier_entry(permissions={REGULATION: frozenset({'["a", "b"]'})})]),
        snapshot(anchors=[RegulationAnchor(REGULATION, "v1", VALID_FROM_DATE, 0)]),
        TrustSnapshot({"https://other.example": issuer_entry()}),  # filed under another id
        TrustSnapshot(
            anchors={(REGULATION, "2027-01-01"): REGISTRY.anchors[(REGULATION, VALID_FROM_DATE)]}
        ),
    ],
    ids=[
        "empty-window",
        "empty-vct",
        "bad-key-ref",
        "non-canonical-claim",
        "bad-version",
        "mislabelled-issuer",
        "mislabelled-anchor",
    ],
)
def test_builder_never_signs_what_the_verifier_would_refuse(
    governance: PrivateJwk, registry: TrustSnapshot
) -> None:
    assert_rejected(TrustReason.MALFORMED_ENTRY, build, governance, registry)


def test_payload_mirrors_the_model(governance: PrivateJwk) -> None:
    """The wire members are the model's field names (see the module docstring)."""
    claims = trust_list_claims(REGISTRY, governance_id=GOVERNANCE, now=FIXED_NOW, ttl=TTL)
    assert claims["issuers"][0] == {
        "issuer": ISSUER,
        "vcts": [VCT],
        "key_refs": sorted([OLD_KEY, key_ref("new")]),
        "valid_from": FIXED_NOW - 1000,
        "valid_until": FIXED_NOW + 1000,
        "effective_from": 0,
    }
    assert claims["verifiers"][0]["permissions"] == {
        "huurtoeslag": ['["children",null,0]', '["é"]'],
        REGULATION: ['["address","locality"]'],
    }
    assert claims["anchors"] == [
        {
            "regulation": REGULATION,
            "version": VERSION,
            "valid_from": VALID_FROM_DATE,
            "effective_from": 0,
        }
    ]
    assert (claims["iss"], claims["iat"], claims["exp"]) == (GOVERNANCE, FIXED_NOW, FIXED_NOW + TTL)


def test_mappings_given_read_only_are_accepted(governance: PrivateJwk) -> None:
    """``permissions`` is a ``Mapping``: a read-only view must serialise like a dict."""
    from types import MappingProxyType

    permissions = MappingProxyType({REGULATION: frozenset({claim_key(["a"])})})
    registry = snapshot([], [verifier_entry(permissions=permissions)])
    assert verify(build(governance, registry), governance.public).verifiers == registry.verifiers
