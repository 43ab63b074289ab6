"""What every router's handlers receive: the verifier context, and the desk's API key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer

from runtime.api_keys import ApiKey
from verifier.context import VerifierContext


async def verifier_context(request: Request) -> VerifierContext:
    """``async`` on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a
    thread hop on every request for one attribute read."""
    context: VerifierContext = request.app.state.context
    return context


Context = Annotated[VerifierContext, Depends(verifier_context)]
_bearer = HTTPBearer(auto_error=False, description="Desk API key (avk_...)")


async def desk_key(
    context: Context,
    authorization: Annotated[str | None, Header()] = None,
    _scheme: Annotated[Any, Depends(_bearer)] = None,
) -> ApiKey:
    return await context.api_keys.authenticate(authorization)


DeskKey = Annotated[ApiKey, Depends(desk_key)]
