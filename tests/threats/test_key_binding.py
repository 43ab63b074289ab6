"""Catalogue K-01..K-14: the Key Binding JWT (RFC 9901 §4.3, §7.3; OpenID4VP 1.0 B.3).

Through ``verify_sd_jwt_vc`` with ``KeyBindingRequired``, the policy the desk applies to every
presentation; K-13 posts one valid answer to a running verifier over a socket, twice in a row
and fifty times at once; K-14 checks the verified KB-JWT against the request's purpose.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from specs.errors import JoseReason, Oid4vpReason, SdJwtReason
from specs.jose import StaticKeyResolver, b64url_encode
from specs.oid4vp.transaction_data import (
    check_transaction_data_hashes,
    encode_transaction_data,
    transaction_data_hash,
)
from specs.sd_jwt import (
    Disclosable,
    KeyBindingRequired,
    NoKeyBinding,
    open_sd_jwt,
    present_sd_jwt,
    sd_hash_of,
    verify_sd_jwt_json,
)
from specs.sd_jwt_vc import verify_sd_jwt_vc
from tests.ca import new_ca, signing_key
from tests.specs.forge import b64, digest, disclosure, sign_raw
from tests.threats.catalogue import not_built
from tests.threats.forge_threats import (
    AUD,
    CNF,
    HOLDER,
    ISSUER,
    NONCE,
    NOW,
    REQUIRED,
    bound,
    components,
    issued,
    join,
    vc,
    verify_vc,
)
from tests.threats.invariants import no_server_error, rejected, snapshot
from tests.verifier.live import LiveDesk, live_desk
from tests.verifier.refusals import EXPECTED, assert_wire_error, eligible_case
from tests.verifier.wallet import Tamper

KB_HEADER = {"alg": "ES256", "typ": "kb+jwt"}


def _kb(base: str, claims: dict[str, Any] | str, *, header: Any = None, key: Any = HOLDER) -> str:
    return base + sign_raw(header or KB_HEADER, claims, key)


def _claims(base: str, **changes: Any) -> dict[str, Any]:
    claims = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": sd_hash_of(base, "sha-256")}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()
BASE = vc({"cnf": CNF, "a": 1})


def kb_refused(token: str, policy: Any = REQUIRED) -> object:
    return rejected(lambda: verify_vc(token, policy))


# --- K-01 .. K-05: is there a KB-JWT, and whose key signed it --------------------------------


def test_K_01_kb_jwt_stripped_where_required() -> None:
    assert kb_refused(BASE) == SdJwtReason.KEY_BINDING_MISSING
    assert verify_vc(bound({}), REQUIRED).holder_key == HOLDER.public  # the control


def test_K_01_verification_cannot_be_called_without_expectations() -> None:
    """The policy is a required keyword, and a required policy needs a nonce and audience:
    there is no call that checks a KB-JWT against nothing (STYLE §3)."""
    with pytest.raises(TypeError):
        verify_sd_jwt_vc(BASE, issuer_keys=None, now=NOW)  # type: ignore[call-arg, arg-type]
    with pytest.raises(TypeError):
        KeyBindingRequired()  # type: ignore[call-arg]
    for nonce, audience in (("", AUD), (NONCE, ""), (None, AUD)):
        with pytest.raises(ValueError, match="non-empty string"):
            KeyBindingRequired(nonce=nonce, audience=audience)  # type: ignore[arg-type]


@pytest.mark.parametrize("member", ["jwk", "x5c"])
def test_K_02_kb_jwt_signed_by_a_key_in_its_own_header(member: str) -> None:
    attacker = signing_key()
    value = (
        attacker.public.to_jwk()
        if member == "jwk"
        else new_ca(NOW).chain(attacker, "https://attacker.example")
    )
    token = _kb(BASE, _claims(BASE), header={**KB_HEADER, member: value}, key=attacker)
    assert kb_refused(token) == JoseReason.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("cnf", "reason"),
    [
        (None, SdJwtReason.HOLDER_KEY_MISSING),
        (
            {"jwk": {**CNF["jwk"], "d": b64url_encode(bytes(32))}},
            SdJwtReason.HOLDER_KEY_UNSUPPORTED,
        ),
        ({"jwk": {**CNF["jwk"], "crv": "P-384"}}, SdJwtReason.HOLDER_KEY_UNSUPPORTED),
        (
            {"jwk": {**CNF["jwk"], "y": b64url_encode(bytes(32))}},  # not on the curve
            SdJwtReason.HOLDER_KEY_UNSUPPORTED,
        ),
        ({"jwk": {"kty": "oct", "k": "c2VjcmV0"}}, SdJwtReason.HOLDER_KEY_UNSUPPORTED),
        ({"jku": "https://attacker.example/jwks"}, SdJwtReason.HOLDER_KEY_UNSUPPORTED),
        ({"kid": "https://attacker.example/key"}, SdJwtReason.HOLDER_KEY_UNSUPPORTED),
    ],
    ids=["missing", "private", "p384", "off-curve", "oct", "jku", "kid-url"],
)
def test_K_03_unusable_cnf(cnf: Any, reason: SdJwtReason) -> None:
    """Only ``cnf.jwk`` counts (RFC 7800 §3.2); a URL is never followed (the core cannot)."""
    base = vc({"a": 1} if cnf is None else {"cnf": cnf, "a": 1})
    assert kb_refused(_kb(base, _claims(base))) == reason


@pytest.mark.parametrize("typ", [None, "JWT", "kb+jwt+x", "dc+sd-jwt"])
def test_K_04_kb_jwt_typ(typ: str | None) -> None:
    header = {"alg": "ES256"} if typ is None else {"alg": "ES256", "typ": typ}
    assert kb_refused(_kb(BASE, _claims(BASE), header=header)) == JoseReason.TYP_MISMATCH


def test_K_04_typ_compares_as_a_media_type() -> None:
    """RFC 7515 §4.1.9: ``KB+JWT`` is the same media type, so it is accepted."""
    token = _kb(BASE, _claims(BASE), header={"alg": "ES256", "typ": "KB+JWT"})
    assert verify_vc(token, REQUIRED).holder_key == HOLDER.public


def test_K_05_kb_jwt_alg_none_or_hmac_with_the_cnf_key() -> None:
    claims = b64(json.dumps(_claims(BASE)))
    none = f"{b64(json.dumps({'alg': 'none', 'typ': 'kb+jwt'}))}.{claims}."
    assert kb_refused(BASE + none) == JoseReason.ALG_NOT_ALLOWED
    header = b64(json.dumps({"alg": "HS256", "typ": "kb+jwt"}))
    mac_key = json.dumps(CNF["jwk"]).encode()
    mac = hmac.new(mac_key, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert kb_refused(f"{BASE}{header}.{claims}.{b64url_encode(mac)}") == JoseReason.ALG_NOT_ALLOWED


# --- K-06 .. K-08: nonce, audience, time ----------------------------------------------------


@pytest.mark.parametrize(
    ("nonce", "reason"),
    [
        ("n-wrong", SdJwtReason.KB_NONCE_MISMATCH),
        ("n-of-another-session-5dX2", SdJwtReason.KB_NONCE_MISMATCH),
        (1234567890, SdJwtReason.KB_NONCE_MISMATCH),
        (_DROP, SdJwtReason.KB_CLAIM_MISSING),
    ],
    ids=["wrong", "other-session", "numeric", "missing"],
)
def test_K_06_nonce(nonce: Any, reason: SdJwtReason) -> None:
    assert kb_refused(_kb(BASE, _claims(BASE, nonce=nonce))) == reason


@pytest.mark.parametrize(
    "aud",
    [
        "x509_hash:another-desk",
        [AUD],
        [AUD, "x509_hash:another-desk"],
        AUD.split(":", 1)[1],  # our client_id without its prefix
    ],
    ids=["other", "array-of-us", "array-with-us", "no-prefix"],
)
def test_K_07_audience_is_exactly_our_client_id(aud: Any) -> None:
    assert kb_refused(_kb(BASE, _claims(BASE, aud=aud))) == SdJwtReason.KB_AUDIENCE_MISMATCH


def test_K_07_dc_api_origin_audience() -> None:
    not_built("Digital Credentials API response mode (origin:<origin> audiences)")


@pytest.mark.parametrize(
    ("iat", "reason"),
    [
        (NOW + 600, SdJwtReason.KB_IAT_OUT_OF_WINDOW),
        (NOW - REQUIRED.max_age - 1, SdJwtReason.KB_IAT_OUT_OF_WINDOW),
        (_DROP, SdJwtReason.KB_CLAIM_MISSING),
        (str(NOW), JoseReason.BAD_TIME_CLAIM),
    ],
    ids=["future", "too-old", "missing", "string"],
)
def test_K_08_iat(iat: Any, reason: object) -> None:
    assert kb_refused(_kb(BASE, _claims(BASE, iat=iat))) == reason


def test_K_08_iat_infinity_is_not_json() -> None:
    text = json.dumps(_claims(BASE, iat=0)).replace('"iat": 0', '"iat": Infinity')
    assert kb_refused(_kb(BASE, text)) == JoseReason.NON_FINITE_NUMBER


# --- K-09 .. K-12: what the KB-JWT covers, and the serialization around it ----------------------


D1 = disclosure("salt-a-salt", "a", 1)
D2 = disclosure("salt-b-salt", "b", 2)
TWO = vc({"cnf": CNF, "_sd": sorted([digest(D1), digest(D2)])}, D1, D2)


@pytest.mark.parametrize(
    "covered",
    ["jwt-without-tilde", "reordered", "subset", "sha-384", "missing"],
)
def test_K_09_sd_hash_over_anything_but_the_presentation(covered: str) -> None:
    jwt, _, _ = components(TWO)
    sd_hash = {
        "jwt-without-tilde": sd_hash_of(jwt, "sha-256"),
        "reordered": sd_hash_of(join(jwt, [D2, D1]), "sha-256"),
        "subset": sd_hash_of(join(jwt, [D1]), "sha-256"),
        "sha-384": sd_hash_of(TWO, "sha-384"),
        "missing": _DROP,
    }[covered]
    reason = (
        SdJwtReason.KB_CLAIM_MISSING if covered == "missing" else SdJwtReason.KB_SD_HASH_MISMATCH
    )
    assert kb_refused(_kb(TWO, _claims(TWO, sd_hash=sd_hash))) == reason


def test_K_09_json_serialization_hashes_the_compact_form() -> None:
    """§8.1: ``sd_hash`` is over the compact serialization rebuilt from the JSON document."""
    jwt, _, _ = components(TWO)
    protected, payload, signature = jwt.split(".")
    document = {"protected": protected, "payload": payload, "signature": signature}

    def as_json(sd_hash_input: str) -> str:
        kb = sign_raw(KB_HEADER, _claims(sd_hash_input), HOLDER)
        return json.dumps({**document, "header": {"disclosures": [D1, D2], "kb_jwt": kb}})

    def verify(text: str) -> Any:
        return verify_sd_jwt_json(
            text,
            issuer_keys=StaticKeyResolver(ISSUER.public),
            typ="dc+sd-jwt",
            key_binding=REQUIRED,
            now=NOW,
        )

    assert verify(as_json(TWO)).claims["b"] == 2  # the control
    assert rejected(lambda: verify(json.dumps(document))) == SdJwtReason.KEY_BINDING_MISSING
    body_text = json.dumps({**document, "header": {"disclosures": [D1, D2]}})
    assert rejected(lambda: verify(as_json(body_text))) == SdJwtReason.KB_SD_HASH_MISMATCH


def test_K_10_disclosure_removed_or_added_in_transit() -> None:
    token = issued(
        {"income": Disclosable(1), "partner": Disclosable(False), "year": Disclosable(2026)}
    )
    view = open_sd_jwt(token)
    presented = present_sd_jwt(
        view,
        disclose=[("income",), ("partner",)],
        holder_key=HOLDER,
        nonce=NONCE,
        audience=AUD,
        now=NOW,
    )
    jwt, shown, kb = components(presented)
    _, every, _ = components(token)
    withheld = [d for d in every if d not in shown]
    assert verify_vc(presented, REQUIRED).claims["income"] == 1  # the control
    for tampered in (join(jwt, shown[:1], kb), join(jwt, [*shown, *withheld], kb)):
        assert kb_refused(tampered) == SdJwtReason.KB_SD_HASH_MISMATCH


@pytest.mark.parametrize("kb", ["valid", "broken"])
def test_K_11_kb_jwt_where_the_policy_expects_none(kb: str) -> None:
    token = bound({}) if kb == "valid" else BASE + "eyJhbGciOiJub25lIn0.e30."
    assert kb_refused(token, NoKeyBinding()) == SdJwtReason.KEY_BINDING_UNEXPECTED


@pytest.mark.parametrize("shape", ["two-kb-jwts", "data-after-kb", "tilde-after-kb"])
def test_K_12_nothing_may_follow_the_kb_jwt(shape: str) -> None:
    token = bound({})
    kb = components(token)[2]
    damaged = {
        "two-kb-jwts": f"{token}~{kb}",
        "data-after-kb": f"{token}~{b64('trailing')}",
        "tilde-after-kb": f"{token}~",
    }[shape]
    assert kb_refused(damaged) == SdJwtReason.MALFORMED_SERIALIZATION


# --- K-13: one answer, many posts [race] -------------------------------------------------------


async def _decisions(url: str) -> list[Any]:
    return (await snapshot(url))["decisions"]


def _one_answer(live: LiveDesk) -> tuple[dict[str, Any], Any, dict[str, str]]:
    live.give(eligible_case())
    started = live.run(live.desk.start("zorgtoeslag"))
    request = live.run(live.wallet.fetch_request(started["link"]))
    return started, request, live.wallet.response_form(request, Tamper())


def test_K_13_same_answer_twice_then_fifty_times_at_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/live.db"
    with live_desk(tmp_path) as live:
        started, request, form = _one_answer(live)
        first = live.run(live.wallet.post(request, form))
        assert first.status_code == 200, first.text
        after_first = asyncio.run(snapshot(url))
        again = live.run(live.wallet.post(request, form))
        no_server_error(again)
        assert_wire_error(again, Oid4vpReason.ALREADY_ANSWERED)
        assert asyncio.run(snapshot(url)) == after_first  # INV-4: the replay changed nothing

        started_2, request_2, form_2 = _one_answer(live)

        async def fifty() -> list[Any]:
            return list(
                await asyncio.gather(*(live.wallet.post(request_2, form_2) for _ in range(50)))
            )

        responses = live.run(fifty(), timeout=120)
        for response in responses:
            no_server_error(response)
        accepted = [r for r in responses if r.status_code == 200]
        assert len(accepted) == 1, [r.text for r in responses if r.status_code != 400]
        for refused in (r for r in responses if r.status_code != 200):
            assert_wire_error(refused, Oid4vpReason.ALREADY_ANSWERED)
        for transaction in (started, started_2):
            result = live.run(live.desk.result(transaction["transaction_id"]))
            assert result.json()["status"] == EXPECTED
        rows = asyncio.run(_decisions(url))
        decided = [row for row in rows if started_2["transaction_id"] in row]
        assert len(decided) == 1
        assert len(rows) == 2


# --- K-14: the purpose the citizen signed -------------------------------------------------------


PURPOSE = encode_transaction_data({"type": "aanspraak-purpose", "credential_ids": ["income"]})


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({}, Oid4vpReason.TRANSACTION_DATA_HASHES_MISSING),
        (
            {"transaction_data_hashes": ["not-the-hash"]},
            Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH,
        ),
        ({"transaction_data_hashes": []}, Oid4vpReason.TRANSACTION_DATA_HASH_MISMATCH),
        (
            {
                "transaction_data_hashes": [transaction_data_hash(PURPOSE)],
                "transaction_data_hashes_alg": "sha-1",
            },
            Oid4vpReason.TRANSACTION_DATA_HASH_ALG,
        ),
    ],
    ids=["missing", "wrong", "empty", "alg-not-offered"],
)
def test_K_14_transaction_data_hashes(claims: dict[str, Any], reason: Oid4vpReason) -> None:
    binding = verify_vc(bound({}, **claims), REQUIRED).sd_jwt.key_binding
    assert binding is not None
    assert rejected(lambda: check_transaction_data_hashes(binding.claims, [PURPOSE])) == reason


def test_K_14_the_right_hash_passes() -> None:
    claims = {"transaction_data_hashes": [transaction_data_hash(PURPOSE)]}
    binding = verify_vc(bound({}, **claims), REQUIRED).sd_jwt.key_binding
    assert binding is not None
    check_transaction_data_hashes(binding.claims, [PURPOSE])
