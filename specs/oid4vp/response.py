"""The Authorization Response: the ``direct_post`` form and the ``vp_token`` (§8.1, §8.2).

With Response Mode ``direct_post`` the Wallet POSTs the response parameters to the
``response_uri`` as ``application/x-www-form-urlencoded``, UTF-8 (§8.2); with
``direct_post.jwt`` the form has one parameter, ``response``, a JWE whose payload holds the
same parameters as a JSON object (§8.3.1, see ``jwe``). Either way the ``vp_token`` is a JSON
object from Credential Query ids to non-empty arrays of presentations (§8.1); in the clear
form it travels as a JSON string, inside the JWE as an object. We accept only string
presentations (``dc+sd-jwt``, Appendix B.3.6).

Which Credential Query ids may appear, and how many presentations each may have (``multiple``,
§6.1), is the DCQL re-check's business; here the token gets its shape and its bounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from specs.errors import Oid4vpReason, Rejected
from specs.jose import dumps_compact, loads_strict
from specs.oid4vp.limits import MAX_IDENTIFIER_LENGTH, MAX_PRESENTATIONS, read_form

VP_TOKEN = "vp_token"  # noqa: S105 - a parameter name, not a secret
STATE = "state"
RESPONSE = "response"


def parse_direct_post_form(body: bytes, *, max_bytes: int) -> dict[str, str]:
    """The parameters of a ``direct_post`` body (§8.2), each once (RFC 6749 §3.1).

    Size comes first (``RESPONSE_TOO_LARGE``); a parameter sent twice is
    ``DUPLICATE_PARAMETER``; anything that is not a well-formed UTF-8 form is
    ``MALFORMED_RESPONSE``. Unknown parameters are kept: §8.1 says to ignore them, so the
    caller reads only the ones it knows.
    """
    return read_form(
        body,
        max_bytes=max_bytes,
        too_large=Oid4vpReason.RESPONSE_TOO_LARGE,
        duplicate=Oid4vpReason.DUPLICATE_PARAMETER,
        malformed=Oid4vpReason.MALFORMED_RESPONSE,
    )


def parse_vp_token(
    value: object, *, max_presentations: int = MAX_PRESENTATIONS
) -> dict[str, list[str]]:
    """Read a ``vp_token`` (§8.1): a JSON object, or its JSON text as the form carries it.

    Absent or empty is ``VP_TOKEN_MISSING``; JSON that is not strict (duplicate members and
    the rest of ``loads_strict``), not an object, a key that is not a non-empty bounded
    string, or a value that is not a non-empty array of non-empty strings is
    ``MALFORMED_VP_TOKEN``; more than ``max_presentations`` presentations in total is
    ``TOO_MANY_PRESENTATIONS`` (counted before any presentation is looked at).
    """
    if value is None or value == "":
        raise Rejected(Oid4vpReason.VP_TOKEN_MISSING)
    if isinstance(value, str):
        try:
            value = loads_strict(value)
        except Rejected:
            raise Rejected(Oid4vpReason.MALFORMED_VP_TOKEN) from None
    if not isinstance(value, Mapping):
        raise Rejected(Oid4vpReason.MALFORMED_VP_TOKEN)
    if not value:
        raise Rejected(Oid4vpReason.VP_TOKEN_MISSING)
    total = sum(len(item) if isinstance(item, list) else 1 for item in value.values())
    if total > max_presentations:
        raise Rejected(Oid4vpReason.TOO_MANY_PRESENTATIONS)
    token: dict[str, list[str]] = {}
    for query_id, presentations in value.items():
        if type(query_id) is not str or not query_id or len(query_id) > MAX_IDENTIFIER_LENGTH:
            raise Rejected(Oid4vpReason.MALFORMED_VP_TOKEN)
        if not isinstance(presentations, list) or not presentations:
            raise Rejected(Oid4vpReason.MALFORMED_VP_TOKEN)
        if not all(type(item) is str and item for item in presentations):
            raise Rejected(Oid4vpReason.MALFORMED_VP_TOKEN)
        token[query_id] = list(presentations)
    return token


def response_payload(vp_token: Mapping[str, Sequence[str]], state: str | None) -> dict[str, Any]:
    """The response parameters as a JSON object (§8.1): the payload of a ``direct_post.jwt``."""
    if not vp_token:
        raise ValueError("a vp_token holds at least one presentation (§8.1)")
    token: dict[str, list[str]] = {}
    for query_id, presentations in vp_token.items():
        if isinstance(presentations, str) or not presentations:
            raise ValueError("each Credential Query id maps to a non-empty array (§8.1)")
        token[query_id] = list(presentations)
    payload: dict[str, Any] = {VP_TOKEN: token}
    if state is not None:
        payload[STATE] = state
    return payload


def direct_post_form(vp_token: Mapping[str, Sequence[str]], state: str | None) -> dict[str, str]:
    """The Wallet's ``direct_post`` form (§8.2): ``vp_token`` as compact JSON text, ``state``.

    The edge form-encodes the pairs (UTF-8, §8.2) and POSTs them to the ``response_uri``.
    """
    payload = response_payload(vp_token, state)
    form = {VP_TOKEN: dumps_compact(payload[VP_TOKEN])}
    if state is not None:
        form[STATE] = state
    return form


def direct_post_jwt_form(response: str) -> dict[str, str]:
    """The Wallet's ``direct_post.jwt`` form (§8.3.1): one ``response`` parameter, the JWE."""
    return {RESPONSE: response}
