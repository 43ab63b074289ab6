"""Credential Responses (OpenID4VCI 1.0 §8.3) and Deferred Credential Responses (§9.2).

A response either carries the credentials (HTTP 200) or defers them with a ``transaction_id``
and an ``interval`` (HTTP 202); never both (§8.3). The issuer builds them; the wallet parses
them. We issue and accept only string-encoded credentials (``dc+sd-jwt``, Appendix A.3.4: the
SD-JWT VC as a string); an object-valued ``credential`` (``ldp_vc``) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.errors import Oid4vciReason, Rejected
from specs.oid4vci.fields import (
    MAX_ARRAY_ITEMS,
    optional_string,
    read_positive_seconds,
    read_string,
    require_object,
)

MAX_INTERVAL_SECONDS = 366 * 86_400
MAX_CREDENTIAL_LENGTH = 1024 * 1024
"""Bound on one credential string; the edge bounds the body before it is parsed."""
_R = Oid4vciReason.MALFORMED_CREDENTIAL_RESPONSE


def build_credential_response(
    credentials: Sequence[str], *, notification_id: str | None
) -> dict[str, Any]:
    """``{"credentials": [{"credential": ...}, ...]}`` and the ``notification_id`` (§8.3)."""
    if isinstance(credentials, str) or not credentials:
        raise ValueError("credentials: a non-empty sequence of credential strings (§8.3)")
    body: dict[str, Any] = {"credentials": [{"credential": item} for item in credentials]}
    if notification_id is not None:
        body["notification_id"] = notification_id
    return body


def build_deferred_response(*, transaction_id: str, interval: int) -> dict[str, Any]:
    """A deferral (§8.3, §9.2): wait at least ``interval`` seconds, then ask again."""
    if not transaction_id:
        raise ValueError("transaction_id must be a non-empty string")
    if type(interval) is not int or interval < 1:
        raise ValueError("interval must be a positive number of seconds (§8.3)")
    return {"transaction_id": transaction_id, "interval": interval}


@dataclass(frozen=True, slots=True)
class CredentialResponse:
    """Either ``credentials`` (then maybe a ``notification_id``) or a deferral."""

    credentials: tuple[str, ...]
    notification_id: str | None
    transaction_id: str | None
    interval: int | None


def parse_credential_response(body: object) -> CredentialResponse:
    """Read a (Deferred) Credential Response as the wallet receives it (§8.3, §9.2).

    Exactly one of ``credentials`` and ``transaction_id``. ``credentials`` is a non-empty
    array of objects, each with a ``credential`` string; ``notification_id`` goes only with
    it. ``transaction_id`` needs a positive ``interval`` (seconds, rounded up) and excludes
    ``notification_id``. Unknown members are ignored (§8.3).
    """
    response = require_object(body, _R)
    if ("credentials" in response) == ("transaction_id" in response):
        raise Rejected(_R)
    if "transaction_id" in response:
        return _deferral(response)
    if "interval" in response:
        raise Rejected(_R)
    items = response["credentials"]
    if not isinstance(items, list) or not items or len(items) > MAX_ARRAY_ITEMS:
        raise Rejected(_R)
    credentials = tuple(
        read_string(
            require_object(item, _R).get("credential"), _R, max_length=MAX_CREDENTIAL_LENGTH
        )
        for item in items
    )
    return CredentialResponse(
        credentials=credentials,
        notification_id=optional_string(response, "notification_id", _R),
        transaction_id=None,
        interval=None,
    )


def _deferral(response: Mapping[str, Any]) -> CredentialResponse:
    if "notification_id" in response or "interval" not in response:
        raise Rejected(_R)
    return CredentialResponse(
        credentials=(),
        notification_id=None,
        transaction_id=read_string(response["transaction_id"], _R),
        interval=read_positive_seconds(response["interval"], _R, maximum=MAX_INTERVAL_SECONDS),
    )
