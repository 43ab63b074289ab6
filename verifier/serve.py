"""Running the verifier under uvicorn: the app factory reads ``AANSPRAAK_VERIFIER_*`` and
``AANSPRAAK_TRUST_*``.

``uvicorn --factory verifier.serve:app_from_environment`` works with several workers, since
each worker process builds its own app from the same environment. The registry is a chain
node (``AANSPRAAK_TRUST_RPC_URL``) or a signed trust list (``backend=file``); the in-process
chain exists only inside ``aanspraak demo``, which deploys and seeds it in its own process.
"""

from __future__ import annotations

from fastapi import FastAPI

from runtime.key_files import load_public_key
from trust.chain import ChainTrustRegistry
from trust.file_backend import FileTrustRegistry
from trust.registry import TrustRegistry
from trust.settings import TrustSettings
from verifier.app import build_app
from verifier.settings import VerifierSettings


def registry_from_settings(settings: TrustSettings) -> TrustRegistry:
    """The registry of ``AANSPRAAK_TRUST_*``: a signed trust list file, or a chain node."""
    if settings.backend == "file":
        trust_list, governance_key = settings.trust_list_file, settings.governance_key_file
        if trust_list is None or governance_key is None:  # TrustSettings refuses this
            raise ValueError("backend file needs trust_list_file and governance_key_file")
        return FileTrustRegistry(
            trust_list,
            load_public_key(governance_key),
            settings.max_staleness_seconds,
        )
    if settings.rpc_url is None:
        raise ValueError(
            "the verifier reads the trust registry from a node: set AANSPRAAK_TRUST_RPC_URL, "
            "AANSPRAAK_TRUST_CHAIN_ID and AANSPRAAK_TRUST_CONTRACT_ADDRESS (or use backend=file)"
        )
    return ChainTrustRegistry.from_settings(settings)


def app_from_environment() -> FastAPI:
    settings = VerifierSettings()  # type: ignore[call-arg]  # public_url from the environment
    return build_app(settings, trust=registry_from_settings(TrustSettings()))
