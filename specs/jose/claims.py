"""JWT time claims (RFC 7519 §4.1.4 ``exp``, §4.1.5 ``nbf``, §4.1.6 ``iat``).

A NumericDate is a JSON number of seconds. PyJWT accepts numeric strings here; we do not:
a string, a boolean, a negative number or a non-finite value is ``bad-time-claim``.
``exp`` is exclusive: a token whose ``exp`` equals ``now`` has expired ("on or after").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specs.errors import JoseReason, Rejected


def numeric_date(payload: Mapping[str, Any], name: str) -> float | None:
    """The claim as a number, ``None`` when absent, ``bad-time-claim`` when not a NumericDate."""
    if name not in payload:
        return None
    value = payload[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Rejected(JoseReason.BAD_TIME_CLAIM)
    return value


def check_time_claims(
    payload: Mapping[str, Any],
    *,
    now: int,
    leeway: int,
) -> None:
    """Apply ``exp``/``nbf``/``iat`` (each when present) with a symmetric leeway."""
    exp = numeric_date(payload, "exp")
    if exp is not None and now >= exp + leeway:
        raise Rejected(JoseReason.EXPIRED)
    nbf = numeric_date(payload, "nbf")
    if nbf is not None and now + leeway < nbf:
        raise Rejected(JoseReason.NOT_YET_VALID)
    iat = numeric_date(payload, "iat")
    if iat is not None and iat > now + leeway:
        raise Rejected(JoseReason.ISSUED_IN_FUTURE)
