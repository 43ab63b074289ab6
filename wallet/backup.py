"""The encrypted backup of an account: for safekeeping, or to move to a new device.

The file is sealed under a passphrase the citizen chooses (Argon2id, ``wallet.vault``), not
under any key of this service, so it opens anywhere and nowhere without the passphrase.
It holds the credentials (each instance with the public key it is bound to), the history
and the notices. What it cannot hold are the device keys: they never leave the old device's
secure hardware. Restored instances therefore keep their key ids; the new device cannot sign
for them, so the restored batches are marked ``restored`` and re-issuance advice names the
agency to ask (``wallet.reissuance``); the history and notices move as they are.
"""

from __future__ import annotations

import asyncio
from typing import Any

from specs.errors import Rejected
from specs.jose import parse_public_jwk
from specs.sd_jwt import open_sd_jwt
from wallet import records
from wallet.context import WalletContext
from wallet.device_auth import Session
from wallet.export_file import ExportRefused, open_export, seal_export
from wallet.holdings import NewInstance, list_batches, store_batch, unused_instances

FORMAT_VERSION = 1
MAX_RESTORED_BATCHES = 500


async def export_account(context: WalletContext, session: Session, *, passphrase: str) -> bytes:
    """Everything the account holds, sealed under ``passphrase``."""
    now = context.clock()
    batches = await list_batches(context, session)
    found = await unused_instances(context, session)
    async with context.database.read() as connection:
        history = await records.load(connection, session, records.DISCLOSURE, now=now)
        notices = await records.load(connection, session, records.NOTICE, now=now)
    payload = {
        "version": FORMAT_VERSION,
        "exported_at": now,
        "batches": [
            {
                "details": b.details,
                "instances": [
                    {"token": i.token, "holder_key": i.holder_key.to_jwk()}
                    for i in found
                    if i.batch_id == b.id
                ],
            }
            for b in batches
        ],
        "history": [entry for _id, entry in history],
        "notices": [entry for _id, entry in notices],
    }
    try:  # Argon2id in a thread: memory-hard on purpose, it must not stall the loop
        return await asyncio.to_thread(
            seal_export, payload, passphrase=passphrase, params=context.kdf
        )
    except ValueError:
        raise ExportRefused("malformed") from None


async def import_account(
    context: WalletContext, session: Session, blob: bytes, *, passphrase: str
) -> dict[str, int]:
    """Restore a backup into this account, all or nothing; counts of what was restored."""
    payload: dict[str, Any] = await asyncio.to_thread(
        open_export,
        blob,
        passphrase=passphrase,
        max_memory_kib=max(context.kdf.memory_kib, 262_144),
    )
    if payload.get("version") != FORMAT_VERSION or not isinstance(payload.get("batches"), list):
        raise ExportRefused("malformed")
    if len(payload["batches"]) > MAX_RESTORED_BATCHES:
        raise ExportRefused("too-large")
    try:
        async with context.database.write() as connection:
            for batch in payload["batches"]:
                details = {**batch["details"], "restored": True}
                for item in batch["instances"]:
                    _check_token(str(item["token"]), details)
                await store_batch(
                    connection,
                    session,
                    details=details,
                    received=[
                        NewInstance(str(i["token"]), parse_public_jwk(i["holder_key"]))
                        for i in batch["instances"]
                    ],
                    expires_at=details.get("expires_at"),
                )
            for entry in payload.get("history", []):
                await records.add(connection, session, records.DISCLOSURE, dict(entry))
            for entry in payload.get("notices", []):
                await records.add(connection, session, records.NOTICE, dict(entry))
    except (KeyError, TypeError, ValueError, Rejected) as error:
        raise ExportRefused("malformed") from error
    return {
        "credentials": len(payload["batches"]),
        "history": len(payload.get("history", [])),
        "notices": len(payload.get("notices", [])),
    }


def _check_token(token: str, details: dict[str, Any]) -> None:
    """A restored credential must be an SD-JWT VC of the issuer and type its batch names
    (the file is the citizen's own, but a backup is no reason to believe a mismatch)."""
    claims = open_sd_jwt(token).processed.claims
    if claims.get("iss") != details.get("issuer") or claims.get("vct") != details.get("vct"):
        raise ValueError("a restored credential does not match its batch")
