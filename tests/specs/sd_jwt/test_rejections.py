"""Every way an SD-JWT can be refused (RFC 9901 §7; THREATS P-01..P-28, K-01..K-12).

Each token here is signed correctly by the issuer, so the test reaches exactly the rule it
names; the assertion is the exact reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from specs.errors import JoseReason, SdJwtReason
from specs.jose import StaticKeyResolver, generate_private_key
from specs.sd_jwt import (
    Disclosable,
    KeyBindingRequired,
    NoKeyBinding,
    SdJwtLimits,
    claim_path,
    issue_sd_jwt,
    open_sd_jwt,
    parse_claim_path,
    present_sd_jwt,
    verify_sd_jwt,
    verify_sd_jwt_json,
)
from tests.specs.forge import b64, digest, disclosure, sd_jwt, sign_raw, with_kb
from tests.support import assert_rejected

NOW = 1_790_000_000
NONCE, AUD = "n-0S6_WzA2Mj", "https://desk.example"
ISSUER = generate_private_key()
HOLDER = generate_private_key()
CNF = {"jwk": HOLDER.public.to_jwk()}
REQUIRED = KeyBindingRequired(nonce=NONCE, audience=AUD)


def verify(token: str, policy: Any = None, **kwargs: Any) -> Any:
    return verify_sd_jwt(
        token,
        issuer_keys=StaticKeyResolver(ISSUER.public),
        typ="example+sd-jwt",
        key_binding=policy or NoKeyBinding(),
        now=NOW,
        **kwargs,
    )


def rejects(reason: Any, payload: dict[str, Any] | str, *disclosures: str) -> None:
    assert_rejected(reason, verify, sd_jwt(payload, disclosures, ISSUER))


# --- serialization (P-01, P-02, P-03, P-12, P-21, P-27, K-12) ---------------------------------


def test_bare_jwt_is_not_an_sd_jwt() -> None:
    jwt = sign_raw({"alg": "ES256", "typ": "example+sd-jwt"}, {"a": 1}, ISSUER)
    assert_rejected(SdJwtReason.MALFORMED_SERIALIZATION, verify, jwt)


@pytest.mark.parametrize("suffix", ["~~", "~ ~"])
def test_empty_or_blank_components(suffix: str) -> None:
    token = sd_jwt({"a": 1}, [], ISSUER)[:-1] + suffix
    reason = SdJwtReason.MALFORMED_SERIALIZATION if suffix == "~~" else JoseReason.BAD_BASE64URL
    assert_rejected(reason, verify, token)


def test_non_ascii_and_two_kb_jwts() -> None:
    base = sd_jwt({"a": 1, "cnf": CNF}, [], ISSUER)
    assert_rejected(SdJwtReason.MALFORMED_SERIALIZATION, verify, base + "é")
    kb = with_kb(base, HOLDER, nonce=NONCE, audience=AUD, now=NOW)[len(base) :]
    assert_rejected(SdJwtReason.MALFORMED_SERIALIZATION, verify, base + kb + "~" + kb, REQUIRED)
    assert_rejected(SdJwtReason.MALFORMED_SERIALIZATION, verify, base + kb + "~", REQUIRED)


def test_padding_in_a_disclosure() -> None:
    d = disclosure("salt-salt-salt", "a", 1)
    padded = d + "=" * (-len(d) % 4) if len(d) % 4 else d + "=="
    token = sd_jwt({"_sd": [digest(padded)]}, [padded], ISSUER)
    assert_rejected(JoseReason.BAD_BASE64URL, verify, token)


def test_oversized_presentation_refused_before_decoding() -> None:
    token = sd_jwt({"a": 1}, [], ISSUER) + "A" * 300_000
    assert_rejected(JoseReason.TOKEN_TOO_LARGE, verify, token)


def test_too_many_disclosures_refused_before_parsing_them() -> None:
    limits = SdJwtLimits(max_disclosures=10)
    token = sd_jwt({"a": 1}, ["x"] * 11, ISSUER)
    assert_rejected(SdJwtReason.TOO_MANY_DISCLOSURES, verify, token, limits=limits)


def test_same_disclosure_twice() -> None:
    d = disclosure("salt-salt-salt", "a", 1)
    rejects(SdJwtReason.DUPLICATE_DISCLOSURE, {"_sd": [digest(d)]}, d, d)


# --- disclosure shape (P-04..P-08) ----------------------------------------------------------


@pytest.mark.parametrize("text", ["not json", '{"a": 1}', "1", '"s"'])
def test_disclosure_that_is_not_a_json_array(text: str) -> None:
    d = b64(text)
    rejects(SdJwtReason.DISCLOSURE_NOT_ARRAY, {"_sd": [digest(d)]}, d)


@pytest.mark.parametrize("elements", [[], ["salt"], ["salt", "a", 1, 2]])
def test_disclosure_with_wrong_arity(elements: list[Any]) -> None:
    d = b64(json.dumps(elements))
    rejects(SdJwtReason.DISCLOSURE_WRONG_ARITY, {"_sd": [digest(d)]}, d)


@pytest.mark.parametrize("name", [1, None, {}, ["a"], True])
def test_non_string_claim_names_are_never_coerced(name: Any) -> None:
    d = disclosure("salt-salt-salt", name, "v")
    rejects(SdJwtReason.DISCLOSURE_BAD_CLAIM_NAME, {"_sd": [digest(d)]}, d)


@pytest.mark.parametrize("name", ["_sd", "...", "_sd_alg"])
def test_reserved_claim_names(name: str) -> None:
    d = disclosure("salt-salt-salt", name, "v")
    rejects(SdJwtReason.DISCLOSURE_RESERVED_CLAIM_NAME, {"_sd": [digest(d)]}, d)


@pytest.mark.parametrize("salt", [1, {}, "", None])
def test_bad_salts(salt: Any) -> None:
    d = disclosure(salt, "a", "v")
    rejects(SdJwtReason.DISCLOSURE_BAD_SALT, {"_sd": [digest(d)]}, d)


def test_duplicate_member_inside_a_disclosure_value() -> None:
    d = b64('["salt-salt-salt", "a", {"age": 17, "age": 21}]')
    rejects(JoseReason.DUPLICATE_JSON_KEY, {"_sd": [digest(d)]}, d)


# --- references (P-05, P-09..P-18) --------------------------------------------------------


def test_array_element_disclosure_referenced_from_sd() -> None:
    d = disclosure("salt-salt-salt", "DE")
    rejects(SdJwtReason.DISCLOSURE_KIND_MISMATCH, {"_sd": [digest(d)]}, d)


def test_object_property_disclosure_referenced_from_an_array() -> None:
    d = disclosure("salt-salt-salt", "a", "DE")
    rejects(SdJwtReason.DISCLOSURE_KIND_MISMATCH, {"n": [{"...": digest(d)}]}, d)


def test_disclosed_name_collides_with_a_plain_claim() -> None:
    d = disclosure("salt-salt-salt", "given_name", "Eve")
    rejects(SdJwtReason.CLAIM_NAME_COLLISION, {"given_name": "Jan", "_sd": [digest(d)]}, d)


def test_two_disclosures_with_the_same_name_do_not_last_win() -> None:
    d1, d2 = disclosure("salt-one-salt", "age", 17), disclosure("salt-two-salt", "age", 21)
    rejects(SdJwtReason.CLAIM_NAME_COLLISION, {"_sd": [digest(d1), digest(d2)]}, d1, d2)


def test_duplicate_digests_anywhere() -> None:
    d = disclosure("salt-salt-salt", "a", 1)
    rejects(SdJwtReason.DUPLICATE_DIGEST, {"_sd": [digest(d), digest(d)]}, d)
    rejects(SdJwtReason.DUPLICATE_DIGEST, {"_sd": [digest(d)], "o": {"_sd": [digest(d)]}}, d)
    rejects(SdJwtReason.DUPLICATE_DIGEST, {"_sd": ["decoy"], "n": [{"...": "decoy"}]})
    inner = disclosure("salt-inner-salt", "x", {"_sd": [digest(d)]})
    rejects(SdJwtReason.DUPLICATE_DIGEST, {"_sd": [digest(d), digest(inner)]}, d, inner)


def test_disclosure_not_referenced_by_the_signed_payload() -> None:
    referenced, stray = disclosure("salt-a-salt", "a", 1), disclosure("salt-b-salt", "b", 2)
    rejects(SdJwtReason.UNREFERENCED_DISCLOSURE, {"_sd": [digest(referenced)]}, referenced, stray)


@pytest.mark.parametrize("value", ["digest", {"d": 1}, [1], ["ok", 2], [None]])
def test_sd_must_be_an_array_of_strings(value: Any) -> None:
    rejects(SdJwtReason.BAD_SD_ARRAY, {"_sd": value})


@pytest.mark.parametrize(
    "element", [{"...": "d", "x": 1}, {"...": 5}, {"...": ["d"]}, {"...": None}]
)
def test_bad_array_element_placeholders(element: dict[str, Any]) -> None:
    rejects(SdJwtReason.BAD_ARRAY_ELEMENT_PLACEHOLDER, {"n": [element]})


def test_ellipsis_key_outside_an_array() -> None:
    rejects(SdJwtReason.MISPLACED_ELLIPSIS, {"...": "d"})
    rejects(SdJwtReason.MISPLACED_ELLIPSIS, {"o": {"...": "d", "a": 1}})


def test_sd_alg_below_the_top_level() -> None:
    rejects(SdJwtReason.SD_ALG_NOT_TOP_LEVEL, {"o": {"_sd_alg": "sha-256"}})
    d = disclosure("salt-salt-salt", "o", {"_sd_alg": "sha-256"})
    rejects(SdJwtReason.SD_ALG_NOT_TOP_LEVEL, {"_sd": [digest(d)]}, d)


@pytest.mark.parametrize("alg", ["sha-256-32", "md5", "sha-1", "SHA-256", 7, ""])
def test_insecure_or_misspelled_hash_algorithms(alg: Any) -> None:
    rejects(SdJwtReason.SD_ALG_UNSUPPORTED, {"_sd_alg": alg, "a": 1})


def test_decoys_without_disclosures_are_dropped_silently() -> None:
    """P-18: 50 decoys, nothing disclosed: accepted, and no claim appears."""
    decoys = sorted(digest(disclosure(f"decoy-{i}-salt", None)) for i in range(50))
    assert verify(sd_jwt({"_sd": decoys, "n": [{"...": "x"}], "a": 1}, [], ISSUER)).claims == {
        "a": 1,
        "n": [],
    }


def test_nested_disclosure_lands_only_where_its_digest_is() -> None:
    """P-14: ``address.country`` appears under address, never at the root."""
    d = disclosure("salt-salt-salt", "country", "NL")
    claims = verify(sd_jwt({"address": {"_sd": [digest(d)]}}, [d], ISSUER)).claims
    assert claims == {"address": {"country": "NL"}}


# --- size and depth (P-19, P-20) --------------------------------------------------------------


def test_recursive_disclosure_chain_deeper_than_the_cap() -> None:
    disclosures, reference = [], "leaf"
    for level in range(40):
        d = disclosure(f"salt-{level}-salt", "x", {"_sd": [reference]} if level else "leaf")
        disclosures.append(d)
        reference = digest(d)
    rejects(SdJwtReason.NESTING_TOO_DEEP, {"_sd": [reference]}, *disclosures)


def test_digest_count_is_capped() -> None:
    limits = SdJwtLimits(max_digests=100)
    token = sd_jwt({"_sd": [f"d{i}" for i in range(101)]}, [], ISSUER)
    assert_rejected(SdJwtReason.TOO_MANY_DIGESTS, verify, token, limits=limits)
    spread = {f"o{i}": {"_sd": [f"d{i}-{j}" for j in range(20)]} for i in range(6)}
    assert_rejected(SdJwtReason.TOO_MANY_DIGESTS, verify, sd_jwt(spread, [], ISSUER), limits=limits)


# --- key binding (K-01..K-11) ---------------------------------------------------------------


def _bound(**overrides: Any) -> str:
    base = sd_jwt({"a": 1, "cnf": CNF}, [], ISSUER)
    return with_kb(base, HOLDER, nonce=NONCE, audience=AUD, now=NOW, overrides=overrides)


def test_key_binding_required_but_stripped() -> None:
    assert_rejected(
        SdJwtReason.KEY_BINDING_MISSING, verify, sd_jwt({"cnf": CNF}, [], ISSUER), REQUIRED
    )


def test_key_binding_present_when_policy_expects_none() -> None:
    assert_rejected(SdJwtReason.KEY_BINDING_UNEXPECTED, verify, _bound())


def test_holder_key_missing_or_unusable() -> None:
    plain = sd_jwt({"a": 1}, [], ISSUER)
    token = with_kb(plain, HOLDER, nonce=NONCE, audience=AUD, now=NOW)
    assert_rejected(SdJwtReason.HOLDER_KEY_MISSING, verify, token, REQUIRED)
    for cnf in (
        {"jku": "https://attacker.example/jwks"},
        {"kid": "https://attacker.example/k"},
        {"jwk": {**CNF["jwk"], "d": "AAAA"}},
        {"jwk": {"kty": "oct", "k": "c2VjcmV0"}},
        {"jwk": {**CNF["jwk"], "crv": "P-384"}},
        "not an object",
    ):
        base = sd_jwt({"cnf": cnf}, [], ISSUER)
        bound = with_kb(base, HOLDER, nonce=NONCE, audience=AUD, now=NOW)
        assert_rejected(SdJwtReason.HOLDER_KEY_UNSUPPORTED, verify, bound, REQUIRED)


def test_kb_jwt_signed_by_its_own_header_key() -> None:
    attacker = generate_private_key()
    base = sd_jwt({"cnf": CNF}, [], ISSUER)
    kb = sign_raw(
        {"alg": "ES256", "typ": "kb+jwt", "jwk": attacker.public.to_jwk()},
        {"iat": NOW, "nonce": NONCE, "aud": AUD, "sd_hash": "x"},
        attacker,
    )
    assert_rejected(JoseReason.BAD_SIGNATURE, verify, base + kb, REQUIRED)


@pytest.mark.parametrize("typ", [None, "JWT", "kb+jwt+x"])
def test_kb_jwt_typ(typ: str | None) -> None:
    base = sd_jwt({"cnf": CNF}, [], ISSUER)
    header = {"alg": "ES256"} if typ is None else {"alg": "ES256", "typ": typ}
    kb = sign_raw(header, {"iat": NOW, "nonce": NONCE, "aud": AUD, "sd_hash": "x"}, HOLDER)
    assert_rejected(JoseReason.TYP_MISMATCH, verify, base + kb, REQUIRED)


@pytest.mark.parametrize("missing", ["iat", "nonce", "aud", "sd_hash"])
def test_kb_jwt_claims_are_all_required(missing: str) -> None:
    base = sd_jwt({"cnf": CNF}, [], ISSUER)
    claims = {"iat": NOW, "nonce": NONCE, "aud": AUD, "sd_hash": "x"}
    del claims[missing]
    kb = sign_raw({"alg": "ES256", "typ": "kb+jwt"}, claims, HOLDER)
    assert_rejected(SdJwtReason.KB_CLAIM_MISSING, verify, base + kb, REQUIRED)


@pytest.mark.parametrize("nonce", ["other", 1234567890, None, ""])
def test_kb_nonce_from_another_session(nonce: Any) -> None:
    assert_rejected(SdJwtReason.KB_NONCE_MISMATCH, verify, _bound(nonce=nonce), REQUIRED)


@pytest.mark.parametrize("aud", ["https://other.example", [AUD], [AUD, "x"], "desk.example"])
def test_kb_audience_must_be_exactly_us(aud: Any) -> None:
    assert_rejected(SdJwtReason.KB_AUDIENCE_MISMATCH, verify, _bound(aud=aud), REQUIRED)


@pytest.mark.parametrize(("offset", "ok"), [(-300, True), (-301, False), (60, True), (61, False)])
def test_kb_iat_window_is_exact(offset: int, ok: bool) -> None:
    token = _bound(iat=NOW + offset)
    if ok:
        assert verify(token, REQUIRED).key_binding is not None
    else:
        assert_rejected(SdJwtReason.KB_IAT_OUT_OF_WINDOW, verify, token, REQUIRED)


@pytest.mark.parametrize("iat", ["1790000000", True, None])
def test_kb_iat_must_be_a_number(iat: Any) -> None:
    assert_rejected(JoseReason.BAD_TIME_CLAIM, verify, _bound(iat=iat), REQUIRED)


def test_sd_hash_covers_exactly_the_presented_disclosures() -> None:
    d1, d2 = disclosure("salt-a-salt", "a", 1), disclosure("salt-b-salt", "b", 2)
    base = sd_jwt({"cnf": CNF, "_sd": sorted([digest(d1), digest(d2)])}, [d1, d2], ISSUER)
    full = with_kb(base, HOLDER, nonce=NONCE, audience=AUD, now=NOW)
    kb = full[len(base) :]
    jwt = base.split("~")[0]
    assert verify(full, REQUIRED).claims == {"cnf": CNF, "a": 1, "b": 2}
    for tampered in (
        f"{jwt}~{d1}~{kb}",  # K-10: a disclosure removed
        f"{jwt}~{d2}~{d1}~{kb}",  # reordered
        f"{jwt}~{d1}~{d2}~{disclosure('salt-c-salt', 'a', 9)}~{kb}",  # added
    ):
        reason = (
            SdJwtReason.UNREFERENCED_DISCLOSURE
            if tampered.count("~") == 4
            else SdJwtReason.KB_SD_HASH_MISMATCH
        )
        assert_rejected(reason, verify, tampered, REQUIRED)
    assert_rejected(SdJwtReason.KB_SD_HASH_MISMATCH, verify, _bound(sd_hash="abc"), REQUIRED)
    without_tilde = base[:-1]
    kb_over_jwt_only = with_kb(without_tilde, HOLDER, nonce=NONCE, audience=AUD, now=NOW)
    kb_part = kb_over_jwt_only[len(without_tilde) :]
    assert_rejected(SdJwtReason.KB_SD_HASH_MISMATCH, verify, base + kb_part, REQUIRED)


def test_json_serialization_with_tampered_disclosures() -> None:
    d = disclosure("salt-a-salt", "a", 1)
    token = sd_jwt({"_sd": [digest(d)]}, [d], ISSUER)
    header, payload, signature = token.split("~")[0].split(".")
    document = {"protected": header, "payload": payload, "signature": signature}
    good = {**document, "header": {"disclosures": [d]}}
    keys = StaticKeyResolver(ISSUER.public)
    assert verify_sd_jwt_json(
        json.dumps(good),
        issuer_keys=keys,
        typ="example+sd-jwt",
        key_binding=NoKeyBinding(),
        now=NOW,
    ).claims == {"a": 1}
    for bad in (
        {**document, "header": {"disclosures": "not-a-list"}},
        {**document, "header": {"disclosures": [d], "kb_jwt": 5}},
        {"payload": payload, "signatures": []},
        {"payload": payload, "signatures": [document], "signature": signature},
        {**document, "header": {"alg": "none"}},
    ):
        assert_rejected(
            SdJwtReason.MALFORMED_SERIALIZATION,
            verify_sd_jwt_json,
            json.dumps(bad),
            issuer_keys=keys,
            typ="example+sd-jwt",
            key_binding=NoKeyBinding(),
            now=NOW,
        )


# --- holder side: claim paths (P-28) ---------------------------------------------------------


def _holder_view() -> Any:
    claims = {
        "address": Disclosable({"street": Disclosable("A"), "a.b": Disclosable("dotted")}),
        "nationalities": [Disclosable("NL"), Disclosable("DE")],
    }
    issued = issue_sd_jwt(claims, issuer_key=ISSUER, typ="example+sd-jwt", random_bytes=bytes)
    return open_sd_jwt(issued.token)


@pytest.mark.parametrize(
    "path", [("missing",), ("address", "zip"), ("nationalities", 5), ("address", 0)]
)
def test_presenting_a_claim_the_credential_does_not_have(path: tuple[Any, ...]) -> None:
    assert_rejected(
        SdJwtReason.CLAIM_PATH_NOT_FOUND,
        present_sd_jwt,
        _holder_view(),
        disclose=[path],
        holder_key=HOLDER,
        nonce=NONCE,
        audience=AUD,
        now=NOW,
    )


@pytest.mark.parametrize(
    "text", ["", "a..b", "[]", '["a", -1]', '["a", true]', '["a", 1.5]', '["a"', "[1,"]
)
def test_malformed_claim_paths(text: str) -> None:
    assert_rejected(SdJwtReason.BAD_CLAIM_PATH, parse_claim_path, text)


def test_dotted_names_need_the_json_form() -> None:
    view = _holder_view()
    presented = present_sd_jwt(
        view,
        disclose=[parse_claim_path('["address","a.b"]')],
        holder_key=None,
        nonce=None,
        audience=None,
        now=NOW,
    )
    # The array itself is plain; its undisclosed elements vanish (RFC 9901 §7.1 4.2.1).
    assert verify(presented).claims == {"address": {"a.b": "dotted"}, "nationalities": []}
    assert_rejected(
        SdJwtReason.CLAIM_PATH_NOT_FOUND,
        present_sd_jwt,
        view,
        disclose=[parse_claim_path("address.a.b")],
        holder_key=None,
        nonce=None,
        audience=None,
        now=NOW,
    )


def test_kb_without_nonce_or_audience_cannot_be_built() -> None:
    assert_rejected(
        SdJwtReason.KB_CLAIM_MISSING,
        present_sd_jwt,
        _holder_view(),
        disclose=[claim_path(["nationalities", None])],
        holder_key=HOLDER,
        nonce="",
        audience=AUD,
        now=NOW,
    )


def test_issued_form_with_a_kb_jwt_is_refused_by_the_holder() -> None:
    assert_rejected(SdJwtReason.KEY_BINDING_UNEXPECTED, open_sd_jwt, _bound())


def test_json_serialization_where_compact_is_expected() -> None:
    """P-26: a JWS JSON document handed to the compact verifier is not half-parsed."""
    document = json.dumps({"payload": "e30", "protected": "e30", "signature": ""})
    assert_rejected(SdJwtReason.MALFORMED_SERIALIZATION, verify, document)


@pytest.mark.parametrize("damage", ["crlf", "percent-tilde", "space"])
def test_transport_damage_is_refused(damage: str) -> None:
    """P-27: CRLF, ``%7E``-encoded tildes and spaces from a form body never verify."""
    d = disclosure("salt-salt-salt", "a", 1)
    token = sd_jwt({"_sd": [digest(d)]}, [d], ISSUER)
    jwt = token.split("~")[0]
    damaged = {
        "crlf": f"{jwt}~{d[:5]}\r\n{d[5:]}~",
        "percent-tilde": f"{jwt}%7E{d}~",
        "space": f"{jwt}~ {d}~",
    }[damage]
    assert_rejected(JoseReason.BAD_BASE64URL, verify, damaged)


def test_non_ascii_nonce_is_compared_exactly() -> None:
    """Distinct non-ASCII nonces never compare equal (no lossy encoding before comparing)."""
    policy = KeyBindingRequired(nonce="n?", audience=AUD)
    assert_rejected(SdJwtReason.KB_NONCE_MISMATCH, verify, _bound(nonce="né"), policy)
    assert verify(_bound(nonce="né"), KeyBindingRequired(nonce="né", audience=AUD)).key_binding


@pytest.mark.parametrize(("nonce", "audience"), [("", AUD), (NONCE, ""), (None, AUD)])
def test_key_binding_policy_refuses_empty_expectations(nonce: Any, audience: Any) -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        KeyBindingRequired(nonce=nonce, audience=audience)


def test_oversized_json_serialization_is_too_large() -> None:
    document = json.dumps({"payload": "e30", "protected": "e30", "signature": "A" * 300_000})
    assert_rejected(
        JoseReason.TOKEN_TOO_LARGE,
        verify_sd_jwt_json,
        document,
        issuer_keys=StaticKeyResolver(ISSUER.public),
        typ="example+sd-jwt",
        key_binding=NoKeyBinding(),
        now=NOW,
    )


def test_general_json_serialization_binds_the_first_signature() -> None:
    """§8.1: Disclosures and sd_hash belong to the first signature, so it must verify."""
    d = disclosure("salt-a-salt", "a", 1)
    good = sd_jwt({"_sd": [digest(d)]}, [d], ISSUER).split("~")[0]
    forged = sd_jwt({"_sd": [digest(d)]}, [d], generate_private_key()).split("~")[0]
    (g_header, payload, g_signature), (f_header, _, f_signature) = (
        good.split("."),
        forged.split("."),
    )
    document = {
        "payload": payload,
        "signatures": [
            {"protected": f_header, "signature": f_signature, "header": {"disclosures": [d]}},
            {"protected": g_header, "signature": g_signature},
        ],
    }
    assert_rejected(
        JoseReason.BAD_SIGNATURE,
        verify_sd_jwt_json,
        json.dumps(document),
        issuer_keys=StaticKeyResolver(ISSUER.public),
        typ="example+sd-jwt",
        key_binding=NoKeyBinding(),
        now=NOW,
    )


def test_algorithm_allowlist_given_as_a_string_is_not_a_substring_test() -> None:
    token = sign_raw({"alg": "ES", "typ": "example+sd-jwt"}, {"a": 1}, ISSUER) + "~"
    assert_rejected(JoseReason.ALG_NOT_ALLOWED, verify, token, algorithms="ES256")
