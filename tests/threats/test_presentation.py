# ruff: noqa: F811 - pytest fixtures imported from shared modules are parameters here
"""Threat catalogue, OpenID4VP (V-01..V-17): the desk over real HTTP, the wallet's responder.

The verifier cases run against a desk served by uvicorn on loopback (``tests.threats.
services``): the case feeds the response endpoint, the request endpoint or the desk's API one
defect and asserts the HTTP status, the wire code and the exact reason, then the invariants:
no 5xx, no state change where the refusal proves nothing about who sent it (a database
snapshot before and after), and the documented change where it does (a well-formed answer
for the right transaction uses that transaction up, OpenID4VP 1.0 §8.2, §14.2).

The wallet cases (V-12..V-16) run the holder library (``wallet.presentation``) and the wallet
service against the same real desk, with a hostile desk in front of it where the case needs
one.
"""

from __future__ import annotations

import json
import secrets
import time
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from aanspraak.town import Town, running_town
from runtime.fetcher import FetchPolicy
from specs.errors import (
    DcqlReason,
    JoseReason,
    Oid4vpReason,
    Reason,
    Rejected,
    SdJwtReason,
    TrustReason,
)
from specs.jose import b64url_decode, b64url_encode, dumps_compact, sign_compact_jws
from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.dcql_match import HeldForQuery, check_presentation, select_credentials
from specs.oid4vp.jwe import encrypt_response, select_response_key
from specs.oid4vp.request_object import REQUEST_OBJECT_TYP
from specs.oid4vp.response import direct_post_form, direct_post_jwt_form, response_payload
from specs.sd_jwt import open_sd_jwt
from specs.trust import TrustSnapshot
from tests.issuer.wallet import Wallet as IssuerTestWallet
from tests.specs.oid4vp.conftest import new_pki
from tests.specs.oid4vp.test_request_object import _claims as request_claims
from tests.specs.oid4vp.test_request_object import _signed as signed_request
from tests.specs.oid4vp.test_request_object import _verify as verify_request
from tests.specs.oid4vp_dcql import issue, present
from tests.threats.invariants import bounded_memory, canary, leaks, no_server_error, rejected
from tests.threats.services import (
    live,  # noqa: F401 - fixture, by name
    on_desk,
    plain_live,  # noqa: F401 - fixture, by name
    present_without,
    rows,
    service_logs,
    wire_error_only,
)
from tests.verifier.conftest import DESK, Desk, make_desk
from tests.verifier.live import LiveDesk
from tests.verifier.refusals import (
    EXPECTED,
    assert_consumed,
    assert_still_open,
    assert_wire_error,
    eligible_case,
    give_parts,
    parts_of,
    ready,
    state_of,
)
from tests.verifier.test_jwe_defects import encrypt, request_and_payload, with_header
from tests.verifier.wallet import Tamper
from tests.wallet.town_fixtures import (
    INCOME_CLAIMS,
    desk_link,
    desk_result,
    new_citizen,
    receive,
    receive_scenario,
    town,  # noqa: F401 - fixture, by name
    zorgtoeslag,
)
from verifier.tables import transactions
from wallet.device_client import ServiceRefused
from wallet.presentation import REQUEST_OBJECT_TYPE, HeldCredential, PresentationClient

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PERSON = "urn:nl:brp:person:1"
MIB = 1024 * 1024
INCOME_VCT = "urn:nl:belastingdienst:household-income:1"


async def _decision_count(desk: Desk) -> int:
    return len((await rows(desk))["decisions"])


# V-01: an answer for no open transaction is refused before its vp_token is read.


def test_V_01_unknown_state_is_refused_before_the_vp_token_is_read(plain_live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        started = await ready(desk)
        before = await rows(desk)
        garbage = {"state": b64url_encode(b"\x01" * 32), "vp_token": "{not json"}
        response = await desk.client.post("/wallet/response", data=garbage)
        no_server_error(response)
        # A parsed vp_token would be malformed-vp-token: the state was judged first.
        assert_wire_error(response, Oid4vpReason.UNKNOWN_STATE)
        assert await rows(desk) == before
        await assert_still_open(desk, started)

    on_desk(plain_live, case)


def test_V_01_expired_transaction_stores_nothing(plain_live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        started = await ready(desk)
        request = await desk.wallet.fetch_request(started["link"])
        form = desk.wallet.response_form(request, Tamper())
        form["vp_token"] = "{not json"
        desk.clock.advance(desk.context.settings.transaction_ttl_seconds + 1)
        before = await rows(desk)
        response = await desk.wallet.post(request, form)
        no_server_error(response)
        assert_wire_error(response, Oid4vpReason.TRANSACTION_EXPIRED)
        assert await rows(desk) == before
        assert (await desk.result(started["transaction_id"])).json()["status"] == "expired"

    on_desk(plain_live, case)


# V-02: a presentation made for transaction A, posted in B's envelope.


def test_V_02_presentation_of_one_session_in_another_is_a_replay(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        first = await ready(desk)
        request_a = await desk.wallet.fetch_request(first["link"])
        captured = desk.wallet.vp_token(request_a, Tamper())
        second = await desk.start("zorgtoeslag")
        request_b = await desk.wallet.fetch_request(second["link"])
        assert request_b.client_metadata is not None
        recipient, enc = select_response_key(request_b.client_metadata)
        payload = response_payload(captured, request_b.state)
        jwe = encrypt_response(payload, recipient=recipient, enc=enc)
        response = await desk.wallet.post(request_b, direct_post_jwt_form(jwe))
        no_server_error(response)
        assert_wire_error(response, SdJwtReason.KB_NONCE_MISMATCH)
        # Documented change: B's one answer was this one (its nonce is spent); A stays open.
        await assert_consumed(desk, second, SdJwtReason.KB_NONCE_MISMATCH)
        await assert_still_open(desk, first)

    on_desk(live, case)


# V-03: session fixation in the same-device flow (§8.2, §13.3): the response_code binds.


def test_V_03_result_without_the_redirects_response_code_is_refused(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        desk.give(eligible_case())
        back = "https://desk.example/return"
        started = await desk.start("zorgtoeslag", redirect_uri=back)  # the attacker's session
        answered = await desk.wallet.answer(started["link"])  # the victim's wallet
        assert answered.status_code == 200, answered.text
        redirect = answered.json()["redirect_uri"]
        assert redirect.startswith(back + "#response_code=")
        code = redirect.split("=", 1)[1]
        other = code[:-2] + ("AA" if not code.endswith("AA") else "BB")
        for attempt, status, error in (
            (None, 403, "forbidden"),
            (other, 403, "forbidden"),
            ("x" * 300, 400, "invalid_request"),  # longer than any code: refused unread
        ):
            fetched = await desk.result(started["transaction_id"], response_code=attempt)
            no_server_error(fetched)
            assert (fetched.status_code, fetched.json()["error"]) == (status, error)
            assert "decision" not in fetched.text
        released = await desk.result(started["transaction_id"], response_code=code)
        assert released.json()["status"] == EXPECTED

    on_desk(live, case)


# V-04: guessing transaction ids and response codes.


def test_V_04_handles_are_128_bit_or_more_and_unguessable(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        desk.give(eligible_case())
        started = await desk.start("zorgtoeslag", redirect_uri="https://desk.example/return")
        request = await desk.wallet.fetch_request(started["link"])
        answered = await desk.wallet.post(request, desk.wallet.response_form(request, Tamper()))
        code = answered.json()["redirect_uri"].split("=", 1)[1]
        request_id = urlsplit(started["request_uri"]).path.rsplit("/", 1)[1]
        assert len(bytes.fromhex(started["transaction_id"])) >= 16
        for value in (request_id, state_of(request), request.nonce, code):
            assert len(b64url_decode(value)) >= 16, value

    on_desk(live, case)


def test_V_04_another_desks_key_finds_nothing(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        started = await ready(desk)
        assert (await desk.wallet.answer(started["link"])).status_code == 200
        other = await desk.context.api_keys.create(name="other desk", scope=["zorgtoeslag"])
        decided = (await desk.result(started["transaction_id"])).json()
        for path in (
            f"/desk/transactions/{started['transaction_id']}",
            f"/desk/decisions/{decided['decision']['decision_id']}",
        ):
            response = await desk.client.get(path, headers=desk.headers(other.secret))
            no_server_error(response)
            assert (response.status_code, response.json()["error"]) == (404, "not_found")

    on_desk(live, case)


async def test_V_04_guessing_at_the_result_endpoint_is_throttled(tmp_path: Path) -> None:
    """Guessing transaction ids from one address meets 429 after the burst: with 128-bit
    handles and a few guesses a second, a search has no prospect."""
    overrides = {"rate_limit_per_minute": 60, "rate_limit_burst": 5}
    with running_town(tmp_path, desk_overrides=overrides) as town:
        async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
            guesses = [
                await client.get(f"{town.desk_url}/desk/transactions/{secrets.token_urlsafe(16)}")
                for _ in range(20)
            ]
    assert [g.status_code for g in guesses[:5]] == [401] * 5  # no desk key: refused anyway
    assert {g.status_code for g in guesses} == {401, 429}
    assert sum(g.status_code == 429 for g in guesses) >= 12  # the burst, then 1 a second


# V-05: the request object may be fetched again; the nonce is still spent once.


def test_V_05_request_uri_fetched_twice_serves_one_nonce_answered_once(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        started = await ready(desk)
        first = await desk.wallet.fetch_request(started["link"])
        again = await desk.wallet.fetch_request(started["link"])
        assert (again.nonce, again.state) == (first.nonce, first.state)
        form = desk.wallet.response_form(again, Tamper())
        assert (await desk.wallet.post(again, form)).status_code == 200
        before = await rows(desk)
        replayed = await desk.wallet.post(first, desk.wallet.response_form(first, Tamper()))
        no_server_error(replayed)
        assert_wire_error(replayed, Oid4vpReason.ALREADY_ANSWERED)
        assert await rows(desk) == before
        assert (await desk.client.get(started["request_uri"])).status_code == 404

    on_desk(live, case)


# V-06: the shape of vp_token (§8.1). Each arrives in a good envelope: documented change,
# the transaction is used up with the reason.

VP_TOKEN_SHAPES: dict[str, tuple[Any, Any]] = {
    "not-an-object": (lambda t: ["x"], Oid4vpReason.MALFORMED_VP_TOKEN),
    "unknown-query-id": (
        lambda t: {("zz" if k == "c0" else k): v for k, v in t.items()},
        DcqlReason.UNKNOWN_CREDENTIAL_ID,
    ),
    "two-for-a-single-query": (
        lambda t: {**t, "c0": t["c0"] * 2},
        DcqlReason.MULTIPLE_NOT_ALLOWED,
    ),
    "empty-array": (lambda t: {**t, "c0": []}, Oid4vpReason.MALFORMED_VP_TOKEN),
    "required-query-missing": (
        lambda t: {k: v for k, v in t.items() if k != "c0"},
        DcqlReason.CREDENTIAL_SETS_UNSATISFIED,
    ),
}


@pytest.mark.parametrize("shape", sorted(VP_TOKEN_SHAPES))
def test_V_06_vp_token_shapes(plain_live: LiveDesk, shape: str) -> None:
    rewrite, reason = VP_TOKEN_SHAPES[shape]

    async def case(desk: Desk) -> None:
        started = await ready(desk)
        request = await desk.wallet.fetch_request(started["link"])
        token = rewrite(desk.wallet.vp_token(request, Tamper()))
        form = {"vp_token": json.dumps(token), "state": state_of(request)}
        response = await desk.wallet.post(request, form)
        no_server_error(response)
        assert_wire_error(response, reason)
        await assert_consumed(desk, started, reason)
        assert await _decision_count(desk) == 0

    on_desk(plain_live, case)


# V-07: the verifier re-checks the answer against its own query (§6.4).


def test_V_07_credential_of_another_type_is_refused(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        swap = Tamper(rewrite_vp_token=lambda t: {**t, "c0": t["c4"], "c4": t["c0"]})
        started = await ready(desk)
        response = await desk.wallet.answer(started["link"], swap)
        no_server_error(response)
        assert_wire_error(response, DcqlReason.VCT_NOT_REQUESTED)
        await assert_consumed(desk, started, DcqlReason.VCT_NOT_REQUESTED)

    on_desk(live, case)


def test_V_07_required_claim_withheld_is_refused(plain_live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        started = await ready(desk)
        request = await desk.wallet.fetch_request(started["link"])
        token = present_without(desk.wallet, request, ("joint_assessed_income_cents",))
        response = await desk.wallet.post(request, direct_post_form(token, request.state))
        no_server_error(response)
        assert_wire_error(response, DcqlReason.CLAIM_MISSING)
        await assert_consumed(desk, started, DcqlReason.CLAIM_MISSING)

    on_desk(plain_live, case)


QUERY = {
    "credentials": [
        {
            "id": "pid",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": ["urn:test:pid"]},
            "trusted_authorities": [{"type": "aki", "values": ["s9tIpPmhxdiuNkHMEWNpYim8S8Y"]}],
            "claims": [
                {"id": "a", "path": ["age"], "values": [18, 19]},
                {"id": "c", "path": ["city"]},
                {"id": "s", "path": ["street"]},
            ],
            "claim_sets": [["a", "c"], ["a", "s"]],
        }
    ]
}


@pytest.mark.parametrize(
    ("claims", "paths", "authorities", "reason"),
    [
        ({"age": 21, "city": "U"}, [("age",), ("city",)], {"s9tIpPmhxdiuNkHMEWNpYim8S8Y"},
         DcqlReason.CLAIM_VALUE_NOT_ALLOWED),
        ({"age": 18, "zip": "1"}, [("age",)], {"s9tIpPmhxdiuNkHMEWNpYim8S8Y"},
         DcqlReason.CLAIM_SETS_UNSATISFIED),
        ({"age": 18, "city": "U"}, [("age",), ("city",)], {"another-authority"},
         DcqlReason.TRUSTED_AUTHORITY_NOT_MATCHED),
    ],
    ids=["value-not-in-values", "claim-sets-unmet", "issuer-not-in-trusted-authorities"],
)  # fmt: skip
def test_V_07_values_claim_sets_and_trusted_authorities_are_rechecked(
    claims: dict[str, Any], paths: list[tuple[str]], authorities: set[str], reason: DcqlReason
) -> None:
    """The desk's compiled queries ask by type and claim only; these rules of the same
    re-check (``specs.oid4vp.dcql_match.check_presentation``) are fed directly."""
    import dataclasses

    query = parse_dcql_query(QUERY)
    presented = dataclasses.replace(
        present(issue("urn:test:pid", claims), paths, "pid"),
        authority_key_ids=frozenset(authorities),
    )
    assert rejected(lambda: check_presentation(query, {"pid": [presented]})) == reason


# V-08: over-disclosure is refused, and what was over-disclosed is kept nowhere.


def test_V_08_over_disclosure_is_refused_and_not_kept(
    live: LiveDesk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    street = canary("street")

    async def case(desk: Desk) -> None:
        parts = [
            (issuer, vct, {**claims, "street_name": street} if vct == PERSON else claims)
            for issuer, vct, claims in parts_of(eligible_case())
        ]
        give_parts(desk, parts)
        started = await desk.start("zorgtoeslag")
        response = await desk.wallet.answer(
            started["link"], Tamper(extra_paths=(("street_name",),))
        )
        no_server_error(response)
        assert_wire_error(response, DcqlReason.CLAIM_OUTSIDE_QUERY)
        await assert_consumed(desk, started, DcqlReason.CLAIM_OUTSIDE_QUERY)
        stored = repr(await rows(desk))
        result = await desk.result(started["transaction_id"])
        assert leaks([street], stored, response.text, result.text) == []

    on_desk(live, case)
    assert leaks([street], service_logs(caplog)) == []


# V-09: two people's credentials, each with a valid KB-JWT, in one answer.


def test_V_09_credentials_of_two_holders_are_not_combined(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        parts = parts_of(eligible_case())
        give_parts(desk, parts[:2])
        give_parts(desk, parts[2:])
        started = await desk.start("zorgtoeslag")
        response = await desk.wallet.answer(started["link"])
        no_server_error(response)
        assert_wire_error(response, Oid4vpReason.HOLDERS_DIFFER)
        await assert_consumed(desk, started, Oid4vpReason.HOLDERS_DIFFER)
        assert await _decision_count(desk) == 0

    on_desk(live, case)


# V-10: direct_post.jwt defects (§8.3). None proves who sent it: nothing is consumed.


def _p2c_jwe(kid: str, p2c: int) -> str:
    """A JWE header with PBES2 and a huge iteration count; no key derivation may start."""
    header = {"alg": "PBES2-HS512+A256KW", "enc": "A128GCM", "p2c": p2c, "kid": kid}
    head = b64url_encode(dumps_compact(header).encode())
    return f"{head}.{b64url_encode(b'k' * 40)}.{b64url_encode(b'i' * 12)}.AAAA.{'A' * 22}"


JWE_DEFECTS: dict[str, tuple[dict[str, Any], Oid4vpReason]] = {
    "alg-not-ecdh-es": ({"alg": "ECDH-ES+A128KW"}, Oid4vpReason.JWE_ALG),
    "enc-not-offered": ({"enc": "A192GCM"}, Oid4vpReason.JWE_ENC),
    "zip-deflate": ({"header": {"zip": "DEF"}}, Oid4vpReason.JWE_ZIP),
}


@pytest.mark.parametrize("defect", [*sorted(JWE_DEFECTS), "p2c", "off-curve-epk"])
def test_V_10_jwe_defects_change_nothing(live: LiveDesk, defect: str) -> None:
    async def case(desk: Desk) -> None:
        started = await ready(desk)
        request, recipient, plaintext = await request_and_payload(desk, started)
        if defect == "p2c":
            token, reason = _p2c_jwe(recipient["kid"], 10_000), Oid4vpReason.JWE_ALG
        elif defect == "off-curve-epk":
            token = encrypt(plaintext, recipient)
            epk = json.loads(b64url_decode(token.split(".", 1)[0]))["epk"]
            token = with_header(token, epk={**epk, "y": epk["x"]})
            reason = Oid4vpReason.JWE_EPK_INVALID
        else:
            options, reason = JWE_DEFECTS[defect]
            token = encrypt(plaintext, recipient, **options)
        before = await rows(desk)
        response = await desk.wallet.post(request, direct_post_jwt_form(token))
        no_server_error(response)
        assert_wire_error(response, reason)
        assert await rows(desk) == before
        await assert_still_open(desk, started)

    on_desk(live, case)


def test_V_10_key_id_of_an_answered_request_finds_it_closed(live: LiveDesk) -> None:
    """The transaction's response key is deleted with its answer: a JWE made for it later
    (the old request's ``kid``) is refused by the envelope, before any decryption."""

    async def case(desk: Desk) -> None:
        started = await ready(desk)
        request, recipient, plaintext = await request_and_payload(desk, started)
        assert (await desk.wallet.answer(started["link"])).status_code == 200
        before = await rows(desk)
        response = await desk.wallet.post(
            request, direct_post_jwt_form(encrypt(plaintext, recipient))
        )
        no_server_error(response)
        assert_wire_error(response, Oid4vpReason.ALREADY_ANSWERED)
        assert await rows(desk) == before
        async with desk.context.database.read() as connection:
            kept = await connection.scalar(
                select(transactions.c.response_key_sealed).where(
                    transactions.c.id == started["transaction_id"]
                )
            )
        assert kept is None  # the ephemeral response key was destroyed with the answer

    on_desk(live, case)


def test_V_10_plaintext_answer_to_an_encrypted_request(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        started = await ready(desk)
        before = await rows(desk)
        response = await desk.wallet.answer(started["link"], Tamper(plain_post=True))
        no_server_error(response)
        assert_wire_error(response, Oid4vpReason.ENCRYPTED_RESPONSE_REQUIRED)
        assert await rows(desk) == before
        await assert_still_open(desk, started)

    on_desk(live, case)


# V-11: key-derivation and decompression bombs in the JWE.


def test_V_11_pbes2_with_a_billion_iterations_is_refused_before_derivation(
    live: LiveDesk,
) -> None:
    async def case(desk: Desk) -> None:
        started = await ready(desk)
        request, recipient, _plaintext = await request_and_payload(desk, started)
        with bounded_memory(32 * MIB):
            response = await desk.wallet.post(
                request, direct_post_jwt_form(_p2c_jwe(recipient["kid"], 10**9))
            )
        no_server_error(response)
        assert_wire_error(response, Oid4vpReason.JWE_ALG)
        await assert_still_open(desk, started)

    on_desk(live, case)


def test_V_11_compressed_gigabyte_plaintext_is_never_inflated(live: LiveDesk) -> None:
    """A ``zip: DEF`` JWE whose plaintext would inflate to 1 GiB: refused on its header."""
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(MIB)
    deflated = b"".join(bomb.compress(chunk) for _ in range(1024)) + bomb.flush()
    assert len(deflated) < 2 * MIB

    async def case(desk: Desk) -> None:
        started = await ready(desk)
        request, recipient, _plaintext = await request_and_payload(desk, started)
        header = {"alg": "ECDH-ES", "enc": "A128GCM", "zip": "DEF", "kid": recipient["kid"]}
        head = b64url_encode(dumps_compact(header).encode())
        body = b64url_encode(deflated[: 256 * 1024])  # what fits the endpoint's cap
        token = f"{head}..{b64url_encode(b'i' * 12)}.{body}.{'A' * 22}"
        with bounded_memory(32 * MIB):
            response = await desk.wallet.post(request, direct_post_jwt_form(token))
        no_server_error(response)
        assert response.status_code in {400, 413}, response.text
        if response.status_code == 400:
            assert_wire_error(response, Oid4vpReason.JWE_ZIP)
        await assert_still_open(desk, started)

    on_desk(live, case)


# V-17: errors at every step say the code and the rule, never the input.


def test_V_17_error_bodies_never_echo_input(
    live: LiveDesk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    secret = canary("input")

    async def case(desk: Desk) -> None:
        started = await ready(desk)
        request = await desk.wallet.fetch_request(started["link"])
        vp = desk.wallet.vp_token(request, Tamper())
        tainted = {k: [p + secret for p in v] for k, v in vp.items()}
        jwe_head = b64url_encode(dumps_compact({"alg": secret, "enc": "A128GCM"}).encode())
        attempts: list[tuple[str, str, dict[str, Any]]] = [
            ("POST", "/wallet/response", {"content": f"state={secret}&vp_token={secret}"}),
            ("POST", "/wallet/response", {"content": f"response={jwe_head}.{secret}..."}),
            (
                "POST",
                "/wallet/response",
                {
                    "content": json.dumps({"x": secret}),
                    "headers": {"Content-Type": "application/json"},
                },
            ),
            ("POST", f"/wallet/request/{secret}", {"content": f"wallet_nonce={secret}"}),
            ("GET", f"/wallet/request/{secret}", {}),
            (
                "POST",
                "/desk/transactions",
                {"json": {"regulation": secret, "facts": {"x": secret}}},
            ),
            ("POST", "/desk/transactions", {"json": {"regulation": "zorgtoeslag", secret: 1}}),
            ("GET", f"/desk/transactions/{secret}", {}),
            ("GET", f"/desk/decisions/{secret}", {}),
        ]
        answers = []
        for method, path, options in attempts:
            headers = {**FORM, **desk.headers(), **options.pop("headers", {})}
            answers.append(await desk.client.request(method, path, headers=headers, **options))
        sealed = response_payload(tainted, request.state)
        assert request.client_metadata is not None
        recipient, enc = select_response_key(request.client_metadata)
        jwe = encrypt_response(sealed, recipient=recipient, enc=enc)
        answers.append(await desk.wallet.post(request, direct_post_jwt_form(jwe)))
        answers.append(await desk.result(started["transaction_id"]))
        for answer in answers[:-1]:
            no_server_error(answer)
            wire_error_only(answer)
        assert leaks([secret], *(a.text for a in answers)) == []
        assert leaks([secret], repr(await rows(desk))) == []

    on_desk(live, case)
    assert leaks([secret], service_logs(caplog)) == []


# The wallet side: the holder library against the real desk (and a hostile one in front).


class HostileDesk:
    """The real desk, with a hostile host in front of it at ``/evil/*``: it serves a request
    object the case made, redirects, and records every answer a wallet posts to it."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.served: dict[str, tuple[int, str, dict[str, str]]] = {}
        self.received: list[bytes] = []
        self.app = Starlette(
            routes=[
                Route("/evil/request/{name}", self._request, methods=["GET", "POST"]),
                Route("/evil/response", self._response, methods=["POST"]),
                Mount("/", app=desk.app),
            ]
        )

    async def _request(self, request: Request) -> Response:
        status, body, headers = self.served[request.path_params["name"]]
        return Response(body, status_code=status, media_type=REQUEST_OBJECT_TYPE, headers=headers)

    async def _response(self, request: Request) -> Response:
        self.received.append(await request.body())
        return Response("{}", media_type="application/json")

    def link(self, client_id: str, name: str) -> str:
        query = urlencode({"client_id": client_id, "request_uri": f"{DESK}/evil/request/{name}"})
        return f"openid4vp://?{query}"

    def client(self) -> PresentationClient:
        return PresentationClient(
            policy=FetchPolicy(allow_local_origins=frozenset({DESK})),
            trust=self.desk.context.trust,
            clock=self.desk.clock,
            transport=httpx.ASGITransport(app=self.app),
        )


@pytest.fixture
async def hostile(tmp_path: Path, database_url: str) -> Any:
    async for made in make_desk(tmp_path, database_url):
        made.give(eligible_case())
        yield HostileDesk(made)


async def _real_request_object(hostile: HostileDesk) -> tuple[dict[str, Any], str, dict[str, Any]]:
    started = await hostile.desk.start("zorgtoeslag")
    served = await hostile.desk.client.get(started["request_uri"])
    header_b64, payload_b64, _sig = served.text.split(".")
    header = json.loads(b64url_decode(header_b64))
    return (
        started,
        served.text,
        {"header": header, "payload": json.loads(b64url_decode(payload_b64))},
    )


def _resigned(hostile: HostileDesk, parts: dict[str, Any], **header: Any) -> str:
    """The request object signed again by the desk's own key, with header changes."""
    signer = hostile.desk.context.identity.signer
    extra = {k: v for k, v in {**parts["header"], **header}.items() if k not in {"alg", "typ"}}
    typ = header.get("typ", parts["header"]["typ"])
    return sign_compact_jws(parts["payload"], key=signer, typ=typ, extra_header=extra)


def _held(desk: Desk) -> list[HeldCredential]:
    return [HeldCredential(h.token, h.holder_key, h.vct) for h in desk.wallet.held]


def _request_object_defects(
    hostile: HostileDesk, token: str, parts: dict[str, Any]
) -> Iterator[tuple[str, tuple[int, str, dict[str, str]], str | None, Reason]]:
    """(name, what the hostile host serves, the link's client_id if not the real one,
    the reason the wallet must give)."""
    head, payload, signature = token.split(".")
    flipped = signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")
    yield "bad-signature", (200, f"{head}.{payload}.{flipped}", {}), None, JoseReason.BAD_SIGNATURE
    yield "typ-jwt", (200, _resigned(hostile, parts, typ="JWT"), {}), None, JoseReason.TYP_MISMATCH
    yield (
        "x509-hash-not-the-certificate",
        (200, token, {}),
        "x509_hash:" + b64url_encode(b"\x00" * 32),
        Oid4vpReason.CLIENT_ID_MISMATCH,
    )
    unsigned = ".".join(
        [
            b64url_encode(dumps_compact({"alg": "none", "typ": REQUEST_OBJECT_TYP}).encode()),
            b64url_encode(
                dumps_compact({**parts["payload"], "client_id": "redirect_uri:" + DESK}).encode()
            ),
            "",
        ]
    )
    yield (
        "redirect-uri-prefix-with-direct-post",
        (200, unsigned, {}),
        "redirect_uri:" + DESK,
        Oid4vpReason.UNSIGNED_REQUEST,
    )
    moved = {"Location": f"{DESK}/evil/request/real"}
    yield "request-uri-redirects", (302, "", moved), None, Oid4vpReason.MALFORMED_REQUEST_OBJECT


async def test_V_12_wallet_refuses_bad_request_objects_and_sends_nothing(
    hostile: HostileDesk,
) -> None:
    started, token, parts = await _real_request_object(hostile)
    client_id = parts["payload"]["client_id"]
    hostile.served["real"] = (200, token, {})
    held = _held(hostile.desk)
    async with hostile.client() as wallet:
        assert (await wallet.open(hostile.link(client_id, "real"), held)).request.nonce
        for name, served, link_client, reason in _request_object_defects(hostile, token, parts):
            hostile.served[name] = served
            link = hostile.link(link_client or client_id, name)
            with pytest.raises(Rejected) as refused:
                await wallet.open(link, held)
            assert refused.value.reason == reason, name
    assert hostile.received == []  # no PII sent anywhere
    assert (await hostile.desk.result(started["transaction_id"])).json()["status"] == "pending"


def test_V_12_response_uri_not_bound_to_the_certificate_and_self_signed_certificates() -> None:
    """``x509_san_dns`` binds the ``response_uri`` host to the certificate (§5.9.3); a leaf
    that signs itself is not chained to a root the wallet trusts. (The desk's own prefix,
    ``x509_hash``, binds the ``response_uri`` by the signature over it: the certified key
    chose it.)"""
    pki = new_pki()
    elsewhere = signed_request(pki, request_claims(response_uri="https://elsewhere.example/r"))
    assert rejected(lambda: verify_request(elsewhere, pki)) == Oid4vpReason.RESPONSE_URI_NOT_BOUND
    rogue = new_pki()
    rogue.leaf_key = rogue.root_key
    rogue.leaf = rogue.issue(key=rogue.root_key)  # a leaf signed by its own key
    self_signed = signed_request(rogue, request_claims())
    assert rejected(lambda: verify_request(self_signed, pki)) == Oid4vpReason.CERTIFICATE_INVALID


async def test_V_12_a_response_uri_that_redirects_is_not_followed(hostile: HostileDesk) -> None:
    """The answer goes to the ``response_uri`` only: a 3xx from it is not followed, so the
    presentation never reaches where the redirect points."""
    started = await hostile.desk.start("zorgtoeslag")
    held = _held(hostile.desk)

    async def redirect(_request: Request) -> Response:
        return Response(status_code=307, headers={"Location": f"{DESK}/evil/response"})

    redirecting = Starlette(
        routes=[
            Route("/wallet/response", redirect, methods=["POST"]),
            Mount("/", app=hostile.app),
        ]
    )
    wallet = PresentationClient(
        policy=FetchPolicy(allow_local_origins=frozenset({DESK})),
        trust=hostile.desk.context.trust,
        clock=hostile.desk.clock,
        transport=httpx.ASGITransport(app=redirecting),
    )
    async with wallet:
        opened = await wallet.open(started["link"], held)
        reply = await wallet.respond(opened, held, consent=True)
    assert reply == {"status_code": 307}
    assert hostile.received == []


# V-13: hostile DCQL at the wallet's matcher.


def _big_query(credentials: int) -> dict[str, Any]:
    item = {"id": "q", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}}
    return {"credentials": [{**item, "id": f"q{i}"} for i in range(credentials)]}


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (_big_query(10_000), DcqlReason.QUERY_TOO_LARGE),
        (
            {"credentials": [{"id": "q", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]},
                              "claims": [{"path": ["a"] * 1_000}]}]},
            DcqlReason.QUERY_TOO_LARGE,
        ),
        (
            {"credentials": [{"id": "q", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]},
                              "claims": [{"path": ["a", -1]}]}]},
            DcqlReason.MALFORMED_QUERY,
        ),
    ],
    ids=["10000-credential-queries", "path-depth-1000", "negative-index"],
)  # fmt: skip
def test_V_13_oversized_or_malformed_queries_are_refused(
    query: dict[str, Any], reason: DcqlReason
) -> None:
    with bounded_memory(32 * MIB):
        assert rejected(lambda: parse_dcql_query(query)) == reason


def test_V_13_index_out_of_range_and_wildcard_on_a_huge_array_match_nothing() -> None:
    claims = {"vct": "v", "items": list(range(100_000))}
    held = [HeldForQuery("h", "dc+sd-jwt", "v", claims)]
    for path in (["items", 200_000], ["items", None, "x"]):
        query = parse_dcql_query(
            {"credentials": [{"id": "q", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]},
                              "claims": [{"path": path}]}]}
        )  # fmt: skip
        with bounded_memory(32 * MIB):
            assert (
                rejected(
                    lambda q=query: select_credentials(q, held)  # type: ignore[misc]
                )
                == DcqlReason.CREDENTIAL_SETS_UNSATISFIED
            )


# V-14, V-15, V-16: the wallet service and the holder library, privacy.


async def test_V_14_a_values_probe_cannot_tell_no_match_from_no(town: Town) -> None:
    """A desk cannot learn what the wallet holds from how it answers: the citizen who
    holds nothing that matches and the one who holds it and says no send the same
    ``access_denied``, and the desk's results differ in nothing but their ids."""
    results = []
    for holds_match in (False, True):
        async with await new_citizen(town) as phone:
            if holds_match:
                await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=1)
            else:
                await receive(town, phone, INCOME_VCT, INCOME_CLAIMS, instances=1)
            link, transaction_id, key = await desk_link(town)
            if holds_match:
                presentation = (await phone.open_request(link))["id"]
            else:
                with pytest.raises(ServiceRefused) as refused:
                    await phone.open_request(link)
                assert (refused.value.status, refused.value.error) == (
                    422,
                    "no_matching_credential",
                )
                presentation = refused.value.body["presentation"]
            declined = await phone.decline(presentation)
            assert declined["status"] == "declined"
        result = await desk_result(town, transaction_id, key)
        results.append({k: v for k, v in result.items() if k != "transaction_id"})
    assert results[0] == results[1]
    assert (results[0]["status"], results[0]["reason"]) == ("declined", "access_denied")


class _Narrowed:
    """The registry with the desk allowed one claim less than it asks for."""

    def __init__(self, inner: Any, client_id: str) -> None:
        self._inner, self._client_id = inner, client_id

    def snapshot(self, *, now: int) -> TrustSnapshot:
        full: TrustSnapshot = self._inner.snapshot(now=now)
        entry = full.verifiers[self._client_id]
        narrowed = {r: frozenset(sorted(c)[1:]) for r, c in entry.permissions.items()}
        verifiers = {**full.verifiers, self._client_id: replace(entry, permissions=narrowed)}
        return replace(full, verifiers=verifiers)


async def test_V_15_a_desk_asking_outside_its_registration_is_refused(
    hostile: HostileDesk,
) -> None:
    started = await hostile.desk.start("zorgtoeslag")
    held = _held(hostile.desk)
    wallet = PresentationClient(
        policy=FetchPolicy(allow_local_origins=frozenset({DESK})),
        trust=_Narrowed(hostile.desk.context.trust, hostile.desk.context.client_id),
        clock=hostile.desk.clock,
        transport=httpx.ASGITransport(app=hostile.app),
    )
    async with wallet:
        with pytest.raises(Rejected) as refused:
            await wallet.open(started["link"], held)
    assert refused.value.reason == TrustReason.CLAIM_NOT_AUTHORISED
    assert (await hostile.desk.result(started["transaction_id"])).json()["status"] == "pending"


def _kb_payload(signing_input: str) -> dict[str, Any]:
    segment = b64url_decode(signing_input).decode("ascii").split(".")[1]
    payload: dict[str, Any] = json.loads(b64url_decode(segment))
    return payload


async def test_V_16_two_answers_from_one_batch_share_no_instance_or_key(town: Town) -> None:
    """Through the wallet service: each desk gets its own one-time instance (its own holder
    key) and a KB-JWT of its own."""
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=2)
        shown = []
        for _ in range(2):
            link, transaction_id, key = await desk_link(town)
            opened = await phone.open_request(link)
            approved = await phone._json("POST", f"/v1/presentations/{opened['id']}/approve")
            requests = approved["signing_requests"]
            await phone._json(
                "POST",
                f"/v1/presentations/{opened['id']}/signatures",
                json={"signatures": phone.device.sign(requests)},
            )
            assert (await desk_result(town, transaction_id, key))["status"] == "eligible"
            shown.append(requests)
    keys = [{r["key_id"] for r in requests} for requests in shown]
    assert not keys[0] & keys[1]
    kbs = [[_kb_payload(r["signing_input"]) for r in requests] for requests in shown]
    for field in ("sd_hash", "nonce"):
        assert not {k[field] for k in kbs[0]} & {k[field] for k in kbs[1]}


async def test_V_16_instances_of_one_batch_share_nothing_that_links_them(town: Town) -> None:
    """What each desk sees of an instance: issuer signature, ``cnf``, salts, digests, status
    index and times. Two instances of one batch (over HTTP from the agency) share none of
    them, and the times are rounded, so they are no fingerprint either."""
    offer = await town.offer("household_income", INCOME_CLAIMS, batch_size=2)
    async with httpx.AsyncClient(trust_env=False) as client:
        agent = IssuerTestWallet(client, lambda: int(time.time()), allow_http=True)
        received = await agent.receive(offer.credential_offer, offer.tx_code, batch=2)
    seen = [_linkable(token) for token in received.tokens]
    for name in ("signature", "cnf", "salts", "digests", "status"):
        assert not seen[0][name] & seen[1][name], name
    for token in received.tokens:
        times = open_sd_jwt(token).processed.claims
        assert times["iat"] % 3_600 == 0
        assert times["exp"] % 3_600 == 0


def _linkable(token: str) -> dict[str, set[str]]:
    view = open_sd_jwt(token)
    claims = view.processed.claims
    issuer_jwt = token.split("~", 1)[0]
    payload = json.loads(b64url_decode(issuer_jwt.split(".")[1]))
    return {
        "signature": {issuer_jwt.rsplit(".", 1)[1]},
        "cnf": {json.dumps(claims["cnf"], sort_keys=True)},
        "salts": {d.salt for d in view.disclosures},
        "digests": set(payload.get("_sd", [])),
        "status": {json.dumps(claims["status"], sort_keys=True)},
    }
