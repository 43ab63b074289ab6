"""Catalogue P-01..P-28: SD-JWT parsing and Disclosures, fed to the public surface.

Most cases go through ``verify_sd_jwt_vc`` (what the desk runs on every presentation) with a
token signed correctly by the issuer, so the refusal comes from the rule the case names. P-21
is also sent to a running verifier over a socket (413 before the body is read), P-24 and P-25
also go through the issuer's back office and the rules engine.
"""

from __future__ import annotations

import asyncio
import json
import socket
import unicodedata
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from runtime.regulations import find
from specs.errors import DcqlReason, JoseReason, SdJwtReason
from specs.jose import StaticKeyResolver, parse_compact_jws
from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.dcql_match import PresentedCredential, check_presentation, disclosed_paths
from specs.rules import HeldCredential, Status, evaluate, facts_from_credentials
from specs.sd_jwt import (
    Disclosable,
    NoKeyBinding,
    SdJwtLimits,
    open_sd_jwt,
    present_sd_jwt,
    verify_sd_jwt_json,
)
from tests.issuer.conftest import Issuer, issuer_settings, running_issuer
from tests.specs.forge import b64, digest, disclosure, sign_raw
from tests.threats.forge_threats import (
    AUD,
    HOLDER,
    ISSUER,
    NONCE,
    NOW,
    REQUIRED,
    ROOMY,
    VCT,
    bound,
    components,
    issued,
    join,
    vc,
    verify_vc,
)
from tests.threats.invariants import (
    bounded_memory,
    canary,
    leaks,
    no_server_error,
    rejected,
    snapshot,
)
from tests.verifier.live import live_desk
from tests.verifier.refusals import eligible_case

MIB = 1024 * 1024
D = disclosure("salt-salt-salt", "a", 1)


@pytest.fixture
async def agency(tmp_path: Path, database_url: str) -> AsyncIterator[Issuer]:
    """An issuer service with its back office (the agency's own system feeds it claims)."""
    async with running_issuer(issuer_settings(tmp_path, database_url)) as started:
        yield started


def refused(payload: dict[str, Any], *disclosures: str, **options: Any) -> object:
    return rejected(lambda: verify_vc(vc(payload, *disclosures), **options))


# --- P-01 .. P-03: serialization -------------------------------------------------------------


def test_P_01_bare_jwt_is_malformed() -> None:
    jwt, _, _ = components(vc({"a": 1}))
    assert rejected(lambda: verify_vc(jwt)) == SdJwtReason.MALFORMED_SERIALIZATION
    assert rejected(lambda: verify_vc(jwt, REQUIRED)) == SdJwtReason.MALFORMED_SERIALIZATION


def test_P_02_no_kb_jwt_where_required_and_kb_jwt_at_issuance() -> None:
    plain = vc({"cnf": {"jwk": HOLDER.public.to_jwk()}})
    assert rejected(lambda: verify_vc(plain, REQUIRED)) == SdJwtReason.KEY_BINDING_MISSING
    # What an issuer hands the holder never carries a KB-JWT (RFC 9901 §4): the holder refuses.
    assert rejected(lambda: open_sd_jwt(bound({}))) == SdJwtReason.KEY_BINDING_UNEXPECTED


def _noncanonical(encoded: str) -> str:
    """The same bytes with non-zero unused low bits in the last character (RFC 4648 §3.5)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(encoded) % 4 in {2, 3}
    return encoded[:-1] + alphabet[alphabet.index(encoded[-1]) | 1]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("empty-component", SdJwtReason.MALFORMED_SERIALIZATION),
        ("padding", JoseReason.BAD_BASE64URL),
        ("plus-slash", JoseReason.BAD_BASE64URL),
        ("space", JoseReason.BAD_BASE64URL),
        ("newline", JoseReason.BAD_BASE64URL),
        ("trailing-bits", JoseReason.BAD_BASE64URL),
    ],
)
def test_P_03_strict_base64url_and_no_empty_components(damage: str, reason: JoseReason) -> None:
    """Every spelling is signed into the payload's ``_sd``, so only decoding can refuse it."""
    good = disclosure("salt-salt-salt", "a", "x?>x")  # encodes with '-' or '_' in it
    spelled = {
        "empty-component": good,
        "padding": good + "=" * (-len(good) % 4 or 4),
        "plus-slash": good.replace("-", "+").replace("_", "/"),
        "space": good[:4] + " " + good[4:],
        "newline": good[:4] + "\n" + good[4:],
        "trailing-bits": _noncanonical(good if len(good) % 4 else good + "AA"),
    }[damage]
    assert spelled != good or damage == "empty-component"
    token = vc({"_sd": [digest(spelled)]}, spelled)
    if damage == "empty-component":
        jwt, disclosures, _ = components(token)
        token = join(jwt, ["", *disclosures])  # JWT~~D~
    assert rejected(lambda: verify_vc(token)) == reason


# --- P-04 .. P-08: the shape of one Disclosure ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", SdJwtReason.DISCLOSURE_NOT_ARRAY),
        ('{"salt": "s", "a": 1}', SdJwtReason.DISCLOSURE_NOT_ARRAY),
        ("[]", SdJwtReason.DISCLOSURE_WRONG_ARITY),
        ('["salt-salt-salt"]', SdJwtReason.DISCLOSURE_WRONG_ARITY),
        ('["salt-salt-salt", "a", 1, 2]', SdJwtReason.DISCLOSURE_WRONG_ARITY),
    ],
)
def test_P_04_disclosure_not_a_two_or_three_element_array(text: str, reason: object) -> None:
    d = b64(text)
    assert refused({"_sd": [digest(d)]}, d) == reason


def test_P_05_disclosure_kind_must_match_where_it_is_referenced() -> None:
    element = disclosure("salt-salt-salt", "DE")
    assert refused({"_sd": [digest(element)]}, element) == SdJwtReason.DISCLOSURE_KIND_MISMATCH
    prop = disclosure("salt-salt-salt", "nationality", "DE")
    in_array = {"nationalities": [{"...": digest(prop)}]}
    assert refused(in_array, prop) == SdJwtReason.DISCLOSURE_KIND_MISMATCH


@pytest.mark.parametrize("name", ["_sd", "..."])
def test_P_06_reserved_claim_names(name: str) -> None:
    d = disclosure("salt-salt-salt", name, ["x"])
    assert refused({"_sd": [digest(d)]}, d) == SdJwtReason.DISCLOSURE_RESERVED_CLAIM_NAME


@pytest.mark.parametrize("name", [1, None, {}, ["a"]])
def test_P_07_non_string_claim_names_are_never_coerced(name: Any) -> None:
    d = disclosure("salt-salt-salt", name, "v")
    assert refused({"_sd": [digest(d)]}, d) == SdJwtReason.DISCLOSURE_BAD_CLAIM_NAME


@pytest.mark.parametrize("salt", [7, {"s": 1}, ""])
def test_P_08_salt_must_be_a_non_empty_string(salt: Any) -> None:
    d = disclosure(salt, "a", "v")
    assert refused({"_sd": [digest(d)]}, d) == SdJwtReason.DISCLOSURE_BAD_SALT


# --- P-09 .. P-18: where Disclosures land -----------------------------------------------------


def test_P_09_disclosed_name_collides_with_a_plaintext_claim() -> None:
    d = disclosure("salt-salt-salt", "given_name", "Eve")
    payload = {"given_name": "Jan", "_sd": [digest(d)]}
    assert refused(payload, d) == SdJwtReason.CLAIM_NAME_COLLISION


def test_P_10_two_disclosures_of_one_name_never_last_win() -> None:
    young, old = disclosure("salt-one-salt", "age", 17), disclosure("salt-two-salt", "age", 21)
    payload = {"_sd": [digest(young), digest(old)]}
    assert refused(payload, young, old) == SdJwtReason.CLAIM_NAME_COLLISION
    assert refused(payload, old, young) == SdJwtReason.CLAIM_NAME_COLLISION


def test_P_11_a_digest_appears_once_in_the_whole_credential() -> None:
    inner = disclosure("salt-inner-salt", "x", {"_sd": [digest(D)]})
    cases: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        ({"_sd": [digest(D), digest(D)]}, (D,)),  # within one _sd
        ({"_sd": [digest(D)], "o": {"_sd": [digest(D)]}}, (D,)),  # across two _sd
        ({"_sd": ["decoy-digest"], "n": [{"...": "decoy-digest"}]}, ()),  # _sd and ...
        ({"_sd": [digest(D), digest(inner)]}, (D, inner)),  # payload and a Disclosure
    ]
    for payload, disclosures in cases:
        assert refused(payload, *disclosures) == SdJwtReason.DUPLICATE_DIGEST


def test_P_12_same_disclosure_string_twice() -> None:
    assert refused({"_sd": [digest(D)]}, D, D) == SdJwtReason.DUPLICATE_DISCLOSURE


def test_P_13_disclosure_taken_from_another_credential_of_the_same_issuer() -> None:
    mine = issued({"income": Disclosable(1)}, holder=None)
    theirs = issued({"income": Disclosable(2), "partner": Disclosable(True)}, holder=None)
    jwt, own, _ = components(mine)
    _, foreign, _ = components(theirs)
    for stray in foreign:
        token = join(jwt, [*own, stray])
        assert rejected(partial(verify_vc, token)) == SdJwtReason.UNREFERENCED_DISCLOSURE


def test_P_14_nested_claim_lands_only_at_its_digest() -> None:
    d = disclosure("salt-salt-salt", "country", "NL")
    verified = verify_vc(vc({"address": {"_sd": [digest(d)]}}, d))
    assert verified.claims == {"vct": VCT, "address": {"country": "NL"}}
    assert "country" not in verified.claims


@pytest.mark.parametrize("element", [{"...": digest(D), "x": 1}, {"...": 5}, {"...": [digest(D)]}])
def test_P_15_bad_array_placeholders_are_not_digests(element: dict[str, Any]) -> None:
    assert refused({"n": [element]}, D) == SdJwtReason.BAD_ARRAY_ELEMENT_PLACEHOLDER


def test_P_15_stray_ellipsis_in_an_object() -> None:
    assert refused({"o": {"...": digest(D), "a": 1}}, D) == SdJwtReason.MISPLACED_ELLIPSIS


@pytest.mark.parametrize("value", [digest(D), [digest(D), 5], [{"d": digest(D)}], {"d": 1}])
def test_P_16_sd_must_be_an_array_of_strings(value: Any) -> None:
    assert refused({"_sd": value}) == SdJwtReason.BAD_SD_ARRAY


def test_P_17_sd_alg_below_the_top_level() -> None:
    assert refused({"o": {"_sd_alg": "sha-256"}}) == SdJwtReason.SD_ALG_NOT_TOP_LEVEL
    hidden = disclosure("salt-salt-salt", "o", {"_sd_alg": "sha-256"})
    assert refused({"_sd": [digest(hidden)]}, hidden) == SdJwtReason.SD_ALG_NOT_TOP_LEVEL


@pytest.mark.parametrize("alg", ["sha-256-32", "md5", "sha-1", "SHA-256", 7, ""])
def test_P_17_sd_alg_not_on_the_allowlist(alg: Any) -> None:
    assert refused({"_sd_alg": alg, "_sd": [digest(D)]}, D) == SdJwtReason.SD_ALG_UNSUPPORTED


def test_P_17_absent_sd_alg_means_sha_256() -> None:
    assert verify_vc(vc({"_sd": [digest(D)]}, D)).claims["a"] == 1


def test_P_18_decoys_without_disclosures_are_dropped() -> None:
    decoys = sorted(digest(disclosure(f"decoy-{i}-salt", f"c{i}", i)) for i in range(50))
    verified = verify_vc(vc({"_sd": [*decoys, digest(D)], "n": [{"...": "decoy"}]}, D))
    assert verified.claims == {"vct": VCT, "a": 1, "n": []}


# --- P-19 .. P-21: resource exhaustion [DoS] ----------------------------------------------------


def _chain(levels: int) -> tuple[str, list[str]]:
    """``levels`` Disclosures, each hiding the next one's digest: depth ``levels``."""
    disclosures, reference = [], ""
    for level in range(levels):
        value: Any = {"_sd": [reference]} if level else "leaf"
        d = disclosure(f"salt-{level}", "x", value)
        disclosures.append(d)
        reference = digest(d)
    return reference, disclosures


def test_P_19_ten_thousand_nested_disclosures_stop_at_the_depth_cap() -> None:
    top, disclosures = _chain(10_000)
    token = vc({"_sd": [top]}, *reversed(disclosures))
    with bounded_memory(32 * MIB):
        assert rejected(lambda: verify_vc(token)) == JoseReason.TOKEN_TOO_LARGE
        reason = rejected(lambda: verify_vc(token, limits=ROOMY))
    assert reason == SdJwtReason.NESTING_TOO_DEEP


def test_P_19_hundred_thousand_nested_arrays_in_one_disclosure() -> None:
    d = b64('["salt-salt-salt", "a", ' + "[" * 100_000 + "]" * 100_000 + "]")
    token = vc({"_sd": [digest(d)]}, d)
    with bounded_memory(32 * MIB):
        assert rejected(lambda: verify_vc(token)) == JoseReason.TOKEN_TOO_LARGE
        assert rejected(lambda: verify_vc(token, limits=ROOMY)) == JoseReason.JSON_TOO_DEEP


def test_P_20_hundred_thousand_digests_in_one_sd() -> None:
    token = vc({"_sd": [f"digest-{i:06d}" for i in range(100_000)]})
    with bounded_memory(32 * MIB):
        assert rejected(lambda: verify_vc(token)) == JoseReason.TOKEN_TOO_LARGE
    with bounded_memory(64 * MIB):  # the roomy limits let the 2.6 MB payload be decoded
        assert rejected(lambda: verify_vc(token, limits=ROOMY)) == SdJwtReason.TOO_MANY_DIGESTS


def test_P_20_ten_thousand_disclosures_refused_before_any_is_decoded() -> None:
    """``"!"`` is not base64url: had a single one been decoded, the reason would say so."""
    token = vc({"a": 1}, *["!"] * 10_000)
    limits = SdJwtLimits(max_token_chars=ROOMY.max_token_chars, max_disclosures=1_000)
    with bounded_memory(32 * MIB):
        assert rejected(lambda: verify_vc(token, limits=limits)) == SdJwtReason.TOO_MANY_DISCLOSURES


def test_P_21_oversized_inputs_are_refused_before_decoding() -> None:
    jwt, _, _ = components(vc({"a": 1}))
    header, payload, signature = jwt.split(".")
    ten_mb = jwt + "~" + "A" * (10 * MIB) + "~"
    one_mb_disclosure = join(jwt, ["A" * MIB])
    huge_jws = f"{header}{'A' * (32 * MIB)}.{payload}.{signature}"
    huge_header = huge_jws + "~"
    with bounded_memory(4 * MIB):  # nothing near the input's size is allocated
        for token in (ten_mb, one_mb_disclosure, huge_header):
            assert rejected(partial(verify_vc, token)) == JoseReason.TOKEN_TOO_LARGE
        assert rejected(lambda: parse_compact_jws(huge_jws)) == JoseReason.TOKEN_TOO_LARGE


def _post_declared(url: str, path: str, declared: int, prefix: bytes) -> tuple[int, bytes]:
    """POST announcing ``declared`` body bytes but sending only ``prefix``: an answer proves
    the service decided before reading the body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {declared}\r\n\r\n"
        ).encode("ascii")
        sock.sendall(head + prefix)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < answer.find(b"\r\n\r\n") + 60:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer


def test_P_21_running_verifier_answers_413_before_reading(tmp_path: Path) -> None:
    with live_desk(tmp_path) as live:
        live.give(eligible_case())
        started = live.run(live.desk.start("zorgtoeslag"))
        url = f"sqlite+aiosqlite:///{tmp_path}/live.db"
        before = asyncio.run(snapshot(url))
        token_start = b"state=x&vp_token=" + vc({"a": 1}).encode()[:512]
        for declared in (10 * MIB, MIB, 500 * MIB):
            status, answer = _post_declared(live.url, "/wallet/response", declared, token_start)
            assert status == 413, answer[:300]
            body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
            assert body["error"] == "invalid_request"
        assert asyncio.run(snapshot(url)) == before  # INV-4
        result = live.run(live.desk.result(started["transaction_id"]))
        no_server_error(result)
        assert result.json()["status"] == "pending"


# --- P-22 .. P-27: strict JSON, text, serializations ------------------------------------------


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("NaN", JoseReason.NON_FINITE_NUMBER),
        ("Infinity", JoseReason.NON_FINITE_NUMBER),
        ("-Infinity", JoseReason.NON_FINITE_NUMBER),
        ("1e400", JoseReason.NON_FINITE_NUMBER),
        ("9" * 5000, JoseReason.NUMBER_TOO_LARGE),
    ],
)
def test_P_22_non_finite_and_huge_numbers(number: str, reason: JoseReason) -> None:
    payload = f'{{"vct": "{VCT}", "income": {number}}}'
    assert rejected(lambda: verify_vc(vc(payload))) == reason
    d = b64(f'["salt-salt-salt", "income", {number}]')
    assert refused({"_sd": [digest(d)]}, d) == reason


def test_P_23_duplicate_member_names_never_last_win() -> None:
    payload = f'{{"vct": "{VCT}", "age": 17, "age": 21}}'
    assert rejected(lambda: verify_vc(vc(payload))) == JoseReason.DUPLICATE_JSON_KEY
    d = b64('["salt-salt-salt", "person", {"age": 17, "age": 21}]')
    assert refused({"_sd": [digest(d)]}, d) == JoseReason.DUPLICATE_JSON_KEY
    duplicated_header = '{"alg": "ES256", "typ": "dc+sd-jwt", "typ": "kb+jwt"}'
    token = sign_raw(duplicated_header, {"vct": VCT}, ISSUER) + "~"
    assert rejected(lambda: verify_vc(token)) == JoseReason.DUPLICATE_JSON_KEY


def test_P_24_lone_surrogates_are_refused_in_payload_and_disclosure() -> None:
    payload = f'{{"vct": "{VCT}", "name": "a\\ud800b"}}'
    assert rejected(lambda: verify_vc(vc(payload))) == JoseReason.INVALID_UNICODE
    d = b64('["salt-salt-salt", "name", "a\\udc00"]')
    assert refused({"_sd": [digest(d)]}, d) == JoseReason.INVALID_UNICODE


ODD_TEXT = ["nul\u0000byte", "bidi\u202eevil\u202c", "x" * 100_000]


@pytest.mark.parametrize("value", ODD_TEXT, ids=["nul", "bidi", "100kB"])
def test_P_24_odd_text_is_carried_exactly_and_never_counts_as_evidence(value: str) -> None:
    """Verified as sent (no silent rewriting), and the rules engine treats a date that is not
    an ISO date as no evidence: the outcome is not eligible, and nothing crashes."""
    token = issued({"birthdate": Disclosable(value), "year": 2026})
    assert verify_vc(token).claims["birthdate"] == value
    case = eligible_case()
    credentials = [
        HeldCredential(c.issuer, c.vct, {**c.claims, "reference_date": value})
        if "reference_date" in c.claims
        else HeldCredential(c.issuer, c.vct, c.claims)
        for c in case.credentials
    ]
    compiled = find("zorgtoeslag")
    outcome = evaluate(compiled, facts_from_credentials(compiled.regulation, credentials).facts)
    assert outcome.status is not Status.ELIGIBLE


async def test_P_24_issuer_back_office_refuses_what_no_credential_can_carry(
    agency: Issuer, database_url: str
) -> None:
    """Regression: NaN, Infinity, 1e400 and lone surrogates in claims gave a 500."""
    secret = canary("birthdate")
    before = await snapshot(database_url)
    for raw in ("NaN", "Infinity", "1e400", f'"{secret}\\ud800"'):
        body = (
            '{"configuration_id": "person", "claims": {"birthdate": "1990-01-01", '
            f'"reference_date": "2026-01-01", "age_years": {raw}}}}}'
        )
        headers = {**agency.backoffice(), "Content-Type": "application/json"}
        response = await agency.client.post("/backoffice/offers", content=body, headers=headers)
        no_server_error(response)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_request"
        assert leaks([secret], response.text) == []
    assert await snapshot(database_url) == before


LOOK_ALIKES = {
    "zero-width": "age_years\u200b",
    "trailing-space": "age_years ",
    "cyrillic-a": "\u0430ge_years",
    "nfd": unicodedata.normalize("NFD", "age_yeärs"),
}


@pytest.mark.parametrize("name", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_P_25_rules_do_not_fire_on_look_alike_names(name: str) -> None:
    case = eligible_case()
    credentials = []
    for c in case.credentials:
        claims = dict(c.claims)
        if "age_years" in claims:
            claims[name] = claims.pop("age_years")
        credentials.append(HeldCredential(c.issuer, c.vct, claims))
    compiled = find("zorgtoeslag")
    as_sent = facts_from_credentials(compiled.regulation, case.credentials).facts
    assert evaluate(compiled, as_sent).status is Status.ELIGIBLE  # the control
    facts = facts_from_credentials(compiled.regulation, credentials).facts
    assert evaluate(compiled, facts).status is not Status.ELIGIBLE
    verified = verify_vc(issued({name: Disclosable(41)}))
    assert name in verified.claims
    assert "age_years" not in verified.claims


async def test_P_25_issuer_refuses_look_alike_claim_names(
    agency: Issuer, database_url: str
) -> None:
    before = await snapshot(database_url)
    for name in LOOK_ALIKES.values():
        claims = {"birthdate": "1990-01-01", "reference_date": "2026-01-01", name: 41}
        body = {"configuration_id": "person", "claims": claims}
        response = await agency.client.post(
            "/backoffice/offers", json=body, headers=agency.backoffice()
        )
        no_server_error(response)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_request"
    assert await snapshot(database_url) == before


def test_P_26_json_serialization_where_compact_is_expected() -> None:
    jwt, _, _ = components(vc({"a": 1}))
    header, payload, signature = jwt.split(".")
    document = json.dumps({"protected": header, "payload": payload, "signature": signature})
    assert rejected(lambda: verify_vc(document)) == SdJwtReason.MALFORMED_SERIALIZATION
    assert rejected(lambda: verify_vc(document + "~")) == JoseReason.MALFORMED_JWS
    assert rejected(lambda: parse_compact_jws(document)) == JoseReason.MALFORMED_JWS


def test_P_26_compact_json_polyglot_verifies_only_what_was_signed() -> None:
    """CVE-2022-39227: a JSON document whose member name is a forged compact token. The
    compact parser refuses it; the JSON parser ignores the unknown member (RFC 7515 §7.2.1)
    and returns the signed claims, never the forged ones."""
    jwt, _, _ = components(vc({"income": 1}))
    forged, _, _ = components(vc({"income": 999}, key=HOLDER))
    header, payload, signature = jwt.split(".")
    polyglot = json.dumps(
        {f"{forged}~": "", "protected": header, "payload": payload, "signature": signature}
    )
    # Its "~" makes the tail look like a KB-JWT to the compact splitter; either way, refused.
    assert rejected(lambda: verify_vc(polyglot)) == SdJwtReason.KEY_BINDING_UNEXPECTED
    assert rejected(lambda: verify_vc(polyglot, REQUIRED)) == JoseReason.BAD_BASE64URL
    verified = verify_sd_jwt_json(
        polyglot,
        issuer_keys=StaticKeyResolver(ISSUER.public),
        typ="dc+sd-jwt",
        key_binding=NoKeyBinding(),
        now=NOW,
    )
    assert verified.claims["income"] == 1


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("non-ascii", SdJwtReason.MALFORMED_SERIALIZATION),
        ("percent-tilde", SdJwtReason.MALFORMED_SERIALIZATION),  # no "~" left: a bare JWT
        ("crlf", JoseReason.BAD_BASE64URL),
    ],
)
def test_P_27_transport_damage(damage: str, reason: object) -> None:
    jwt, disclosures, _ = components(vc({"_sd": [digest(D)]}, D))
    damaged = {
        "non-ascii": join(jwt, [D]) + "\u00e9",
        "percent-tilde": f"{jwt}%7E{D}%7E",
        "crlf": f"{jwt}~{D[:5]}\r\n{D[5:]}~",
    }[damage]
    assert disclosures == [D]
    assert rejected(lambda: verify_vc(damaged)) == reason


def test_P_28_path_syntax_in_claim_names_is_never_a_path() -> None:
    """The holder discloses exactly ``["a.b"]``; the desk sees ``("a.b",)``, not ``a`` ->
    ``b``, and a query for ``["a", "b"]`` is not answered by it."""
    token = issued(
        {
            "a.b": Disclosable("dotted"),
            "a": Disclosable({"b": Disclosable("nested")}),
            "x/y": Disclosable("slashed"),
            "x[0]": Disclosable("bracketed"),
            "x": Disclosable([Disclosable("element")]),
        }
    )
    view = open_sd_jwt(token)
    presented = present_sd_jwt(
        view, disclose=[("a.b",), ("x[0]",)], holder_key=HOLDER, nonce=NONCE, audience=AUD, now=NOW
    )
    verified = verify_vc(presented, REQUIRED)
    claims = verified.claims
    assert (claims["a.b"], claims["x[0]"]) == ("dotted", "bracketed")
    assert not {"a", "x", "x/y"} & claims.keys()
    paths = disclosed_paths(verified.sd_jwt)
    assert paths == {("a.b",), ("x[0]",)}
    query = parse_dcql_query(
        {
            "credentials": [
                {
                    "id": "q",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [VCT]},
                    "claims": [{"path": ["a", "b"]}],
                }
            ]
        }
    )
    answer = PresentedCredential("q", "dc+sd-jwt", VCT, claims, paths)
    reason = rejected(lambda: check_presentation(query, {"q": [answer]}))
    assert reason == DcqlReason.CLAIM_MISSING
