"""Running the wallet service under uvicorn: the app factory reads ``AANSPRAAK_WALLET_*`` and
``AANSPRAAK_TRUST_*``.

``uvicorn --factory wallet.serve:app_from_environment`` works with several workers: sessions
are stateless tokens, and single use (instances, proof ``jti``) is decided in the database.
"""

from __future__ import annotations

from fastapi import FastAPI

from trust.backend import registry_from_settings
from trust.settings import TrustSettings
from wallet.app import build_app
from wallet.settings import WalletSettings


def app_from_environment() -> FastAPI:
    settings = WalletSettings()  # type: ignore[call-arg]  # public_url from the environment
    return build_app(settings, trust=registry_from_settings(TrustSettings()))
