"""Fixtures of the wallet's tests: the verifier tests' ``desk`` (the holder library's
OpenID4VP tests answer it), and the loopback ``town`` of the wallet service's end-to-end
tests with ``governance`` to change its registry for one test."""

from tests.verifier.conftest import desk, haip_desk, plain_desk  # noqa: F401 - fixtures, by name
from tests.wallet.town_fixtures import governance, town  # noqa: F401 - fixtures, by name
