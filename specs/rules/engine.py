"""Evaluate a regulation against facts: the same code in the wallet and at the desk.

The outcome is one of four, never a guess:

* ``eligible`` (with the amount where the law computes one),
* ``not_eligible``,
* ``unknown``: a fact is missing; ``settle_with`` names the credential types that would
  settle it,
* ``refer_hardship``: not eligible by the rule, but a declared circumstance or a near miss
  within the regulation's margin means the hardship clause (*hardheidsclausule*) or a
  tailored solution (*maatwerk*) may apply, so the case goes to a person.

The trace is the explanation: every requirement, definition and output with its legal basis
and result, and every input with its value and where that came from (issuer, credential
type and claim, or "self-declared"). An outcome that rests on a self-declared estimate says
so (``estimated``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Literal

from specs.errors import InvalidRegulation
from specs.rules.expressions import (
    UNKNOWN,
    Compiled,
    Env,
    Fact,
    Names,
    Value,
    compile_expression,
)
from specs.rules.model import LegalBasis, Regulation, Requirement, Text


class Status(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    UNKNOWN = "unknown"
    REFER_HARDSHIP = "refer_hardship"


@dataclass(frozen=True, slots=True)
class FactSource:
    """Where a value came from: a credential claim, the citizen's own estimate, or the desk."""

    kind: Literal["credential", "self_declared", "desk"]
    issuer: str | None = None
    vct: str | None = None
    claim: tuple[str | int, ...] | None = None


SELF_DECLARED = FactSource("self_declared")


@dataclass(frozen=True, slots=True)
class SourcedFact:
    fact: Fact
    source: FactSource


@dataclass(frozen=True, slots=True)
class TraceNode:
    kind: Literal["requirement", "definition", "amount", "hardship"]
    id: str
    legal_basis: LegalBasis
    result: Value


@dataclass(frozen=True, slots=True)
class InputUse:
    name: str
    value: Value
    source: FactSource | None
    """``None`` when the fact was missing."""


@dataclass(frozen=True, slots=True)
class Outcome:
    regulation_id: str
    version: str
    status: Status
    amount_cents: int | None
    estimated: bool
    text: Text
    trace: tuple[TraceNode, ...]
    inputs: tuple[InputUse, ...]
    settle_with: tuple[str, ...]
    """Credential types (vct) that would settle the missing facts, for ``unknown``."""


@dataclass(frozen=True, slots=True)
class _Node:
    requirement: Requirement
    test: Compiled | None
    children: tuple[_Node, ...]


@dataclass(frozen=True)
class CompiledRegulation:
    """A regulation ready to evaluate; built once at load by ``compile_regulation``."""

    regulation: Regulation
    version: str
    """Content hash of the regulation file, so wallet and desk can prove they ran the same law."""
    params: Mapping[str, int | Fraction]
    definitions: Mapping[str, Compiled]
    requirements: _Node
    amount: Compiled | None
    margins: tuple[tuple[str, str, Compiled, int], ...]


def compile_regulation(regulation: Regulation, *, version: str) -> CompiledRegulation:
    """Check every reference and compile every expression; raises ``InvalidRegulation``."""
    names = Names(
        inputs=frozenset(regulation.inputs),
        params=frozenset(regulation.parameters),
        definitions=frozenset(regulation.definitions),
    )
    definitions = {
        name: compile_expression(d.expr, names, f"definitions.{name}")
        for name, d in regulation.definitions.items()
    }
    amount = (
        compile_expression(regulation.amount.expr, names, "amount") if regulation.amount else None
    )
    _check_references(regulation)
    margins = tuple(
        (
            m.requirement,
            m.input,
            compile_expression(m.limit, names, "hardship.margins"),
            m.within_cents,
        )
        for m in (regulation.hardship.margins if regulation.hardship else ())
    )
    return CompiledRegulation(
        regulation,
        version,
        {name: p.value for name, p in regulation.parameters.items()},
        definitions,
        _compile_node(regulation.requirements, names, "requirements"),
        amount,
        margins,
    )


def _check_references(regulation: Regulation) -> None:
    """Requirement ids are unique; the hardship block names real requirements and inputs."""
    ids: list[str] = []
    leaves: set[str] = set()
    stack = [regulation.requirements]
    while stack:
        node = stack.pop()
        ids.append(node.id)
        if node.test is not None:
            leaves.add(node.id)
        stack.extend(node.all or node.any or [])
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise InvalidRegulation(f"requirements: duplicate id {sorted(duplicates)[0]!r}")
    hardship = regulation.hardship
    if hardship is None:
        return
    for margin in hardship.margins:
        if margin.requirement not in leaves:
            raise InvalidRegulation(f"hardship.margins: unknown requirement {margin.requirement!r}")
        if margin.input not in regulation.inputs:
            raise InvalidRegulation(f"hardship.margins: unknown input {margin.input!r}")
    for circumstance in hardship.circumstances:
        if circumstance.input not in regulation.inputs:
            raise InvalidRegulation(
                f"hardship.{circumstance.id}: unknown input {circumstance.input!r}"
            )
        unknown = set(circumstance.sets_aside) - set(ids)
        if unknown:
            raise InvalidRegulation(
                f"hardship.{circumstance.id}: unknown requirement {sorted(unknown)[0]!r}"
            )


def _compile_node(requirement: Requirement, names: Names, path: str) -> _Node:
    path = f"{path}.{requirement.id}"
    if requirement.test is not None:
        return _Node(requirement, compile_expression(requirement.test, names, path), ())
    children = requirement.all if requirement.all is not None else requirement.any
    assert children is not None
    return _Node(requirement, None, tuple(_compile_node(c, names, path) for c in children))


def _evaluate_node(node: _Node, env: Env, trace: list[TraceNode]) -> Value:
    requirement = node.requirement
    if node.test is not None:
        result = node.test(env)
    else:
        results = [_evaluate_node(child, env, trace) for child in node.children]
        decisive = requirement.any is not None  # any: a True decides; all: a False decides
        if any(r is not UNKNOWN and bool(r) is decisive for r in results):
            result = decisive
        elif any(r is UNKNOWN for r in results):
            result = UNKNOWN
        else:
            result = not decisive
    trace.append(TraceNode("requirement", requirement.id, requirement.legal_basis, result))
    return result


def evaluate(compiled: CompiledRegulation, facts: Mapping[str, SourcedFact]) -> Outcome:
    """Run the regulation; see the module docstring for the four outcomes."""
    regulation = compiled.regulation
    env = Env({n: f.fact for n, f in facts.items()}, compiled.params, compiled.definitions)
    trace: list[TraceNode] = []
    verdict = _evaluate_node(compiled.requirements, env, trace)
    status = (
        Status.UNKNOWN
        if verdict is UNKNOWN
        else (Status.ELIGIBLE if verdict else Status.NOT_ELIGIBLE)
    )
    amount_cents = None
    if status is Status.ELIGIBLE and compiled.amount is not None and regulation.amount:
        amount = compiled.amount(env)
        trace.append(TraceNode("amount", "amount", regulation.amount.legal_basis, amount))
        if amount is UNKNOWN:
            status = Status.UNKNOWN
        else:
            amount_cents = max(0, int(amount // 1))  # type: ignore[operator]
    if status is Status.NOT_ELIGIBLE and _hardship_applies(compiled, env, trace):
        status = Status.REFER_HARDSHIP
    for name, value in env.values.items():
        trace.append(TraceNode("definition", name, regulation.definitions[name].legal_basis, value))
    return _outcome(compiled, status, amount_cents, env, facts, trace)


def _hardship_applies(compiled: CompiledRegulation, env: Env, trace: list[TraceNode]) -> bool:
    """Refer when setting aside what the hardship rules allow makes the requirements pass.

    Near misses (a failed requirement within its margin) and the requirements a present
    circumstance may set aside are treated as passed, and the requirement tree is decided
    again; everything else still has to hold.
    """
    hardship = compiled.regulation.hardship
    if hardship is None:
        return False
    results = {n.id: n.result for n in trace if n.kind == "requirement"}
    set_aside: set[str] = set()
    reasons: list[str] = []
    for circumstance in hardship.circumstances:
        value = env.input(circumstance.input)
        wanted = circumstance.equals
        if value is not UNKNOWN and type(value) is type(wanted) and value == wanted:
            set_aside.update(circumstance.sets_aside)
            reasons.append(circumstance.id)
    for requirement_id, input_name, limit, within in compiled.margins:
        value, bound = env.input(input_name), limit(env)
        if value is UNKNOWN or bound is UNKNOWN or results.get(requirement_id) is not False:
            continue
        if 0 < value - bound <= within:  # type: ignore[operator]
            set_aside.add(requirement_id)
            reasons.append(requirement_id)
    if not reasons or _decide(compiled.requirements, results, set_aside) is not True:
        return False
    trace.extend(TraceNode("hardship", reason, hardship.legal_basis, True) for reason in reasons)
    return True


def _decide(node: _Node, results: Mapping[str, Value], set_aside: set[str]) -> Value:
    """The tree's verdict from leaf results, with ``set_aside`` leaves counted as passed."""
    if node.requirement.id in set_aside:
        return True
    if node.test is not None:
        return results[node.requirement.id]
    verdicts = [_decide(child, results, set_aside) for child in node.children]
    decisive = node.requirement.any is not None
    if any(v is not UNKNOWN and bool(v) is decisive for v in verdicts):
        return decisive
    return UNKNOWN if any(v is UNKNOWN for v in verdicts) else not decisive


def _outcome(  # noqa: PLR0917 - one private step of evaluate()
    compiled: CompiledRegulation,
    status: Status,
    amount_cents: int | None,
    env: Env,
    facts: Mapping[str, SourcedFact],
    trace: list[TraceNode],
) -> Outcome:
    regulation = compiled.regulation
    uses = []
    settle_with: list[str] = []
    for name in sorted(env.reads):
        sourced = facts.get(name)
        if sourced is None:
            uses.append(InputUse(name, UNKNOWN, None))
            spec = regulation.inputs[name]
            for vct in [e.vct for e in spec.evidence] + [p.vct for p in spec.predicates]:
                if vct not in settle_with:
                    settle_with.append(vct)
        else:
            uses.append(InputUse(name, sourced.fact.value, sourced.source))
    estimated = any(u.source is not None and u.source.kind == "self_declared" for u in uses)
    texts = regulation.texts
    text = {
        Status.ELIGIBLE: texts.eligible,
        Status.NOT_ELIGIBLE: texts.not_eligible,
        Status.UNKNOWN: texts.unknown,
        Status.REFER_HARDSHIP: texts.refer_hardship or texts.not_eligible,
    }[status]
    return Outcome(
        regulation.id,
        compiled.version,
        status,
        amount_cents,
        estimated,
        text,
        tuple(trace),
        tuple(uses),
        tuple(settle_with) if status is Status.UNKNOWN else (),
    )
