"""One fuzz target: a strategy of inputs and a check that feeds one input to a parser.

A target's check calls the parser and lets every exception out; ``run_target`` treats the
target's ``allowed`` exceptions (``Rejected`` for citizen and peer input,
``InvalidRegulation`` for regulation files) as a refusal and anything else as a crash,
which hypothesis then shrinks to the smallest input that still crashes.

The tests in this folder and ``python -m scripts.fuzz`` run the same targets through
``run_target``; only the settings differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import Rejected


@dataclass(frozen=True)
class Target:
    name: str
    """Also the test id: ``<package>.<parser>``."""
    inputs: st.SearchStrategy[Any]
    check: Callable[[Any], object]
    allowed: tuple[type[BaseException], ...] = (Rejected,)


@dataclass
class Figures:
    examples: int = 0
    accepted: int = 0
    refused: int = 0
    crashes: list[str] = field(default_factory=list)


def refused_or_accepted(target: Target, value: Any, figures: Figures) -> None:
    """One input: accepted, or refused with an allowed exception; anything else escapes."""
    figures.examples += 1
    try:
        target.check(value)
    except target.allowed as refusal:
        if isinstance(refusal, Rejected) and str(refusal) != refusal.reason.value:
            # The message is the reason's slug: nothing of the input (INV-5).
            raise AssertionError(f"a refusal's message is not its reason: {refusal!r}") from None
        figures.refused += 1
    else:
        figures.accepted += 1


def run_target(target: Target, profile: settings, figures: Figures | None = None) -> Figures:
    """Run ``target`` under ``profile``; a crash is raised (shrunk), as in any property test."""
    counted = figures or Figures()

    @profile
    @given(target.inputs)
    def fuzz(value: Any) -> None:
        refused_or_accepted(target, value, counted)

    fuzz()
    return counted
