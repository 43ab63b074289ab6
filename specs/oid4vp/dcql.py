"""The Digital Credentials Query Language (OpenID4VP 1.0 §6): a query as validated data.

A verifier sends a DCQL query inside its request, and a wallet reads one from an untrusted
verifier, so both sides parse it strictly and bounded (DESIGN §4): every array has a cap
(``DcqlLimits``; past it ``dcql-query-too-large``), every other broken rule is
``malformed-dcql-query``, and an identifier defined twice is ``duplicate-dcql-id``. The
caller bounds the size of the JSON text before decoding it.

What the parser enforces, each rule from the section cited:

* ``credentials`` is a non-empty array of Credential Queries (§6); ``credential_sets``, when
  present, a non-empty array of Credential Set Queries (§6);
* a Credential Query has an ``id`` of ``[A-Za-z0-9_-]+``, unique in the query, a ``format``
  string and a ``meta`` object (§6.1); ``multiple`` and ``require_cryptographic_holder_binding``
  are booleans (defaults ``false`` and ``true``); ``trusted_authorities``, ``claims`` and
  ``claim_sets`` are non-empty arrays when present (§6.1, §6.1.1);
* for ``dc+sd-jwt``, ``meta.vct_values`` is a non-empty array of strings (Appendix B.3.5);
  other formats are kept as they are (their ``meta`` is not interpreted: we only match
  SD-JWT VCs, see ``specs.oid4vp.dcql_match``);
* a Claims Query has a claims path pointer (§7: a non-empty array of strings, nulls and
  non-negative integers), an optional ``id`` (required when ``claim_sets`` is present, unique
  within ``claims``, §6.3) and optional ``values``: a non-empty array of strings, integers or
  booleans (§6.3);
* every identifier in ``claim_sets`` names a claim of the same Credential Query, every
  identifier in a ``credential_sets`` option a Credential Query (§6.1, §6.2); ``claim_sets``
  without ``claims`` is refused (§6.4.1).

Unknown members are ignored, as §6 requires; they do not survive ``dcql_query_to_json``.
Inner ``claim_sets`` and ``options`` arrays must be non-empty: an empty one would ask for
nothing, which no verifier means.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specs.errors import DcqlReason, Rejected
from specs.sd_jwt.claim_path import ClaimPath, PathElement

SD_JWT_VC_FORMAT = "dc+sd-jwt"
"""The Credential Format Identifier of IETF SD-JWT VC (OpenID4VP 1.0 Appendix B.3.1)."""

ClaimValue = str | int | bool

_IDENTIFIER = re.compile(r"[A-Za-z0-9_-]+")
_MALFORMED = DcqlReason.MALFORMED_QUERY


@dataclass(frozen=True, slots=True)
class DcqlLimits:
    """Caps on every array of a query; a query past one is ``dcql-query-too-large``."""

    max_credentials: int = 32
    max_claims: int = 64
    """Claims Queries per Credential Query; also the length of one claim set."""
    max_path_length: int = 16
    max_claim_sets: int = 64
    max_credential_sets: int = 32
    max_options: int = 64
    """Options per Credential Set Query; an option has at most ``max_credentials`` ids."""
    max_values: int = 64
    """Entries of ``values``, of ``meta.vct_values`` and of a trusted authority's ``values``."""
    max_trusted_authorities: int = 16


DEFAULT_DCQL_LIMITS = DcqlLimits()


@dataclass(frozen=True, slots=True)
class ClaimsQuery:
    """One requested claim (§6.3); ``values`` None means any value will do."""

    path: ClaimPath
    id: str | None = None
    values: tuple[ClaimValue, ...] | None = None


@dataclass(frozen=True, slots=True)
class TrustedAuthoritiesQuery:
    """Who the verifier expects to vouch for the issuer (§6.1.1). Any ``type`` string is
    kept; only ``aki`` is ever matched (``specs.oid4vp.trusted_authorities``)."""

    type: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CredentialQuery:
    """A request for a presentation of one (or, with ``multiple``, more) credential (§6.1).

    ``claims`` empty means no selectively disclosable claims are asked (§6.4.1);
    ``claim_sets`` empty means every claim in ``claims`` is asked. ``meta`` is the object as
    received (minus nothing: unknown members included); ``vct_values`` is read from it for
    ``dc+sd-jwt`` and empty for every other format.
    """

    id: str
    format: str
    meta: Mapping[str, Any] = field(hash=False)
    vct_values: tuple[str, ...] = ()
    multiple: bool = False
    claims: tuple[ClaimsQuery, ...] = ()
    claim_sets: tuple[tuple[str, ...], ...] = ()
    trusted_authorities: tuple[TrustedAuthoritiesQuery, ...] = ()
    require_cryptographic_holder_binding: bool = True


@dataclass(frozen=True, slots=True)
class CredentialSetQuery:
    """Alternatives for one purpose (§6.2): any one option, each a list of query ids."""

    options: tuple[tuple[str, ...], ...]
    required: bool = True


@dataclass(frozen=True, slots=True)
class DcqlQuery:
    """A validated DCQL query; ``credential_sets`` empty means every credential is asked."""

    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSetQuery, ...] = ()

    def credential(self, query_id: str) -> CredentialQuery | None:
        """The Credential Query with ``query_id``, or None."""
        for credential in self.credentials:
            if credential.id == query_id:
                return credential
        return None


def parse_dcql_query(obj: object, *, limits: DcqlLimits = DEFAULT_DCQL_LIMITS) -> DcqlQuery:
    """Validate a decoded DCQL query object (§6, §7); raises ``Rejected(DcqlReason...)``."""
    body = _object(obj)
    items = _array(body.get("credentials"), limits.max_credentials)
    credentials = tuple(_credential_query(item, limits) for item in items)
    ids = [credential.id for credential in credentials]
    _require_unique(ids)
    sets: tuple[CredentialSetQuery, ...] = ()
    if "credential_sets" in body:
        raw_sets = _array(body["credential_sets"], limits.max_credential_sets)
        sets = tuple(_credential_set(item, frozenset(ids), limits) for item in raw_sets)
    return DcqlQuery(credentials, sets)


def _credential_query(obj: object, limits: DcqlLimits) -> CredentialQuery:
    """One Credential Query (§6.1)."""
    body = _object(obj)
    query_id = _identifier(body.get("id"))
    credential_format = _string(body.get("format"))
    meta = _object(body.get("meta"))
    vct_values: tuple[str, ...] = ()
    if credential_format == SD_JWT_VC_FORMAT:  # Appendix B.3.5: vct_values is REQUIRED
        vct_values = _strings(meta.get("vct_values"), limits.max_values)
    authorities: tuple[TrustedAuthoritiesQuery, ...] = ()
    if "trusted_authorities" in body:
        raw = _array(body["trusted_authorities"], limits.max_trusted_authorities)
        authorities = tuple(_trusted_authority(item, limits) for item in raw)
    claims: tuple[ClaimsQuery, ...] = ()
    if "claims" in body:
        claims = tuple(
            _claims_query(item, limits) for item in _array(body["claims"], limits.max_claims)
        )
        _require_unique([claim.id for claim in claims if claim.id is not None])
    claim_sets: tuple[tuple[str, ...], ...] = ()
    if "claim_sets" in body:
        if not claims or any(claim.id is None for claim in claims):  # §6.3, §6.4.1
            raise Rejected(_MALFORMED)
        claim_ids = frozenset(claim.id for claim in claims if claim.id is not None)
        raw_sets = _array(body["claim_sets"], limits.max_claim_sets)
        claim_sets = tuple(_references(item, claim_ids, limits.max_claims) for item in raw_sets)
    return CredentialQuery(
        id=query_id,
        format=credential_format,
        meta=copy.deepcopy(dict(meta)),
        vct_values=vct_values,
        multiple=_boolean(body, "multiple", default=False),
        claims=claims,
        claim_sets=claim_sets,
        trusted_authorities=authorities,
        require_cryptographic_holder_binding=_boolean(
            body, "require_cryptographic_holder_binding", default=True
        ),
    )


def _trusted_authority(obj: object, limits: DcqlLimits) -> TrustedAuthoritiesQuery:
    """§6.1.1: a ``type`` string and a non-empty array of string ``values``."""
    body = _object(obj)
    return TrustedAuthoritiesQuery(
        _string(body.get("type")), _strings(body.get("values"), limits.max_values)
    )


def _claims_query(obj: object, limits: DcqlLimits) -> ClaimsQuery:
    """One Claims Query (§6.3) with its claims path pointer (§7)."""
    body = _object(obj)
    claim_id = _identifier(body["id"]) if "id" in body else None
    path = _path(body.get("path"), limits)
    values: tuple[ClaimValue, ...] | None = None
    if "values" in body:
        values = tuple(_scalar(item) for item in _array(body["values"], limits.max_values))
    return ClaimsQuery(path, claim_id, values)


def _credential_set(
    obj: object, credential_ids: frozenset[str], limits: DcqlLimits
) -> CredentialSetQuery:
    """One Credential Set Query (§6.2): options name Credential Queries; required a boolean."""
    body = _object(obj)
    options = _array(body.get("options"), limits.max_options)
    return CredentialSetQuery(
        tuple(_references(option, credential_ids, limits.max_credentials) for option in options),
        _boolean(body, "required", default=True),
    )


def _path(value: object, limits: DcqlLimits) -> ClaimPath:
    """§7: a non-empty array of strings, nulls and non-negative integers."""
    elements = _array(value, limits.max_path_length)
    for element in elements:
        if not (element is None or type(element) is str or (type(element) is int and element >= 0)):
            raise Rejected(_MALFORMED)
    return tuple(elements)


def _scalar(value: object) -> ClaimValue:
    """§6.3 ``values``: strings, integers or booleans (a float or null is not one)."""
    if type(value) is str or type(value) is int or type(value) is bool:
        return value
    raise Rejected(_MALFORMED)


def _references(value: object, known: frozenset[str], maximum: int) -> tuple[str, ...]:
    """A non-empty array of identifiers, each one defined elsewhere in the query."""
    items = _array(value, maximum)
    for item in items:
        if type(item) is not str or item not in known:
            raise Rejected(_MALFORMED)
    return tuple(items)


def _object(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Rejected(_MALFORMED)
    return value


def _array(value: object, maximum: int) -> Sequence[Any]:
    """A non-empty JSON array of at most ``maximum`` entries."""
    if not isinstance(value, list):
        raise Rejected(_MALFORMED)
    if len(value) > maximum:
        raise Rejected(DcqlReason.QUERY_TOO_LARGE)
    if not value:
        raise Rejected(_MALFORMED)
    return value


def _string(value: object) -> str:
    if type(value) is not str or not value:
        raise Rejected(_MALFORMED)
    return value


def _strings(value: object, maximum: int) -> tuple[str, ...]:
    return tuple(_string(item) for item in _array(value, maximum))


def _identifier(value: object) -> str:
    """§6.1, §6.3: a non-empty string of alphanumerics, ``_`` and ``-``."""
    if type(value) is not str or not _IDENTIFIER.fullmatch(value):
        raise Rejected(_MALFORMED)
    return value


def _boolean(body: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = body.get(name, default)
    if type(value) is not bool:
        raise Rejected(_MALFORMED)
    return value


def _require_unique(ids: Sequence[str]) -> None:
    """§6.1, §6.3: the same ``id`` MUST NOT be present more than once."""
    if len(set(ids)) != len(ids):
        raise Rejected(DcqlReason.DUPLICATE_ID)


def dcql_query_to_json(query: DcqlQuery) -> dict[str, Any]:
    """The JSON object of ``query``: ``parse_dcql_query`` of it gives ``query`` back.

    Defaults are left out (``multiple`` false, holder binding true); a Credential Set
    Query always states ``required``, as our compiler does (``specs.rules.dcql``).
    """
    body: dict[str, Any] = {"credentials": [_credential_to_json(c) for c in query.credentials]}
    if query.credential_sets:
        body["credential_sets"] = [
            {"options": [list(option) for option in s.options], "required": s.required}
            for s in query.credential_sets
        ]
    return body


def _credential_to_json(credential: CredentialQuery) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": credential.id,
        "format": credential.format,
        "meta": copy.deepcopy(dict(credential.meta)),
    }
    if credential.multiple:
        body["multiple"] = True
    if credential.trusted_authorities:
        body["trusted_authorities"] = [
            {"type": a.type, "values": list(a.values)} for a in credential.trusted_authorities
        ]
    if not credential.require_cryptographic_holder_binding:
        body["require_cryptographic_holder_binding"] = False
    if credential.claims:
        body["claims"] = [_claim_to_json(claim) for claim in credential.claims]
    if credential.claim_sets:
        body["claim_sets"] = [list(claim_set) for claim_set in credential.claim_sets]
    return body


def _claim_to_json(claim: ClaimsQuery) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if claim.id is not None:
        body["id"] = claim.id
    body["path"] = list(claim.path)
    if claim.values is not None:
        body["values"] = list(claim.values)
    return body


__all__ = [
    "DEFAULT_DCQL_LIMITS",
    "SD_JWT_VC_FORMAT",
    "ClaimPath",
    "ClaimValue",
    "ClaimsQuery",
    "CredentialQuery",
    "CredentialSetQuery",
    "DcqlLimits",
    "DcqlQuery",
    "PathElement",
    "TrustedAuthoritiesQuery",
    "dcql_query_to_json",
    "parse_dcql_query",
]
