"""Back-office API keys: one per agency system, scoped to credential configurations.

The keys themselves are ``runtime.api_keys`` (shown once, stored as digests, rotation with
an overlap, revocation); here they are bound to the issuer's table and scope, and a scope is
checked against the configurations this issuer offers.
"""

from __future__ import annotations

from issuer.context import IssuerContext
from issuer.tables import api_keys
from runtime.api_keys import DEFAULT_OVERLAP_SECONDS, ApiKey, ApiKeyStore, NewApiKey

PREFIX = "aak_"

__all__ = [
    "DEFAULT_OVERLAP_SECONDS",
    "ApiKey",
    "NewApiKey",
    "authenticate_api_key",
    "create_api_key",
    "list_api_keys",
    "revoke_api_key",
    "rotate_api_key",
]


def _store(context: IssuerContext) -> ApiKeyStore:
    return ApiKeyStore(
        context.database,
        api_keys,
        scope_column="configurations",
        prefix=PREFIX,
        clock=context.clock,
        refusal="a valid back-office API key is required",
    )


async def create_api_key(
    context: IssuerContext, *, name: str, configurations: list[str]
) -> NewApiKey:
    for configuration_id in configurations:
        context.configurations.get(configuration_id)  # UnknownConfiguration if not offered
    if not configurations:
        raise ValueError("an API key needs at least one configuration")
    return await _store(context).create(name=name, scope=configurations)


async def authenticate_api_key(context: IssuerContext, authorization: str | None) -> ApiKey:
    return await _store(context).authenticate(authorization)


async def rotate_api_key(
    context: IssuerContext, key_id: str, *, overlap_seconds: int = DEFAULT_OVERLAP_SECONDS
) -> NewApiKey:
    return await _store(context).rotate(key_id, overlap_seconds=overlap_seconds)


async def revoke_api_key(context: IssuerContext, key_id: str) -> None:
    await _store(context).revoke(key_id)


async def list_api_keys(context: IssuerContext) -> list[dict[str, object]]:
    return await _store(context).list()
