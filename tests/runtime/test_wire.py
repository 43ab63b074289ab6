"""Wire errors: each class renders its status, code and headers through the app's handler."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from enum import StrEnum

import httpx
import pytest
from fastapi import APIRouter

from runtime import wire
from runtime.app import create_app
from runtime.settings import ServiceSettings
from specs.errors import JoseReason, Rejected, SdJwtReason

# (class, status, code, headers it must send): the contract, written out independently.
EXPECTED: list[tuple[type[wire.WireError], int, str, dict[str, str]]] = [
    (wire.InvalidRequest, 400, "invalid_request", {}),
    (wire.InvalidClient, 401, "invalid_client", {}),
    (wire.InvalidGrant, 400, "invalid_grant", {}),
    (wire.UnauthorizedClient, 400, "unauthorized_client", {}),
    (wire.UnsupportedGrantType, 400, "unsupported_grant_type", {}),
    (
        wire.InvalidToken,
        401,
        "invalid_token",
        {"www-authenticate": 'Bearer error="invalid_token"'},
    ),
    (
        wire.InsufficientScope,
        403,
        "insufficient_scope",
        {"www-authenticate": 'Bearer error="insufficient_scope"'},
    ),
    (wire.InvalidScope, 400, "invalid_scope", {}),
    (wire.UnsupportedResponseType, 400, "unsupported_response_type", {}),
    (wire.InvalidAuthorizationDetails, 400, "invalid_authorization_details", {}),
    (wire.UseFreshAttestation, 400, "use_fresh_attestation", {}),
    (wire.InvalidDpopProof, 400, "invalid_dpop_proof", {}),
    (wire.UseDpopNonce, 400, "use_dpop_nonce", {}),
    (
        wire.InvalidDpopProofChallenge,
        401,
        "invalid_dpop_proof",
        {"www-authenticate": 'DPoP algs="ES256", error="invalid_dpop_proof"'},
    ),
    (
        wire.UseDpopNonceChallenge,
        401,
        "use_dpop_nonce",
        {"www-authenticate": 'DPoP algs="ES256", error="use_dpop_nonce"'},
    ),
    (
        wire.InvalidDpopToken,
        401,
        "invalid_token",
        {"www-authenticate": 'DPoP algs="ES256", error="invalid_token"'},
    ),
    (wire.InvalidProof, 400, "invalid_proof", {}),
    (wire.InvalidNonce, 400, "invalid_nonce", {}),
    (wire.InvalidCredentialRequest, 400, "invalid_credential_request", {}),
    (wire.UnknownCredentialConfiguration, 400, "unknown_credential_configuration", {}),
    (wire.UnknownCredentialIdentifier, 400, "unknown_credential_identifier", {}),
    (wire.CredentialRequestDenied, 400, "credential_request_denied", {}),
    (wire.IssuancePending, 400, "issuance_pending", {}),
    (wire.InvalidTransactionId, 400, "invalid_transaction_id", {}),
    (wire.InvalidNotificationId, 400, "invalid_notification_id", {}),
    (wire.InvalidNotificationRequest, 400, "invalid_notification_request", {}),
    (wire.NotFound, 404, "not_found", {}),
    (wire.MethodNotAllowed, 405, "method_not_allowed", {}),
    (wire.PayloadTooLarge, 413, "invalid_request", {}),
    (wire.UnsupportedMediaType, 415, "invalid_request", {}),
    (wire.Unauthorized, 401, "unauthorized", {"www-authenticate": "Bearer"}),
    (wire.Forbidden, 403, "forbidden", {}),
    (wire.Conflict, 409, "conflict", {}),
    (wire.InvalidTransactionData, 400, "invalid_transaction_data", {}),
    (wire.VpFormatsNotSupported, 400, "vp_formats_not_supported", {}),
    (wire.InvalidRequestUriMethod, 400, "invalid_request_uri_method", {}),
    (wire.ServiceUnavailable, 503, "temporarily_unavailable", {}),
    (wire.ServerError, 500, "server_error", {}),
]
BY_NAME = {cls.__name__: cls for cls, *_ in EXPECTED}


def _raising_router() -> APIRouter:
    router = APIRouter()

    @router.get("/raise/{name}")
    async def raise_named(name: str) -> None:
        raise BY_NAME[name]()

    @router.get("/pending")
    async def pending() -> None:
        raise wire.IssuancePending(extra={"interval": 5}, headers={"Retry-After": "5"})

    return router


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(public_url="https://svc.example.nl", database_url="sqlite://")
    app = create_app(title="wire", version="0", settings=settings, routers=[_raising_router()])
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client


def test_every_wire_class_is_in_the_table() -> None:
    defined = {
        obj
        for _, obj in inspect.getmembers(wire, inspect.isclass)
        if issubclass(obj, wire.WireError) and obj is not wire.WireError
    }
    assert defined == set(BY_NAME.values())


@pytest.mark.parametrize(
    ("error_class", "status", "code", "headers"),
    EXPECTED,
    ids=[cls.__name__ for cls, *_ in EXPECTED],
)
async def test_handler_renders_class(
    client: httpx.AsyncClient,
    error_class: type[wire.WireError],
    status: int,
    code: str,
    headers: dict[str, str],
) -> None:
    response = await client.get(f"/raise/{error_class.__name__}")
    assert response.status_code == status
    assert response.json() == {"error": code, "error_description": error_class.description}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"
    for name, value in headers.items():
        assert response.headers[name] == value
    if not headers:
        assert "www-authenticate" not in response.headers


async def test_extra_members_and_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/pending")
    assert response.status_code == 400
    assert response.json() == {
        "error": "issuance_pending",
        "error_description": "the credential is not ready yet",
        "interval": 5,
    }
    assert response.headers["retry-after"] == "5"


def test_description_override_is_used() -> None:
    error = wire.InvalidRequest("tx_code is required")
    assert error.body() == {"error": "invalid_request", "error_description": "tx_code is required"}
    assert str(error) == "invalid_request"


def test_class_headers_win_over_instance_headers() -> None:
    error = wire.InvalidToken(headers={"WWW-Authenticate": "Basic", "Retry-After": "1"})
    assert error.response_headers() == {
        "WWW-Authenticate": 'Bearer error="invalid_token"',
        "Retry-After": "1",
    }


@pytest.mark.parametrize("member", ["error", "error_description"])
def test_extra_may_not_replace_the_code(member: str) -> None:
    with pytest.raises(ValueError, match="extra members may not replace"):
        wire.InvalidGrant(extra={member: "x"})


def test_reason_table_maps_and_defaults() -> None:
    table: dict[StrEnum, type[wire.WireError]] = {JoseReason.BAD_SIGNATURE: wire.InvalidProof}
    to_wire = wire.reason_table(table, default=wire.InvalidRequest)
    assert type(to_wire(Rejected(JoseReason.BAD_SIGNATURE))) is wire.InvalidProof
    assert type(to_wire(Rejected(SdJwtReason.DUPLICATE_DIGEST))) is wire.InvalidRequest


def test_reason_table_is_a_copy() -> None:
    table: dict[StrEnum, type[wire.WireError]] = {}
    to_wire = wire.reason_table(table, default=wire.InvalidRequest)
    table[JoseReason.BAD_JSON] = wire.InvalidNonce
    assert type(to_wire(Rejected(JoseReason.BAD_JSON))) is wire.InvalidRequest
