"""What every router's handlers receive: the issuer context the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from issuer.context import IssuerContext


async def issuer_context(request: Request) -> IssuerContext:
    """``async`` on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a
    thread hop on every request for one attribute read."""
    context: IssuerContext = request.app.state.context
    return context


Context = Annotated[IssuerContext, Depends(issuer_context)]
