"""Registry reads confirmed by several nodes (``quorum_rpc_urls``, THREATS C-04).

One JSON-RPC node is one operator's word: a node that is compromised, misconfigured or
serving another fork can say an issuer is registered when it is not, and the chain id and
code hash checks of ``trust.chain`` cannot see it (the node lies about those too, or lies only
in ``eth_call``). With ``quorum_rpc_urls`` every read goes to every node and an answer is used
only when all of them give it:

* ``eth_blockNumber``: the HIGHEST head. A node that reports an old head cannot pull the read
  back to a block before a removal: the registry reads near the highest head, and every node
  must then answer for that block alike (a node that does not have it yet fails the read, and
  the next poll tries again). Heads further apart than ``MAX_HEAD_SPREAD`` blocks fail at once;
* ``eth_getBlockByNumber``: the same hash, number, parent and timestamp. The hash commits to
  the header, but nothing here recomputes it, so the fields the registry uses (the timestamp
  becomes the snapshot's ``as_of``) are compared themselves;
* ``eth_getLogs``: the same logs (block hash, transaction hash, log index, topics, data);
* anything else (``eth_chainId``, ``eth_getCode``, ``eth_call``): the same result.

``trust.chain`` names the block number in every read after ``eth_blockNumber``, so honest
nodes answer alike. Any difference, or a node that errs while another answers, raises
``QuorumDisagreement``: the refresh fails like any other (``registry-unavailable``; the last
good snapshot serves within ``max_staleness_seconds``, then ``registry-stale``), and the
reason is logged. Unanimity, not a majority: a second node is there to catch a lie, and with
two nodes a majority cannot tell which one lies. The nodes are asked one after the other,
each with the provider's own deadline and size cap (``trust.rpc``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from web3.exceptions import Web3Exception
from web3.providers import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from trust.settings import MAX_NODES

MAX_HEAD_SPREAD = 8
"""Blocks the nodes' heads may differ by; more means one of them is stale or lying."""


class QuorumDisagreement(Web3Exception):
    """The nodes gave different answers; the message names the method, never a URL or value."""


class Node(Protocol):
    """What ``QuorumProvider`` needs of a node (``trust.rpc.BoundedHTTPProvider``)."""

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse: ...


def _quantity(value: object) -> int:
    if isinstance(value, str):
        return int(value, 16)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise QuorumDisagreement("a quantity that is not a number")


def _text(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _block(result: object) -> object:
    if result is None:
        return None
    if not isinstance(result, Mapping):
        raise QuorumDisagreement("a block that is not an object")
    return tuple(
        _text(result.get(field)) for field in ("hash", "number", "parentHash", "timestamp")
    )


def _logs(result: object) -> object:
    if not isinstance(result, list):
        raise QuorumDisagreement("logs that are not a list")
    return [
        (
            _text(log.get("address")),
            _text(log.get("blockHash")),
            _text(log.get("blockNumber")),
            _text(log.get("transactionHash")),
            _quantity(log.get("logIndex")),
            [_text(topic) for topic in log.get("topics", [])],
            _text(log.get("data")),
            log.get("removed"),
        )
        for log in result
        if isinstance(log, Mapping)
    ]


def _exact(result: object) -> object:
    """Hex text compares case-insensitively; anything else as canonical JSON."""
    if isinstance(result, str):
        return result.lower()
    return json.dumps(result, sort_keys=True, default=str)


_COMPARED_AS: dict[str, Callable[[object], object]] = {
    "eth_chainId": _quantity,
    "eth_getBlockByNumber": _block,
    "eth_getLogs": _logs,
}


class QuorumProvider(JSONBaseProvider):
    """A web3 provider over several nodes that answers only what all of them answer."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        if not 2 <= len(nodes) <= MAX_NODES:
            raise ValueError(f"a quorum needs 2 to {MAX_NODES} nodes")
        super().__init__()
        self._nodes = tuple(nodes)

    def __str__(self) -> str:
        return f"quorum of {len(self._nodes)} JSON-RPC nodes"

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        answers = [node.make_request(method, params) for node in self._nodes]
        failed = ["error" in answer or "result" not in answer for answer in answers]
        if all(failed):
            return answers[0]  # web3 raises the first node's error
        if any(failed):
            raise QuorumDisagreement(f"{method}: a node failed while another answered")
        results = [answer["result"] for answer in answers]
        if method == "eth_blockNumber":
            heads = [_quantity(result) for result in results]
            if max(heads) - min(heads) > MAX_HEAD_SPREAD:
                raise QuorumDisagreement(f"{method}: heads more than {MAX_HEAD_SPREAD} apart")
            return {**answers[0], "result": hex(max(heads))}
        compare = _COMPARED_AS.get(method, _exact)
        first = compare(results[0])
        for number, result in enumerate(results[1:], start=2):
            if compare(result) != first:
                raise QuorumDisagreement(f"{method}: node {number} of {len(results)} differs")
        return answers[0]
