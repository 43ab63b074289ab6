"""The wallet's OpenID4VP tests answer a real desk: the verifier tests' ``desk`` fixture."""

from tests.verifier.conftest import desk  # noqa: F401 - a fixture, found by pytest by name
