"""Bounds on every SD-JWT input, checked before the work they bound (DESIGN §4, P-19..P-21)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SdJwtLimits:
    """Caps for one SD-JWT or presentation. The defaults fit real credentials with room.

    A PID with 40 claims, decoys and a KB-JWT is about 8 kB; the caps are an order of
    magnitude above what any issuer we know produces and far below what hurts a server.
    """

    max_token_chars: int = 256 * 1024
    """Whole serialization, checked before any base64 or JSON decoding."""
    max_disclosures: int = 1_000
    """Disclosures in one token."""
    max_digests: int = 10_000
    """Digests seen in the whole payload, decoys and nested ones included."""
    max_depth: int = 32
    """Nesting of objects and arrays in the processed payload, through Disclosures."""


DEFAULT_LIMITS = SdJwtLimits()
