"""Token requests of the code flow (RFC 6749 §4.1.3) and of refresh (§6)."""

from __future__ import annotations

import pytest

from specs.errors import OAuthReason
from specs.oauth import AuthorizationCodeRequest, RefreshRequest, parse_token_request
from tests.support import assert_rejected

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CODE_FORM = {
    "grant_type": "authorization_code",
    "code": "SplxlOBeZQQYbYS6WxSbIA",
    "redirect_uri": "https://wallet.example/cb",
    "client_id": "wallet.example",
    "code_verifier": VERIFIER,
}


def _pairs(base: dict[str, str], **overrides: str | None) -> list[tuple[str, str]]:
    values = {**base, **overrides}
    return [(name, value) for name, value in values.items() if value is not None]


def test_an_authorization_code_request_is_read() -> None:
    parsed = parse_token_request(_pairs(CODE_FORM))
    assert parsed == AuthorizationCodeRequest(
        code="SplxlOBeZQQYbYS6WxSbIA",
        redirect_uri="https://wallet.example/cb",
        client_id="wallet.example",
        code_verifier=VERIFIER,
    )


@pytest.mark.parametrize("name", ["code", "redirect_uri", "client_id", "code_verifier"])
def test_each_parameter_of_the_code_grant_is_required(name: str) -> None:
    assert_rejected(
        OAuthReason.MISSING_PARAMETER, parse_token_request, _pairs(CODE_FORM, **{name: None})
    )


def test_a_malformed_verifier_is_refused_before_any_lookup() -> None:
    assert_rejected(
        OAuthReason.PKCE_VERIFIER_MALFORMED,
        parse_token_request,
        _pairs(CODE_FORM, code_verifier="short"),
    )


def test_a_code_must_be_printable_ascii() -> None:
    assert_rejected(
        OAuthReason.MALFORMED_REQUEST, parse_token_request, _pairs(CODE_FORM, code="c\x7f")
    )


def test_a_refresh_request_is_read_with_its_optional_parameters() -> None:
    form = {"grant_type": "refresh_token", "refresh_token": "tGzv3JOkF0XG5Qx2TlKWIA"}
    assert parse_token_request(_pairs(form)) == RefreshRequest("tGzv3JOkF0XG5Qx2TlKWIA", None, None)
    parsed = parse_token_request(_pairs(form, client_id="wallet.example", scope="rent"))
    assert parsed == RefreshRequest("tGzv3JOkF0XG5Qx2TlKWIA", "wallet.example", ("rent",))


def test_a_refresh_request_needs_the_refresh_token() -> None:
    assert_rejected(
        OAuthReason.MISSING_PARAMETER, parse_token_request, [("grant_type", "refresh_token")]
    )


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "implicit"])
def test_other_grants_are_unsupported(grant_type: str) -> None:
    assert_rejected(
        OAuthReason.UNSUPPORTED_GRANT_TYPE,
        parse_token_request,
        _pairs(CODE_FORM, grant_type=grant_type),
    )


def test_grant_type_is_required_and_once() -> None:
    assert_rejected(
        OAuthReason.MISSING_PARAMETER, parse_token_request, _pairs(CODE_FORM, grant_type=None)
    )
    pairs = [*_pairs(CODE_FORM), ("grant_type", "authorization_code")]
    assert_rejected(OAuthReason.DUPLICATE_PARAMETER, parse_token_request, pairs)
