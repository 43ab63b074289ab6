"""Status List Token in JWT format (draft-ietf-oauth-status-list §5.1, §8.3, §11.5, §13.7).

``build_status_list_token`` signs a §5.1 token with ``typ`` ``statuslist+jwt``;
``verify_status_list_token`` applies the §8.3 validation steps in this order, each failure a
``Rejected``:

1. compact JWS shape and size (``parse_compact_jws``);
2. header and signature under the caller's key only, ``alg`` allowlist, explicit ``typ``
   (``verify_jws``; §5.1 rule 2, RFC 8725 §3.11);
3. required claims ``sub``, ``iat``, ``status_list`` (§5.1, §8.3 step 3b):
   ``TOKEN_CLAIM_MISSING``;
4. ``exp``/``nbf``/``iat`` (§5.1 rule 3, §8.3 step 4c): ``check_time_claims``;
5. ``sub`` equals the Referenced Token's ``uri`` exactly (§5.1, §8.3 step 4a):
   ``SUBJECT_MISMATCH``;
6. ``ttl`` (§5.1): a positive integer if present, ``BAD_TTL`` otherwise;
7. the Status List itself (§4.2, ``decode_status_list``).

``ttl`` and caching (§11.5, §13.7): a client should keep ``ttl`` within bounds it chooses.
A ``ttl`` outside ``[min_ttl, max_ttl]`` is clamped, not rejected: a huge ``ttl`` is the
issuer asking for little traffic, which we grant only up to ``max_ttl``; a tiny one would
make clients refetch in a loop (the DDoS §11.5 warns about), so it is raised to ``min_ttl``.
Only values that are not a positive number at all (0, negative, boolean, string, float)
are ``BAD_TTL``. Floats are refused although §5.1 says "number": the CWT form (§5.2) is an
unsigned integer, and one spelling per value keeps the two forms equivalent.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from specs.errors import JoseReason, Rejected, StatusListReason
from specs.jose import (
    JwsAlg,
    JwsSigner,
    KeyResolver,
    PublicJwk,
    check_time_claims,
    numeric_date,
    parse_compact_jws,
    sign_compact_jws,
    verify_jws,
)
from specs.status_list.encoding import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    StatusList,
    decode_status_list,
)
from specs.status_list.reference import StatusReference, check_status_list_uri

STATUS_LIST_JWT_TYP = "statuslist+jwt"
"""§5.1: "The JWT type MUST be ``statuslist+jwt``" (``application/`` may be prefixed)."""

DEFAULT_MIN_TTL = 60
"""A cached list is not treated as stale sooner than a minute after ``iat`` (§11.5)."""

DEFAULT_MAX_TTL = 24 * 60 * 60
"""Revocation news is at most a day late, whatever ``ttl`` the issuer asks for (§11.5)."""

DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES = 6 * 1024 * 1024
"""Room for an ``lst`` of ``DEFAULT_MAX_LST_CHARS`` after a second base64url pass (4/3)."""

_REQUIRED_CLAIMS = ("sub", "iat", "status_list")
# Header members a caller may not set: the builder owns alg/typ; crit/b64 would be refused.
_RESERVED_HEADER = frozenset({"alg", "typ", "crit", "b64"})


@dataclass(frozen=True, slots=True)
class VerifiedStatusList:
    """A Status List Token whose signature, claims and list passed §8.3 steps 1-5."""

    subject: str
    issued_at: int
    expires_at: int | None
    ttl: int | None
    """The issuer's ``ttl`` as signed (validated, not clamped); ``None`` when absent."""
    cache_ttl: int
    """``ttl`` clamped to ``[min_ttl, max_ttl]``; ``max_ttl`` when the token has no ``ttl``."""
    status_list: StatusList
    key: PublicJwk
    claims: Mapping[str, Any] = field(repr=False)
    """The whole verified payload, for claims §5.1 leaves open ("MAY contain other claims")."""

    def usable_until(self) -> int:
        """The time until which this copy may be used: ``min(exp, iat + cache_ttl)``.

        This is §13.7's second option ("checks for updates at time of ``iat`` + ``ttl``"),
        the conservative one: ``iat`` is never later than the time of fetching. Without
        ``ttl`` the bound is ``iat + max_ttl``, so a cached list always has an end.
        """
        until = self.issued_at + self.cache_ttl
        return until if self.expires_at is None else min(until, self.expires_at)

    def status_of(self, reference: StatusReference) -> int:
        """The raw status for ``reference`` (§8.3 steps 4a and 6).

        The subject is compared again so that a list verified for one URI cannot answer
        for a reference to another.
        """
        if reference.uri != self.subject:
            raise Rejected(StatusListReason.SUBJECT_MISMATCH)
        return self.status_list.status_at(reference.idx)


def _check_ttl(ttl: object) -> int:
    """§5.1: ``ttl`` "MUST be a positive number"; we require a JSON integer (module doc)."""
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise Rejected(StatusListReason.BAD_TTL)
    return ttl


def _require_claims(claims: Mapping[str, Any]) -> None:
    for name in _REQUIRED_CLAIMS:
        if name not in claims:
            raise Rejected(StatusListReason.TOKEN_CLAIM_MISSING)


def _whole_seconds(claims: Mapping[str, Any], name: str) -> int | None:
    """A NumericDate rounded down: earlier ``iat``/``exp`` only ever shorten the cache time."""
    value = numeric_date(claims, name)
    return None if value is None else math.floor(value)


def _issued_at(claims: Mapping[str, Any]) -> int:
    issued_at = _whole_seconds(claims, "iat")
    if issued_at is None:  # unreachable after _require_claims; keeps the type exact
        raise Rejected(StatusListReason.TOKEN_CLAIM_MISSING)
    return issued_at


def status_list_token_header(
    token: str, *, max_token_bytes: int = DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES
) -> Mapping[str, Any]:
    """The token's header, unverified and bounded: only to choose how to find its key.

    HAIP §6.1 puts the Status List Token's key in its ``x5c``; a caller that sees one
    validates that chain (``specs.sd_jwt_vc.AnchoredX5cResolver``), otherwise it uses the
    issuer's published keys. ``verify_status_list_token`` then checks everything.
    """
    return parse_compact_jws(token, max_bytes=max_token_bytes).header


def verify_status_list_token(
    token: str,
    *,
    key: PublicJwk | KeyResolver,
    expected_uri: str,
    now: int,
    leeway: int,
    algorithms: Collection[JwsAlg],
    max_age: int,
    min_ttl: int = DEFAULT_MIN_TTL,
    max_ttl: int = DEFAULT_MAX_TTL,
    max_token_bytes: int = DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> VerifiedStatusList:
    """Verify a Status List Token fetched for ``expected_uri`` (the reference's ``uri``).

    ``key`` is the Status Issuer's key, or a resolver that selects among keys the caller
    already trusts (§11.3); keys named in the header are never used. The steps and their
    reasons are listed in the module docstring.

    ``max_age`` is the Relying Party's freshness policy: a token issued longer ago than that
    is ``status-list-stale`` even without an ``exp``, so an old list that still says VALID
    cannot be replayed forever (§13.7; THREATS T-07, T-08). It is required: freshness must
    never depend on the caller remembering to ask.
    """
    jws = parse_compact_jws(token, max_bytes=max_token_bytes)
    public_key = (
        key if isinstance(key, PublicJwk) else key.resolve_key(jws.header, jws.payload, now=now)
    )
    claims = verify_jws(jws, key=public_key, algorithms=algorithms, typ=STATUS_LIST_JWT_TYP).payload
    _require_claims(claims)
    check_time_claims(claims, now=now, leeway=leeway)
    if now - _issued_at(claims) > max_age + leeway:
        raise Rejected(StatusListReason.STALE)
    if not isinstance(claims["sub"], str) or claims["sub"] != expected_uri:
        raise Rejected(StatusListReason.SUBJECT_MISMATCH)
    ttl = _check_ttl(claims["ttl"]) if "ttl" in claims else None
    status_list = decode_status_list(
        claims["status_list"], max_decompressed_bytes=max_decompressed_bytes
    )
    return VerifiedStatusList(
        subject=claims["sub"],
        issued_at=_issued_at(claims),
        expires_at=_whole_seconds(claims, "exp"),
        ttl=ttl,
        cache_ttl=max_ttl if ttl is None else min(max(ttl, min_ttl), max_ttl),
        status_list=status_list,
        key=public_key,
        claims=claims,
    )


def build_status_list_token(
    *,
    key: JwsSigner,
    subject_uri: str,
    status_list: Mapping[str, Any],
    now: int,
    ttl: int | None,
    exp: int | None,
    issuer: str | None,
    extra_header: Mapping[str, Any] | None = None,
    allow_http: bool = False,
) -> str:
    """Sign a §5.1 Status List Token; ``iat`` is ``now``.

    ``ttl``, ``exp`` and ``issuer`` have no defaults: §5.1 RECOMMENDS ``exp`` and ``ttl``,
    so leaving one out is a decision the caller writes down as ``None``. Everything a
    verifier would refuse is refused here first: a ``subject_uri`` outside the reference
    policy (``BAD_REFERENCE``), a malformed ``status_list``, a ``ttl`` that is not a
    positive integer (``BAD_TTL``), an ``exp`` not after ``now`` (``BAD_TIME_CLAIM``), and
    an ``extra_header`` that tries to set ``alg``, ``typ``, ``crit`` or ``b64``
    (``UNSUPPORTED_HEADER``).
    """
    check_status_list_uri(subject_uri, allow_http=allow_http)
    decode_status_list(status_list)
    if extra_header is not None and _RESERVED_HEADER & extra_header.keys():
        raise Rejected(JoseReason.UNSUPPORTED_HEADER)
    payload: dict[str, Any] = {"sub": subject_uri, "iat": now, "status_list": dict(status_list)}
    if exp is not None:
        if isinstance(exp, bool) or not isinstance(exp, int) or exp <= now:
            raise Rejected(JoseReason.BAD_TIME_CLAIM)
        payload["exp"] = exp
    if ttl is not None:
        payload["ttl"] = _check_ttl(ttl)
    if issuer is not None:
        payload["iss"] = issuer
    return sign_compact_jws(payload, key=key, typ=STATUS_LIST_JWT_TYP, extra_header=extra_header)
