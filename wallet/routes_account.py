"""The account API for mobile wallet apps: register a device key, unlock with the PIN, delete
everything, and an encrypted backup to restore on a new device.

Every request carries a DPoP proof of the device key (``device_auth``); the vault calls also
the session token from the unlock. Error bodies never echo the PIN, a token or a claim.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from runtime.wire import InvalidRequest
from wallet.accounts import delete_account, register, unlock
from wallet.api_models import AccountCreated, Backup, Restored, SessionOpened, answers
from wallet.backup import export_account, import_account
from wallet.device_auth import Context, DeviceProof, Unlocked
from wallet.export_file import ExportRefused

router = APIRouter(prefix="/v1", tags=["Account"])
NO_STORE = {"Cache-Control": "no-store"}


class PinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pin: str = Field(min_length=1, max_length=64, description="Digits only")


class ExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passphrase: str = Field(min_length=12, max_length=1_024)


class ImportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passphrase: str = Field(min_length=1, max_length=1_024)
    backup: str = Field(max_length=12 * 1024 * 1024, description="base64 of the export file")


@router.post(
    "/accounts",
    responses=answers(AccountCreated, 400, 409, status=201),
    status_code=201,
    summary="Bind a new account to this device key",
)
async def create_account(body: PinBody, context: Context, device: DeviceProof) -> JSONResponse:
    account_id = await register(context, device.public_key, body.pin)
    return JSONResponse({"account": account_id}, status_code=201, headers=NO_STORE)


@router.post(
    "/sessions",
    responses=answers(SessionOpened, 400, 403, 429),
    summary="Unlock the vault with the PIN",
)
async def create_session(body: PinBody, context: Context, device: DeviceProof) -> JSONResponse:
    unlocked = await unlock(context, device.public_key, body.pin)
    return JSONResponse(
        {
            "account": unlocked.account_id,
            "session_token": unlocked.session_token,
            "token_type": "DPoP",
            "expires_at": unlocked.expires_at,
        },
        headers=NO_STORE,
    )


@router.delete(
    "/account",
    responses=answers(None),
    status_code=204,
    summary="Delete the account and everything in it",
)
async def remove_account(context: Context, session: Unlocked) -> Response:
    await delete_account(context, session.account_id)
    return Response(status_code=204, headers=NO_STORE)


@router.post(
    "/export",
    responses=answers(Backup, 400),
    summary="An encrypted backup of the wallet, for safekeeping",
)
async def export(body: ExportBody, context: Context, session: Unlocked) -> JSONResponse:
    try:
        blob = await export_account(context, session, passphrase=body.passphrase)
    except ExportRefused:
        raise InvalidRequest("passphrase: at least 12 characters after normalisation") from None
    return JSONResponse({"backup": base64.b64encode(blob).decode("ascii")}, headers=NO_STORE)


@router.post(
    "/import", responses=answers(Restored, 400), summary="Restore a backup into this (new) account"
)
async def restore(body: ImportBody, context: Context, session: Unlocked) -> JSONResponse:
    try:
        blob = base64.b64decode(body.backup, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("backup is not base64") from None
    try:
        restored = await import_account(context, session, blob, passphrase=body.passphrase)
    except ExportRefused as refused:
        raise InvalidRequest(f"backup refused: {refused.reason}") from None
    return JSONResponse(restored, headers=NO_STORE)
