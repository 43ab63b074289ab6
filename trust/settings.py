"""The trust registry's settings: environment variables ``AANSPRAAK_TRUST_*``.

``docs/trust.example.env`` lists every variable with an example; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MAX_NODES = 8
"""Nodes a quorum may read (``trust.quorum``): more only add latency, each read waits for all."""


class TrustSettings(BaseSettings):
    """Where the registry is read from and how much to trust what is read.

    Fields (environment variable = ``AANSPRAAK_TRUST_`` + the name in capitals):

    * ``backend``: ``chain`` (the TrustRegistry contract, DESIGN §1) or ``file`` (a signed
      trust list, for deployments without a chain). Default ``chain``.
    * ``rpc_url``: the JSON-RPC endpoint of an Ethereum-compatible node (``http``/``https``).
      Unset: the in-process EVM (eth-tester), deployed and seeded at start, the embedded
      default (DESIGN §2). The URL is trusted by configuration, so it is the one place an
      operator points the registry at; put a node you run (or one per trust domain) here.
    * ``quorum_rpc_urls``: more nodes (``http``/``https``, comma-separated in the
      environment) that must give the same answers as ``rpc_url`` for every read, at the same
      block (``trust.quorum``). A node that lies, or serves another fork, then makes the
      refresh fail closed (``registry-unavailable``) instead of being believed (THREATS C-04).
      Use nodes run by different operators. Empty by default: one node is trusted.
    * ``chain_id``: the chain the node must report (``eth_chainId``); any other answer is
      refused (THREATS C-02). Required with ``rpc_url``: a registry address means nothing
      without its chain. Unset in-process (the in-process chain pins its own id).
    * ``contract_address``: the deployed TrustRegistry. Required with ``rpc_url``.
    * ``code_hash``: keccak256 (``0x`` + 64 hex) of the runtime code expected at
      ``contract_address``. Unset: the committed artifact's ``runtime_code_hash``, i.e. exactly
      the reviewed contract. Anything else there (a proxy, an upgrade, no code) is refused
      (THREATS R-04, C-06). Set it only to pin a contract built from another source release.
    * ``confirmations``: read the state of block ``latest - confirmations``, so a change that
      a reorganisation could still undo is not trusted yet (THREATS C-03). Default 0, right
      for a single-operator or instant-finality network (QBFT/IBFT Besu, the in-process EVM);
      use the network's reorg depth elsewhere.
    * ``max_staleness_seconds``: how long after its last successful refresh a cached snapshot
      may still be served while the node cannot be read; after that every call fails closed
      with ``registry-stale`` (THREATS R-08). Default 300. It bounds how long a removal
      (a compromised key) can go unseen during an outage.
    * ``poll_interval_seconds``: the cached snapshot is served without any RPC call for this
      long, then refreshed (a few calls; a full re-read only when the registry emitted an
      event). Must be below ``max_staleness_seconds``. Default 15: the time a change takes
      to take effect, at most one interval plus the confirmations.
    * ``rpc_timeout_seconds``: the deadline of one JSON-RPC call, body included; a node that
      does not answer in time counts as down (THREATS C-01, C-05). Default 2.
    * ``trust_list_file``: with ``backend=file``, the signed trust list governance publishes
      (``specs.trust.trust_list``); publish a new one by renaming it over the old file.
    * ``governance_key_file``: with ``backend=file``, the governance public key (JWK or PEM)
      that must have signed the trust list.
    * ``admin_key_file``: a file holding an admin's private key (hex), for governance writes
      (``trust.contract``); it must be readable by its owner only. Readers never need it:
      leave it unset on every verifier and wallet host.
    * ``admin_key``: the same key given directly (hex), for hosts that inject secrets as
      environment variables; used when ``admin_key_file`` is unset. Kept as a secret: it is
      never printed or logged.
    """

    model_config = SettingsConfigDict(env_prefix="AANSPRAAK_TRUST_", frozen=True, extra="ignore")

    backend: Literal["chain", "file"] = "chain"
    rpc_url: str | None = None
    quorum_rpc_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    chain_id: int | None = Field(default=None, gt=0)
    contract_address: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")
    code_hash: str | None = Field(default=None, pattern=r"^0x[0-9a-f]{64}$")
    confirmations: int = Field(default=0, ge=0, le=1024)
    max_staleness_seconds: int = Field(default=300, gt=0)
    poll_interval_seconds: int = Field(default=15, ge=0)
    rpc_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    trust_list_file: Path | None = None
    governance_key_file: Path | None = None
    admin_key_file: Path | None = None
    admin_key: SecretStr | None = None

    @field_validator("rpc_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not _is_http_url(value):
            raise ValueError("rpc_url must be an http(s) URL")
        return value

    @field_validator("quorum_rpc_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("quorum_rpc_urls")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        if not all(_is_http_url(url) for url in value):
            raise ValueError("quorum_rpc_urls must be http(s) URLs")
        if len(value) >= MAX_NODES:
            raise ValueError(f"at most {MAX_NODES - 1} quorum_rpc_urls")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.rpc_url is not None and (self.chain_id is None or self.contract_address is None):
            raise ValueError("rpc_url needs chain_id and contract_address")
        if self.quorum_rpc_urls and self.rpc_url is None:
            raise ValueError("quorum_rpc_urls needs rpc_url")
        if len({self.rpc_url, *self.quorum_rpc_urls}) != len(self.quorum_rpc_urls) + 1:
            raise ValueError("quorum_rpc_urls must differ from rpc_url and each other")
        if self.backend == "file" and (
            self.trust_list_file is None or self.governance_key_file is None
        ):
            raise ValueError("backend file needs trust_list_file and governance_key_file")
        if self.poll_interval_seconds >= self.max_staleness_seconds:
            raise ValueError("poll_interval_seconds must be below max_staleness_seconds")
        return self


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)
