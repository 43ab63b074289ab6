"""Every parser fuzz target, in one list: the tests and ``python -m scripts.fuzz`` share it."""

from __future__ import annotations

from tests.fuzz import (
    targets_oauth,
    targets_oid4vp,
    targets_other,
    targets_sd_jwt,
    targets_status_list,
)
from tests.fuzz.harness import Target

TARGETS: list[Target] = [
    *targets_sd_jwt.TARGETS,
    *targets_status_list.TARGETS,
    *targets_oid4vp.TARGETS,
    *targets_oauth.TARGETS,
    *targets_other.TARGETS,
]
