"""Claims paths: how a holder names the claims to disclose (OpenID4VP 1.0 §7, DCQL).

A path is a list of elements: a string selects an object member, a non-negative integer an
array element, ``None`` every element of an array. The command line also accepts a dotted
form (``address.locality``, ``nationalities.0``); a name containing a dot needs the JSON
form (``["address","locality"]``), so no name is ever split by accident (THREATS P-28).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specs.errors import Rejected, SdJwtReason
from specs.jose import loads_strict

PathElement = str | int | None
ClaimPath = tuple[PathElement, ...]
MAX_PATH_LENGTH = 32


def claim_path(elements: Sequence[Any]) -> ClaimPath:
    """Validate a claims path given as a JSON array (OpenID4VP §7.1)."""
    if isinstance(elements, str) or not elements or len(elements) > MAX_PATH_LENGTH:
        raise Rejected(SdJwtReason.BAD_CLAIM_PATH)
    for element in elements:
        valid = (
            element is None or isinstance(element, str) or (type(element) is int and element >= 0)
        )
        if not valid:
            raise Rejected(SdJwtReason.BAD_CLAIM_PATH)
    return tuple(elements)


def parse_claim_path(text: str) -> ClaimPath:
    """Parse ``["a","b",0]`` (JSON) or ``a.b.0`` (dotted; all-digit segments are indices)."""
    if text.startswith("["):
        try:
            elements = loads_strict(text)
        except Rejected:
            raise Rejected(SdJwtReason.BAD_CLAIM_PATH) from None
        if not isinstance(elements, list):
            raise Rejected(SdJwtReason.BAD_CLAIM_PATH)
        return claim_path(elements)
    segments = text.split(".")
    if any(not segment for segment in segments):
        raise Rejected(SdJwtReason.BAD_CLAIM_PATH)
    return claim_path([int(s) if s.isdecimal() and s.isascii() else s for s in segments])


def overlaps(requested: ClaimPath, revealed: Sequence[str | int]) -> bool:
    """True when one path is a prefix of the other: a parent or a part of the request.

    ``None`` matches any array index; otherwise elements match exactly, and a ``bool`` never
    equals an ``int`` (``True == 1`` in Python). A plain loop: this runs for every
    Disclosure and every requested path on each presentation.
    """
    for wanted, actual in zip(requested, revealed, strict=False):
        if wanted is None:
            if type(actual) is not int:
                return False
        elif wanted != actual or type(wanted) is not type(actual):
            return False
    return True


def select_values(claims: Any, path: ClaimPath) -> list[Any]:
    """The values a path points to; empty when it points nowhere (OpenID4VP §7.2)."""
    current = [claims]
    for element in path:
        following: list[Any] = []
        for node in current:
            if isinstance(element, str) and isinstance(node, dict) and element in node:
                following.append(node[element])
            elif element is None and isinstance(node, list):
                following.extend(node)
            elif type(element) is int and isinstance(node, list) and element < len(node):
                following.append(node[element])
        current = following
    return current
