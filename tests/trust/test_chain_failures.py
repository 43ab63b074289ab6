"""The chain backend fails closed: wrong chain, wrong code, a node that is down, slow,
oversized or garbled, and a cache that outlives its staleness (THREATS R-04, R-08, C-01,
C-02, C-05, C-06). Every failure is a ``Rejected`` with a TrustReason, never an exception
from web3, requests or the ABI decoder.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from web3 import EthereumTesterProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from specs.errors import TrustReason
from tests.quiet_http_server import QuietHTTPServer
from tests.support import assert_rejected
from tests.trust.conftest import ISSUER, chain_now, issuer_entry
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract
from trust.rpc import BoundedHTTPProvider
from trust.settings import TrustSettings

Reader = Callable[..., ChainTrustRegistry]
TIMEOUT = 0.5
# Returns 42 for any call: some contract, not ours.
OTHER_CODE = bytes.fromhex("600a600c600039600a6000f3602a60005260206000f3")


class Flaky(EthereumTesterProvider):
    """The same in-process chain behind a switch, counting what is asked of it."""

    def __init__(self, chain: Web3) -> None:
        super().__init__(chain.provider.ethereum_tester)  # type: ignore[attr-defined]
        self.down = False
        self.requests = 0
        self.gate: threading.Event | None = None

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.requests += 1
        if self.gate is not None:
            self.gate.wait(5)
        if self.down:
            raise ConnectionError("node down")
        return super().make_request(method, params)


def remote(url: str, **overrides: Any) -> ChainTrustRegistry:
    settings = {
        "rpc_url": url,
        "chain_id": 31337,
        "contract_address": "0x" + "11" * 20,
        "rpc_timeout_seconds": TIMEOUT,
    }
    return ChainTrustRegistry.from_settings(TrustSettings(**(settings | overrides)))


def test_another_chain_is_refused(chain: Web3, reader: Reader) -> None:
    trust = reader(chain_id=chain.eth.chain_id + 1)
    assert_rejected(TrustReason.WRONG_CHAIN, trust.snapshot, now=chain_now(chain))


def test_no_code_or_other_code_at_the_address_is_refused(
    chain: Web3, reader: Reader, registry: TrustRegistryContract
) -> None:
    now = chain_now(chain)
    empty = reader(address="0x" + "22" * 20)
    assert_rejected(TrustReason.WRONG_CODE, empty.snapshot, now=now)  # C-06: not "no entries"
    receipt = chain.eth.wait_for_transaction_receipt(
        chain.eth.send_transaction({"from": chain.eth.accounts[0], "data": OTHER_CODE})
    )
    other = reader(address=receipt["contractAddress"])
    assert_rejected(TrustReason.WRONG_CODE, other.snapshot, now=now)
    pinned_elsewhere = reader(code_hash="0x" + "33" * 32)  # an upgrade is other code
    assert_rejected(TrustReason.WRONG_CODE, pinned_elsewhere.snapshot, now=now)


def test_a_closed_port_is_unavailable_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    trust = remote(f"http://127.0.0.1:{port}")
    started = time.monotonic()
    assert_rejected(TrustReason.REGISTRY_UNAVAILABLE, trust.snapshot, now=1_790_000_000)
    assert time.monotonic() - started < TIMEOUT
    assert trust.last_error is TrustReason.REGISTRY_UNAVAILABLE


def test_a_node_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never reads or writes
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        trust = remote(f"http://127.0.0.1:{silent.getsockname()[1]}")
        started = time.monotonic()
        assert_rejected(TrustReason.REGISTRY_UNAVAILABLE, trust.snapshot, now=1_790_000_000)
        assert time.monotonic() - started < 2 * TIMEOUT + 0.5


class _Node(BaseHTTPRequestHandler):
    """Answers every call in the way its path names."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.request_id = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["id"]
        with contextlib.suppress(OSError):  # the client gave up, as it should
            self._answer(self.path.strip("/"))

    def _answer(self, behaviour: str) -> None:
        if behaviour == "chunked":  # what geth does with a large answer
            body = json.dumps(
                {"jsonrpc": "2.0", "id": self.request_id, "result": "0x" + "ab" * 9000}
            )
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 1000):
                part = body[start : start + 1000].encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif behaviour == "error":
            self._send(500, b'{"jsonrpc":"2.0","id":0,"error":{"code":-1,"message":"x"}}')
        elif behaviour == "garbage":
            self._send(200, b"<html>not json-rpc</html>")
        elif behaviour == "drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.05)
        elif behaviour == "huge":
            self.send_response(200)
            self.send_header("Content-Length", str(100 * 2**20))
            self.end_headers()
            for _ in range(100 * 16):
                self.wfile.write(b" " * 2**16)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def node() -> Iterator[str]:
    server = QuietHTTPServer(("127.0.0.1", 0), _Node)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_chunked_answers_are_read_whole(node: str) -> None:
    provider = BoundedHTTPProvider(f"{node}/chunked", timeout=TIMEOUT)
    assert provider.make_request(RPCEndpoint("eth_getCode"), [])["result"] == "0x" + "ab" * 9000


@pytest.mark.parametrize("behaviour", ["error", "garbage", "drip", "huge"])
def test_a_misbehaving_node_is_unavailable_within_the_deadline(node: str, behaviour: str) -> None:
    trust = remote(f"{node}/{behaviour}")
    started = time.monotonic()
    assert_rejected(TrustReason.REGISTRY_UNAVAILABLE, trust.snapshot, now=1_790_000_000)
    assert time.monotonic() - started < 2 * TIMEOUT + 0.5  # C-05: size and time caps


def test_the_cache_serves_within_staleness_then_fails_closed(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    registry.add_issuer(issuer_entry(now=chain_now(chain)))
    flaky = Flaky(chain)
    trust = reader(w3=Web3(flaky), poll_interval_seconds=10, max_staleness_seconds=60)
    now = chain_now(chain)
    fresh = trust.snapshot(now=now)
    assert ISSUER in fresh.issuers
    flaky.down = True
    cached = trust.snapshot(now=now + 30)  # within staleness, still served, and says so
    assert cached.issuers == fresh.issuers
    assert cached.source == f"{fresh.source} (cached)"
    assert trust.last_error is TrustReason.REGISTRY_UNAVAILABLE
    asked = flaky.requests
    trust.snapshot(now=now + 35)  # a failed refresh is retried after the poll interval only
    assert flaky.requests == asked
    assert_rejected(TrustReason.REGISTRY_STALE, trust.snapshot, now=now + 61)
    flaky.down = False
    assert trust.snapshot(now=now + 75).source == fresh.source  # recovered
    assert trust.last_error is None


def test_while_one_caller_waits_on_a_slow_node_the_others_are_served(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    """C-01: no worker exhaustion; one refresh at a time, the rest keep the cache."""
    flaky = Flaky(chain)
    trust = reader(w3=Web3(flaky))
    now = chain_now(chain)
    first = trust.snapshot(now=now)
    flaky.gate = threading.Event()
    refreshing = threading.Thread(target=trust.snapshot, kwargs={"now": now + 10})
    refreshing.start()
    while flaky.requests == 0 or not trust._lock.locked():
        time.sleep(0.001)
    started = time.monotonic()
    assert trust.snapshot(now=now + 11) is first
    assert time.monotonic() - started < 0.1
    flaky.gate.set()
    refreshing.join()


def test_no_good_read_yet_is_unavailable_not_stale(chain: Web3, reader: Reader) -> None:
    flaky = Flaky(chain)
    flaky.down = True
    trust = reader(w3=Web3(flaky))
    now = chain_now(chain)
    assert_rejected(TrustReason.REGISTRY_UNAVAILABLE, trust.snapshot, now=now)
    asked = flaky.requests
    assert_rejected(TrustReason.REGISTRY_UNAVAILABLE, trust.snapshot, now=now + 1)
    assert flaky.requests == asked  # no hammering of a dead node


def test_a_wrong_chain_is_not_hidden_by_the_cache(
    chain: Web3, registry: TrustRegistryContract, reader: Reader
) -> None:
    trust = reader()
    now = chain_now(chain)
    trust.snapshot(now=now)
    trust._chain_id += 1  # the operator's node now serves another chain
    assert_rejected(TrustReason.WRONG_CHAIN, trust.snapshot, now=now + 10)


def test_settings_require_a_pinned_chain_and_address_for_a_node() -> None:
    with pytest.raises(ValueError, match="chain_id and contract_address"):
        TrustSettings(rpc_url="http://127.0.0.1:8545")
    with pytest.raises(ValueError, match="http"):
        TrustSettings(rpc_url="file:///etc/passwd", chain_id=1, contract_address="0x" + "1" * 40)
    with pytest.raises(ValueError, match="poll_interval_seconds"):
        TrustSettings(poll_interval_seconds=300, max_staleness_seconds=300)
