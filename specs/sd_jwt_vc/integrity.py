"""Integrity of documents a credential refers to (SD-JWT VC editor's copy §6, W3C SRI).

``vct#integrity``, ``extends#integrity`` and ``uri#integrity`` carry Subresource Integrity
metadata: space-separated ``<alg>-<base64 digest>`` expressions. The consumer hashes the
exact octets it fetched with the strongest supported algorithm present; any matching digest
of that algorithm passes (SRI §3.3.4, §3.3.5).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any

from specs.errors import Rejected, TypeMetadataReason

MAX_INTEGRITY_CHARS = 1024
# W3C SRI §3.5 hash-with-options; the value grammar is CSP's base64-value (both alphabets).
_ASCII_WHITESPACE = re.compile(r"[ \t\n\f\r]+")
_SRI_EXPRESSION = re.compile(r"([A-Za-z0-9]+)-([A-Za-z0-9+/_-]+={0,2})(?:\?[\x21-\x7e]*)?")
# Supported SRI algorithms, weakest first (SRI §3.2: sha256, sha384, sha512).
_SRI_ALGORITHMS: dict[str, Callable[[bytes], Any]] = {
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def parse_integrity(value: object) -> list[tuple[str, bytes]]:
    """SRI §3.5 integrity metadata -> the (algorithm, digest) pairs we support.

    For a supported algorithm the value must be the canonical padded standard base64 of a
    digest of the right length; the CSP grammar also admits base64url and missing padding,
    which we refuse so that one digest has one spelling.
    """
    if not isinstance(value, str) or not value.isascii() or len(value) > MAX_INTEGRITY_CHARS:
        raise Rejected(TypeMetadataReason.INTEGRITY_MALFORMED)
    expressions = _ASCII_WHITESPACE.split(value.strip(" \t\n\f\r"))
    if expressions == [""]:
        raise Rejected(TypeMetadataReason.INTEGRITY_MALFORMED)
    supported: list[tuple[str, bytes]] = []
    for expression in expressions:
        match = _SRI_EXPRESSION.fullmatch(expression)
        if match is None:
            raise Rejected(TypeMetadataReason.INTEGRITY_MALFORMED)
        algorithm, encoded = match.groups()
        if algorithm not in _SRI_ALGORITHMS:
            continue  # SRI §3.3.3: unknown algorithms are skipped
        try:
            digest = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise Rejected(TypeMetadataReason.INTEGRITY_MALFORMED) from None
        size = _SRI_ALGORITHMS[algorithm](b"").digest_size
        if len(digest) != size or base64.b64encode(digest).decode("ascii") != encoded:
            raise Rejected(TypeMetadataReason.INTEGRITY_MALFORMED)
        supported.append((algorithm, digest))
    return supported


def check_integrity(integrity: str, data: bytes) -> None:
    """§6: hash the octets with the strongest supported algorithm present; any match passes.

    Only algorithms we do not support is a rejection, not a pass (§6: "if the Consumer
    supports none of the hash algorithms ... MUST be rejected").
    """
    supported = parse_integrity(integrity)
    if not supported:
        raise Rejected(TypeMetadataReason.INTEGRITY_UNSUPPORTED_ALG)
    order = list(_SRI_ALGORITHMS)
    strongest = max((algorithm for algorithm, _ in supported), key=order.index)
    actual = _SRI_ALGORITHMS[strongest](data).digest()
    candidates = [digest for algorithm, digest in supported if algorithm == strongest]
    if not any(hmac.compare_digest(actual, expected) for expected in candidates):
        raise Rejected(TypeMetadataReason.INTEGRITY_MISMATCH)
