"""Every parser, fed arbitrary and near-valid input, accepts or refuses it: the only
exception that may escape is ``Rejected`` (``InvalidRegulation`` for regulation files).

The short, seeded profile runs here; ``AANSPRAAK_FUZZ_EXAMPLES=N`` runs N fresh examples per
target, and ``python -m scripts.fuzz --minutes M`` runs them for a set time
(``tests/fuzz/profile.py``).
"""

from __future__ import annotations

import pytest

from tests.fuzz.harness import Target, run_target
from tests.fuzz.profile import parser_settings
from tests.fuzz.targets import TARGETS


def test_target_names_are_unique() -> None:
    names = [target.name for target in TARGETS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("target", TARGETS, ids=[target.name for target in TARGETS])
def test_parser_only_accepts_or_rejects(target: Target) -> None:
    figures = run_target(target, parser_settings())
    assert figures.examples > 0
