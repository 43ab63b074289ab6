"""Strict base64url (RFC 7515 §2, RFC 4648 §5) without padding.

Python's ``base64.urlsafe_b64decode`` silently drops characters outside the alphabet and
accepts padding and non-canonical trailing bits, so two different strings can decode to the
same bytes. A token string is hashed (``sd_hash``, Disclosure digests), so we accept exactly
one spelling of every byte string: no padding, no whitespace, no ``+``/``/``, and the unused
low bits of the last character must be zero (RFC 4648 §3.5 canonical encoding).
"""

from __future__ import annotations

import base64
import binascii
import re

from specs.errors import JoseReason, Rejected

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# For a string of length 4k+2 the last character carries 4 unused bits, for 4k+3 two.
_UNUSED_BITS_MASK = {2: 0b1111, 3: 0b0011}


def b64url_encode(data: bytes) -> str:
    """Encode without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, reason: JoseReason | None = None) -> bytes:
    """Decode canonical unpadded base64url or raise ``Rejected`` (default ``bad-base64url``).

    ``reason`` lets a caller report the failure under its own reason member.
    """
    failure = reason or JoseReason.BAD_BASE64URL
    if not _BASE64URL.fullmatch(text):
        raise Rejected(failure)
    remainder = len(text) % 4
    if remainder == 1:
        raise Rejected(failure)
    if remainder and _INDEX[text[-1]] & _UNUSED_BITS_MASK[remainder]:
        raise Rejected(failure)
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:  # unreachable after the checks above; kept as a guard
        raise Rejected(failure) from exc
