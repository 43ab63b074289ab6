"""Back-office API keys: one per agency system, scoped to credential configurations.

A key is shown once (``aak_<id>_<secret>``) and stored as a SHA-256 digest. Rotation makes a
new key with the same name and scope and lets the old one live on for an overlap period, so
the back office can switch without an outage; revocation ends a key at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from issuer.codes import digest, new_bearer, new_id
from issuer.context import IssuerContext
from issuer.tables import api_keys
from runtime.wire import Conflict, NotFound, Unauthorized

PREFIX = "aak_"
DEFAULT_OVERLAP_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    configurations: frozenset[str]


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: ApiKey
    secret: str


def _new_key(
    context: IssuerContext, *, name: str, configurations: list[str]
) -> tuple[NewApiKey, dict[str, object]]:
    for configuration_id in configurations:
        context.configurations.get(configuration_id)  # UnknownConfiguration if not offered
    if not configurations:
        raise ValueError("an API key needs at least one configuration")
    key_id = new_id()
    secret = f"{PREFIX}{key_id}_{new_bearer()}"
    row: dict[str, object] = {
        "id": key_id,
        "name": name,
        "secret_digest": digest(secret),
        "configurations": json.dumps(sorted(set(configurations))),
        "created_at": context.clock(),
    }
    return NewApiKey(ApiKey(key_id, name, frozenset(configurations)), secret), row


async def create_api_key(
    context: IssuerContext, *, name: str, configurations: list[str]
) -> NewApiKey:
    created, row = _new_key(context, name=name, configurations=configurations)
    async with context.write() as connection:
        await connection.execute(api_keys.insert().values(**row))
    return created


async def authenticate_api_key(context: IssuerContext, authorization: str | None) -> ApiKey:
    """The key behind ``Authorization: Bearer aak_...``, or 401 (no hint which part failed)."""
    scheme, _, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.startswith(PREFIX) or len(secret) > 200:
        raise Unauthorized("a valid back-office API key is required")
    now = context.clock()
    async with context.read() as connection:
        row = (
            await connection.execute(
                select(api_keys).where(
                    api_keys.c.secret_digest == digest(secret.strip()),
                    api_keys.c.revoked_at.is_(None),
                    or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > now),
                )
            )
        ).first()
    if row is None:
        raise Unauthorized("a valid back-office API key is required")
    return ApiKey(row.id, row.name, frozenset(json.loads(row.configurations)))


async def rotate_api_key(
    context: IssuerContext, key_id: str, *, overlap_seconds: int = DEFAULT_OVERLAP_SECONDS
) -> NewApiKey:
    """A fresh key with the same scope; the old one stops working after the overlap.

    Both happen in one transaction: a crash leaves either the old key alone or both keys
    with the overlap set, never two keys without an end.
    """
    now = context.clock()
    async with context.write() as connection:
        row = (
            await connection.execute(
                select(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            )
        ).first()
        if row is None:
            raise NotFound("no such API key")
        if row.expires_at is not None:
            raise Conflict("this API key was already rotated")
        fresh, values = _new_key(
            context, name=row.name, configurations=json.loads(row.configurations)
        )
        await connection.execute(api_keys.insert().values(**values))
        await connection.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id)
            .values(expires_at=now + max(0, overlap_seconds))
        )
    return fresh


async def revoke_api_key(context: IssuerContext, key_id: str) -> None:
    async with context.write() as connection:
        result = await connection.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=context.clock())
        )
    if result.rowcount != 1:
        raise NotFound("no such API key")


async def list_api_keys(context: IssuerContext) -> list[dict[str, object]]:
    async with context.read() as connection:
        rows = (await connection.execute(select(api_keys).order_by(api_keys.c.created_at))).all()
    return [
        {
            "id": row.id,
            "name": row.name,
            "configurations": json.loads(row.configurations),
            "created_at": row.created_at,
            "expires_at": row.expires_at,
            "revoked_at": row.revoked_at,
        }
        for row in rows
    ]
