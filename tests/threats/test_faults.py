# ruff: noqa: F811 - pytest fixtures imported from shared modules are parameters here
"""Threat catalogue, faults and time (F-01, F-02, F-03).

Rotation is the registry's decision (``specs.trust.check_issuer``); clock skew is decided
by the verifier's settings at the desk (``kb_max_age_seconds``, ``clock_leeway_seconds``),
fed over real HTTP exactly at and one second past each edge; the status list's time window
is ``specs.status_list.verify_status_list_token``'s, fed at its edges too. Every boundary
is decided the same way on every run (INV-6): the clocks are fixed.
"""

from __future__ import annotations

import pytest

from specs.errors import JoseReason, SdJwtReason, StatusListReason, TrustReason
from specs.jose import JwsAlg, generate_private_key
from specs.status_list import build_status_list_token, encode_status_list, verify_status_list_token
from tests.conftest import FIXED_NOW
from tests.specs.trust.test_decisions import (
    END,
    NEW_KEY,
    OLD_KEY,
    issuer_check,
    issuer_entry,
    snapshot,
)
from tests.threats.invariants import no_server_error, rejected
from tests.threats.services import live, on_desk  # noqa: F401 - fixture, by name
from tests.verifier.conftest import Desk
from tests.verifier.live import LiveDesk
from tests.verifier.refusals import EXPECTED, assert_consumed, assert_wire_error, eligible_case
from tests.verifier.wallet import Tamper

# F-01: an agency rotates its signing key while citizens hold credentials of the old one.


def test_F_01_old_credentials_verify_while_the_old_key_is_listed() -> None:
    rotating = snapshot([issuer_entry(key_refs=frozenset({OLD_KEY, NEW_KEY}))])
    assert issuer_check(rotating, key_refs=(OLD_KEY,)).issuer
    assert issuer_check(rotating, key_refs=(NEW_KEY,)).issuer
    assert issuer_check(rotating, key_refs=(OLD_KEY,), now=END - 1).issuer


def test_F_01_old_credentials_stop_when_the_listing_ends_or_the_key_is_removed() -> None:
    rotating = snapshot([issuer_entry(key_refs=frozenset({OLD_KEY, NEW_KEY}))])
    ended = rejected(lambda: issuer_check(rotating, key_refs=(OLD_KEY,), now=END))
    assert ended == TrustReason.OUTSIDE_VALIDITY
    rotated = snapshot([issuer_entry(key_refs=frozenset({NEW_KEY}))])
    removed = rejected(lambda: issuer_check(rotated, key_refs=(OLD_KEY,)))
    assert removed == TrustReason.KEY_NOT_REGISTERED


# F-02: the wallet's clock against the desk's, at the KB-JWT's window edges.


def _edges(desk: Desk) -> list[tuple[int, bool]]:
    """(KB-JWT ``iat`` minus the desk's now, accepted?) at each edge of the window."""
    settings = desk.context.settings
    oldest, newest = -settings.kb_max_age_seconds, settings.clock_leeway_seconds
    return [
        (oldest, True),
        (oldest - 1, False),
        (newest, True),
        (newest + 1, False),
        (0, True),
        (+300, False),  # a wallet five minutes fast
        (-300, oldest <= -300),  # five minutes slow: inside the default five-minute window
    ]


def test_F_02_key_binding_iat_is_judged_exactly_at_the_configured_window(live: LiveDesk) -> None:
    async def case(desk: Desk) -> None:
        desk.give(eligible_case())
        for offset, accepted in _edges(desk):
            started = await desk.start("zorgtoeslag")
            response = await desk.wallet.answer(started["link"], Tamper(kb_iat_offset=offset))
            no_server_error(response)
            if accepted:
                assert response.status_code == 200, (offset, response.text)
                result = await desk.result(started["transaction_id"])
                assert result.json()["status"] == EXPECTED, offset
            else:
                assert_wire_error(response, SdJwtReason.KB_IAT_OUT_OF_WINDOW)
                await assert_consumed(desk, started, SdJwtReason.KB_IAT_OUT_OF_WINDOW)

    on_desk(live, case)


# F-03: the desk's clock against a status list's iat and exp.

URI = "https://status.example/lists/1"
ISSUED = FIXED_NOW
LIFETIME = 3_600
LEEWAY = 30
MAX_AGE = 86_400
KEY = generate_private_key(JwsAlg.ES256)


def _status_list() -> str:
    return build_status_list_token(
        key=KEY,
        subject_uri=URI,
        status_list=encode_status_list([0] * 16, 1),
        now=ISSUED,
        ttl=300,
        exp=ISSUED + LIFETIME,
        issuer="https://status.example",
    )


def _verify(now: int) -> object:
    return verify_status_list_token(
        _status_list(),
        key=KEY.public,
        expected_uri=URI,
        now=now,
        leeway=LEEWAY,
        algorithms=[JwsAlg.ES256],
        max_age=MAX_AGE,
    )


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (ISSUED - LEEWAY, None),  # the desk's clock slow by the leeway: still issued
        (ISSUED - LEEWAY - 1, JoseReason.ISSUED_IN_FUTURE),
        (ISSUED + LIFETIME + LEEWAY - 1, None),  # fast by less than the leeway: not expired
        (ISSUED + LIFETIME + LEEWAY, JoseReason.EXPIRED),
    ],
    ids=["iat-at-leeway", "iat-past-leeway", "exp-inside-leeway", "exp-at-leeway"],
)
def test_F_03_status_list_times_are_judged_with_the_documented_leeway(
    now: int, reason: JoseReason | None
) -> None:
    """``exp`` and ``iat`` take the same symmetric leeway as every JWT here
    (``specs.jose.claims.check_time_claims``): documented in the verifier's
    ``clock_leeway_seconds``."""
    if reason is None:
        assert _verify(now) is not None
    else:
        assert rejected(lambda: _verify(now)) == reason


def test_F_03_a_list_older_than_the_freshness_policy_is_stale() -> None:
    """Without ``exp`` the policy's ``max_age`` (plus the leeway) still ends a list."""

    def verify(now: int) -> object:
        token = build_status_list_token(
            key=KEY,
            subject_uri=URI,
            status_list=encode_status_list([0] * 16, 1),
            now=ISSUED,
            ttl=300,
            exp=None,
            issuer="https://status.example",
        )
        return verify_status_list_token(
            token,
            key=KEY.public,
            expected_uri=URI,
            now=now,
            leeway=LEEWAY,
            algorithms=[JwsAlg.ES256],
            max_age=MAX_AGE,
        )

    assert verify(ISSUED + MAX_AGE + LEEWAY) is not None
    assert rejected(lambda: verify(ISSUED + MAX_AGE + LEEWAY + 1)) == StatusListReason.STALE
