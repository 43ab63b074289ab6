"""Fixtures every test may use: a fixed clock and deterministic randomness (STYLE §7)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

FIXED_NOW = 1_790_000_000  # 2026-09-22, inside the spec vectors' validity


@pytest.fixture
def now() -> int:
    return FIXED_NOW


@pytest.fixture
def random_bytes() -> Callable[[int], bytes]:
    """Seeded bytes: the same salts on every run, so failures reproduce."""
    generator = random.Random(20261128)
    return generator.randbytes
