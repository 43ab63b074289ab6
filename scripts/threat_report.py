"""Which tests prove each threat-catalogue case, and which features the skipped ones wait for.

``python -m scripts.threat_report`` reads ``tests/threats`` statically (no test runs): per
case identifier, how many test functions are named after it, and every ``not_built`` call
with the feature it names.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.threats.catalogue import CASE_IDS, case_test_prefix

SUITE = Path(__file__).resolve().parents[1] / "tests" / "threats"


def survey() -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """(case -> test names, [(test name, feature waited for)])."""
    tests: dict[str, list[str]] = {case: [] for case in CASE_IDS}
    waiting: list[tuple[str, str]] = []
    for module in sorted(SUITE.glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for case in CASE_IDS:
                if node.name.startswith(case_test_prefix(case)):
                    tests[case].append(node.name)
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "not_built":
                    feature = call.args[0]
                    if isinstance(feature, ast.Constant):
                        waiting.append((node.name, str(feature.value)))
    return tests, waiting


def main() -> int:
    tests, waiting = survey()
    missing = [case for case, names in tests.items() if not names]
    print(f"cases: {len(CASE_IDS)}, with tests: {len(CASE_IDS) - len(missing)}")
    print(f"test functions: {sum(len(names) for names in tests.values())}")
    for case in missing:
        print(f"  no test: {case}")
    print(f"explicit skips for features not built: {len(waiting)}")
    for name, feature in waiting:
        print(f"  {name}: {feature}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
