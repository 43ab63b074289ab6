"""DPoP proof JWTs: build one for a request, verify one that came with a request (RFC 9449).

A DPoP proof shows that the sender of an HTTP request holds the private key an access token
is bound to (§4). It is a JWT signed with that key, carrying the public key in its ``jwk``
header (§4.2) and naming the one request it was made for. ``verify_dpop_proof`` applies the
checks of §4.3 in this order, each failure with its own ``DpopReason``:

* a string of at most ``MAX_PROOF_BYTES`` characters, checked before anything is decoded
  (``PROOF_TOO_LARGE``), then a compact JWS of strict base64url and strict JSON objects
  (point 2; ``MALFORMED_PROOF``);
* ``typ`` is exactly ``dpop+jwt`` (point 4; RFC 8725 §3.11): ``TYP_MISMATCH``;
* ``alg`` is on our allowlist, which is ``ES256`` only: ``none`` and MACs are refused
  (point 5): ``ALG_NOT_ALLOWED``;
* the ``jwk`` header is present (``JWK_MISSING``), holds no private key (point 7;
  ``JWK_PRIVATE``), and is a valid key for ``alg`` (``JWK_INVALID``); a ``crit`` header we
  cannot understand (RFC 7515 §4.1.11) is ``MALFORMED_PROOF``;
* the signature verifies with that key (point 6): ``BAD_SIGNATURE``;
* ``jti``, ``htm``, ``htu`` and ``iat`` are all present (point 3; §4.2): ``CLAIM_MISSING``;
  of the right type (``BAD_CLAIM``); ``jti`` a string of 1 to ``MAX_JTI_CHARS`` characters
  (``BAD_JTI``);
* ``htm`` equals the request's method, case-sensitively as RFC 9110 §9.1 defines methods
  (point 8): ``HTM_MISMATCH``;
* ``htu`` equals the request's URI, ignoring query and fragment (point 9), after the
  syntax- and scheme-based normalisation of RFC 3986 §6.2.2 and §6.2.3 that point 9 asks for
  (``normalize_htu``): ``HTU_MISMATCH``;
* ``nonce``, when the server gave one, is present (``NONCE_MISSING``) and equal
  (``NONCE_MISMATCH``) (point 10, §8, §9);
* ``iat`` lies in ``[now - max_age, now + max_skew]`` (point 11, §11.1): ``IAT_TOO_OLD``,
  ``IAT_IN_FUTURE``;
* ``ath``, when the proof accompanies an access token, is present (``ATH_MISSING``) and equals
  the token's hash (point 12, §4.2): ``ATH_MISMATCH``.

``ath`` and ``nonce`` that arrive without being asked for must still be non-empty strings
(``BAD_CLAIM``). What this module cannot check is the caller's job, and it is not optional:

* **replay** (§11.1): a ``jti`` seen before within the ``iat`` window must be refused; keep
  each ``jti`` (with the key's thumbprint) for at least ``max_age + max_skew`` seconds;
* **key binding** (point 12, §6, §7.1): an access token's ``cnf.jkt`` must equal the
  ``thumbprint`` of the verified proof;
* **nonce freshness** (§8, §9): whether the nonce is one the server issued and still valid.

Randomness is a parameter (DESIGN §1): ``new_jti`` takes the caller's CSPRNG.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from specs.dpop.htu import normalize_htu
from specs.errors import DpopReason, JoseReason, Rejected
from specs.jose import (
    JwsAlg,
    JwsSigner,
    PublicJwk,
    UnverifiedJws,
    b64url_encode,
    check_header,
    constant_time_equals,
    numeric_date,
    parse_compact_jws,
    parse_public_jwk,
    sign_compact_jws,
    verify_signature,
)

DPOP_TYP = "dpop+jwt"
ALLOWED_ALGS = frozenset({JwsAlg.ES256})
"""ES256, the DESIGN §4 baseline and HAIP's; §4.3 point 5 leaves the choice to the server."""
MAX_PROOF_BYTES = 8 * 1024
"""A proof is an ASCII compact JWS with one public key and six short claims: 8 KiB is ample."""
MAX_JTI_CHARS = 128
"""§4.2 asks for at least 96 random bits; the cap bounds what the replay store must keep."""
JTI_RANDOM_BYTES = 16
_R = DpopReason
_REQUIRED_CLAIMS = ("jti", "htm", "htu", "iat")
# RFC 9110 §5.6.2 token: what an HTTP method may be spelled with.
_METHOD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 3986 §2: the characters a URI may contain at all (Appendix A), nothing else.


@dataclass(frozen=True, slots=True)
class VerifiedDpopProof:
    """A proof whose signature and claims passed §4.3; replay and key binding remain (above)."""

    public_key: PublicJwk
    thumbprint: str
    """RFC 7638 SHA-256 thumbprint of ``public_key``: compare it with the token's ``cnf.jkt``."""
    jti: str
    iat: int


def new_jti(random_bytes: Callable[[int], bytes]) -> str:
    """A ``jti`` of 128 bits from the caller's CSPRNG, base64url (§4.2 asks for at least 96)."""
    return b64url_encode(random_bytes(JTI_RANDOM_BYTES))


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url of the SHA-256 of the token's ASCII bytes (§4.2)."""
    if not access_token or not access_token.isascii():
        raise ValueError("an access token is a non-empty ASCII string (RFC 6750 §2.1)")
    return b64url_encode(hashlib.sha256(access_token.encode("ascii")).digest())


def build_dpop_proof(
    *,
    key: JwsSigner,
    method: str,
    url: str,
    now: int,
    jti: str,
    access_token: str | None = None,
    nonce: str | None = None,
) -> str:
    """A DPoP proof (§4.2) for one request: ``method`` to ``url`` at ``now``.

    ``htu`` is ``url`` without its query and fragment; ``ath`` is added when the proof goes
    with an access token, ``nonce`` when the server asked for one (§8, §9). ``jti`` comes from
    ``new_jti`` (or the caller's own 96+ random bits) and must never be reused.
    """
    if not _METHOD.fullmatch(method):
        raise ValueError("an HTTP method is an RFC 9110 token")
    if normalize_htu(url) is None:
        raise ValueError("htu must be an absolute http(s) URI")
    if not 0 < len(jti) <= MAX_JTI_CHARS:
        raise ValueError(f"a jti has 1 to {MAX_JTI_CHARS} characters")
    if nonce == "":
        raise ValueError("a nonce is not empty")
    payload: dict[str, Any] = {
        "jti": jti,
        "htm": method,
        "htu": url.split("#", 1)[0].split("?", 1)[0],
        "iat": now,
    }
    if access_token is not None:
        payload["ath"] = access_token_hash(access_token)
    if nonce is not None:
        payload["nonce"] = nonce
    return sign_compact_jws(
        payload, key=key, typ=DPOP_TYP, extra_header={"jwk": key.public.to_jwk()}
    )


def verify_dpop_proof(
    proof: str,
    *,
    method: str,
    url: str,
    now: int,
    max_age: int = 60,
    max_skew: int = 5,
    access_token: str | None = None,
    nonce: str | None = None,
) -> VerifiedDpopProof:
    """Verify a proof for the request ``method`` ``url`` (§4.3; the module docstring).

    ``access_token`` and ``nonce`` are the token presented with the request and the nonce the
    server gave: when passed, the proof must carry them. ``url`` is the server's own view of
    the request URI; a ``url`` that is not an absolute http(s) URI is a ``ValueError``.
    """
    expected_htu = normalize_htu(url)
    if expected_htu is None:
        raise ValueError("url must be an absolute http(s) URI")
    if max_age < 0 or max_skew < 0:
        raise ValueError("max_age and max_skew are not negative")
    jws = _parse(proof)
    key, alg = _proof_key(jws.header)
    try:
        verify_signature(jws, key=key, alg=alg)
    except Rejected:
        raise Rejected(_R.BAD_SIGNATURE) from None
    claims = jws.payload
    if any(name not in claims for name in _REQUIRED_CLAIMS):
        raise Rejected(_R.CLAIM_MISSING)
    jti = _jti(claims["jti"])
    _check_request(claims, method=method, htu=expected_htu)
    _check_bound(claims, "nonce", nonce, _R.NONCE_MISSING, _R.NONCE_MISMATCH)
    iat = _issued_at(claims, now=now, max_age=max_age, max_skew=max_skew)
    _check_bound(claims, "ath", _expected_ath(access_token), _R.ATH_MISSING, _R.ATH_MISMATCH)
    return VerifiedDpopProof(public_key=key, thumbprint=key.thumbprint(), jti=jti, iat=iat)


def _parse(proof: object) -> UnverifiedJws:
    if not isinstance(proof, str):
        raise Rejected(_R.MALFORMED_PROOF)
    if len(proof) > MAX_PROOF_BYTES:
        raise Rejected(_R.PROOF_TOO_LARGE)
    try:
        return parse_compact_jws(proof, max_bytes=MAX_PROOF_BYTES)
    except Rejected:
        raise Rejected(_R.MALFORMED_PROOF) from None


def _proof_key(header: Mapping[str, Any]) -> tuple[PublicJwk, JwsAlg]:
    """Points 4, 5 and 7: ``typ``, ``alg``, then the public key of the ``jwk`` header."""
    if header.get("typ") != DPOP_TYP:
        raise Rejected(_R.TYP_MISMATCH)
    alg = header.get("alg")
    if type(alg) is not str or alg not in ALLOWED_ALGS:
        raise Rejected(_R.ALG_NOT_ALLOWED)
    if "jwk" not in header:
        raise Rejected(_R.JWK_MISSING)
    try:
        key = parse_public_jwk(header["jwk"])
    except Rejected as exc:
        private = exc.reason is JoseReason.PRIVATE_KEY_MATERIAL
        raise Rejected(_R.JWK_PRIVATE if private else _R.JWK_INVALID) from None
    try:
        checked_alg = check_header(header, key=key, algorithms=ALLOWED_ALGS, typ=DPOP_TYP)
    except Rejected as exc:  # the key cannot verify ``alg``, or a ``crit`` header
        mismatch = exc.reason is JoseReason.ALG_KEY_MISMATCH
        raise Rejected(_R.JWK_INVALID if mismatch else _R.MALFORMED_PROOF) from None
    return key, checked_alg


def _expected_ath(access_token: str | None) -> str | None:
    """The ``ath`` a proof must carry; a token no proof can match (not ASCII) mismatches."""
    if access_token is None:
        return None
    if not access_token or not access_token.isascii():
        raise Rejected(_R.ATH_MISMATCH)
    return access_token_hash(access_token)


def _jti(value: object) -> str:
    if type(value) is not str or not 0 < len(value) <= MAX_JTI_CHARS:
        raise Rejected(_R.BAD_JTI)
    return value


def _check_request(claims: Mapping[str, Any], *, method: str, htu: str) -> None:
    """Points 8 and 9: the proof names this request's method and URI."""
    htm, claimed_htu = claims["htm"], claims["htu"]
    if type(htm) is not str or type(claimed_htu) is not str:
        raise Rejected(_R.BAD_CLAIM)
    normalized = normalize_htu(claimed_htu)
    if normalized is None:
        raise Rejected(_R.BAD_CLAIM)
    if htm != method:
        raise Rejected(_R.HTM_MISMATCH)
    if normalized != htu:
        raise Rejected(_R.HTU_MISMATCH)


def _issued_at(claims: Mapping[str, Any], *, now: int, max_age: int, max_skew: int) -> int:
    """Point 11: ``iat`` a NumericDate (RFC 7519 §2) inside the acceptance window."""
    try:
        iat = numeric_date(claims, "iat")
    except Rejected:
        raise Rejected(_R.BAD_CLAIM) from None
    if iat is None:  # pragma: no cover - presence was checked with the other claims
        raise Rejected(_R.CLAIM_MISSING)
    if iat > now + max_skew:
        raise Rejected(_R.IAT_IN_FUTURE)
    if iat < now - max_age:
        raise Rejected(_R.IAT_TOO_OLD)
    return math.floor(iat)


def _check_bound(
    claims: Mapping[str, Any],
    name: str,
    expected: str | None,
    missing: DpopReason,
    mismatch: DpopReason,
) -> None:
    """``ath`` or ``nonce``: required and equal when expected, a non-empty string when present."""
    if name not in claims:
        if expected is not None:
            raise Rejected(missing)
        return
    value = claims[name]
    if type(value) is not str or not value:
        raise Rejected(_R.BAD_CLAIM)
    if expected is not None and not constant_time_equals(value, expected):
        raise Rejected(mismatch)
