"""JSON-RPC over HTTP with a total deadline and a size cap (THREATS C-01, C-05).

web3's ``HTTPProvider`` retries failed calls with back-off (seconds of waiting on a dead node)
and its timeout is per socket read, so a node that drips one byte a second, or streams a
100 MB answer, holds the caller for as long as it likes. The registry must fail closed within
``rpc_timeout_seconds`` instead, so this provider:

* never retries (the registry's poll loop is the retry);
* gives every call one deadline covering connect, send and the whole body, checked after each
  read of at most ``CHUNK_BYTES`` (``read1``: one socket read, not "until the chunk is full");
* refuses a body over ``max_response_bytes`` while reading, before any JSON parsing;
* asks for ``identity`` encoding, so the cap counts what is parsed (no decompression bomb);
* follows no redirects and ignores proxy environment variables: the node is the URL the
  operator configured (DESIGN §4), nothing else.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from web3.exceptions import TimeExhausted, Web3Exception
from web3.providers import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Far above the largest answer the registry asks for (a full ``issuerAt`` is ~6 KB, the
contract's code 12 KB, a log range is bounded by the refresher)."""
CHUNK_BYTES = 64 * 1024


class ResponseTooLarge(Web3Exception):
    """The node's answer exceeded the size cap."""


class BoundedHTTPProvider(JSONBaseProvider):
    """A web3 provider for one configured JSON-RPC URL; see the module docstring."""

    def __init__(
        self, url: str, *, timeout: float, max_response_bytes: int = MAX_RESPONSE_BYTES
    ) -> None:
        super().__init__()
        self.endpoint_uri = url
        self._timeout = timeout
        self._max_response_bytes = max_response_bytes
        self._session = requests.Session()
        self._session.trust_env = False

    def __str__(self) -> str:
        return f"bounded JSON-RPC {self.endpoint_uri}"

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        return self.decode_rpc_response(self._post(self.encode_rpc_request(method, params)))

    def _post(self, body: bytes) -> bytes:
        deadline = time.monotonic() + self._timeout
        headers = {"Content-Type": "application/json", "Accept-Encoding": "identity"}
        with self._session.post(
            self.endpoint_uri,
            data=body,
            headers=headers,
            timeout=self._timeout,
            stream=True,
            allow_redirects=False,
        ) as response:
            response.raise_for_status()
            chunks: list[bytes] = []
            size = 0
            while chunk := response.raw.read1(CHUNK_BYTES, decode_content=False):
                size += len(chunk)
                if size > self._max_response_bytes:
                    raise ResponseTooLarge(f"more than {self._max_response_bytes} bytes")
                if time.monotonic() > deadline:
                    raise TimeExhausted(f"no complete answer within {self._timeout} s")
                chunks.append(chunk)
        return b"".join(chunks)
