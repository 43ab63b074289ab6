"""Proof Key for Code Exchange, RFC 7636, with ``S256`` only (HAIP 1.0 §4; RFC 9700 §2.1.1).

The client makes a random ``code_verifier`` (§4.1: 43 to 128 characters of
``[A-Za-z0-9-._~]``), sends ``code_challenge = BASE64URL(SHA256(ASCII(code_verifier)))``
(§4.2) with the authorization request and the verifier with the token request; the server
recomputes and compares (§4.6). ``plain`` gives no protection against an attacker who sees the
authorization request, so it is refused, as is a request that names no method (§4.3 would then
mean ``plain``).
"""

from __future__ import annotations

import hashlib
import re

from specs.errors import OAuthReason, Rejected
from specs.jose import b64url_encode, constant_time_equals

S256 = "S256"
METHODS_SUPPORTED = (S256,)
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # a SHA-256 digest: 32 bytes, unpadded base64url


def code_challenge(verifier: str) -> str:
    """The ``S256`` challenge of ``verifier`` (§4.2); the verifier must be well formed."""
    return b64url_encode(hashlib.sha256(check_code_verifier(verifier).encode("ascii")).digest())


def check_code_verifier(verifier: str) -> str:
    """§4.1: 43 to 128 unreserved characters, else ``PKCE_VERIFIER_MALFORMED``."""
    if type(verifier) is not str or not _VERIFIER.fullmatch(verifier):
        raise Rejected(OAuthReason.PKCE_VERIFIER_MALFORMED)
    return verifier


def check_code_challenge(challenge: str | None, method: str | None) -> str:
    """An authorization request's challenge: present (``PKCE_CHALLENGE_MISSING``), with the
    method ``S256`` named (``PKCE_METHOD_UNSUPPORTED``), shaped as a SHA-256 digest in
    base64url (``PKCE_CHALLENGE_MALFORMED``)."""
    if challenge is None:
        raise Rejected(OAuthReason.PKCE_CHALLENGE_MISSING)
    if method != S256:
        raise Rejected(OAuthReason.PKCE_METHOD_UNSUPPORTED)
    if not _CHALLENGE.fullmatch(challenge):
        raise Rejected(OAuthReason.PKCE_CHALLENGE_MALFORMED)
    return challenge


def verify_code_verifier(verifier: str, *, challenge: str) -> None:
    """§4.6: the verifier hashes to the challenge stored with the code (``PKCE_MISMATCH``)."""
    if not constant_time_equals(code_challenge(verifier), challenge):
        raise Rejected(OAuthReason.PKCE_MISMATCH)
