"""The authorization response with ``iss`` (RFC 6749 §4.1.2, RFC 9207): built and checked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from specs.errors import OAuthReason
from specs.oauth import (
    build_authorization_error_response,
    build_authorization_response,
    parse_authorization_response,
)
from tests.support import assert_rejected

ISSUER = "https://issuer.example"


def test_the_response_carries_code_state_and_iss_and_keeps_the_query() -> None:
    url = build_authorization_response(
        "https://wallet.example/cb?app=1", code="c0de", state="s&t=a", issuer=ISSUER
    )
    parts = urlsplit(url)
    assert (parts.netloc, parts.path, parts.fragment) == ("wallet.example", "/cb", "")
    assert parse_qs(parts.query) == {
        "app": ["1"],
        "code": ["c0de"],
        "state": ["s&t=a"],
        "iss": [ISSUER],
    }
    assert parse_authorization_response(url, issuer=ISSUER, state="s&t=a") == "c0de"


def test_without_state_the_response_has_none() -> None:
    url = build_authorization_response("haip://cb", code="c0de", state=None, issuer=ISSUER)
    assert "state" not in parse_qs(urlsplit(url).query)
    assert parse_authorization_response(url, issuer=ISSUER, state=None) == "c0de"


@pytest.mark.parametrize("issuer", ["https://evil.example", "https://issuer.example/"])
def test_a_response_from_another_issuer_is_a_mix_up(issuer: str) -> None:
    url = build_authorization_response("haip://cb", code="c", state="s", issuer=issuer)
    assert_rejected(
        OAuthReason.ISSUER_MISMATCH, parse_authorization_response, url, issuer=ISSUER, state="s"
    )


def test_a_response_without_iss_is_refused() -> None:
    assert_rejected(
        OAuthReason.ISSUER_MISMATCH,
        parse_authorization_response,
        "haip://cb?code=c&state=s",
        issuer=ISSUER,
        state="s",
    )


@pytest.mark.parametrize(("sent", "returned"), [("s", "t"), ("s", None), (None, "s")])
def test_state_must_come_back_unchanged(sent: str | None, returned: str | None) -> None:
    url = build_authorization_response("haip://cb", code="c", state=returned, issuer=ISSUER)
    assert_rejected(
        OAuthReason.STATE_MISMATCH, parse_authorization_response, url, issuer=ISSUER, state=sent
    )


def test_an_error_response_is_refused_with_its_own_reason() -> None:
    url = build_authorization_error_response(
        "haip://cb", error="access_denied", state="s", issuer=ISSUER
    )
    assert_rejected(
        OAuthReason.AUTHORIZATION_RESPONSE_ERROR,
        parse_authorization_response,
        url,
        issuer=ISSUER,
        state="s",
    )


@pytest.mark.parametrize(
    "url",
    [f"haip://cb?iss={ISSUER}&state=s", f"haip://cb?iss={ISSUER}&state=s&state=s", "x" * 9000],
    ids=["no-code", "repeated", "too-long"],
)
def test_malformed_responses(url: str) -> None:
    assert_rejected(
        OAuthReason.MALFORMED_AUTHORIZATION_RESPONSE,
        parse_authorization_response,
        url,
        issuer=ISSUER,
        state="s",
    )
