"""How long the fuzzers run: a short, reproducible profile for CI, a long one on request.

CI runs every target with a fixed seed (``derandomize``) and no example database, so a run
is the same on every machine and leaves nothing behind. ``AANSPRAAK_FUZZ_EXAMPLES=N`` turns
on the long profile: N examples per target, fresh randomness on every run (to find what the
fixed seed never reaches); ``python -m scripts.fuzz`` runs the same targets for a set time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

EXAMPLES_VARIABLE = "AANSPRAAK_FUZZ_EXAMPLES"
CI_EXAMPLES = 120
"""Per parser target: the whole folder stays well under a minute on one core."""
CI_OPENAPI_EXAMPLES = 6
"""Per service operation: a handful of requests each, so the three services take ~a minute."""

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def _long_examples() -> int | None:
    value = os.environ.get(EXAMPLES_VARIABLE, "").strip()
    return int(value) if value else None


def fuzz_settings(max_examples: int, *, derandomize: bool) -> settings:
    """The settings every fuzz target runs under (no deadline: no timing assertions)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=derandomize,
        database=None,
        suppress_health_check=_QUIET,
        print_blob=True,
    )


settings.register_profile("aanspraak-fuzz-ci", fuzz_settings(CI_EXAMPLES, derandomize=True))
settings.register_profile(
    "aanspraak-fuzz-long", fuzz_settings(_long_examples() or CI_EXAMPLES, derandomize=False)
)


def parser_settings() -> settings:
    """The profile for the parser targets: the long one when the variable is set."""
    return settings.get_profile("aanspraak-fuzz-long" if _long_examples() else "aanspraak-fuzz-ci")


def openapi_settings() -> settings:
    """The profile for each service operation (schemathesis): a handful in CI. No shrinking:
    the operation and the status name the crash, and a shrink costs many more requests."""
    examples = _long_examples()
    return settings(
        fuzz_settings(examples or CI_OPENAPI_EXAMPLES, derandomize=examples is None),
        phases=[Phase.explicit, Phase.generate],
    )
