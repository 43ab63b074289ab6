"""Helpers shared by the tests: rejection assertions and the spec's vectors.

``assert_rejected`` is how a test states that an input is refused for one exact reason;
``tests/test_reason_coverage.py`` checks that every reason member appears in some test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specs.errors import Reason, Rejected

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors"


def assert_rejected(
    reason: Reason, call: Callable[..., Any], *args: Any, **kwargs: Any
) -> Rejected:
    """Call and require ``Rejected`` with exactly ``reason``; nothing else may escape."""
    with pytest.raises(Rejected) as info:
        call(*args, **kwargs)
    assert info.value.reason is reason, f"expected {reason!r}, got {info.value.reason!r}"
    return info.value


def vectors_dir(*parts: str) -> Path:
    """A folder of ../shared/vectors, or a clean skip when the vectors are not there."""
    path = VECTORS.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"spec vectors not available at {path}")
    return path


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


#: 2026-11-18: inside the 2026 regulation year and the demo trust entries' validity.
START = 1_795_000_000


class Clock:
    """A clock the test moves by hand (services take a ``clock`` callable)."""

    def __init__(self, now: int = START) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds
