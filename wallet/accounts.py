"""Accounts bound to a device key, unlocked with the citizen's PIN (DESIGN §1 wallet/).

* **Registration** binds a new account to the public key of the device's proof (RFC 7638
  thumbprint, unique): whoever holds that key in the device's secure hardware is the
  account's owner. A fresh vault key is wrapped under Argon2id(PIN) mixed with the server's
  PIN secret (``wallet.vault``), so neither a database dump nor the server secret alone
  lets anyone test PINs.
* **Unlock** checks the PIN by unwrapping the vault key and hands out a short-lived
  session token that carries it sealed (``SessionTokens``): no worker keeps vault keys.
  Attempts are serialised per account by a conditional UPDATE that claims the attempt
  and pushes ``next_attempt_at`` ahead first, so parallel guesses cannot slip past the
  backoff; each wrong PIN doubles the wait, and ``pin_max_failures`` wrong PINs in a row
  lock the account for good (THREATS: online PIN guessing).
* **Deletion** removes every row of the account in one transaction. A locked account's
  vault is lost for good, so registering its device key again replaces it with an empty
  one (restore a backup into it); nothing of the old vault is readable by then anyway.
* The Argon2id cost is kept with each account: an operator raising it does not lock anyone
  out; the vault key is wrapped anew at the next unlock.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.bearer import new_id
from specs.jose import PublicJwk
from wallet.context import WalletContext
from wallet.tables import accounts, batches, instances, records
from wallet.vault import (
    PinKdfParams,
    derive_pin_key,
    new_salt,
    new_vault_key,
    unwrap_vault_key,
    wrap_vault_key,
)
from wallet.vault import (
    WrongPin as PinDoesNotOpen,
)
from wallet.wire_errors import (
    AccountExists,
    AccountLocked,
    InvalidRequest,
    TryLater,
    UnknownDevice,
    WrongPin,
)


@dataclass(frozen=True, slots=True)
class Unlocked:
    account_id: str
    session_token: str
    expires_at: int


def check_pin_shape(context: WalletContext, pin: str) -> None:
    """Digits only, at least ``pin_min_length`` (a PIN pad's input), at most 64."""
    if not (pin.isascii() and pin.isdigit()) or not (
        context.settings.pin_min_length <= len(pin) <= 64
    ):
        raise InvalidRequest("pin must be digits, of the configured length")


async def _pin_key(
    context: WalletContext, pin: str, salt: bytes, params: PinKdfParams | None = None
) -> bytes:
    """Argon2id in a thread: it is memory-hard on purpose and must not stall the loop."""
    return await asyncio.to_thread(
        derive_pin_key, pin, salt=salt, pepper=context.pin_secret, params=params or context.kdf
    )


def _kdf_text(params: PinKdfParams) -> str:
    return json.dumps(
        {"memory_kib": params.memory_kib, "iterations": params.iterations, "lanes": params.lanes},
        sort_keys=True,
    )


def _kdf_of(text: str) -> PinKdfParams:
    return PinKdfParams(**json.loads(text))


async def register(context: WalletContext, device: PublicJwk, pin: str) -> str:
    """A new account for ``device``; its id. ``AccountExists`` if the key has one."""
    check_pin_shape(context, pin)
    account_id, salt, vault_key = new_id(), new_salt(), new_vault_key()
    pin_key = await _pin_key(context, pin, salt)
    try:
        async with context.database.write() as connection:
            locked = (
                await connection.execute(
                    select(accounts.c.id).where(
                        accounts.c.device_thumbprint == device.thumbprint(),
                        accounts.c.locked_at.is_not(None),
                    )
                )
            ).scalar_one_or_none()
            if locked is not None:  # its vault is lost for good: start again, empty
                await _delete_rows(connection, locked)
            await connection.execute(
                insert(accounts).values(
                    id=account_id,
                    device_thumbprint=device.thumbprint(),
                    device_jwk=json.dumps(device.to_jwk(), sort_keys=True),
                    pin_salt=salt,
                    pin_kdf=_kdf_text(context.kdf),
                    vault_key_wrapped=wrap_vault_key(
                        vault_key, pin_key=pin_key, account_id=account_id
                    ),
                    pin_failures=0,
                    next_attempt_at=0,
                    created_at=context.clock(),
                )
            )
    except IntegrityError:
        raise AccountExists from None
    return account_id


def _backoff(context: WalletContext, failures: int) -> int:
    base = context.settings.pin_backoff_seconds
    return 0 if failures <= 0 else base * 2 ** min(failures - 1, 16)


async def unlock(context: WalletContext, device: PublicJwk, pin: str) -> Unlocked:
    """Check the PIN and open a session; every refusal is counted before it is answered."""
    check_pin_shape(context, pin)
    now = context.clock()
    thumbprint = device.thumbprint()
    async with context.database.write() as connection:
        row = (
            await connection.execute(
                select(accounts).where(accounts.c.device_thumbprint == thumbprint)
            )
        ).one_or_none()
        if row is None:
            raise UnknownDevice
        if row.locked_at is not None:
            raise AccountLocked
        claimed = await connection.execute(
            update(accounts)
            .where(
                accounts.c.id == row.id,
                accounts.c.locked_at.is_(None),
                accounts.c.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + _backoff(context, row.pin_failures + 1))
        )
    if claimed.rowcount != 1:
        wait = max(1, row.next_attempt_at - now)
        raise TryLater(headers={"Retry-After": str(wait)})
    pin_key = await _pin_key(context, pin, row.pin_salt, _kdf_of(row.pin_kdf))
    try:
        vault_key = unwrap_vault_key(row.vault_key_wrapped, pin_key=pin_key, account_id=row.id)
    except PinDoesNotOpen:
        await _count_failure(context, row.id, now)
    values: dict[str, object] = {"pin_failures": 0, "next_attempt_at": 0}
    if row.pin_kdf != _kdf_text(context.kdf):  # the operator changed the cost: wrap anew
        salt = new_salt()
        fresh = await _pin_key(context, pin, salt)
        values.update(
            pin_salt=salt,
            pin_kdf=_kdf_text(context.kdf),
            vault_key_wrapped=wrap_vault_key(vault_key, pin_key=fresh, account_id=row.id),
        )
    async with context.database.write() as connection:
        await connection.execute(update(accounts).where(accounts.c.id == row.id).values(**values))
    expires_at = now + context.settings.session_ttl_seconds
    token = context.sessions.issue(
        account_id=row.id, vault_key=vault_key, device_thumbprint=thumbprint, expires_at=expires_at
    )
    return Unlocked(row.id, token, expires_at)


async def _count_failure(context: WalletContext, account_id: str, now: int) -> NoReturn:
    """One more wrong PIN, counted atomically; the lock falls at ``pin_max_failures``."""
    limit = context.settings.pin_max_failures
    async with context.database.write() as connection:
        await connection.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(pin_failures=accounts.c.pin_failures + 1)
        )
        failures = (
            await connection.execute(
                select(accounts.c.pin_failures).where(accounts.c.id == account_id)
            )
        ).scalar_one()
        values: dict[str, int] = {"next_attempt_at": now + _backoff(context, failures)}
        if failures >= limit:
            values["locked_at"] = now
        await connection.execute(
            update(accounts).where(accounts.c.id == account_id).values(**values)
        )
    if failures >= limit:
        raise AccountLocked
    raise WrongPin(extra={"attempts_left": limit - failures})


async def delete_account(context: WalletContext, account_id: str) -> None:
    """Everything of the account, in one transaction; the device deletes its keys."""
    async with context.database.write() as connection:
        await _delete_rows(connection, account_id)


async def _delete_rows(connection: AsyncConnection, account_id: str) -> None:
    for table in (instances, batches, records):
        await connection.execute(delete(table).where(table.c.account_id == account_id))
    await connection.execute(delete(accounts).where(accounts.c.id == account_id))
