"""The registry a service reads, chosen by ``AANSPRAAK_TRUST_*`` (``TrustSettings``).

Every role that checks trust (the verifier, the wallet service) opens its registry here, so
a deployment switches between a chain node and a signed trust list in one place. The
in-process chain exists only inside ``aanspraak demo``, which deploys and seeds it itself.
"""

from __future__ import annotations

from runtime.key_files import load_public_key
from trust.file_backend import FileTrustRegistry
from trust.registry import TrustRegistry
from trust.settings import TrustSettings


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
            "the trust registry is read from a node: set AANSPRAAK_TRUST_RPC_URL, "
            "AANSPRAAK_TRUST_CHAIN_ID and AANSPRAAK_TRUST_CONTRACT_ADDRESS (or use backend=file)"
        )
    # Imported here: web3 takes most of a second to import, and a service on a trust list
    # (or one restarting after a crash) should not wait for it.
    from trust.chain import ChainTrustRegistry  # noqa: PLC0415

    return ChainTrustRegistry.from_settings(settings)
