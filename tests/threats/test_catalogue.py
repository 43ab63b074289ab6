"""Every catalogue case has its test, and the identifiers are the threat model's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.threats.catalogue import CASE_IDS, NOT_BUILT, case_test_prefix

HERE = Path(__file__).parent
THREAT_MODEL = HERE.parents[2] / "shared" / "THREATS.md"


def _test_functions() -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for module in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.name.startswith("test_"):
                functions[f"{module.name}::{node.name}"] = node
    return functions


def test_every_case_has_a_test_named_after_it() -> None:
    names = [key.split("::")[1] for key in _test_functions()]
    missing = [
        case for case in CASE_IDS if not any(n.startswith(case_test_prefix(case)) for n in names)
    ]
    assert missing == []


def test_a_skipped_case_names_the_feature_it_waits_for() -> None:
    """``not_built`` takes a literal, so the list of waiting features can be read statically."""
    for key, function in _test_functions().items():
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "not_built":
                assert node.args, key
                assert isinstance(node.args[0], ast.Constant), key
                assert len(str(node.args[0].value)) > 10, key
    assert NOT_BUILT.startswith("not built")


def test_the_identifiers_are_the_threat_models() -> None:
    if not THREAT_MODEL.is_file():
        pytest.skip("the threat model is not next to the repository")
    rows = re.findall(r"^\| ([A-Z]-\d\d) \|", THREAT_MODEL.read_text(), flags=re.MULTILINE)
    assert tuple(rows) == CASE_IDS
