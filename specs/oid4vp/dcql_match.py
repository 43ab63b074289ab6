"""Matching credentials to a DCQL query (OpenID4VP 1.0 §6.4), from both sides.

The verifier's side, ``check_presentation``: §14.11 (Security Checks on the Returned
Credentials and Presentations) says the verifier MUST NOT rely on the wallet to enforce the
query, so every presentation is checked again against the verifier's own query, never against
what the wallet says it matched. The wallet's side, ``select_credentials``: pick the
credentials and the exact claims paths to disclose, nothing more (§6.4: "Wallets MUST NOT
send selectively disclosable claims that have not been selected").

Both sides read a claims path pointer the same way (§7.1, ``specs.sd_jwt.claim_path``) and
compare ``values`` by type and value (§6.3: ``true`` never matches ``1``). Only SD-JWT VCs
(``dc+sd-jwt``) are matched; a Credential Query for any other format is never satisfied.

What the verifier enforces, one reason each:

* every key of the answer is a Credential Query id -> ``unknown-credential-query-id``;
* one presentation unless ``multiple`` (§8.1) -> ``multiple-presentations-not-allowed``;
* ``format`` and ``vct`` as asked (§6.1, B.3.5) -> ``credential-format-mismatch``,
  ``vct-not-requested`` (exact ``vct`` match: type inheritance is not followed);
* ``trusted_authorities`` (§6.1.1): one ``aki`` entry names a key identifier of the
  validated issuer chain -> ``trusted-authority-not-matched`` (the rules and the choice
  about other types are in ``specs.oid4vp.trusted_authorities``);
* every requested claim present (§6.4.1) -> ``requested-claim-missing``; with ``claim_sets``
  one set fully present -> ``claim-sets-unsatisfied``; ``values`` respected ->
  ``claim-value-not-allowed`` (at least one selected value matches, as the wallet chooses);
* nothing disclosed beyond the query -> ``claim-outside-query``: a Disclosure's path must lie
  on a requested path (a parent needed to reach it, the claim itself, or a part of a
  requested object); with ``claim_sets``, on the paths of one satisfied set;
* the credential sets (§6.4.2) -> ``credential-sets-unsatisfied``.

Known limits: a path with an array index (``["nationalities", 1]``) points into the array
the verifier sees, which after selective disclosure of array elements may be shorter than
the holder's; use ``null`` for such arrays. A credential answered under one query id may
not carry the claims of another query (the §6.4 allowance for one presentation serving two
queries is not implemented). A verifier does not refuse answers to Credential Queries that
no ``credential_sets`` option names, nor answers to more options than needed.
``require_cryptographic_holder_binding`` is not checked here: the key binding policy
belongs to the verification of each presentation, as does issuer trust, which
``trusted_authorities`` only narrows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specs.errors import DcqlReason, Rejected
from specs.oid4vp.dcql import (
    SD_JWT_VC_FORMAT,
    ClaimsQuery,
    ClaimValue,
    CredentialQuery,
    DcqlQuery,
)
from specs.oid4vp.trusted_authorities import satisfies_trusted_authorities
from specs.sd_jwt.claim_path import overlaps, select_values
from specs.sd_jwt.verification import VerifiedSdJwt

ConcretePath = tuple[str | int, ...]
"""A path to one claim, no wildcards: what a Disclosure revealed, what a holder discloses."""


@dataclass(frozen=True, slots=True)
class PresentedCredential:
    """One verified presentation as the verifier ends with it, filed under a query id.

    ``claims`` is the processed payload (``VerifiedSdJwt.claims``); ``disclosed_paths``
    where each Disclosure landed (``disclosed_paths(verified)``). Claims that are not
    selectively disclosable are in ``claims`` but not in ``disclosed_paths``: the holder
    could not withhold them, so they never count as over-disclosure.
    ``authority_key_ids`` are the key identifiers of the issuer's validated ``x5c`` chain
    (``trusted_authorities.chain_key_identifiers``); empty for a key found otherwise.
    """

    query_id: str
    format: str
    vct: str
    claims: Mapping[str, Any] = field(hash=False)
    disclosed_paths: frozenset[ConcretePath]
    authority_key_ids: frozenset[str] = frozenset()


def disclosed_paths(verified: VerifiedSdJwt) -> frozenset[ConcretePath]:
    """The paths the presentation's Disclosures revealed (RFC 9901 §7.1 processing)."""
    return frozenset(verified.processed.revealed_paths.values())


def check_presentation(
    query: DcqlQuery, presented: Mapping[str, Sequence[PresentedCredential]]
) -> frozenset[str]:
    """Check a whole answer against ``query``; the ids of the Credential Queries satisfied.

    Raises ``Rejected`` with the first rule broken (see the module docstring). An empty
    sequence under an id counts as that query not answered.
    """
    by_id = {credential.id: credential for credential in query.credentials}
    for query_id, presentations in presented.items():
        credential_query = by_id.get(query_id)
        if credential_query is None:
            raise Rejected(DcqlReason.UNKNOWN_CREDENTIAL_ID)
        if len(presentations) > 1 and not credential_query.multiple:
            raise Rejected(DcqlReason.MULTIPLE_NOT_ALLOWED)
        for presentation in presentations:
            if presentation.query_id != query_id:
                raise Rejected(DcqlReason.UNKNOWN_CREDENTIAL_ID)
            _check_one(credential_query, presentation)
    satisfied = frozenset(query_id for query_id, items in presented.items() if items)
    if _chosen_ids(query, satisfied, include_optional=False) is None:
        raise Rejected(DcqlReason.CREDENTIAL_SETS_UNSATISFIED)
    return satisfied


def _check_one(credential_query: CredentialQuery, presentation: PresentedCredential) -> None:
    if credential_query.format != SD_JWT_VC_FORMAT or presentation.format != SD_JWT_VC_FORMAT:
        raise Rejected(DcqlReason.FORMAT_MISMATCH)
    if presentation.vct not in credential_query.vct_values:
        raise Rejected(DcqlReason.VCT_NOT_REQUESTED)
    if not satisfies_trusted_authorities(
        credential_query.trusted_authorities, presentation.authority_key_ids
    ):
        raise Rejected(DcqlReason.TRUSTED_AUTHORITY_NOT_MATCHED)
    claims = presentation.claims
    if not credential_query.claim_sets:
        for claim in credential_query.claims:
            problem = _claim_problem(claim, claims)
            if problem is not None:
                raise Rejected(problem)
        if not _covers(credential_query.claims, presentation.disclosed_paths):
            raise Rejected(DcqlReason.CLAIM_OUTSIDE_QUERY)
        return
    sets = _claim_sets(credential_query)
    problems = [[_claim_problem(claim, claims) for claim in group] for group in sets]
    met = [group for group, found in zip(sets, problems, strict=True) if not any(found)]
    if not met:
        if any(DcqlReason.CLAIM_MISSING not in found for found in problems):
            raise Rejected(DcqlReason.CLAIM_VALUE_NOT_ALLOWED)
        raise Rejected(DcqlReason.CLAIM_SETS_UNSATISFIED)
    if not any(_covers(group, presentation.disclosed_paths) for group in met):
        raise Rejected(DcqlReason.CLAIM_OUTSIDE_QUERY)


def _claim_problem(claim: ClaimsQuery, claims: Mapping[str, Any]) -> DcqlReason | None:
    """Why ``claim`` is not satisfied by ``claims``, or None when it is (§6.3, §7.1)."""
    selected = select_values(claims, claim.path)
    if not selected:
        return DcqlReason.CLAIM_MISSING
    if claim.values is not None and not any(_allowed(v, claim.values) for v in selected):
        return DcqlReason.CLAIM_VALUE_NOT_ALLOWED
    return None


def _allowed(value: Any, allowed: tuple[ClaimValue, ...]) -> bool:
    """§6.3: type and value both match exactly (``True == 1`` in Python, not in DCQL)."""
    return any(type(value) is type(option) and value == option for option in allowed)


def _covers(claims: Iterable[ClaimsQuery], disclosed: frozenset[ConcretePath]) -> bool:
    """Every disclosed path lies on some requested path (one a prefix of the other)."""
    paths = [claim.path for claim in claims]
    return all(any(overlaps(path, revealed) for path in paths) for revealed in disclosed)


def _claim_sets(credential_query: CredentialQuery) -> list[list[ClaimsQuery]]:
    """The claim sets as Claims Queries, in the verifier's order of preference (§6.4.1)."""
    if not credential_query.claim_sets:
        return [list(credential_query.claims)]
    by_id = {claim.id: claim for claim in credential_query.claims}
    return [[by_id[claim_id] for claim_id in group] for group in credential_query.claim_sets]


def _chosen_ids(
    query: DcqlQuery, available: frozenset[str], *, include_optional: bool
) -> list[str] | None:
    """The query ids to answer given those ``available``; None when that cannot be done.

    §6.4.2: without ``credential_sets`` every Credential Query is asked; with them every
    required set needs one option whose ids are all available, and an optional set is
    answered (first available option) only with ``include_optional``.
    """
    if not query.credential_sets:
        ids = [credential.id for credential in query.credentials]
        return ids if all(query_id in available for query_id in ids) else None
    chosen: list[str] = []
    for credential_set in query.credential_sets:
        option = next((o for o in credential_set.options if set(o) <= available), None)
        if option is None:
            if credential_set.required:
                return None
            continue
        if credential_set.required or include_optional:
            chosen.extend(option)
    return list(dict.fromkeys(chosen))


@dataclass(frozen=True, slots=True)
class HeldForQuery:
    """A credential the wallet holds, as the matcher sees it.

    ``claims`` are all claims visible to the holder (every Disclosure applied, e.g.
    ``HolderView.processed.claims``); ``ref`` is the wallet's own handle, returned as is.
    ``authority_key_ids`` are the key identifiers of the credential's ``x5c`` chain
    (``trusted_authorities.x5c_key_identifiers``); empty when it has none, and then no
    query with ``trusted_authorities`` selects it.
    """

    ref: object
    format: str
    vct: str
    claims: Mapping[str, Any] = field(hash=False)
    authority_key_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Selection:
    """A held credential chosen for a Credential Query and the claims paths to disclose.

    ``disclose`` names concrete claims (wildcards expanded, elements failing ``values``
    left out), ready for ``specs.sd_jwt.present_sd_jwt(disclose=...)``.
    """

    ref: object
    disclose: tuple[ConcretePath, ...]


def select_credentials(
    query: DcqlQuery, held: Sequence[HeldForQuery], *, include_optional: bool = True
) -> dict[str, list[Selection]]:
    """The wallet's answer to ``query`` from ``held``: per query id, what to present.

    Per Credential Query the first held credential that satisfies it, with the first claim
    set it can satisfy (§6.4.1: the verifier's order of preference); then per Credential Set
    Query the first option whose queries are all satisfiable (§6.4.2). Optional sets are
    answered when ``include_optional`` (the holder may decline them). One credential per
    query even with ``multiple``: one is enough, and fewer is less disclosed. Raises
    ``Rejected(CREDENTIAL_SETS_UNSATISFIED)`` when a required part cannot be answered, in
    which case §6.4.2 says nothing may be returned. A query's ``trusted_authorities``
    are matched against ``authority_key_ids`` (§6.1.1); holder binding is the caller's
    concern.
    """
    candidates: dict[str, Selection] = {}
    for credential_query in query.credentials:
        for credential in held:
            paths = _paths_to_disclose(credential_query, credential)
            if paths is not None:
                candidates[credential_query.id] = Selection(credential.ref, paths)
                break
    chosen = _chosen_ids(query, frozenset(candidates), include_optional=include_optional)
    if chosen is None:
        raise Rejected(DcqlReason.CREDENTIAL_SETS_UNSATISFIED)
    return {query_id: [candidates[query_id]] for query_id in chosen}


def _paths_to_disclose(
    credential_query: CredentialQuery, credential: HeldForQuery
) -> tuple[ConcretePath, ...] | None:
    """The concrete paths of the first satisfiable claim set, or None if there is none."""
    if credential_query.format != SD_JWT_VC_FORMAT or credential.format != SD_JWT_VC_FORMAT:
        return None
    if credential.vct not in credential_query.vct_values:
        return None
    if not satisfies_trusted_authorities(
        credential_query.trusted_authorities, credential.authority_key_ids
    ):
        return None
    for group in _claim_sets(credential_query):
        paths: list[ConcretePath] = []
        for claim in group:
            found = [
                where
                for where, value in locate_claims(credential.claims, claim)
                if claim.values is None or _allowed(value, claim.values)
            ]
            if not found:
                break
            paths.extend(found)
        else:
            return tuple(dict.fromkeys(paths))
    return None


def locate_claims(claims: Mapping[str, Any], claim: ClaimsQuery) -> list[tuple[ConcretePath, Any]]:
    """Process ``claim.path`` (§7.1) keeping where each value was found.

    Selects exactly what ``select_values`` selects, in the same order, with each value's
    concrete path: ``None`` becomes the index of each element it selected.
    """
    current: list[tuple[ConcretePath, Any]] = [((), claims)]
    for element in claim.path:
        following: list[tuple[ConcretePath, Any]] = []
        for where, node in current:
            if isinstance(element, str):
                if isinstance(node, dict) and element in node:
                    following.append(((*where, element), node[element]))
            elif element is None:
                if isinstance(node, list):
                    following.extend(((*where, i), item) for i, item in enumerate(node))
            elif isinstance(node, list) and element < len(node):
                following.append(((*where, element), node[element]))
        current = following
    return current


__all__ = [
    "ConcretePath",
    "HeldForQuery",
    "PresentedCredential",
    "Selection",
    "check_presentation",
    "disclosed_paths",
    "locate_claims",
    "select_credentials",
]
