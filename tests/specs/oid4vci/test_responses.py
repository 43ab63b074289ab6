"""Credential Responses (OpenID4VCI 1.0 §8.3) and Deferred Credential Responses (§9.2)."""

from __future__ import annotations

from typing import Any

import pytest

from specs.errors import Oid4vciReason
from specs.oid4vci import (
    CredentialResponse,
    build_credential_response,
    build_deferred_response,
    parse_credential_response,
)
from tests.support import assert_rejected

R = Oid4vciReason.MALFORMED_CREDENTIAL_RESPONSE


def test_credential_response_round_trips() -> None:
    body = build_credential_response(["c1~", "c2~"], notification_id="n-1")
    assert body == {
        "credentials": [{"credential": "c1~"}, {"credential": "c2~"}],
        "notification_id": "n-1",
    }
    assert parse_credential_response(body) == CredentialResponse(
        credentials=("c1~", "c2~"), notification_id="n-1", transaction_id=None, interval=None
    )


def test_notification_id_is_optional() -> None:
    body = build_credential_response(["c1~"], notification_id=None)
    assert body == {"credentials": [{"credential": "c1~"}]}
    assert parse_credential_response(body).notification_id is None


def test_deferred_response_round_trips() -> None:
    body = build_deferred_response(transaction_id="t-1", interval=5)
    assert body == {"transaction_id": "t-1", "interval": 5}
    assert parse_credential_response(body) == CredentialResponse(
        credentials=(), notification_id=None, transaction_id="t-1", interval=5
    )


def test_fractional_interval_is_rounded_up() -> None:
    assert parse_credential_response({"transaction_id": "t", "interval": 0.5}).interval == 1


@pytest.mark.parametrize("credentials", [[], "c1~"])
def test_builder_needs_credentials(credentials: Any) -> None:
    with pytest.raises(ValueError, match="credentials"):
        build_credential_response(credentials, notification_id=None)


@pytest.mark.parametrize(("transaction_id", "interval"), [("", 5), ("t", 0), ("t", True)])
def test_deferral_builder_checks_its_values(transaction_id: str, interval: int) -> None:
    with pytest.raises(ValueError, match=r"transaction_id|interval"):
        build_deferred_response(transaction_id=transaction_id, interval=interval)


@pytest.mark.parametrize(
    "body",
    [
        "credentials",
        {},
        {"credentials": [{"credential": "c"}], "transaction_id": "t", "interval": 5},
        {"credentials": []},
        {"credentials": {"credential": "c"}},
        {"credentials": ["c"]},
        {"credentials": [{}]},
        {"credentials": [{"credential": ""}]},
        {"credentials": [{"credential": {"@context": []}}]},  # ldp_vc: not a string format
        {"credentials": [{"credential": "c"}] * 257},
        {"credentials": [{"credential": "c"}], "interval": 5},
        {"credentials": [{"credential": "c"}], "notification_id": 7},
        {"transaction_id": "t"},
        {"transaction_id": "t", "interval": 0},
        {"transaction_id": "t", "interval": -1},
        {"transaction_id": "t", "interval": True},
        {"transaction_id": "t", "interval": "5"},
        {"transaction_id": "t", "interval": 10**9},
        {"transaction_id": "", "interval": 5},
        {"transaction_id": "t", "interval": 5, "notification_id": "n"},
    ],
)
def test_malformed_responses(body: object) -> None:
    assert_rejected(R, parse_credential_response, body)
