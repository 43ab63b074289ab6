"""The three services' OpenAPI documents as fuzz targets (schemathesis), over real HTTP.

The town (``aanspraak.town``: issuer, desk and wallet service under uvicorn on loopback,
SQLite) serves the apps as an operator runs them; each service's own ``/openapi.json`` is
loaded into schemathesis, and every operation becomes a ``Target`` whose inputs are
schemathesis cases, valid by the schema and deliberately invalid (negative mode).

Requests carry real credentials, so the fuzzed input reaches past authentication: the
back-office and desk API keys, and for the wallet service a device key with a registered
account, a session token and a fresh DPoP proof per request (RFC 9449 §4). Each wallet
operation gets its own account, so one that deletes its account does not lock out the rest.

A 5xx answer is a crash (``ServerError``), as is a broken connection; the designed 503
(with ``Retry-After``) cannot happen here, since the town's registry is always readable.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.core.result import Err

from aanspraak.town import Town, running_town
from issuer.api_keys import create_api_key
from specs.dpop import build_dpop_proof, new_jti
from tests.fuzz.harness import Target
from wallet.device_client import SimulatedDevice, WalletServiceClient

PIN = "482916"
FAST_KDF = {"pin_kdf_memory_kib": 64, "pin_kdf_iterations": 1, "pin_backoff_seconds": 0}
REQUEST_TIMEOUT = 30.0


class ServerError(AssertionError):
    """A service answered a request with a 5xx: a crash, whatever the input was."""


@dataclass
class Service:
    name: str
    url: str
    headers: Callable[[str, str, str], dict[str, str]]
    """Credentials for one request: by operation label, method and path."""
    document: dict[str, Any] = field(default_factory=dict)


class WalletDevices:
    """A registered, unlocked device per wallet operation; signs each request (DPoP)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clients: dict[str, WalletServiceClient] = {}

    def headers(self, label: str, method: str, path: str) -> dict[str, str]:
        client = self.clients.get(label) or self._register(label)
        token = client.session_token
        proof = build_dpop_proof(
            key=client.device.device_key,
            method=method.upper(),
            url=self.url + path,
            now=int(time.time()),
            jti=new_jti(os.urandom),
            access_token=token,
        )
        return {"DPoP": proof, "Authorization": f"DPoP {token}"}

    def _register(self, label: str) -> WalletServiceClient:
        client = WalletServiceClient(self.url, SimulatedDevice())

        async def register() -> None:
            async with client:
                await client.register(PIN)
                await client.unlock(PIN)

        asyncio.run(register())
        self.clients[label] = client
        return client


@contextlib.contextmanager
def running_services(data: Path) -> Iterator[list[Service]]:
    """The town, with a back-office key, a desk key and wallet devices; its three services."""
    with running_town(data, wallet_overrides=dict(FAST_KDF)) as town:
        yield asyncio.run(_services(town))


async def _services(town: Town) -> list[Service]:
    issuer_context = town.issuer
    created = await town.runs["issuer"].call(
        create_api_key(
            issuer_context, name="fuzz", configurations=sorted(issuer_context.configurations.by_id)
        )
    )
    issuer_key, desk_key = created.secret, await town.desk_key(["zorgtoeslag"])
    devices = WalletDevices(town.wallet_url)
    services = [
        Service("issuer", town.issuer_url, lambda *_request: _bearer(issuer_key)),
        Service("verifier", town.desk_url, lambda *_request: _bearer(desk_key)),
        Service("wallet", town.wallet_url, devices.headers),
    ]
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
        for service in services:
            response = await client.get(f"{service.url}/openapi.json")
            response.raise_for_status()
            service.document = response.json()
    return services


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def operation_labels(document: dict[str, Any]) -> list[str]:
    """``METHOD /path`` of every operation, in the document's order."""
    return [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def operation_targets(service: Service) -> list[Target]:
    """One target per operation: schemathesis cases in, no 5xx out."""
    schema = schemathesis.openapi.from_dict(service.document)
    targets = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the services' documents are generated: never broken
            raise result.err()
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        modes = [
            operation.as_strategy(generation_mode=mode)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        targets.append(
            Target(f"{service.name}: {label}", st.one_of(modes), _caller(service, label))
        )
    return targets


def _caller(service: Service, label: str) -> Callable[[Case[Any]], object]:
    def call(case: Case[Any]) -> object:
        credentials = service.headers(label, case.method, case.formatted_path)
        headers = {**dict(case.headers or {}), **credentials}
        response = case.call(base_url=service.url, headers=headers, timeout=REQUEST_TIMEOUT)
        if response.status_code >= 500:
            raise ServerError(f"{label}: {response.status_code} {response.text[:200]}")
        return response

    return call
