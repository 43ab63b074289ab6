"""Field readers shared by the OpenID4VCI parsers: strict types, bounded sizes, one reason each.

Every reader takes the reason to raise, so each message keeps its own reason (a bad offer is
``malformed-credential-offer``, a bad notification ``malformed-notification``) while the rules
stay in one place. Booleans are never integers here (``True`` is not a ``length``), and no
reader puts the offending value into the error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from specs.errors import Oid4vciReason, Rejected

MAX_IDENTIFIER_LENGTH = 512
"""Bound on ids, codes, nonces and other opaque strings the protocol carries."""
MAX_URL_LENGTH = 2048
MAX_ARRAY_ITEMS = 256
"""Bound on the arrays a peer sends us (configuration ids, servers, credentials)."""

_HTTPS_ONLY = frozenset({"https"})
_HTTPS_OR_HTTP = frozenset({"https", "http"})


def require_object(value: object, reason: Oid4vciReason) -> Mapping[str, Any]:
    """A JSON object, or ``reason``."""
    if not isinstance(value, Mapping):
        raise Rejected(reason)
    return value


def read_string(
    value: object, reason: Oid4vciReason, *, max_length: int = MAX_IDENTIFIER_LENGTH
) -> str:
    """A non-empty string of at most ``max_length`` characters, or ``reason``."""
    if type(value) is not str or not value or len(value) > max_length:
        raise Rejected(reason)
    return value


def optional_string(
    obj: Mapping[str, Any],
    name: str,
    reason: Oid4vciReason,
    *,
    max_length: int = MAX_IDENTIFIER_LENGTH,
) -> str | None:
    """Member ``name`` as a non-empty bounded string, ``None`` when absent."""
    if name not in obj:
        return None
    return read_string(obj[name], reason, max_length=max_length)


def read_positive_int(value: object, reason: Oid4vciReason, *, maximum: int) -> int:
    """An integer in ``1..maximum`` (a boolean is not an integer), or ``reason``."""
    if type(value) is not int or not 1 <= value <= maximum:
        raise Rejected(reason)
    return value


def read_positive_seconds(value: object, reason: Oid4vciReason, *, maximum: int) -> int:
    """A positive JSON number of seconds, rounded up to whole seconds, or ``reason``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected(reason)
    if not math.isfinite(value) or not 0 < value <= maximum:
        raise Rejected(reason)
    return math.ceil(value)


def read_string_array(
    value: object, reason: Oid4vciReason, *, max_items: int = MAX_ARRAY_ITEMS
) -> tuple[str, ...]:
    """A non-empty array of unique non-empty bounded strings, or ``reason``."""
    if not isinstance(value, list) or not value or len(value) > max_items:
        raise Rejected(reason)
    items = tuple(read_string(item, reason) for item in value)
    if len(set(items)) != len(items):
        raise Rejected(reason)
    return items


def read_url(
    value: object, reason: Oid4vciReason, *, allow_http: bool, identifier: bool = False
) -> str:
    """An absolute ``https`` URL with a host, or ``reason``.

    §12.2.1: a Credential Issuer Identifier has scheme, host, optional port and path, and no
    query or fragment (``identifier=True``); §12.2.4: endpoints MUST use ``https`` and MAY have
    a query. No URL may carry userinfo or a fragment, whitespace or non-ASCII characters.
    ``allow_http`` admits plain ``http`` for the development profile only (DESIGN §4).
    """
    if type(value) is not str or not value or len(value) > MAX_URL_LENGTH:
        raise Rejected(reason)
    if not value.isascii() or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in value):
        raise Rejected(reason)
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise Rejected(reason) from None
    schemes = _HTTPS_OR_HTTP if allow_http else _HTTPS_ONLY
    if parts.scheme not in schemes or not parts.hostname or "@" in parts.netloc:
        raise Rejected(reason)
    if "#" in value or (identifier and "?" in value):
        raise Rejected(reason)
    return value
