"""Strict base64url (RFC 7515 §2, RFC 4648 §5) without padding.

Python's ``base64.urlsafe_b64decode`` silently drops characters outside the alphabet and
accepts padding and non-canonical trailing bits, so two different strings can decode to the
same bytes. A token string is hashed (``sd_hash``, Disclosure digests), so we accept exactly
one spelling of every byte string: no padding, no whitespace, no ``+``/``/``, and the unused
low bits of the last character must be zero (RFC 4648 §3.5 canonical encoding).
"""

from __future__ import annotations

import binascii

from specs.errors import JoseReason, Rejected

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# 6-bit value of each base64url character; 0xFF for everything else.
_VALUE = bytes(_ALPHABET.index(c) if c in _ALPHABET else 0xFF for c in range(256))
# To the standard alphabet; characters base64url forbids (+ / =) become invalid ones, so
# binascii's strict mode refuses them together with whitespace and other strays.
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")
# For a string of length 4k+2 the last character carries 4 unused bits, for 4k+3 two.
_UNUSED_BITS_MASK = (0, 0, 0b1111, 0b0011)


_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64url_encode(data: bytes) -> str:
    """Encode without padding."""
    encoded = binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE)
    return encoded.rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, reason: JoseReason | None = None) -> bytes:
    """Decode canonical unpadded base64url or raise ``Rejected`` (default ``bad-base64url``).

    ``reason`` lets a caller report the failure under its own reason member.
    """
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise Rejected(reason or JoseReason.BAD_BASE64URL) from None
    remainder = len(raw) % 4
    if remainder == 1 or (remainder and _VALUE[raw[-1]] & _UNUSED_BITS_MASK[remainder]):
        raise Rejected(reason or JoseReason.BAD_BASE64URL)
    try:
        return binascii.a2b_base64(
            raw.translate(_TO_STANDARD) + b"=" * (-remainder % 4), strict_mode=True
        )
    except binascii.Error:
        raise Rejected(reason or JoseReason.BAD_BASE64URL) from None
