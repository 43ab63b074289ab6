"""PKCE (RFC 7636) with S256 only: the verifier's shape, the challenge, the §4.6 comparison."""

from __future__ import annotations

import pytest

from specs.errors import OAuthReason
from specs.oauth import (
    check_code_challenge,
    check_code_verifier,
    code_challenge,
    verify_code_verifier,
)
from tests.support import assert_rejected

# RFC 7636 Appendix B: the verifier and the S256 challenge it gives.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_rfc_example_verifier_gives_its_challenge() -> None:
    assert code_challenge(VERIFIER) == CHALLENGE
    verify_code_verifier(VERIFIER, challenge=CHALLENGE)


def test_a_verifier_that_does_not_hash_to_the_challenge_is_refused() -> None:
    other = "A" * 43
    assert_rejected(OAuthReason.PKCE_MISMATCH, verify_code_verifier, other, challenge=CHALLENGE)


@pytest.mark.parametrize(
    "verifier",
    ["a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + "=", "a" * 42 + " ", "ä" * 43, ""],
    ids=["too-short", "too-long", "plus", "padding", "space", "non-ascii", "empty"],
)
def test_verifiers_outside_43_to_128_unreserved_characters_are_refused(verifier: str) -> None:
    assert_rejected(OAuthReason.PKCE_VERIFIER_MALFORMED, check_code_verifier, verifier)


def test_the_longest_and_shortest_verifiers_are_accepted() -> None:
    for verifier in ("a" * 43, "~._-" * 32):
        assert check_code_verifier(verifier) == verifier


def test_a_challenge_is_required() -> None:
    assert_rejected(OAuthReason.PKCE_CHALLENGE_MISSING, check_code_challenge, None, "S256")


@pytest.mark.parametrize("method", [None, "plain", "s256", "S512"])
def test_only_s256_is_accepted_and_no_method_means_plain(method: str | None) -> None:
    assert_rejected(OAuthReason.PKCE_METHOD_UNSUPPORTED, check_code_challenge, CHALLENGE, method)


@pytest.mark.parametrize("challenge", [CHALLENGE[:-1], CHALLENGE + "A", CHALLENGE[:-1] + "="])
def test_a_challenge_must_be_a_base64url_sha256_digest(challenge: str) -> None:
    assert_rejected(OAuthReason.PKCE_CHALLENGE_MALFORMED, check_code_challenge, challenge, "S256")
