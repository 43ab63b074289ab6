"""The one interface every trust backend implements (DESIGN §1 trust/).

A backend returns a ``TrustSnapshot`` (``specs.trust.model``); the decisions themselves are
pure and live in ``specs.trust.decisions``, so the chain backend and the file backend can
never disagree about what an entry means. A backend that cannot produce a snapshot within its
allowed staleness raises ``Rejected`` with a ``TrustReason`` of the TRUST_UNAVAILABLE family:
callers fail closed.
"""

from __future__ import annotations

from typing import Protocol

from specs.trust import TrustSnapshot


class TrustRegistry(Protocol):
    """Where the wallet and the desk learn who may attest what and who may ask for what."""

    def snapshot(self, *, now: int) -> TrustSnapshot:
        """The registry's content, fresh or cached within the allowed staleness.

        Raises ``Rejected(TrustReason.REGISTRY_UNAVAILABLE | REGISTRY_STALE | WRONG_CHAIN |
        WRONG_CODE)`` when it cannot vouch for what it returns.
        """
        ...
