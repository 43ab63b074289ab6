"""Running the issuer under uvicorn: the app factory reads ``AANSPRAAK_ISSUER_*``.

``uvicorn --factory issuer.serve:app_from_environment`` works with several workers, since
each worker process builds its own app from the same environment.
"""

from __future__ import annotations

from fastapi import FastAPI

from issuer.app import build_app
from issuer.settings import IssuerSettings


def app_from_environment() -> FastAPI:
    return build_app(IssuerSettings())  # type: ignore[call-arg]  # public_url from the environment
