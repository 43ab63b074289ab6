"""API keys for a service's operator-facing API: one per client system, scoped, rotatable.

A key is shown once (``<prefix><id>_<secret>``) and stored as a SHA-256 digest. Rotation makes
a new key with the same name and scope and lets the old one live on for an overlap period, so
the client can switch without an outage; revocation ends a key at once. The scope is a set
of names whose meaning belongs to the role (the issuer's credential configurations, the
verifier's regulations); the role's table names the column that holds it as a JSON array.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Table, or_, select, update

from runtime.bearer import digest, new_bearer, new_id
from runtime.database import Database
from runtime.wire import Conflict, NotFound, Unauthorized

DEFAULT_OVERLAP_SECONDS = 86_400
MAX_SECRET_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    scope: frozenset[str]


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: ApiKey
    secret: str


@dataclass(frozen=True)
class ApiKeyStore:
    """The keys in ``table`` (columns id, name, secret_digest, <scope_column>, created_at,
    expires_at, revoked_at)."""

    database: Database
    table: Table
    scope_column: str
    prefix: str
    clock: Callable[[], int]
    refusal: str = "a valid API key is required"

    def _new_key(self, *, name: str, scope: Iterable[str]) -> tuple[NewApiKey, dict[str, object]]:
        names = sorted(set(scope))
        if not names:
            raise ValueError("an API key needs a scope")
        key_id = new_id()
        secret = f"{self.prefix}{key_id}_{new_bearer()}"
        row: dict[str, object] = {
            "id": key_id,
            "name": name,
            "secret_digest": digest(secret),
            self.scope_column: json.dumps(names),
            "created_at": self.clock(),
        }
        return NewApiKey(ApiKey(key_id, name, frozenset(names)), secret), row

    async def create(self, *, name: str, scope: Iterable[str]) -> NewApiKey:
        created, row = self._new_key(name=name, scope=scope)
        async with self.database.write() as connection:
            await connection.execute(self.table.insert().values(**row))
        return created

    async def authenticate(self, authorization: str | None) -> ApiKey:
        """The key behind ``Authorization: Bearer <prefix>...``, or 401 (no hint which part
        failed)."""
        scheme, _, secret = (authorization or "").partition(" ")
        secret = secret.strip()
        if (
            scheme.lower() != "bearer"
            or not secret.startswith(self.prefix)
            or len(secret) > MAX_SECRET_LENGTH
        ):
            raise Unauthorized(self.refusal)
        now, keys = self.clock(), self.table.c
        async with self.database.read() as connection:
            row = (
                await connection.execute(
                    select(self.table).where(
                        keys.secret_digest == digest(secret),
                        keys.revoked_at.is_(None),
                        or_(keys.expires_at.is_(None), keys.expires_at > now),
                    )
                )
            ).first()
        if row is None:
            raise Unauthorized(self.refusal)
        return ApiKey(row.id, row.name, frozenset(json.loads(getattr(row, self.scope_column))))

    async def rotate(
        self, key_id: str, *, overlap_seconds: int = DEFAULT_OVERLAP_SECONDS
    ) -> NewApiKey:
        """A fresh key with the same scope; the old one stops working after the overlap.

        Both happen in one transaction: a crash leaves either the old key alone or both keys
        with the overlap set, never two keys without an end.
        """
        now, keys = self.clock(), self.table.c
        async with self.database.write() as connection:
            row = (
                await connection.execute(
                    select(self.table).where(keys.id == key_id, keys.revoked_at.is_(None))
                )
            ).first()
            if row is None:
                raise NotFound("no such API key")
            if row.expires_at is not None:
                raise Conflict("this API key was already rotated")
            fresh, values = self._new_key(
                name=row.name, scope=json.loads(getattr(row, self.scope_column))
            )
            await connection.execute(self.table.insert().values(**values))
            await connection.execute(
                update(self.table)
                .where(keys.id == key_id)
                .values(expires_at=now + max(0, overlap_seconds))
            )
        return fresh

    async def revoke(self, key_id: str) -> None:
        keys = self.table.c
        async with self.database.write() as connection:
            result = await connection.execute(
                update(self.table)
                .where(keys.id == key_id, keys.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )
        if result.rowcount != 1:
            raise NotFound("no such API key")

    async def list(self) -> list[dict[str, object]]:
        async with self.database.read() as connection:
            rows = (
                await connection.execute(select(self.table).order_by(self.table.c.created_at))
            ).all()
        return [
            {
                "id": row.id,
                "name": row.name,
                self.scope_column: json.loads(getattr(row, self.scope_column)),
                "created_at": row.created_at,
                "expires_at": row.expires_at,
                "revoked_at": row.revoked_at,
            }
            for row in rows
        ]
