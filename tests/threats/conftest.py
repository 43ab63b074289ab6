"""INV-2 for every case in this folder: an uncaught exception anywhere fails the case."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.threats.invariants import LogWatch


@pytest.fixture(autouse=True)
def no_uncaught_exception() -> Iterator[LogWatch]:
    watch = LogWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
    assert watch.breaches == [], watch.breaches
