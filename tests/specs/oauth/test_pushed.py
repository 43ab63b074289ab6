"""Pushed authorization requests (RFC 9126) and the reference the browser carries (§4)."""

from __future__ import annotations

import pytest

from specs.errors import OAuthReason
from specs.oauth import (
    REQUEST_URI_PREFIX,
    build_request_uri,
    parse_authorization_reference,
    parse_pushed_authorization_request,
)
from tests.support import assert_rejected

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
GOOD = {
    "response_type": "code",
    "client_id": "wallet.example",
    "redirect_uri": "https://wallet.example/callback?app=1",
    "scope": "household_income",
    "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
    "state": "xyz-123",
    "issuer_state": "offer-42",
    "login_hint": "citizen-1",
}


def _pairs(**overrides: str | None) -> list[tuple[str, str]]:
    values = {**GOOD, **overrides}
    return [(name, value) for name, value in values.items() if value is not None]


def test_a_complete_request_is_read() -> None:
    parsed = parse_pushed_authorization_request(_pairs())
    assert parsed.client_id == "wallet.example"
    assert parsed.redirect_uri == GOOD["redirect_uri"]
    assert parsed.scopes == ("household_income",)
    assert parsed.code_challenge == CHALLENGE
    assert (parsed.state, parsed.issuer_state, parsed.login_hint) == (
        "xyz-123",
        "offer-42",
        "citizen-1",
    )


def test_optional_parameters_may_be_left_out_or_empty() -> None:
    parsed = parse_pushed_authorization_request(
        _pairs(state=None, issuer_state="", login_hint=None, unknown="ignored")
    )
    assert (parsed.state, parsed.issuer_state, parsed.login_hint) == (None, None, None)


def test_a_request_uri_must_not_be_pushed() -> None:
    pairs = _pairs(request_uri=REQUEST_URI_PREFIX + "a" * 43)
    assert_rejected(
        OAuthReason.REQUEST_URI_IN_PUSHED_REQUEST, parse_pushed_authorization_request, pairs
    )


def test_a_request_object_is_refused_not_ignored() -> None:
    pairs = _pairs(request="eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
    assert_rejected(
        OAuthReason.REQUEST_OBJECT_UNSUPPORTED, parse_pushed_authorization_request, pairs
    )


def test_authorization_details_are_refused_as_rfc_9396_asks() -> None:
    pairs = _pairs(authorization_details='[{"type":"openid_credential"}]')
    assert_rejected(
        OAuthReason.AUTHORIZATION_DETAILS_UNSUPPORTED, parse_pushed_authorization_request, pairs
    )


@pytest.mark.parametrize("response_type", ["token", "code id_token", "vp_token"])
def test_only_the_code_response_type(response_type: str) -> None:
    assert_rejected(
        OAuthReason.UNSUPPORTED_RESPONSE_TYPE,
        parse_pushed_authorization_request,
        _pairs(response_type=response_type),
    )


@pytest.mark.parametrize("name", ["response_type", "client_id", "redirect_uri", "scope"])
def test_required_parameters(name: str) -> None:
    assert_rejected(
        OAuthReason.MISSING_PARAMETER, parse_pushed_authorization_request, _pairs(**{name: None})
    )


def test_pkce_is_required() -> None:
    assert_rejected(
        OAuthReason.PKCE_CHALLENGE_MISSING,
        parse_pushed_authorization_request,
        _pairs(code_challenge=None),
    )


def test_a_parameter_sent_twice_is_refused() -> None:
    pairs = [*_pairs(), ("scope", "rent")]
    assert_rejected(OAuthReason.DUPLICATE_PARAMETER, parse_pushed_authorization_request, pairs)


@pytest.mark.parametrize(
    "pairs",
    [
        [("a", "b")] * 0 + [(f"p{i}", "v") for i in range(40)],
        "response_type=code",
        [("client_id", "x" * 3000)],
        [("client_id",)],
    ],
    ids=["too-many", "not-pairs", "too-long", "not-a-pair"],
)
def test_forms_outside_the_bounds_are_malformed(pairs: object) -> None:
    assert_rejected(OAuthReason.MALFORMED_REQUEST, parse_pushed_authorization_request, pairs)


@pytest.mark.parametrize(
    ("name", "value"),
    [("client_id", "wallet\x00"), ("state", "é"), ("login_hint", "x" * 300)],
)
def test_client_id_state_and_hints_are_printable_ascii(name: str, value: str) -> None:
    assert_rejected(
        OAuthReason.MALFORMED_REQUEST, parse_pushed_authorization_request, _pairs(**{name: value})
    )


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://wallet.example/cb#fragment",
        "/relative/path",
        "http://wallet.example/cb",
        "javascript:alert(1)",
        "data:text/html,hi",
        "https://user:pw@wallet.example/cb",
        "https:///no-host",
        "https://wallet.example:99999/cb",
        "https://wallet.example/a b",
    ],
)
def test_redirect_uris_the_flow_cannot_trust(redirect_uri: str) -> None:
    assert_rejected(
        OAuthReason.REDIRECT_URI_INVALID,
        parse_pushed_authorization_request,
        _pairs(redirect_uri=redirect_uri),
    )


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:5000/cb", "http://[::1]/cb", "com.example.wallet:/callback", "haip://cb"],
)
def test_loopback_http_and_private_use_schemes_are_accepted(redirect_uri: str) -> None:
    parsed = parse_pushed_authorization_request(_pairs(redirect_uri=redirect_uri))
    assert parsed.redirect_uri == redirect_uri


@pytest.mark.parametrize("scope", ["a  b", 'quote"d', "back\\slash", "a a", " ".join("abcdefghi")])
def test_scope_must_be_distinct_scope_tokens(scope: str) -> None:
    assert_rejected(
        OAuthReason.MALFORMED_SCOPE, parse_pushed_authorization_request, _pairs(scope=scope)
    )


def test_the_authorization_endpoint_reads_client_id_and_our_request_uri() -> None:
    uri = build_request_uri("r" * 43)
    reference = parse_authorization_reference(
        [("client_id", "wallet.example"), ("request_uri", uri), ("scope", "ignored")]
    )
    assert (reference.client_id, reference.reference) == ("wallet.example", "r" * 43)


@pytest.mark.parametrize(
    "request_uri",
    [
        "https://issuer.example/par/abc",
        REQUEST_URI_PREFIX + "short",
        REQUEST_URI_PREFIX + "a.b" * 9,
    ],
)
def test_a_request_uri_that_is_not_ours_is_malformed(request_uri: str) -> None:
    pairs = [("client_id", "wallet.example"), ("request_uri", request_uri)]
    assert_rejected(OAuthReason.MALFORMED_REQUEST_URI, parse_authorization_reference, pairs)


def test_the_authorization_endpoint_needs_a_request_uri() -> None:
    pairs = [("client_id", "wallet.example"), ("response_type", "code")]
    assert_rejected(OAuthReason.MISSING_PARAMETER, parse_authorization_reference, pairs)


def test_rfc_9449_10_dpop_jkt_is_a_sha_256_thumbprint() -> None:
    thumbprint = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    assert parse_pushed_authorization_request(_pairs(dpop_jkt=thumbprint)).dpop_jkt == thumbprint
    assert parse_pushed_authorization_request(_pairs()).dpop_jkt is None
    for bad in ("short", thumbprint + "A", thumbprint[:-1] + "=", thumbprint[:-1] + "/"):
        assert_rejected(
            OAuthReason.DPOP_JKT_MALFORMED,
            parse_pushed_authorization_request,
            _pairs(dpop_jkt=bad),
        )
