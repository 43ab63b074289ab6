"""The threat catalogue's identifiers, and how a test says a case's feature is not built.

The catalogue itself (what each case feeds and expects) is the project's threat model; the
suite in this folder has one test per identifier at least, named ``test_<ID>_...`` with the
dash written as an underscore (``test_P_01_...``), so a failure names the case it breaks.
``test_catalogue.py`` checks that every identifier has its test, and that the list here is the
model's when the model is at hand.
"""

from __future__ import annotations

from typing import NoReturn

import pytest

#: prefix -> (layer, number of cases)
LAYERS: dict[str, tuple[str, int]] = {
    "P": ("parse", 28),
    "S": ("sig", 16),
    "K": ("kb", 14),
    "T": ("status", 13),
    "R": ("trust", 8),
    "C": ("chain", 7),
    "I": ("vci", 17),
    "V": ("vp", 17),
    "D": ("storage", 11),
    "H": ("http", 13),
    "F": ("faults", 6),
}

CASE_IDS: tuple[str, ...] = tuple(
    f"{prefix}-{number:02d}"
    for prefix, (_, count) in LAYERS.items()
    for number in range(1, count + 1)
)

NOT_BUILT = "not built: "


def not_built(feature: str) -> NoReturn:
    """Skip a case whose feature does not exist yet, naming that feature (never a silent pass)."""
    pytest.skip(NOT_BUILT + feature)


def case_test_prefix(case_id: str) -> str:
    """``P-01`` -> ``test_P_01_``: the start of every test name for that case."""
    return "test_" + case_id.replace("-", "_") + "_"
