"""Every rejection reason has a test that feeds the bad input and asserts it (STYLE §5).

A reason counts as tested when test *code* names it as ``<Enum>.<MEMBER>``: in an
``assert_rejected`` call, a comparison, or the parameters such a test runs with. Only the
syntax tree is read, so comments and docstrings never count. A reason nobody can trigger is
dead code and should go; a reason nobody tests is a rule nobody checks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from runtime.fetcher import FetchReason
from specs.errors import FAMILY_OF, REASON_ENUMS
from wallet.issuance_errors import IssuanceReason

TESTS = Path(__file__).parent
#: Reasons of the edges (a fetch refused, an issuance the wallet gave up): not wire errors of
#: the core, so not in ``specs.errors``, but each one is a rule that needs its test just the same.
EDGE_REASON_ENUMS = (FetchReason, IssuanceReason)


def _mentioned() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in TESTS.rglob("test_*.py"):
        if path.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id.endswith("Reason")
            ):
                found.add((node.value.id, node.attr))
    return found


def test_every_reason_member_is_asserted_somewhere() -> None:
    mentioned = _mentioned()
    untested = [
        f"{enum.__name__}.{member.name}"
        for enum in (*REASON_ENUMS, *EDGE_REASON_ENUMS)
        for member in enum
        if (enum.__name__, member.name) not in mentioned
    ]
    assert untested == []


def test_every_reason_has_a_family_and_a_unique_slug() -> None:
    members = [member for enum in REASON_ENUMS for member in enum]
    assert set(members) == set(FAMILY_OF)
    slugs = [member.value for member in members]
    assert len(slugs) == len(set(slugs))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) for slug in slugs)
