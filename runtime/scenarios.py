"""Scenario files: ``<id>/<AUTHORITY>-<valid_from>.scenarios.yaml`` beside each regulation.

A scenario is a set of credentials (as a wallet holds them or a desk verified them), optional
self-declared values and desk facts, and the expected outcome. They are the regulation's own
tests (STYLE §9) and run in ``tests/specs/rules/test_scenarios.py``; worked examples the
government publishes are included with their ``source``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.regulations import regulations_root
from specs.errors import InvalidRegulation
from specs.rules import HeldCredential
from specs.rules.loader import load_yaml


@dataclass(frozen=True)
class Scenario:
    name: str
    credentials: list[HeldCredential]
    self_declared: dict[str, Any] = field(default_factory=dict)
    desk: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    source: str | None = None


@dataclass(frozen=True)
class ScenarioFile:
    path: Path
    regulation: str
    valid_from: str
    cases: list[Scenario]


def scenario_files(root: Path | None = None) -> Iterator[Path]:
    yield from sorted((root or regulations_root()).glob("*/*.scenarios.yaml"))


def load_scenarios(path: Path) -> ScenarioFile:
    document = load_yaml(path.read_text(encoding="utf-8"), origin=path.name)
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise InvalidRegulation(f"{path.name}: expected regulation, valid_from and cases")
    cases = [_case(path, i, case) for i, case in enumerate(document["cases"])]
    return ScenarioFile(path, str(document["regulation"]), str(document["valid_from"]), cases)


def _case(path: Path, index: int, case: Any) -> Scenario:
    if not isinstance(case, dict) or "name" not in case or "expect" not in case:
        raise InvalidRegulation(f"{path.name}: case {index} needs name and expect")
    credentials = [
        HeldCredential(str(c["issuer"]), str(c["vct"]), dict(c["claims"]))
        for c in case.get("credentials", [])
    ]
    return Scenario(
        str(case["name"]),
        credentials,
        dict(case.get("self_declared", {})),
        dict(case.get("desk", {})),
        dict(case["expect"]),
        case.get("source"),
    )
