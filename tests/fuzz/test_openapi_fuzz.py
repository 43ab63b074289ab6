"""Every operation of the issuer, the desk and the wallet service, fuzzed from its own OpenAPI
document (schemathesis, valid and invalid cases) over real HTTP: never a 5xx, never an
"unhandled" line in the log (INV-2).

A handful of cases per operation here; ``AANSPRAAK_FUZZ_EXAMPLES=N`` or
``python -m scripts.fuzz`` run many more (``tests/fuzz/profile.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from tests.fuzz.harness import run_target
from tests.fuzz.openapi import (
    ServerError,
    Service,
    operation_labels,
    operation_targets,
    running_services,
)
from tests.fuzz.profile import openapi_settings
from tests.threats.invariants import LogWatch

SERVICES = ["issuer", "verifier", "wallet"]


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    with running_services(tmp_path_factory.mktemp("openapi-fuzz")) as started:
        yield {service.name: service for service in started}


@pytest.fixture
def log_watch() -> Iterator[LogWatch]:
    watch = LogWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    try:
        yield watch
    finally:
        root.removeHandler(watch)


@pytest.mark.parametrize("name", SERVICES)
def test_no_operation_answers_with_a_server_error(
    services: dict[str, Service], name: str, log_watch: LogWatch
) -> None:
    service = services[name]
    targets = operation_targets(service)
    assert [t.name.split(": ", 1)[1] for t in targets] == operation_labels(service.document)
    crashes: list[str] = []
    for target in targets:
        try:
            figures = run_target(target, openapi_settings())
        except ServerError as crash:
            crashes.append(str(crash))
        else:
            assert figures.examples > 0, target.name
    assert crashes == []
    assert log_watch.breaches == []


def test_a_wallet_id_with_a_nul_byte_is_refused_not_a_server_error(
    services: dict[str, Service],
) -> None:
    """Found by this fuzzing: the wallet checked the device proof against the percent-decoded
    path, and ``/v1/notices/%00`` is no URI, so the check raised ``ValueError`` (a 500)."""
    wallet, path = services["wallet"], "/v1/notices/%00"
    headers = wallet.headers("nul id", "DELETE", path)
    response = httpx.delete(wallet.url + path, headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_dpop_proof",
        "error_description": "dpop-htu-mismatch",
    }
