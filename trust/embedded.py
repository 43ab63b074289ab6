"""The embedded default: the registry contract on an in-process EVM (DESIGN §2).

No node, no network: eth-tester's py-evm chain lives in this process's memory, so it starts
empty on every run. ``start_in_process`` deploys the committed artifact, and the caller seeds
it with the returned writer (``TrustRegistryContract.seed``) before serving. Readers then go
through exactly the code path of a remote chain (chain id, code hash, confirmations, events),
so the embedded demo exercises what production runs.

Blocks are made only by transactions, and their timestamps follow the wall clock (at least one
second apart): an entry added now is ``effective_from`` now plus the addition delay.
"""

from __future__ import annotations

from web3 import EthereumTesterProvider, Web3

from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract, deploy, load_artifact, new_dev_admin
from trust.settings import TrustSettings


def in_process_chain() -> Web3:
    return Web3(EthereumTesterProvider())


def start_in_process(
    settings: TrustSettings, *, admin_key: bytes, w3: Web3 | None = None
) -> tuple[ChainTrustRegistry, TrustRegistryContract]:
    """Deploy on ``w3`` (default: a new in-process chain) with a funded admin for
    ``admin_key``; return the reader and the admin's writer. ``settings.rpc_url`` is ignored
    here: a remote registry is deployed once by governance, not at every start."""
    chain = w3 if w3 is not None else in_process_chain()
    writer = deploy(chain, signer=new_dev_admin(chain, private_key=admin_key))
    reader = ChainTrustRegistry(
        chain,
        address=writer.address,
        chain_id=chain.eth.chain_id,
        code_hash=settings.code_hash or load_artifact().runtime_code_hash,
        confirmations=settings.confirmations,
        max_staleness_seconds=settings.max_staleness_seconds,
        poll_interval_seconds=settings.poll_interval_seconds,
    )
    return reader, writer
