"""Form parameters as OAuth reads them (RFC 6749 §3.1, §3.2): each at most once, empty = absent.

The edge decodes an ``application/x-www-form-urlencoded`` body (or a query string) into
name/value pairs under its size limit; this turns the pairs into a mapping by the rules every
OAuth endpoint shares, so no endpoint re-implements them:

* a parameter sent twice is ``DUPLICATE_PARAMETER`` ("Request and response parameters MUST NOT
  be included more than once", §3.1 and §3.2);
* a parameter sent without a value is treated as omitted (§3.1);
* more than ``MAX_PARAMETERS`` pairs, a value longer than ``MAX_VALUE_CHARS``, or anything that
  is not a pair of strings is ``MALFORMED_REQUEST`` (our bounds, DESIGN §4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from specs.errors import OAuthReason, Rejected

MAX_PARAMETERS = 32
MAX_VALUE_CHARS = 2048
"""The longest single value: a redirect URI is the longest thing a wallet sends us."""


def read_form(pairs: Sequence[tuple[str, str]]) -> Mapping[str, str]:
    """The non-empty parameters of a form, by name (the module docstring)."""
    if not isinstance(pairs, Sequence) or isinstance(pairs, str | bytes):
        raise Rejected(OAuthReason.MALFORMED_REQUEST)
    if len(pairs) > MAX_PARAMETERS:
        raise Rejected(OAuthReason.MALFORMED_REQUEST)
    values: dict[str, str] = {}
    seen: set[str] = set()
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2 or not all(type(p) is str for p in pair):
            raise Rejected(OAuthReason.MALFORMED_REQUEST)
        name, value = pair
        if name in seen:
            raise Rejected(OAuthReason.DUPLICATE_PARAMETER)
        seen.add(name)
        if len(value) > MAX_VALUE_CHARS:
            raise Rejected(OAuthReason.MALFORMED_REQUEST)
        if value:
            values[name] = value
    return values


def required(form: Mapping[str, str], name: str) -> str:
    """A parameter the request cannot do without: ``MISSING_PARAMETER`` when absent."""
    value = form.get(name)
    if value is None:
        raise Rejected(OAuthReason.MISSING_PARAMETER)
    return value


def visible_ascii(value: str, *, max_chars: int) -> bool:
    """RFC 6749 Appendix A VSCHAR (%x20-7E) text of 1 to ``max_chars`` characters: what
    ``client_id``, ``state`` and ``code`` may be made of."""
    return 0 < len(value) <= max_chars and all(" " <= char <= "~" for char in value)
