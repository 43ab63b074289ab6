"""Requests the wallet sends the issuer: Token (§6.1), Credential (§8.2), Deferred (§9.1),
Notification (§11.1). Each parser takes the decoded body and returns a typed value.

The edge decodes the HTTP body (form pairs for the Token Request, ``loads_strict`` JSON for
the others) under a size limit; these functions check shape, types and counts. Unknown
parameters are ignored, as each of those sections requires of the issuer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.errors import Oid4vciReason, Rejected
from specs.oid4vci.fields import optional_string, read_string, require_object
from specs.oid4vci.offer import (
    MAX_PRE_AUTHORIZED_CODE_LENGTH,
    MAX_TX_CODE_LENGTH,
    PRE_AUTHORIZED_GRANT,
)

NOTIFICATION_EVENTS = frozenset({"credential_accepted", "credential_failure", "credential_deleted"})
MAX_FORM_PARAMETERS = 32
MAX_EVENT_DESCRIPTION = 1024
_ENCRYPTION_PARAMETER = "credential_response_encryption"
_ATTESTATION_PROOF_TYPE = "attestation"
# §11.1: event_description is ASCII without '"' and '\': %x20-21 / %x23-5B / %x5D-7E.
_DESCRIPTION_CHARACTERS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A Token Request of the Pre-Authorized Code Flow (§6.1)."""

    grant_type: str
    pre_authorized_code: str
    tx_code: str | None


def parse_token_request(form: Sequence[tuple[str, str]]) -> TokenRequest:
    """Read the form parameters of a Token Request (RFC 6749 §4.1.3, §3.2; OpenID4VCI §6.1).

    A parameter sent twice is ``DUPLICATE_PARAMETER`` (RFC 6749 §3.2: "MUST NOT be included
    more than once"); a parameter sent without a value counts as omitted (§3.1). Without a
    ``grant_type`` the request is malformed; any grant but the pre-authorized one is
    ``UNSUPPORTED_GRANT_TYPE``; the pre-authorized grant needs ``pre-authorized_code``
    (``MISSING_PRE_AUTHORIZED_CODE``). ``tx_code`` is optional here: whether the offer
    required one is the token endpoint's check.
    """
    malformed = Oid4vciReason.MALFORMED_TOKEN_REQUEST
    if not isinstance(form, Sequence) or isinstance(form, str | bytes):
        raise Rejected(malformed)
    if len(form) > MAX_FORM_PARAMETERS:
        raise Rejected(malformed)
    values: dict[str, str] = {}
    for pair in form:
        if not isinstance(pair, tuple) or len(pair) != 2 or not all(type(p) is str for p in pair):
            raise Rejected(malformed)
        name, value = pair
        if name in values:
            raise Rejected(Oid4vciReason.DUPLICATE_PARAMETER)
        values[name] = value
    grant_type = values.get("grant_type", "")
    if not grant_type:
        raise Rejected(malformed)
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise Rejected(Oid4vciReason.UNSUPPORTED_GRANT_TYPE)
    code = values.get("pre-authorized_code", "")
    if not code:
        raise Rejected(Oid4vciReason.MISSING_PRE_AUTHORIZED_CODE)
    tx_code = values.get("tx_code") or None
    if len(code) > MAX_PRE_AUTHORIZED_CODE_LENGTH or (
        tx_code is not None and len(tx_code) > MAX_TX_CODE_LENGTH
    ):
        raise Rejected(malformed)
    return TokenRequest(grant_type=grant_type, pre_authorized_code=code, tx_code=tx_code)


@dataclass(frozen=True, slots=True)
class CredentialRequest:
    """A Credential Request (§8.2): what is asked for, and its key proofs, unverified.

    ``jwt_proofs`` for the ``jwt`` proof type; ``attestation_proof`` for the ``attestation``
    proof type (F.3, only when the caller accepts it), and then ``jwt_proofs`` is empty.
    """

    configuration_id: str | None
    credential_identifier: str | None
    jwt_proofs: tuple[str, ...]
    attestation_proof: str | None = None


def parse_credential_request(
    body: object, *, max_proofs: int, accept_attestation: bool = False
) -> CredentialRequest:
    """Read a Credential Request (§8.2) for the issuer; the proofs are verified afterwards.

    * exactly one of ``credential_configuration_id`` and ``credential_identifier``
      (``AMBIGUOUS_CREDENTIAL_REQUEST``), a non-empty string;
    * ``proof`` (singular, drafts before 1.0) is ``SINGULAR_PROOF``, not silently ignored;
    * ``proofs`` is required: every configuration we publish has ``proof_types_supported``,
      and §8.2 then makes ``proofs`` mandatory (``PROOF_MISSING``). It is an object with
      exactly one proof type; only ``jwt`` is supported (``UNSUPPORTED_PROOF_TYPE``), as a
      non-empty array of strings, at most ``max_proofs`` (the batch size; ``TOO_MANY_PROOFS``);
    * with ``accept_attestation`` (HAIP §4.5.1), the ``attestation`` proof type too: an array
      of exactly one string (F.3), the key attestation; how many keys it attests is checked
      when it is verified (``proof.verify_attestation_proof``);
    * ``credential_response_encryption`` (§8.2, §10) is ``ENCRYPTION_UNSUPPORTED``: we cannot
      encrypt the response, and answering in clear a wallet that asked for encryption would
      ignore its request (wire: ``invalid_encryption_parameters``).
    """
    if type(max_proofs) is not int or max_proofs < 1:
        raise ValueError("max_proofs must be a positive integer")
    malformed = Oid4vciReason.MALFORMED_CREDENTIAL_REQUEST
    request = require_object(body, malformed)
    if _ENCRYPTION_PARAMETER in request:
        raise Rejected(Oid4vciReason.ENCRYPTION_UNSUPPORTED)
    if "proof" in request:
        raise Rejected(Oid4vciReason.SINGULAR_PROOF)
    if ("credential_configuration_id" in request) == ("credential_identifier" in request):
        raise Rejected(Oid4vciReason.AMBIGUOUS_CREDENTIAL_REQUEST)
    configuration_id = optional_string(request, "credential_configuration_id", malformed)
    identifier = optional_string(request, "credential_identifier", malformed)
    proof_type, items = _proofs(request)
    if proof_type == _ATTESTATION_PROOF_TYPE and accept_attestation:
        return CredentialRequest(
            configuration_id=configuration_id,
            credential_identifier=identifier,
            jwt_proofs=(),
            attestation_proof=_attestation_proof(items),
        )
    if proof_type != "jwt":
        raise Rejected(Oid4vciReason.UNSUPPORTED_PROOF_TYPE)
    return CredentialRequest(
        configuration_id=configuration_id,
        credential_identifier=identifier,
        jwt_proofs=_jwt_proofs(items, max_proofs=max_proofs),
    )


def _proofs(request: Mapping[str, Any]) -> tuple[str, object]:
    """§8.2 ``proofs``: an object with exactly one parameter, named as the proof type."""
    if "proofs" not in request:
        raise Rejected(Oid4vciReason.PROOF_MISSING)
    proofs = require_object(request["proofs"], Oid4vciReason.MALFORMED_CREDENTIAL_REQUEST)
    if len(proofs) != 1:
        raise Rejected(Oid4vciReason.MALFORMED_CREDENTIAL_REQUEST)
    ((proof_type, items),) = proofs.items()
    return proof_type, items


def _attestation_proof(items: object) -> str:
    """F.3 via §8.2: an array that contains exactly one JWT."""
    if not isinstance(items, list) or len(items) != 1:
        raise Rejected(Oid4vciReason.MALFORMED_CREDENTIAL_REQUEST)
    (token,) = items
    if type(token) is not str or not token:
        raise Rejected(Oid4vciReason.MALFORMED_CREDENTIAL_REQUEST)
    return token


def _jwt_proofs(items: object, *, max_proofs: int) -> tuple[str, ...]:
    malformed = Oid4vciReason.MALFORMED_CREDENTIAL_REQUEST
    if not isinstance(items, list) or not items:  # Appendix F: a non-empty array of JWTs
        raise Rejected(malformed)
    if len(items) > max_proofs:
        raise Rejected(Oid4vciReason.TOO_MANY_PROOFS)
    if not all(type(item) is str and item for item in items):
        raise Rejected(malformed)
    return tuple(items)


@dataclass(frozen=True, slots=True)
class NotificationRequest:
    """A Notification Request (§11.1)."""

    notification_id: str
    event: str
    description: str | None


def parse_notification_request(body: object) -> NotificationRequest:
    """Read a Notification Request (§11.1).

    ``notification_id`` a non-empty string; ``event`` one of ``NOTIFICATION_EVENTS``
    (case-sensitive; another string is ``UNKNOWN_NOTIFICATION_EVENT``); ``event_description``
    optional ASCII text without ``"`` and ``\\``, bounded.
    """
    malformed = Oid4vciReason.MALFORMED_NOTIFICATION
    request = require_object(body, malformed)
    notification_id = read_string(request.get("notification_id"), malformed)
    event = request.get("event")
    if type(event) is not str:
        raise Rejected(malformed)
    if event not in NOTIFICATION_EVENTS:
        raise Rejected(Oid4vciReason.UNKNOWN_NOTIFICATION_EVENT)
    description = optional_string(
        request, "event_description", malformed, max_length=MAX_EVENT_DESCRIPTION
    )
    if description is not None and not set(description) <= _DESCRIPTION_CHARACTERS:
        raise Rejected(malformed)
    return NotificationRequest(
        notification_id=notification_id, event=event, description=description
    )


def parse_deferred_request(body: object) -> str:
    """Read a Deferred Credential Request (§9.1) and return its ``transaction_id``.

    ``credential_response_encryption`` is ``ENCRYPTION_UNSUPPORTED``, as in §8.2.
    """
    malformed = Oid4vciReason.MALFORMED_DEFERRED_REQUEST
    request = require_object(body, malformed)
    if _ENCRYPTION_PARAMETER in request:
        raise Rejected(Oid4vciReason.ENCRYPTION_UNSUPPORTED)
    return read_string(request.get("transaction_id"), malformed)
