"""No input crashes the OAuth parsers: whatever arrives, the only exception is ``Rejected``.

Random form pairs (names the parsers look for, and any), random strings for the PKCE
verifier and challenge and the redirect URI, and random redirect URLs for the wallet's check
of an authorization response (hypothesis). A parser may accept what it is given; it may never
raise ``KeyError``, ``TypeError``, ``ValueError`` or anything but ``Rejected``.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import Rejected
from specs.oauth import (
    check_code_challenge,
    check_code_verifier,
    check_redirect_uri,
    parse_authorization_reference,
    parse_authorization_response,
    parse_pushed_authorization_request,
    parse_scope,
    parse_token_request,
    verify_code_verifier,
)

ISSUER = "https://issuer.example"
NAMES = st.sampled_from(
    [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "issuer_state",
        "login_hint",
        "request_uri",
        "grant_type",
        "code",
        "code_verifier",
        "refresh_token",
        "authorization_details",
    ]
) | st.text(max_size=6)
VALUES = st.sampled_from(
    [
        "code",
        "S256",
        "plain",
        "authorization_code",
        "refresh_token",
        "https://wallet.example/cb",
        "urn:ietf:params:oauth:request_uri:abc",
        "household_income",
        "",
        "a" * 43,
    ]
) | st.text(max_size=80)
FORMS = st.lists(st.tuples(NAMES, VALUES), max_size=24)
TEXT = st.text(alphabet=string.printable + "é\u0000~", max_size=200)


def _survives(call: Callable[[], object]) -> None:
    with contextlib.suppress(Rejected):
        call()


@settings(max_examples=200, deadline=None)
@given(FORMS)
def test_forms_only_reject(form: list[tuple[str, str]]) -> None:
    _survives(lambda: parse_pushed_authorization_request(form))
    _survives(lambda: parse_authorization_reference(form))
    _survives(lambda: parse_token_request(form))


@settings(max_examples=200, deadline=None)
@given(TEXT, st.sampled_from(["S256", "plain", None, ""]) | st.text(max_size=6))
def test_pkce_and_uri_strings_only_reject(text: str, method: str | None) -> None:
    _survives(lambda: check_code_verifier(text))
    _survives(lambda: check_code_challenge(text, method))
    _survives(lambda: verify_code_verifier(text, challenge="x" * 43))
    _survives(lambda: check_redirect_uri(text))
    _survives(lambda: parse_scope(text))


URLS = TEXT | st.builds(
    lambda query: f"https://wallet.example/cb?{query}",
    st.lists(st.tuples(NAMES, VALUES), max_size=6).map(
        lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)
    ),
)


@settings(max_examples=200, deadline=None)
@given(URLS, st.sampled_from(["s1", None]))
def test_authorization_responses_only_reject(url: str, state: str | None) -> None:
    _survives(lambda: parse_authorization_response(url, issuer=ISSUER, state=state))
