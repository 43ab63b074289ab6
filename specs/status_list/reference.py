"""The ``status`` claim of a Referenced Token (draft-ietf-oauth-status-list §6.1, §6.2).

A Referenced Token points at its entry with::

    "status": {"status_list": {"idx": 0, "uri": "https://example.com/statuslists/1"}}

§8.3 step 1 makes checking this shape the first step of status validation. ``status`` may
hold other mechanisms besides ``status_list`` (§6.1); this parser is for the Status List
mechanism only, so a ``status`` without ``status_list`` is ``BAD_REFERENCE`` here.

The URI policy (our choice, §6.2 only asks for an RFC 3986 URI): the ``uri`` must be an
absolute URI (RFC 3986 §4.3, so no fragment) with a host, without userinfo, written only
in RFC 3986 characters, at most ``MAX_URI_LENGTH`` long, with scheme ``https``. Plain
``http`` is accepted only when the caller passes ``allow_http=True`` (local development and
tests): the fetcher at the edge must not be the only place that refuses it, and the default
is the strict one (STYLE §3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from specs.errors import Rejected, StatusListReason
from specs.status_list.encoding import parse_status_index

MAX_URI_LENGTH = 2048
"""A bound on the URI a Referenced Token may make us fetch (STYLE §8)."""

# RFC 3986 §2: unreserved, reserved (without "#": no fragment), and well-formed pct-encoding.
_URI_TEXT = re.compile(r"(?:[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
_HTTPS_ONLY = frozenset({"https"})
_HTTPS_OR_HTTP = frozenset({"https", "http"})


@dataclass(frozen=True, slots=True)
class StatusReference:
    """Where the status of one Referenced Token lives: entry ``idx`` of the list at ``uri``."""

    idx: int
    uri: str


def check_status_list_uri(uri: object, *, allow_http: bool = False) -> str:
    """Return ``uri`` if it meets the policy in the module docstring, else ``BAD_REFERENCE``."""
    if not isinstance(uri, str) or len(uri) > MAX_URI_LENGTH or not _URI_TEXT.fullmatch(uri):
        raise Rejected(StatusListReason.BAD_REFERENCE)
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise Rejected(StatusListReason.BAD_REFERENCE) from None
    schemes = _HTTPS_OR_HTTP if allow_http else _HTTPS_ONLY
    if parts.scheme not in schemes or not parts.hostname or parts.username is not None:
        raise Rejected(StatusListReason.BAD_REFERENCE)
    return uri


def parse_status_reference(status_claim: object, *, allow_http: bool = False) -> StatusReference:
    """Parse the value of a Referenced Token's ``status`` claim (§6.2, §8.3 step 1).

    Wrong shapes (not an object, no ``status_list`` object, a missing ``idx`` or ``uri``, a
    ``uri`` that is not an acceptable URI) are ``BAD_REFERENCE``; an ``idx`` that is present
    but not a non-negative integer is ``BAD_INDEX``. Whether ``idx`` is inside the list can
    only be known once the list is fetched (``INDEX_OUT_OF_RANGE`` then).
    """
    if not isinstance(status_claim, Mapping):
        raise Rejected(StatusListReason.BAD_REFERENCE)
    reference = status_claim.get("status_list")
    if not isinstance(reference, Mapping) or "idx" not in reference:
        raise Rejected(StatusListReason.BAD_REFERENCE)
    idx = parse_status_index(reference["idx"])
    uri = check_status_list_uri(reference.get("uri"), allow_http=allow_http)
    return StatusReference(idx=idx, uri=uri)
