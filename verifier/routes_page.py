"""The desk's web page: pick a regulation, show the QR and the same-device link, poll, show
the decision with its explanation and legal references.

Three static files from the package (HTML, one script, one stylesheet): no external assets,
and a Content-Security-Policy that allows nothing else. The page calls the desk API with the
desk's API key, which the officer types once and the browser keeps for the session only.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(prefix="/desk", tags=["Desk page"], include_in_schema=False)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
}


@cache
def _asset(name: str) -> bytes:
    return (resources.files("verifier") / "page" / name).read_bytes()


@router.get("/page")
async def page() -> Response:
    return Response(_asset("desk.html"), media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get("/page.js")
async def script() -> Response:
    return Response(_asset("desk.js"), media_type="text/javascript; charset=utf-8", headers=HEADERS)


@router.get("/page.css")
async def stylesheet() -> Response:
    return Response(_asset("desk.css"), media_type="text/css; charset=utf-8", headers=HEADERS)
