"""Fixtures for the trust registry: an in-process chain with the contract deployed, readers.

Keys are derived from the test's node id: deterministic (STYLE §7) and distinct between
tests, so tests running in parallel against one anvil never share an account or a nonce.
Time on the in-process chain follows the wall clock (eth-tester), so tests take ``now`` from
the chain's own blocks (``chain_now``) rather than from the fixed clock.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import EthereumTesterProvider, Web3

from specs.jose import b64url_encode
from specs.trust import IssuerEntry, RegulationAnchor, VerifierEntry, claim_key
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract, deploy, fund_from_node, load_artifact

ISSUER = "https://belastingdienst.example"
VCT = "https://credentials.example/income"
DESK = "https://gemeente.example/kwijtschelding"
REGULATION = "kwijtschelding"
CLAIMS = (("income", "below_threshold"), ("household", "size"))
VALID_FROM_DATE = "2026-01-01"
YEAR = 365 * 24 * 3600


def key_ref(label: str) -> str:
    """A 32-byte key reference, as an RFC 7638 thumbprint would be."""
    return b64url_encode(hashlib.sha256(label.encode()).digest())


def chain_now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def issuer_entry(issuer: str = ISSUER, **fields: Any) -> IssuerEntry:
    now = fields.pop("now")
    return IssuerEntry(
        issuer,
        frozenset(fields.pop("vcts", {VCT})),
        frozenset(fields.pop("key_refs", {key_ref(issuer)})),
        fields.pop("valid_from", now - YEAR),
        fields.pop("valid_until", now + YEAR),
        0,
    )


def verifier_entry(client_id: str = DESK, *, now: int, claims: Any = None) -> VerifierEntry:
    allowed = claims if claims is not None else {claim_key(path) for path in CLAIMS}
    return VerifierEntry(
        client_id,
        {REGULATION: frozenset(allowed)},
        "Invorderingswet 1990 art. 26",
        now - YEAR,
        now + YEAR,
        0,
    )


def anchor(version_byte: str = "ab", valid_from: str = VALID_FROM_DATE) -> RegulationAnchor:
    return RegulationAnchor(REGULATION, "sha256:" + version_byte * 32, valid_from, 0)


@pytest.fixture
def new_account(request: pytest.FixtureRequest) -> Callable[[], LocalAccount]:
    """Accounts from keys derived from the test id: deterministic, distinct per test."""
    counter = itertools.count()

    def make() -> LocalAccount:
        seed = f"{request.node.nodeid}/{next(counter)}".encode()
        account: LocalAccount = Account.from_key(hashlib.sha256(seed).digest())
        return account

    return make


@pytest.fixture
def chain() -> Web3:
    return Web3(EthereumTesterProvider())


@pytest.fixture
def funded(chain: Web3, new_account: Callable[[], LocalAccount]) -> Callable[[], LocalAccount]:
    def make() -> LocalAccount:
        account = new_account()
        fund_from_node(chain, account.address, 10**21)
        return account

    return make


@pytest.fixture
def admin(funded: Callable[[], LocalAccount]) -> LocalAccount:
    return funded()


@pytest.fixture
def registry(chain: Web3, admin: LocalAccount) -> TrustRegistryContract:
    return deploy(chain, signer=admin)


@pytest.fixture
def reader(chain: Web3, registry: TrustRegistryContract) -> Callable[..., ChainTrustRegistry]:
    """A reader of ``registry``; keyword arguments override its settings."""

    def make(**overrides: Any) -> ChainTrustRegistry:
        settings: dict[str, Any] = {
            "address": registry.address,
            "chain_id": chain.eth.chain_id,
            "code_hash": load_artifact().runtime_code_hash,
            "confirmations": 0,
            "max_staleness_seconds": 300,
            "poll_interval_seconds": 10,
        }
        w3 = overrides.pop("w3", chain)
        return ChainTrustRegistry(w3, **(settings | overrides))

    return make
