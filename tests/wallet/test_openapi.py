"""The wallet service's OpenAPI document tells an app developer everything needed: every
``/v1`` operation names its success answer, its error answers and how it is authenticated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aanspraak.town import FixedRegistry
from specs.trust import TrustSnapshot
from wallet.app import build_app
from wallet.settings import WalletSettings

DEVICE_ONLY = {("post", "/v1/accounts"), ("post", "/v1/sessions")}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data: Path = tmp_path_factory.mktemp("openapi")
    settings = WalletSettings(
        profile="development",
        public_url="http://127.0.0.1:8002",
        database_url=f"sqlite+aiosqlite:///{data}/wallet.db",
        data_dir=data,
    )
    document: dict[str, Any] = build_app(settings, trust=FixedRegistry(TrustSnapshot())).openapi()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in spec["paths"].items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
    ]


def test_every_operation_documents_its_answers(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    assert len(operations) == 22
    for method, path, operation in operations:
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert len(success) == 1, (method, path)
        if success[0] != "204":
            schema = responses[success[0]]["content"]["application/json"]["schema"]
            assert "$ref" in schema, (method, path)
        error = responses["401"]["content"]["application/json"]["schema"]["$ref"]
        assert error.endswith("/ErrorBody"), (method, path)
        assert operation.get("summary"), (method, path)


def test_every_operation_says_how_it_is_authenticated(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["DeviceProof"]["name"] == "DPoP"
    assert schemes["Session"]["name"] == "Authorization"
    for method, path, operation in _operations(spec):
        named = {name for requirement in operation.get("security", []) for name in requirement}
        expected = {"DeviceProof"} if (method, path) in DEVICE_ONLY else {"DeviceProof", "Session"}
        assert named == expected, (method, path)
