"""Token (§6.1), Credential (§8.2), Deferred (§9.1) and Notification (§11.1) Requests."""

from __future__ import annotations

from typing import Any

import pytest

from specs.errors import Oid4vciReason
from specs.oid4vci import (
    NOTIFICATION_EVENTS,
    PRE_AUTHORIZED_GRANT,
    CredentialRequest,
    NotificationRequest,
    TokenRequest,
    parse_credential_request,
    parse_deferred_request,
    parse_notification_request,
    parse_token_request,
)
from tests.support import assert_rejected

GRANT = ("grant_type", PRE_AUTHORIZED_GRANT)
CODE = ("pre-authorized_code", "code-123")

# --- Token Request ----------------------------------------------------------------------


def test_token_request_with_tx_code() -> None:
    request = parse_token_request([GRANT, CODE, ("tx_code", "493536"), ("client_id", "w")])
    assert request == TokenRequest(
        grant_type=PRE_AUTHORIZED_GRANT, pre_authorized_code="code-123", tx_code="493536"
    )


def test_empty_tx_code_counts_as_omitted() -> None:
    """RFC 6749 §3.1: a parameter without a value is treated as omitted."""
    assert parse_token_request([GRANT, CODE, ("tx_code", "")]).tx_code is None
    assert parse_token_request([GRANT, CODE]).tx_code is None


@pytest.mark.parametrize("repeated", [GRANT, CODE, ("tx_code", "1"), ("unknown", "x")])
def test_repeated_parameter_is_refused(repeated: tuple[str, str]) -> None:
    form = [GRANT, CODE, ("tx_code", "1"), ("unknown", "y"), repeated]
    assert_rejected(Oid4vciReason.DUPLICATE_PARAMETER, parse_token_request, form)


@pytest.mark.parametrize("form", [[CODE], [("grant_type", ""), CODE]])
def test_grant_type_is_required(form: list[tuple[str, str]]) -> None:
    assert_rejected(Oid4vciReason.MALFORMED_TOKEN_REQUEST, parse_token_request, form)


@pytest.mark.parametrize(
    "grant_type", ["authorization_code", "client_credentials", PRE_AUTHORIZED_GRANT.upper()]
)
def test_other_grants_are_unsupported(grant_type: str) -> None:
    assert_rejected(
        Oid4vciReason.UNSUPPORTED_GRANT_TYPE,
        parse_token_request,
        [("grant_type", grant_type), CODE],
    )


@pytest.mark.parametrize("form", [[GRANT], [GRANT, ("pre-authorized_code", "")]])
def test_pre_authorized_code_is_required(form: list[tuple[str, str]]) -> None:
    assert_rejected(Oid4vciReason.MISSING_PRE_AUTHORIZED_CODE, parse_token_request, form)


@pytest.mark.parametrize(
    "form",
    [
        [GRANT, ("pre-authorized_code", "c" * 513)],
        [GRANT, CODE, ("tx_code", "1" * 65)],
        [GRANT, CODE, *[(f"p{i}", "") for i in range(31)]],
        [GRANT, CODE, ("tx_code", None)],
        [GRANT, CODE, ("tx_code",)],
        [GRANT, CODE, ["tx_code", "1"]],
        "grant_type=x",
        b"grant_type=x",
        {"grant_type": PRE_AUTHORIZED_GRANT},
        42,
    ],
)
def test_malformed_token_requests(form: Any) -> None:
    assert_rejected(Oid4vciReason.MALFORMED_TOKEN_REQUEST, parse_token_request, form)


def test_bounds_are_inclusive() -> None:
    request = parse_token_request(
        [GRANT, ("pre-authorized_code", "c" * 512), ("tx_code", "1" * 64)]
    )
    assert len(request.pre_authorized_code) == 512


# --- Credential Request -----------------------------------------------------------------


def _credential_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "credential_configuration_id": "income",
        "proofs": {"jwt": ["a.b.c", "d.e.f"]},
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not None}


def _parse(body: object, max_proofs: int = 2) -> CredentialRequest:
    return parse_credential_request(body, max_proofs=max_proofs)


def test_credential_request_by_configuration_id() -> None:
    assert _parse(_credential_request(extra="ignored")) == CredentialRequest(
        configuration_id="income", credential_identifier=None, jwt_proofs=("a.b.c", "d.e.f")
    )


def test_credential_request_by_identifier() -> None:
    body = _credential_request(credential_configuration_id=None, credential_identifier="ds-1")
    request = _parse(body)
    assert (request.configuration_id, request.credential_identifier) == (None, "ds-1")


@pytest.mark.parametrize(
    "ids",
    [{"credential_configuration_id": None}, {"credential_identifier": "ds-1"}],
    ids=["neither", "both"],
)
def test_exactly_one_of_configuration_id_and_identifier(ids: dict[str, Any]) -> None:
    assert_rejected(Oid4vciReason.AMBIGUOUS_CREDENTIAL_REQUEST, _parse, _credential_request(**ids))


def test_singular_proof_of_earlier_drafts_is_refused() -> None:
    body = _credential_request(proofs=None, proof={"proof_type": "jwt", "jwt": "a.b.c"})
    assert_rejected(Oid4vciReason.SINGULAR_PROOF, _parse, body)


def test_proofs_are_required() -> None:
    assert_rejected(Oid4vciReason.PROOF_MISSING, _parse, _credential_request(proofs=None))


@pytest.mark.parametrize("proof_type", ["di_vp", "attestation", "ldp_vp", "JWT"])
def test_only_the_jwt_proof_type_is_supported(proof_type: str) -> None:
    body = _credential_request(proofs={proof_type: ["x"]})
    assert_rejected(Oid4vciReason.UNSUPPORTED_PROOF_TYPE, _parse, body)


def test_more_proofs_than_the_batch_size_are_refused() -> None:
    body = _credential_request(proofs={"jwt": ["a.b.c"] * 3})
    assert_rejected(Oid4vciReason.TOO_MANY_PROOFS, _parse, body)
    assert len(_parse(body, max_proofs=3).jwt_proofs) == 3


def test_response_encryption_is_refused_not_ignored() -> None:
    body = _credential_request(credential_response_encryption={"jwk": {}, "enc": "A128GCM"})
    assert_rejected(Oid4vciReason.ENCRYPTION_UNSUPPORTED, _parse, body)


@pytest.mark.parametrize(
    "body",
    [
        ["not", "an", "object"],
        _credential_request(credential_configuration_id=""),
        _credential_request(credential_configuration_id=7),
        _credential_request(credential_configuration_id="x" * 513),
        _credential_request(proofs=["a.b.c"]),
        _credential_request(proofs={}),
        _credential_request(proofs={"jwt": ["a.b.c"], "attestation": ["x"]}),
        _credential_request(proofs={"jwt": []}),
        _credential_request(proofs={"jwt": "a.b.c"}),
        _credential_request(proofs={"jwt": ["a.b.c", 5]}),
        _credential_request(proofs={"jwt": [""]}),
    ],
)
def test_malformed_credential_requests(body: object) -> None:
    assert_rejected(Oid4vciReason.MALFORMED_CREDENTIAL_REQUEST, _parse, body)


@pytest.mark.parametrize("max_proofs", [0, -1, True])
def test_max_proofs_is_a_positive_integer(max_proofs: int) -> None:
    with pytest.raises(ValueError, match="max_proofs"):
        _parse(_credential_request(), max_proofs=max_proofs)


# --- Deferred Credential Request --------------------------------------------------------


def test_deferred_request_returns_the_transaction_id() -> None:
    assert parse_deferred_request({"transaction_id": "8xLOxBtZp8", "x": 1}) == "8xLOxBtZp8"


@pytest.mark.parametrize(
    "body", [[], {}, {"transaction_id": ""}, {"transaction_id": 8}, {"transaction_id": "t" * 513}]
)
def test_malformed_deferred_requests(body: object) -> None:
    assert_rejected(Oid4vciReason.MALFORMED_DEFERRED_REQUEST, parse_deferred_request, body)


def test_deferred_response_encryption_is_refused() -> None:
    body = {"transaction_id": "t", "credential_response_encryption": {}}
    assert_rejected(Oid4vciReason.ENCRYPTION_UNSUPPORTED, parse_deferred_request, body)


# --- Notification Request ---------------------------------------------------------------


@pytest.mark.parametrize("event", sorted(NOTIFICATION_EVENTS))
def test_each_notification_event_is_accepted(event: str) -> None:
    request = parse_notification_request({"notification_id": "3fwe98js", "event": event})
    assert request == NotificationRequest(notification_id="3fwe98js", event=event, description=None)


def test_event_description_is_kept() -> None:
    body = {
        "notification_id": "n",
        "event": "credential_failure",
        "event_description": "Could not store the Credential. Out of storage.",
    }
    assert parse_notification_request(body).description == body["event_description"]


@pytest.mark.parametrize("event", ["credential_stored", "CREDENTIAL_ACCEPTED", ""])
def test_unknown_events_are_refused(event: str) -> None:
    assert_rejected(
        Oid4vciReason.UNKNOWN_NOTIFICATION_EVENT,
        parse_notification_request,
        {"notification_id": "n", "event": event},
    )


@pytest.mark.parametrize(
    "body",
    [
        "credential_accepted",
        {"event": "credential_accepted"},
        {"notification_id": "", "event": "credential_accepted"},
        {"notification_id": 3, "event": "credential_accepted"},
        {"notification_id": "n"},
        {"notification_id": "n", "event": ["credential_accepted"]},
        {"notification_id": "n", "event": "credential_failure", "event_description": 1},
        {"notification_id": "n", "event": "credential_failure", "event_description": 'say "x"'},
        {"notification_id": "n", "event": "credential_failure", "event_description": "a\\b"},
        {"notification_id": "n", "event": "credential_failure", "event_description": "caf\u00e9"},
        {"notification_id": "n", "event": "credential_failure", "event_description": "a\nb"},
        {"notification_id": "n", "event": "credential_failure", "event_description": "x" * 1025},
    ],
)
def test_malformed_notifications(body: object) -> None:
    assert_rejected(Oid4vciReason.MALFORMED_NOTIFICATION, parse_notification_request, body)
