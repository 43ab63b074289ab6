"""What every router's handlers receive: the issuer context the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from issuer.context import IssuerContext


def issuer_context(request: Request) -> IssuerContext:
    context: IssuerContext = request.app.state.context
    return context


Context = Annotated[IssuerContext, Depends(issuer_context)]
