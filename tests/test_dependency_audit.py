"""The dependency audit's offline half: installed versions against the advisory floors."""

from __future__ import annotations

from importlib import metadata

import pytest

from scripts import dependency_audit
from scripts.dependency_audit import Floor, floor_findings


def test_the_installed_dependencies_meet_every_floor() -> None:
    assert floor_findings() == []


def test_a_version_below_its_floor_is_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = metadata.version("cryptography")
    monkeypatch.setitem(dependency_audit.FLOORS, "cryptography", Floor("9999", "a test advisory"))
    assert floor_findings() == [f"cryptography {installed} < 9999: a test advisory"]


def test_a_package_that_is_not_installed_is_not_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(dependency_audit.FLOORS, "no-such-package-here", Floor("1", "none"))
    assert floor_findings() == []
