"""An in-process chain served as a JSON-RPC node on loopback, that can stop, restart and lie.

The registry's production path is ``trust.rpc.BoundedHTTPProvider`` talking HTTP to a node.
Here the node is eth-tester's py-evm chain behind a small HTTP server, so the chain and
quorum cases run that exact path without anvil: ``stop()`` closes the port (connection
refused, as a node that went down), ``start()`` opens the same port again, and ``lie``
replaces the answer to chosen calls (a compromised or misconfigured node).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from eth_account import Account
from web3 import EthereumTesterProvider, Web3
from web3._utils.encoding import Web3JsonEncoder

from tests.quiet_http_server import QuietHTTPServer
from tests.trust.conftest import chain_now, issuer_entry
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract, deploy, new_dev_admin
from trust.settings import TrustSettings

POLL = 10
TIMEOUT = 0.5
Lie = Callable[[str, list[Any]], Any]
"""``(method, params)`` -> a result to send instead of the chain's, or ``None`` for the truth."""


def deployed_chain(admin_key: bytes) -> tuple[Web3, TrustRegistryContract]:
    """A fresh in-process chain with the registry deployed by ``admin_key``'s account.

    The same key on two fresh chains gives the same contract address (the account's first
    transaction), so two chains can stand for two nodes' views of "the" registry.
    """
    chain = Web3(EthereumTesterProvider())
    admin = new_dev_admin(chain, private_key=admin_key)
    assert Account.from_key(admin_key).address == admin.address
    return chain, deploy(chain, signer=admin)


class ChainNode:
    """``chain`` served at ``url`` (``http://127.0.0.1:<port>``) until ``stop()``."""

    def __init__(self, chain: Web3, *, lie: Lie | None = None) -> None:
        self.chain = chain
        self.lie = lie
        self.requests = 0
        self._call = chain.provider.request_func(chain, chain.middleware_onion)
        self._lock = threading.Lock()  # eth-tester is not thread-safe
        self._server: QuietHTTPServer | None = None
        self._port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def answer(self, method: str, params: list[Any]) -> dict[str, Any]:
        with self._lock:
            self.requests += 1
            forged = self.lie(method, params) if self.lie is not None else None
            if forged is not None:
                return {"jsonrpc": "2.0", "result": forged}
            response: dict[str, Any] = dict(self._call(method, params))
            return response

    def start(self) -> None:
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = node.answer(request["method"], request.get("params", []))
                body = json.dumps({**answer, "id": request["id"]}, cls=Web3JsonEncoder).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = QuietHTTPServer(("127.0.0.1", self._port), Handler)
        self._port = int(server.server_address[1])
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def served(chain: Web3, *, lie: Lie | None = None) -> Iterator[ChainNode]:
    node = ChainNode(chain, lie=lie)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def admin_key(request: pytest.FixtureRequest) -> bytes:
    return hashlib.sha256(f"{request.node.nodeid}/admin".encode()).digest()


@pytest.fixture
def honest(admin_key: bytes) -> tuple[Web3, TrustRegistryContract]:
    """The registry with one issuer registered."""
    chain, writer = deployed_chain(admin_key)
    writer.add_issuer(issuer_entry(now=chain_now(chain)))
    return chain, writer


@pytest.fixture
def node(honest: tuple[Web3, TrustRegistryContract]) -> Iterator[ChainNode]:
    with served(honest[0]) as serving:
        yield serving


def read(
    url: str, writer: TrustRegistryContract, chain: Web3, **overrides: Any
) -> ChainTrustRegistry:
    settings: dict[str, Any] = {
        "rpc_url": url,
        "chain_id": chain.eth.chain_id,
        "contract_address": writer.address,
        "rpc_timeout_seconds": TIMEOUT,
        "poll_interval_seconds": POLL,
    }
    return ChainTrustRegistry.from_settings(TrustSettings(**(settings | overrides)))
