"""Compile a regulation into the minimal DCQL query (OpenID4VP 1.0 §6) and its purpose.

Minimal by construction:

1. only the inputs the evaluation can read (requirements, amount, hardship, and the
   definitions they use), minus the facts the desk already holds;
2. an input the rules use *only* in comparisons with a parameter, each answered by a derived
   predicate claim of the same credential type, is asked as those booleans: "below the
   limit?", never "how much?";
3. otherwise the value claim, plus the claim that says which period it covers.

Where several credential types can settle an input, each is a separate credential query and
``credential_sets`` says any one will do (§6.2); where several claim groups of one credential
can, ``claim_sets`` (§6.3) does the same. The purpose travels as ``transaction_data`` of our
own type (§5.1: the wallet hashes it into the KB-JWT, so the decision proves what the citizen
agreed to) and is shown to the citizen through ``verifier_info``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence, Set
from dataclasses import dataclass
from typing import Any

from specs.jose import b64url_encode, dumps_compact
from specs.rules.engine import CompiledRegulation
from specs.rules.expressions import threshold_comparisons
from specs.rules.model import ClaimPathElement, Input, Regulation

PURPOSE_TYPE = "aanspraak_regulation_purpose"
PURPOSE_FORMAT = "aanspraak_purpose"
Path = tuple[ClaimPathElement, ...]


@dataclass(frozen=True)
class ClaimNeed:
    """One claim asked for, and the input it serves."""

    vct: str
    path: Path
    input: str


@dataclass(frozen=True)
class DcqlRequest:
    query: dict[str, Any]
    transaction_data: list[str]
    """base64url-encoded JSON objects (OpenID4VP §5.1)."""
    purpose: dict[str, Any]
    """The decoded purpose object carried in ``transaction_data``."""
    verifier_info: list[dict[str, Any]]
    needs: tuple[ClaimNeed, ...]


def _rule_expressions(regulation: Regulation) -> list[Any]:
    """The requirement tests and the amount, and every definition they reach."""
    found: list[Any] = []
    stack = [regulation.requirements]
    while stack:
        node = stack.pop()
        if node.test is not None:
            found.append(node.test)
        stack.extend(node.all or node.any or [])
    if regulation.amount is not None:
        found.append(regulation.amount.expr)
    return _with_definitions(regulation, found)


def _hardship_expressions(regulation: Regulation) -> list[Any]:
    if regulation.hardship is None:
        return []
    found: list[Any] = [m.limit for m in regulation.hardship.margins]
    found += [{"input": m.input} for m in regulation.hardship.margins]
    found += [{"input": c.input} for c in regulation.hardship.circumstances]
    return _with_definitions(regulation, found)


def _with_definitions(regulation: Regulation, expressions: list[Any]) -> list[Any]:
    found, pending = list(expressions), list(expressions)
    seen: set[str] = set()
    while pending:
        for name in _definitions_in(pending.pop()) - seen:
            seen.add(name)
            found.append(regulation.definitions[name].expr)
            pending.append(regulation.definitions[name].expr)
    return found


def _definitions_in(tree: Any) -> set[str]:
    names: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if len(node) == 1 and isinstance(node.get("def"), str):
                names.add(node["def"])
            else:
                stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


@dataclass(frozen=True)
class InputNeed:
    """An input the request must settle: its alternatives, and whether it is required.

    Optional: inputs only the hardship check reads (asked so a referral can be considered,
    never needed to decide by the rule) and inputs the citizen may declare instead.
    """

    input: str
    groups: list[list[ClaimNeed]]
    required: bool


def _uses(expressions: list[Any]) -> tuple[dict[str, set[tuple[str, str]]], set[str]]:
    comparisons: dict[str, set[tuple[str, str]]] = {}
    raw: set[str] = set()
    for expr in expressions:
        found, plain = threshold_comparisons(expr)
        raw |= plain
        for name, op, param in found:
            comparisons.setdefault(name, set()).add((op, param))
    return comparisons, raw


def needed_claims(
    compiled: CompiledRegulation, *, known: Set[str] = frozenset()
) -> list[InputNeed]:
    """Per needed input: its alternatives, each a group of claims that settles it."""
    regulation = compiled.regulation
    rule_comparisons, rule_raw = _uses(_rule_expressions(regulation))
    hardship_comparisons, hardship_raw = _uses(_hardship_expressions(regulation))
    raw = rule_raw | hardship_raw
    comparisons = {
        name: rule_comparisons.get(name, set()) | hardship_comparisons.get(name, set())
        for name in set(rule_comparisons) | set(hardship_comparisons)
    }
    in_rules = rule_raw | set(rule_comparisons)
    result = []
    for name in sorted((raw | set(comparisons)) - set(known)):
        spec = regulation.inputs[name]
        use_predicates = name not in raw and _predicates_cover(spec, comparisons[name])
        groups = _predicate_groups(name, spec, comparisons[name]) if use_predicates else []
        groups = groups or _value_groups(name, spec)
        if groups:
            result.append(InputNeed(name, groups, name in in_rules and not spec.self_declared))
    return result


def _predicates_cover(spec: Input, comparisons: set[tuple[str, str]]) -> bool:
    return bool(spec.predicates) and comparisons <= {(p.op, p.param) for p in spec.predicates}


def _predicate_groups(
    name: str, spec: Input, comparisons: set[tuple[str, str]]
) -> list[list[ClaimNeed]]:
    groups = []
    for vct in dict.fromkeys(p.vct for p in spec.predicates):
        chosen = [p for p in spec.predicates if p.vct == vct and (p.op, p.param) in comparisons]
        if {(p.op, p.param) for p in chosen} != comparisons:
            continue
        group = [ClaimNeed(vct, tuple(p.claim), name) for p in chosen]
        group += [ClaimNeed(vct, tuple(p.period_claim), name) for p in chosen[:1] if p.period_claim]
        groups.append(group)
    return groups


def _value_groups(name: str, spec: Input) -> list[list[ClaimNeed]]:
    groups = []
    for evidence in spec.evidence:
        group = [ClaimNeed(evidence.vct, tuple(evidence.claim), name)]
        if evidence.period_claim:
            group.append(ClaimNeed(evidence.vct, tuple(evidence.period_claim), name))
        groups.append(group)
    return groups


def compile_dcql(
    compiled: CompiledRegulation,
    *,
    known: Set[str] = frozenset(),
    trusted_authority_akis: Sequence[str] = (),
) -> DcqlRequest:
    """The minimal query for ``compiled``, given the inputs the desk already ``known``s.

    ``trusted_authority_akis`` (base64url key identifiers of the CAs the desk accepts) become
    a ``trusted_authorities`` entry of type ``aki`` on every Credential Query (OpenID4VP 1.0
    §6.1.1, HAIP §5), so the wallet offers only credentials those CAs certified.
    """
    inputs = needed_claims(compiled, known=known)
    if not inputs:
        raise ValueError("nothing to ask: the desk already holds every input")
    per_input = [need.groups for need in inputs]
    vcts = list(dict.fromkeys(n.vct for groups in per_input for g in groups for n in g))
    ids = {vct: f"c{i}" for i, vct in enumerate(vcts)}
    credentials = [_credential_query(vct, ids[vct], per_input) for vct in vcts]
    for credential in credentials if trusted_authority_akis else ():
        akis = list(dict.fromkeys(trusted_authority_akis))
        credential["trusted_authorities"] = [{"type": "aki", "values": akis}]
    # Always explicit (§6.2): without credential_sets every credential would be required,
    # including the hardship-only ones and those the citizen may replace by a declaration.
    query: dict[str, Any] = {
        "credentials": credentials,
        "credential_sets": _credential_sets(inputs, ids),
    }
    purpose = _purpose(compiled, list(ids.values()))
    needs = tuple(dict.fromkeys(n for groups in per_input for g in groups for n in g))
    return DcqlRequest(
        query,
        [b64url_encode(dumps_compact(purpose).encode("utf-8"))],
        purpose,
        verifier_info(compiled.regulation),
        needs,
    )


def _credential_query(vct: str, cid: str, per_input: list[list[list[ClaimNeed]]]) -> dict[str, Any]:
    paths: dict[Path, str] = {}
    alternatives: list[list[set[str]]] = []
    for groups in per_input:
        here = [g for g in groups if g[0].vct == vct]
        options = []
        for group in here:
            ids = set()
            for need in group:
                ids.add(paths.setdefault(need.path, f"{cid}_{len(paths)}"))
            options.append(ids)
        if options:
            alternatives.append(options)
    query: dict[str, Any] = {
        "id": cid,
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [vct]},
        "claims": [{"id": claim_id, "path": list(path)} for path, claim_id in paths.items()],
    }
    if any(len(options) > 1 for options in alternatives):
        query["claim_sets"] = [
            sorted(set().union(*combination)) for combination in itertools.product(*alternatives)
        ]
    return query


def _credential_sets(inputs: list[InputNeed], ids: dict[str, str]) -> list[Any]:
    """One set per distinct choice of credentials; required if any input needing it is."""
    sets: dict[tuple[str, ...], bool] = {}
    for need in inputs:
        options = tuple(sorted({ids[g[0].vct] for g in need.groups}))
        sets[options] = sets.get(options, False) or need.required
    return [
        {"options": [[cid] for cid in options], "required": required}
        for options, required in sets.items()
    ]


def _purpose(compiled: CompiledRegulation, credential_ids: list[str]) -> dict[str, Any]:
    regulation = compiled.regulation
    return {
        "type": PURPOSE_TYPE,
        "credential_ids": credential_ids,
        "regulation": regulation.id,
        "version": compiled.version,
        "valid_from": regulation.valid_from.isoformat(),
        "authority": regulation.authority,
        "legal_basis": regulation.legal_basis.model_dump(),
    }


def verifier_info(regulation: Regulation) -> list[dict[str, Any]]:
    """The purpose as OpenID4VP 1.0 §5.1 ``verifier_info`` shows it to the citizen (the same
    for every request of ``regulation``, so a verifier need not compile the query again)."""
    return [{"format": PURPOSE_FORMAT, "data": _shown_purpose(regulation)}]


def _shown_purpose(regulation: Regulation) -> dict[str, Any]:
    return {
        "regulation": regulation.name.model_dump(),
        "authority": regulation.authority,
        "legal_basis": regulation.legal_basis.model_dump(),
    }
