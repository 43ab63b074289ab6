"""Bounds for everything a peer sends in OpenID4VP, and the bounded readers shared by parsers.

Every input is capped before it is parsed (DESIGN §4): request objects, links, form bodies,
JWEs, the number of presentations and of transaction data items. The numbers are generous for
our use (a few SD-JWT VC presentations of a handful of claims each) and small enough that an
oversized input costs nothing.

``read_form`` reads an ``application/x-www-form-urlencoded`` body (the Authorization Response
of §8.2, the Request URI POST of §5.10): size first, ASCII only (the serialization
percent-encodes every other byte), percent-escapes that decode to UTF-8 (§8.2: "MUST all be
encoded using UTF-8"), at most ``max_fields`` parameters, none of them twice (RFC 6749 §3.1:
"Request and response parameters MUST NOT be included more than once").
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from specs.errors import Oid4vpReason, Rejected

MAX_REQUEST_OBJECT_BYTES = 64 * 1024
"""A request object holds a DCQL query, client metadata and at most a short x5c chain."""
MAX_LINK_BYTES = 4096
"""An authorization request link carries only ``client_id`` and ``request_uri`` (§5.10)."""
MAX_REQUEST_URI_POST_BYTES = 16 * 1024
"""The Request URI POST body: ``wallet_metadata`` and ``wallet_nonce`` (§5.10)."""
MAX_RESPONSE_BYTES = 256 * 1024
"""An Authorization Response (form body or JWE): a few presentations with their Disclosures."""
MAX_PRESENTATIONS = 16
"""Presentations in one ``vp_token``, over all Credential Queries (§8.1)."""
MAX_FORM_FIELDS = 16
MAX_TRANSACTION_DATA_ITEMS = 16
MAX_TRANSACTION_DATA_CHARS = 8 * 1024
MAX_IDENTIFIER_LENGTH = 512
"""Bound on nonces, ``state``, ``wallet_nonce``, query ids and other opaque strings."""
MAX_URL_LENGTH = 2048
MAX_X5C_CERTIFICATES = 5
MAX_CERTIFICATE_BYTES = 16 * 1024

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def read_form(
    body: object,
    *,
    max_bytes: int,
    too_large: Oid4vpReason,
    duplicate: Oid4vpReason,
    malformed: Oid4vpReason,
    max_fields: int = MAX_FORM_FIELDS,
) -> dict[str, str]:
    """The parameters of a form body, each once; each failure raises the caller's reason."""
    if not isinstance(body, bytes | bytearray):
        raise Rejected(malformed)
    if len(body) > max_bytes:
        raise Rejected(too_large)
    try:
        text = bytes(body).decode("ascii")
    except UnicodeDecodeError:
        raise Rejected(malformed) from None
    if _BAD_PERCENT.search(text):
        raise Rejected(malformed)
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=max_fields,
        )
    except ValueError:  # includes UnicodeDecodeError and too many fields
        raise Rejected(malformed) from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if not name:
            raise Rejected(malformed)
        if name in form:
            raise Rejected(duplicate)
        form[name] = value
    return form


def read_url(value: object, reason: Oid4vpReason, *, allow_http: bool) -> str:
    """An absolute ``https`` URL with a host, bounded, without userinfo or fragment.

    ``allow_http`` admits plain ``http`` for the development profile only (DESIGN §4).
    """
    if type(value) is not str or not value or len(value) > MAX_URL_LENGTH:
        raise Rejected(reason)
    if not value.isascii() or _CONTROL.search(value):
        raise Rejected(reason)
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise Rejected(reason) from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or "@" in parts.netloc:
        raise Rejected(reason)
    if parts.fragment or "#" in value:
        raise Rejected(reason)
    return value
