"""The shapes of the wallet service's answers, for its OpenAPI document.

Handlers build their JSON themselves (so nothing is serialised twice); these models only
describe it to app developers. ``docs/wallet.md`` explains each field; a test checks that
every ``/v1`` operation documents its success answer and its error answers here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every error: a fixed code and a fixed description (never the input)."""

    error: str = Field(examples=["wrong_pin"])
    error_description: str = Field(examples=["wrong PIN"])


class AccountCreated(BaseModel):
    account: str = Field(description="The account id (32 hex digits)")


class SessionOpened(BaseModel):
    account: str
    session_token: str = Field(description="Send as `Authorization: DPoP <token>`")
    token_type: Literal["DPoP"]
    expires_at: int = Field(description="Seconds since the epoch (UTC)")


class SigningRequest(BaseModel):
    key_id: str = Field(description="RFC 7638 thumbprint of the device key to sign with")
    signing_input: str = Field(description="base64url JWS signing input (RFC 7515 §5.1)")


class IssuanceStep(BaseModel):
    """``signatures_needed``: sign and post; ``stored``: the credential is kept."""

    id: str | None = None
    status: Literal["signatures_needed", "stored"]
    issuer: str | None = None
    vct: str | None = None
    signing_requests: list[SigningRequest] | None = None
    credential: dict[str, Any] | None = Field(
        default=None, description="id, instances, issuer, vct, display, expires_at, key_ids"
    )
    notices: list[dict[str, Any]] | None = None
    checks: list[str] | None = None
    issuer_notified: bool | None = None


class AuthorizationStep(BaseModel):
    """``authorization_needed``: open ``authorization_url`` in the browser, then post the
    redirect the app receives to ``/v1/authorizations/{id}/redirect``."""

    id: str
    status: Literal["authorization_needed"]
    issuer: str
    vct: str
    authorization_url: str = Field(description="The issuer's authorization endpoint (PAR)")


class Credentials(BaseModel):
    credentials: list[dict[str, Any]] = Field(
        description="Per credential: id, issuer, vct, display (Type Metadata), instances, "
        "unused_instances, expires_at, key_ids, status, restored"
    )


class DeletedKeys(BaseModel):
    deleted_key_ids: list[str] = Field(description="Device keys no remaining credential uses")


class StatusCheck(BaseModel):
    statuses: dict[str, Literal["valid", "unknown", "suspended", "revoked"]]
    changed: dict[str, dict[str, str]]
    new_notices: list[dict[str, Any]]


class Discovery(BaseModel):
    on: str = Field(description="ISO date of the scan")
    entitled: list[dict[str, Any]]
    not_entitled: list[dict[str, Any]]
    unknown: list[dict[str, Any]]
    hardship: list[dict[str, Any]]
    new_notices: list[dict[str, Any]]


class Notices(BaseModel):
    notices: list[dict[str, Any]]


class Advice(BaseModel):
    advice: list[dict[str, Any]] = Field(description="kind, batch_id, vct, agency, why, message")


class ClaimRef(BaseModel):
    vct: str
    claim: list[str | int]


class Preview(BaseModel):
    """The consent screen: who asks, what, why, under which law, and what stays here."""

    verifier: str
    verifier_name: str | None
    regulation: str
    legal_basis: dict[str, Any]
    shared: list[ClaimRef]
    not_shared: list[ClaimRef]


class PresentationStep(BaseModel):
    id: str
    status: Literal["awaiting_consent", "signatures_needed", "sent", "declined"]
    preview: Preview | None = None
    signing_requests: list[SigningRequest] | None = None
    desk: dict[str, Any] | None = Field(
        default=None, description="The desk's answer: status_code, error, redirect_uri"
    )


class History(BaseModel):
    history: list[dict[str, Any]] = Field(
        description="at, outcome (shared | declined), verifier, verifier_name, regulation, "
        "legal_basis, shared (claim names, never values), desk_status"
    )


class Backup(BaseModel):
    backup: str = Field(description="base64 of the encrypted export file")


class Restored(BaseModel):
    credentials: int
    history: int
    notices: int


def answers(model: type[BaseModel] | None, *errors: int, status: int = 200) -> dict[int | str, Any]:
    """``responses=`` of one operation: its success model and its error codes."""
    documented: dict[int | str, Any] = {}
    if model is not None:
        documented[status] = {"model": model}
    for code in (401, 422, *errors):
        documented[code] = {"model": ErrorBody}
    return documented
