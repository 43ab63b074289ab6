"""Expression trees of a regulation, compiled once into closures (fast, and checked at load).

Forms (every list is a JSON array, every node a one-key object):

=====================  ===================================================================
``7``, ``true``        an integer or boolean literal; ``"2026-01-01"`` a text/date literal
``{cents: n}``         an amount in cents; ``{ratio: "6.36/100"}`` an exact fraction
``{input: x}``         a fact about the citizen; ``{param: p}`` a dated figure;
                       ``{def: d}`` a named definition of the same regulation
``{add|min|max: [...]}``, ``{sub|mul: [a, b]}``, ``{floor: e}`` (to an integer, e.g. cents)
``{round: [e, unit]}``  to the nearest multiple of ``unit``, halves up ("rekenkundig")
``{lte|lt|gte|gt|eq: [a, b]}``, ``{and|or: [...]}``, ``{not: e}``, ``{if: [c, a, b]}``
=====================  ===================================================================

Values are exact (``int`` cents, ``Fraction``) and three-valued: a missing input is
``UNKNOWN``, and ``UNKNOWN`` propagates (Kleene logic: ``false and unknown`` is ``false``,
``true and unknown`` is ``unknown``), so the engine says "unknown" rather than guessing.

A comparison whose left side is an input and right side a parameter (``{lte: [{input:
income}, {param: limit}]}``) can be answered by a derived predicate claim instead of the
value: that is what lets a verifier ask "below the limit?" rather than "how much?".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final

from specs.errors import InvalidRegulation
from specs.rules.model import parse_ratio


class _Unknown:
    """The value of anything that depends on a missing fact."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value; compare with `is UNKNOWN`")


UNKNOWN: Final = _Unknown()
Value = int | Fraction | bool | str | _Unknown
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "lte": operator.le,
    "lt": operator.lt,
    "gte": operator.ge,
    "gt": operator.gt,
    "eq": operator.eq,
}


@dataclass(frozen=True, slots=True)
class Fact:
    """What is known about one input: a value, or only answers to predicate comparisons."""

    value: Value = UNKNOWN
    predicates: Mapping[tuple[str, str], bool] = field(default_factory=dict)
    """(op, param) -> answer, from derived predicate claims."""


class Env:
    """One evaluation: the facts, the figures, cached definitions, and which inputs were read."""

    __slots__ = ("definitions", "facts", "params", "reads", "values")

    def __init__(
        self,
        facts: Mapping[str, Fact],
        params: Mapping[str, int | Fraction],
        definitions: Mapping[str, Compiled],
    ) -> None:
        self.facts = facts
        self.params = params
        self.definitions = definitions
        self.values: dict[str, Value] = {}
        self.reads: set[str] = set()

    def input(self, name: str) -> Value:
        self.reads.add(name)
        fact = self.facts.get(name)
        return UNKNOWN if fact is None else fact.value

    def compare_input(self, name: str, op: str, param: str) -> Value:
        self.reads.add(name)
        fact = self.facts.get(name)
        if fact is None:
            return UNKNOWN
        if fact.value is not UNKNOWN:
            return COMPARISONS[op](fact.value, self.params[param])
        return fact.predicates.get((op, param), UNKNOWN)

    def definition(self, name: str) -> Value:
        if name not in self.values:
            self.values[name] = self.definitions[name](self)
        return self.values[name]


Compiled = Callable[[Env], Value]


@dataclass(frozen=True)
class Names:
    """What an expression may refer to; references are checked when compiling."""

    inputs: frozenset[str]
    params: frozenset[str]
    definitions: frozenset[str]


def _fail(path: str, message: str) -> InvalidRegulation:
    return InvalidRegulation(f"{path}: {message}")


def compile_expression(tree: Any, names: Names, path: str) -> Compiled:
    """Compile one tree; raises ``InvalidRegulation`` naming the path of a bad node."""
    if isinstance(tree, bool | int | str):
        constant: Value = tree
        return lambda _env: constant
    if not isinstance(tree, dict) or len(tree) != 1:
        raise _fail(path, "an expression is a literal or an object with one operator")
    ((op, arg),) = tree.items()
    builder = _BUILDERS.get(op)
    if builder is None:
        raise _fail(path, f"unknown operator {op!r}")
    return builder(arg, names, f"{path}.{op}")


def _children(arg: Any, names: Names, path: str, arity: int | None) -> list[Compiled]:
    if not isinstance(arg, list) or (arity is not None and len(arg) != arity) or not arg:
        raise _fail(path, f"expects a list of {arity or 'one or more'} expressions")
    return [compile_expression(child, names, f"{path}[{i}]") for i, child in enumerate(arg)]


def _reference(kind: str) -> Callable[[Any, Names, str], Compiled]:
    def build(name: Any, names: Names, path: str) -> Compiled:
        known = {"input": names.inputs, "param": names.params, "def": names.definitions}[kind]
        # A list or mapping is unhashable: check the type before the set lookup.
        if not isinstance(name, str) or name not in known:
            raise _fail(path, f"unknown {kind} {name!r}")
        if kind == "input":
            return lambda env: env.input(name)
        if kind == "param":
            return lambda env: env.params[name]
        return lambda env: env.definition(name)

    return build


def _literal(kind: str) -> Callable[[Any, Names, str], Compiled]:
    def build(arg: Any, names: Names, path: str) -> Compiled:
        if kind == "cents" and type(arg) is int:
            value: Value = arg
        elif kind == "ratio" and isinstance(arg, str):
            try:
                value = parse_ratio(arg)
            except ValueError:
                raise _fail(path, f"not a ratio: {arg!r}") from None
        else:
            raise _fail(path, f"bad {kind} literal")
        return lambda _env: value

    return build


def _arithmetic(op: str) -> Callable[[Any, Names, str], Compiled]:
    arity = 2 if op in ("sub", "mul") else None

    def build(arg: Any, names: Names, path: str) -> Compiled:
        parts = _children(arg, names, path, arity)

        def run(env: Env) -> Value:
            values = [part(env) for part in parts]
            if any(v is UNKNOWN for v in values):
                return UNKNOWN
            return _APPLY[op](values)

        return run

    return build


_APPLY: dict[str, Callable[[list[Any]], Value]] = {
    "add": sum,
    "sub": lambda v: v[0] - v[1],
    "mul": lambda v: v[0] * v[1],
    "min": min,
    "max": max,
}


def _floor(arg: Any, names: Names, path: str) -> Compiled:
    part = compile_expression(arg, names, path)

    def run(env: Env) -> Value:
        value = part(env)
        return value if value is UNKNOWN else int(value // 1)  # type: ignore[operator]

    return run


def _round(arg: Any, names: Names, path: str) -> Compiled:
    value, unit = _children(arg, names, path, 2)

    def run(env: Env) -> Value:
        amount, step = value(env), unit(env)
        if amount is UNKNOWN or step is UNKNOWN:
            return UNKNOWN
        quotient = Fraction(amount) / Fraction(step)  # type: ignore[arg-type]
        return int((quotient + Fraction(1, 2)) // 1) * step  # type: ignore[operator]

    return run


def _comparison(op: str) -> Callable[[Any, Names, str], Compiled]:
    def build(arg: Any, names: Names, path: str) -> Compiled:
        if (
            op != "eq"
            and isinstance(arg, list)
            and len(arg) == 2
            and _is_ref(arg[0], "input", names.inputs)
            and _is_ref(arg[1], "param", names.params)
        ):
            name, param = arg[0]["input"], arg[1]["param"]
            return lambda env: env.compare_input(name, op, param)
        left, right = _children(arg, names, path, 2)
        compare = COMPARISONS[op]

        def run(env: Env) -> Value:
            a, b = left(env), right(env)
            return UNKNOWN if a is UNKNOWN or b is UNKNOWN else compare(a, b)

        return run

    return build


def _is_ref(node: Any, kind: str, known: frozenset[str]) -> bool:
    if not isinstance(node, dict) or len(node) != 1:
        return False
    name = node.get(kind)
    return isinstance(name, str) and name in known


def _conjunction(is_and: bool) -> Callable[[Any, Names, str], Compiled]:
    def build(arg: Any, names: Names, path: str) -> Compiled:
        parts = _children(arg, names, path, None)
        decisive = not is_and  # `and` is decided by a False, `or` by a True

        def run(env: Env) -> Value:
            unknown = False
            for part in parts:
                value = part(env)
                if value is UNKNOWN:
                    unknown = True
                elif bool(value) is decisive:
                    return decisive
            return UNKNOWN if unknown else not decisive

        return run

    return build


def _negation(arg: Any, names: Names, path: str) -> Compiled:
    part = compile_expression(arg, names, path)
    return lambda env: UNKNOWN if (v := part(env)) is UNKNOWN else not v


def _condition(arg: Any, names: Names, path: str) -> Compiled:
    condition, then, otherwise = _children(arg, names, path, 3)

    def run(env: Env) -> Value:
        chosen = condition(env)
        if chosen is UNKNOWN:
            a, b = then(env), otherwise(env)
            return a if a is not UNKNOWN and b is not UNKNOWN and a == b else UNKNOWN
        return then(env) if chosen else otherwise(env)

    return run


_BUILDERS: dict[str, Callable[[Any, Names, str], Compiled]] = {
    "input": _reference("input"),
    "param": _reference("param"),
    "def": _reference("def"),
    "cents": _literal("cents"),
    "ratio": _literal("ratio"),
    "floor": _floor,
    "round": _round,
    "not": _negation,
    "if": _condition,
    "and": _conjunction(is_and=True),
    "or": _conjunction(is_and=False),
    **{op: _arithmetic(op) for op in _APPLY},
    **{op: _comparison(op) for op in COMPARISONS},
}


def threshold_comparisons(tree: Any) -> tuple[list[tuple[str, str, str]], set[str]]:
    """(input, op, param) comparisons a predicate could answer, and inputs read otherwise."""
    comparisons: list[tuple[str, str, str]] = []
    raw: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict) and len(node) == 1:
            ((op, arg),) = node.items()
            if (
                op in ("lte", "lt", "gte", "gt")
                and isinstance(arg, list)
                and len(arg) == 2
                and isinstance(arg[0], dict)
                and set(arg[0]) == {"input"}
                and isinstance(arg[1], dict)
                and set(arg[1]) == {"param"}
            ):
                comparisons.append((arg[0]["input"], op, arg[1]["param"]))
            elif op == "input":
                raw.add(arg)
            else:
                stack.append(arg)
        elif isinstance(node, list | dict):
            stack.extend(node.values() if isinstance(node, dict) else node)
    return comparisons, raw
