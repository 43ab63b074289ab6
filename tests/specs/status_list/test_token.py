"""Status List Token in JWT format (§5.1), its validation (§8.3) and caching (§11.5, §13.7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from specs.errors import JoseReason, StatusListReason
from specs.jose import (
    JwsAlg,
    KeyResolver,
    PrivateJwk,
    PublicJwk,
    StaticKeyResolver,
    b64url_encode,
    dumps_compact,
    generate_private_key,
    sign_compact_jws,
)
from specs.status_list import (
    DEFAULT_MAX_TTL,
    DEFAULT_MIN_TTL,
    StatusReference,
    StatusType,
    build_status_list_token,
    encode_status_list,
    verify_status_list_token,
)
from tests.specs.status_list.conftest import ALGORITHMS, SUBJECT
from tests.support import assert_rejected

LIST = encode_status_list([1, 0, 2, 0], 2)
HOUR = 3600


def _payload(now: int, **changes: Any) -> dict[str, Any]:
    """A valid payload; a change of ``None`` removes the claim."""
    payload: dict[str, Any] = {
        "sub": SUBJECT,
        "iat": now,
        "exp": now + 24 * HOUR,
        "ttl": 12 * HOUR,
        "status_list": LIST,
    }
    payload.update(changes)
    return {name: value for name, value in payload.items() if value is not None}


def _sign(key: PrivateJwk, payload: Mapping[str, Any], typ: str = "statuslist+jwt") -> str:
    return sign_compact_jws(payload, key=key, typ=typ)


def _verify(token: str, key: PublicJwk | KeyResolver, now: int, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "key": key,
        "expected_uri": SUBJECT,
        "now": now,
        "leeway": 0,
        "algorithms": ALGORITHMS,
        "max_age": 7 * 24 * HOUR,
    }
    arguments.update(overrides)
    return verify_status_list_token(token, **arguments)


def _build(key: PrivateJwk, now: int, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "key": key,
        "subject_uri": SUBJECT,
        "status_list": LIST,
        "now": now,
        "ttl": 12 * HOUR,
        "exp": now + 24 * HOUR,
        "issuer": "https://example.com",
    }
    arguments.update(overrides)
    return build_status_list_token(**arguments)


# --- round trip --------------------------------------------------------------------------


def test_built_token_verifies(issuer_key: PrivateJwk, now: int) -> None:
    token = _build(issuer_key, now, extra_header={"kid": "status-issuer"})
    verified = _verify(token, issuer_key.public, now)
    assert verified.subject == SUBJECT
    assert (verified.issued_at, verified.expires_at, verified.ttl) == (now, now + 86400, 43200)
    assert verified.claims["iss"] == "https://example.com"
    assert verified.key == issuer_key.public
    assert verified.status_of(StatusReference(idx=2, uri=SUBJECT)) == StatusType.SUSPENDED
    assert verified.status_of(StatusReference(idx=0, uri=SUBJECT)) == StatusType.INVALID


def test_optional_claims_may_be_left_out(issuer_key: PrivateJwk, now: int) -> None:
    token = _build(issuer_key, now, ttl=None, exp=None, issuer=None)
    verified = _verify(token, issuer_key.public, now)
    assert (verified.expires_at, verified.ttl, verified.cache_ttl) == (None, None, DEFAULT_MAX_TTL)
    assert "iss" not in verified.claims


def test_key_resolver_is_accepted(issuer_key: PrivateJwk, now: int) -> None:
    token = _build(issuer_key, now)
    resolver = StaticKeyResolver(issuer_key.public)
    assert _verify(token, resolver, now).key == issuer_key.public


def test_media_type_form_of_typ_is_accepted(issuer_key: PrivateJwk, now: int) -> None:
    token = _sign(issuer_key, _payload(now), typ="application/statuslist+jwt")
    assert _verify(token, issuer_key.public, now).subject == SUBJECT


def test_other_claims_are_allowed(issuer_key: PrivateJwk, now: int) -> None:
    token = _sign(issuer_key, _payload(now, custom={"a": 1}))
    assert _verify(token, issuer_key.public, now).claims["custom"] == {"a": 1}


# --- header and signature (§5.1 rule 2, RFC 8725) ----------------------------------------


@pytest.mark.parametrize("typ", ["JWT", "statuslist+cwt", "example+sd-jwt"])
def test_wrong_typ_is_refused(issuer_key: PrivateJwk, now: int, typ: str) -> None:
    token = _sign(issuer_key, _payload(now), typ=typ)
    assert_rejected(JoseReason.TYP_MISMATCH, _verify, token, issuer_key.public, now)


def test_signature_by_another_key_is_refused(
    issuer_key: PrivateJwk, other_key: PrivateJwk, now: int
) -> None:
    token = _build(other_key, now)
    assert_rejected(JoseReason.BAD_SIGNATURE, _verify, token, issuer_key.public, now)


def test_alg_none_is_refused(issuer_key: PrivateJwk, now: int) -> None:
    header = b64url_encode(dumps_compact({"alg": "none", "typ": "statuslist+jwt"}).encode())
    body = b64url_encode(dumps_compact(_payload(now)).encode())
    assert_rejected(
        JoseReason.ALG_NOT_ALLOWED, _verify, f"{header}.{body}.", issuer_key.public, now
    )


def test_algorithm_outside_the_allowlist_is_refused(now: int) -> None:
    ed_key = generate_private_key(JwsAlg.ED25519)
    token = _build(ed_key, now)
    assert_rejected(JoseReason.ALG_NOT_ALLOWED, _verify, token, ed_key.public, now)


def test_oversized_token_is_refused_before_decoding(issuer_key: PrivateJwk, now: int) -> None:
    token = _build(issuer_key, now)
    assert_rejected(
        JoseReason.TOKEN_TOO_LARGE, _verify, token, issuer_key.public, now, max_token_bytes=100
    )


# --- claims (§5.1, §8.3) -----------------------------------------------------------------


@pytest.mark.parametrize("claim", ["sub", "iat", "status_list"])
def test_required_claim_missing(issuer_key: PrivateJwk, now: int, claim: str) -> None:
    token = _sign(issuer_key, _payload(now, **{claim: None}))
    assert_rejected(StatusListReason.TOKEN_CLAIM_MISSING, _verify, token, issuer_key.public, now)


@pytest.mark.parametrize(
    "sub",
    [SUBJECT + "/", "https://example.com/statuslists/2", "HTTPS://example.com/statuslists/1", 1],
)
def test_subject_must_equal_the_reference_uri(issuer_key: PrivateJwk, now: int, sub: Any) -> None:
    token = _sign(issuer_key, _payload(now, sub=sub))
    assert_rejected(StatusListReason.SUBJECT_MISMATCH, _verify, token, issuer_key.public, now)


def test_list_answers_only_for_its_own_uri(issuer_key: PrivateJwk, now: int) -> None:
    verified = _verify(_build(issuer_key, now), issuer_key.public, now)
    other = StatusReference(idx=0, uri="https://example.com/statuslists/2")
    assert_rejected(StatusListReason.SUBJECT_MISMATCH, verified.status_of, other)
    beyond = StatusReference(idx=len(verified.status_list), uri=SUBJECT)
    assert_rejected(StatusListReason.INDEX_OUT_OF_RANGE, verified.status_of, beyond)


def test_expired_token_is_refused(issuer_key: PrivateJwk, now: int) -> None:
    token = _sign(issuer_key, _payload(now - 2 * HOUR, exp=now))
    assert_rejected(JoseReason.EXPIRED, _verify, token, issuer_key.public, now)
    assert _verify(token, issuer_key.public, now, leeway=60).expires_at == now


def test_token_from_the_future_is_refused(issuer_key: PrivateJwk, now: int) -> None:
    token = _sign(issuer_key, _payload(now, iat=now + HOUR))
    assert_rejected(JoseReason.ISSUED_IN_FUTURE, _verify, token, issuer_key.public, now)


def test_not_yet_valid_token_is_refused(issuer_key: PrivateJwk, now: int) -> None:
    token = _sign(issuer_key, _payload(now, nbf=now + HOUR))
    assert_rejected(JoseReason.NOT_YET_VALID, _verify, token, issuer_key.public, now)


@pytest.mark.parametrize(("claim", "value"), [("iat", "1700000000"), ("exp", True), ("iat", -1)])
def test_malformed_time_claim_is_refused(
    issuer_key: PrivateJwk, now: int, claim: str, value: Any
) -> None:
    token = _sign(issuer_key, _payload(now, **{claim: value}))
    assert_rejected(JoseReason.BAD_TIME_CLAIM, _verify, token, issuer_key.public, now)


@pytest.mark.parametrize("ttl", [0, -1, True, 1.5, 60.0, "60", [60]])
def test_ttl_must_be_a_positive_integer(issuer_key: PrivateJwk, now: int, ttl: Any) -> None:
    token = _sign(issuer_key, _payload(now, ttl=ttl))
    assert_rejected(StatusListReason.BAD_TTL, _verify, token, issuer_key.public, now)


@pytest.mark.parametrize(
    ("ttl", "cache_ttl"),
    [(10**12, DEFAULT_MAX_TTL), (1, DEFAULT_MIN_TTL), (HOUR, HOUR)],
)
def test_ttl_is_clamped_not_refused(
    issuer_key: PrivateJwk, now: int, ttl: int, cache_ttl: int
) -> None:
    verified = _verify(_sign(issuer_key, _payload(now, ttl=ttl)), issuer_key.public, now)
    assert (verified.ttl, verified.cache_ttl) == (ttl, cache_ttl)
    assert verified.usable_until() == now + cache_ttl


def test_custom_ttl_window(issuer_key: PrivateJwk, now: int) -> None:
    token = _sign(issuer_key, _payload(now, ttl=10 * HOUR))
    verified = _verify(token, issuer_key.public, now, min_ttl=60, max_ttl=HOUR)
    assert verified.cache_ttl == HOUR


@pytest.mark.parametrize(
    ("exp_offset", "ttl", "until_offset"),
    [
        (None, None, DEFAULT_MAX_TTL),  # no hint at all: still never unbounded
        (None, HOUR, HOUR),
        (24 * HOUR, None, DEFAULT_MAX_TTL),  # exp later than iat + max_ttl
        (24 * HOUR, 12 * HOUR, 12 * HOUR),
        (2 * HOUR, 10 * HOUR, 2 * HOUR),  # exp earlier than iat + ttl
    ],
)
def test_usable_until_is_the_earliest_bound(
    issuer_key: PrivateJwk, now: int, exp_offset: int | None, ttl: int | None, until_offset: int
) -> None:
    exp = None if exp_offset is None else now + exp_offset
    verified = _verify(_sign(issuer_key, _payload(now, exp=exp, ttl=ttl)), issuer_key.public, now)
    assert verified.usable_until() == now + until_offset


def test_fractional_times_are_rounded_down(issuer_key: PrivateJwk, now: int) -> None:
    token = _sign(issuer_key, _payload(now, iat=now - 0.5, exp=now + HOUR + 0.9))
    verified = _verify(token, issuer_key.public, now)
    assert (verified.issued_at, verified.expires_at) == (now - 1, now + HOUR)


def test_status_list_inside_the_token_is_checked(issuer_key: PrivateJwk, now: int) -> None:
    token = _sign(issuer_key, _payload(now, status_list={"bits": 3, "lst": LIST["lst"]}))
    assert_rejected(StatusListReason.BAD_BITS, _verify, token, issuer_key.public, now)
    token = _sign(issuer_key, _payload(now, status_list={"bits": 1, "lst": "not base64!"}))
    assert_rejected(StatusListReason.BAD_LST, _verify, token, issuer_key.public, now)


def test_decompression_cap_applies_inside_the_token(issuer_key: PrivateJwk, now: int) -> None:
    token = _sign(issuer_key, _payload(now, status_list=encode_status_list([0] * 4096, 8)))
    assert_rejected(
        StatusListReason.LIST_TOO_LARGE,
        _verify,
        token,
        issuer_key.public,
        now,
        max_decompressed_bytes=1024,
    )


# --- builder refuses what a verifier would refuse ----------------------------------------


@pytest.mark.parametrize("ttl", [0, -5, True])
def test_builder_refuses_bad_ttl(issuer_key: PrivateJwk, now: int, ttl: Any) -> None:
    assert_rejected(StatusListReason.BAD_TTL, _build, issuer_key, now, ttl=ttl)


@pytest.mark.parametrize("exp_offset", [0, -1])
def test_builder_refuses_exp_not_after_now(
    issuer_key: PrivateJwk, now: int, exp_offset: int
) -> None:
    assert_rejected(JoseReason.BAD_TIME_CLAIM, _build, issuer_key, now, exp=now + exp_offset)


@pytest.mark.parametrize("member", ["alg", "typ", "crit", "b64"])
def test_builder_refuses_to_override_protected_header(
    issuer_key: PrivateJwk, now: int, member: str
) -> None:
    extra = {member: "x"}
    assert_rejected(JoseReason.UNSUPPORTED_HEADER, _build, issuer_key, now, extra_header=extra)


def test_builder_refuses_bad_subject_and_list(issuer_key: PrivateJwk, now: int) -> None:
    assert_rejected(StatusListReason.BAD_REFERENCE, _build, issuer_key, now, subject_uri="lists/1")
    bad_list = {"bits": 16, "lst": LIST["lst"]}
    assert_rejected(StatusListReason.BAD_BITS, _build, issuer_key, now, status_list=bad_list)


def test_builder_allows_http_subject_only_when_asked(issuer_key: PrivateJwk, now: int) -> None:
    uri = "http://localhost:8080/statuslists/1"
    assert_rejected(StatusListReason.BAD_REFERENCE, _build, issuer_key, now, subject_uri=uri)
    token = _build(issuer_key, now, subject_uri=uri, allow_http=True)
    assert _verify(token, issuer_key.public, now, expected_uri=uri).subject == uri


def test_a_token_without_exp_is_not_fresh_forever(issuer_key: PrivateJwk, now: int) -> None:
    """T-07/T-08: an old list that still says VALID cannot be replayed past ``max_age``."""
    token = _sign(issuer_key, _payload(now - 2 * HOUR, exp=None))
    public = issuer_key.public
    assert_rejected(StatusListReason.STALE, _verify, token, public, now, max_age=HOUR)
    assert _verify(token, public, now, max_age=2 * HOUR).issued_at == now - 2 * HOUR
    assert _verify(token, public, now, max_age=HOUR, leeway=HOUR).issued_at == now - 2 * HOUR
