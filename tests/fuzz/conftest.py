"""The verifier tests' ``desk`` and the issuer tests' ``issuer``: the regressions found by
fuzzing are also shown on the wire."""

from tests.issuer.conftest import issuer  # noqa: F401 - a fixture, by name
from tests.verifier.conftest import desk  # noqa: F401 - a fixture, by name
