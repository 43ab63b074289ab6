"""Running the verifier under uvicorn: the app factory reads ``AANSPRAAK_VERIFIER_*`` and
``AANSPRAAK_TRUST_*``.

``uvicorn --factory verifier.serve:app_from_environment`` works with several workers, since
each worker process builds its own app from the same environment. The registry is a chain
node (``AANSPRAAK_TRUST_RPC_URL``) or a signed trust list (``backend=file``); the in-process
chain exists only inside ``aanspraak demo``, which deploys and seeds it in its own process.
"""

from __future__ import annotations

from fastapi import FastAPI

from trust.backend import registry_from_settings
from trust.settings import TrustSettings
from verifier.app import build_app
from verifier.settings import VerifierSettings


def app_from_environment() -> FastAPI:
    settings = VerifierSettings()  # type: ignore[call-arg]  # public_url from the environment
    return build_app(settings, trust=registry_from_settings(TrustSettings()))
