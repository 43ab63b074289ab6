"""The truth tables of the expression language: strong Kleene logic with UNKNOWN."""

from __future__ import annotations

from typing import Any

import pytest

from specs.rules.expressions import UNKNOWN, Env, Fact, Names, compile_expression

NAMES = Names(frozenset({"a", "b"}), frozenset({"limit"}), frozenset())
VALUES: dict[str, Any] = {"T": True, "F": False, "U": UNKNOWN}


def _run(tree: Any, a: str, b: str = "U") -> Any:
    facts = {name: Fact(VALUES[v]) for name, v in (("a", a), ("b", b)) if v != "U"}
    return compile_expression(tree, NAMES, "t")(Env(facts, {"limit": 10}, {}))


AND = {
    "TT": "T",
    "TF": "F",
    "TU": "U",
    "FT": "F",
    "FF": "F",
    "FU": "F",
    "UT": "U",
    "UF": "F",
    "UU": "U",
}
OR = {
    "TT": "T",
    "TF": "T",
    "TU": "T",
    "FT": "T",
    "FF": "F",
    "FU": "U",
    "UT": "T",
    "UF": "U",
    "UU": "U",
}


@pytest.mark.parametrize(("pair", "expected"), AND.items())
def test_and(pair: str, expected: str) -> None:
    assert _run({"and": [{"input": "a"}, {"input": "b"}]}, pair[0], pair[1]) is VALUES[expected]


@pytest.mark.parametrize(("pair", "expected"), OR.items())
def test_or(pair: str, expected: str) -> None:
    assert _run({"or": [{"input": "a"}, {"input": "b"}]}, pair[0], pair[1]) is VALUES[expected]


@pytest.mark.parametrize(("value", "expected"), [("T", "F"), ("F", "T"), ("U", "U")])
def test_not(value: str, expected: str) -> None:
    assert _run({"not": {"input": "a"}}, value) is VALUES[expected]


def test_if_with_an_unknown_condition_is_known_only_when_both_branches_agree() -> None:
    assert _run({"if": [{"input": "a"}, 1, 2]}, "U") is UNKNOWN
    assert _run({"if": [{"input": "a"}, 7, 7]}, "U") == 7
    assert _run({"if": [{"input": "a"}, 1, 2]}, "T") == 1


def test_arithmetic_and_comparison_propagate_unknown() -> None:
    assert _run({"add": [{"input": "a"}, 1]}, "U") is UNKNOWN
    assert _run({"lte": [{"input": "a"}, {"param": "limit"}]}, "U") is UNKNOWN
    assert _run({"eq": [{"input": "a"}, True]}, "T") is True
