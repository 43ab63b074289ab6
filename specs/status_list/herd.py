"""Herd privacy of a status list: signs that it could tell its issuer who is being checked.

A Status List Token is meant to be fetched by many verifiers for many holders at once, so
that a fetch says nothing about whose credential is checked (Token Status List §13.2,
"herd privacy"). Two things defeat that from the issuer's side, and a verifier can see
both in what it already holds:

* a ``uri`` with a query string or a fragment: one list per holder (or per credential)
  dressed up as a shared one, so each fetch names its holder;
* a list with few entries: few holders share it, so a fetch narrows down to them.

Neither makes the status wrong, so neither refuses the credential; the verifier flags them
(``verifier.pipeline``) so an operator can take it up with the issuer. The bound for "few"
is ours: a list shorter than ``MIN_HERD_ENTRIES`` entries.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

MIN_HERD_ENTRIES = 1024


class HerdConcern(StrEnum):
    QUERY_IN_URI = "query-in-uri"
    SMALL_LIST = "small-list"


def uri_concerns(uri: str) -> tuple[HerdConcern, ...]:
    """What in a credential's status ``uri`` could single out its holder (before fetching)."""
    parts = urlsplit(uri)
    if parts.query or parts.fragment or uri.endswith(("?", "#")):
        return (HerdConcern.QUERY_IN_URI,)
    return ()


def size_concerns(entries: int) -> tuple[HerdConcern, ...]:
    """Whether a verified list of ``entries`` entries is too small to hide in."""
    return (HerdConcern.SMALL_LIST,) if entries < MIN_HERD_ENTRIES else ()
