"""The TrustRegistry contract from Python: its artifact, deployment, admin writes, raw reads.

* ``load_artifact`` reads the committed build (``trust/contracts/TrustRegistry.json``, made by
  ``python -m scripts.build_contract``); nothing here compiles, so the running code needs no
  compiler and deploys exactly the bytes that were reviewed.
* Writes are governance tooling: every transaction is signed locally with ``eth-account``
  from the admin's private key (the node never holds a key, so a public RPC works too) and
  waited for; a revert raises ``RegistryWriteFailed`` with the contract's message.
  Model entries go in (``IssuerEntry``...), converted here to the contract's fields; their
  ``effective_from`` is ignored, because the contract sets it (block time + delay).
* Reads are raw: one ``eth_call`` per view at an explicit block number, decoded with the
  ABI's types except that ``string`` is read as ``bytes``. A registry string that is not
  UTF-8 then reaches ``trust.records`` as bytes and makes its entry malformed, instead of
  failing the whole read in the ABI decoder.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed  # type: ignore[import-untyped]  # no py.typed
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.types import TxParams, TxReceipt, Wei

from specs.errors import AanspraakError, Rejected, TrustReason
from specs.jose import b64url_decode
from specs.trust import IssuerEntry, RegulationAnchor, VerifierEntry

ARTIFACT_PATH = Path(__file__).parent / "contracts" / "TrustRegistry.json"
MAX_BATCH = 16
"""Issuers per ``addIssuers`` transaction (the contract's MAX_BATCH; about 5 M gas)."""
MAX_ENTRIES = 4096
"""Entries of each kind the contract holds (its MAX_ENTRIES); a larger count is a lie."""
RECEIPT_TIMEOUT_SECONDS = 120
GAS_MARGIN_PERCENT = 125
"""Gas limit of a governance write, as a share of the node's estimate (see ``transact``)."""


class RegistryWriteFailed(AanspraakError):
    """A governance transaction was refused (reverted); the message is the contract's."""


@dataclass(frozen=True, slots=True)
class Artifact:
    abi: list[dict[str, Any]]
    bytecode: str
    bytecode_runtime: str
    runtime_code_hash: str
    """keccak256 of the runtime bytecode, ``0x``-hex: what readers pin (THREATS R-04)."""
    compiler: str
    evm_version: str
    source_sha256: str


@cache
def load_artifact(path: Path = ARTIFACT_PATH) -> Artifact:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Artifact(
        data["abi"],
        data["bytecode"],
        data["bytecode_runtime"],
        data["runtime_code_hash"],
        data["compiler"],
        data["evm_version"],
        data["source_sha256"],
    )


def load_admin_account(path: Path) -> LocalAccount:
    """The admin key from a file holding its hex; refused if others may read the file."""
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(f"{path}: the admin key must be readable by its owner only")
    account: LocalAccount = Account.from_key(path.read_text(encoding="ascii").strip())
    return account


def fund_from_node(w3: Web3, address: ChecksumAddress, wei: int) -> None:
    """Pay gas money from the node's first unlocked account: development chains only
    (the in-process EVM and anvil unlock funded accounts; a real node has none)."""
    sender = w3.eth.accounts[0]
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": sender, "to": address, "value": Wei(wei)})
    )


def _raw_type(param: Mapping[str, Any]) -> str:
    """The ABI type of ``param`` with ``string`` read as ``bytes`` (same encoding)."""
    kind: str = param["type"]
    base, bracket, dims = kind.partition("[")
    if base == "tuple":
        base = "(" + ",".join(_raw_type(c) for c in param["components"]) + ")"
    elif base == "string":
        base = "bytes"
    return base + bracket + dims


def _key_ref_bytes(key_ref: str) -> bytes:
    try:
        raw = b64url_decode(key_ref)
    except Rejected:
        raise Rejected(TrustReason.MALFORMED_ENTRY) from None
    if len(raw) != 32:
        raise Rejected(TrustReason.MALFORMED_ENTRY)
    return raw


def _content_hash(version: str) -> bytes:
    prefix, _, digest = version.partition(":")
    try:
        raw = bytes.fromhex(digest)
    except ValueError:
        raise Rejected(TrustReason.MALFORMED_ENTRY) from None
    if prefix != "sha256" or len(raw) != 32 or digest != raw.hex():
        raise Rejected(TrustReason.MALFORMED_ENTRY)
    return raw


def issuer_fields(entry: IssuerEntry) -> tuple[Any, ...]:
    """An ``IssuerEntry`` as the contract's ``IssuerInput`` (sorted: equal entries, equal
    transactions)."""
    keys = [_key_ref_bytes(key_ref) for key_ref in sorted(entry.key_refs)]
    return (entry.issuer, sorted(entry.vcts), keys, entry.valid_from, entry.valid_until)


class TrustRegistryContract:
    """One deployed TrustRegistry: typed admin writes (when given a signer) and raw reads."""

    def __init__(
        self, w3: Web3, address: ChecksumAddress, *, signer: LocalAccount | None = None
    ) -> None:
        self.w3 = w3
        self.address = address
        self.signer = signer
        self.contract: Contract = w3.eth.contract(address=address, abi=load_artifact().abi)
        self._outputs = {
            item["name"]: [_raw_type(output) for output in item["outputs"]]
            for item in self.contract.abi
            if item["type"] == "function"
        }

    def with_signer(self, signer: LocalAccount) -> TrustRegistryContract:
        return TrustRegistryContract(self.w3, self.address, signer=signer)

    # --- raw reads ------------------------------------------------------------------------

    def call(self, function: str, *args: Any, block: int) -> tuple[Any, ...]:
        """One view at block number ``block``, decoded strictly, strings as bytes."""
        data = self.contract.encode_abi(function, args=list(args))
        raw = self.w3.eth.call({"to": self.address, "data": data}, block_identifier=block)
        decoded: tuple[Any, ...] = abi_decode(self._outputs[function], bytes(raw))
        return decoded

    def counts(self, *, block: int) -> tuple[int, int, int]:
        """(issuers, verifiers, anchors) slots, removed ones included."""
        return (
            self.call("issuerCount", block=block)[0],
            self.call("verifierCount", block=block)[0],
            self.call("anchorCount", block=block)[0],
        )

    def record(self, kind: str, index: int, *, block: int) -> tuple[Any, ...]:
        """The raw struct of slot ``index`` of ``kind`` (``issuer``, ``verifier``,
        ``anchor``); ``trust.records`` turns it into a model entry."""
        record: tuple[Any, ...] = self.call(f"{kind}At", index, block=block)[0]
        return record

    # --- writes ---------------------------------------------------------------------------

    def transact(self, function: str, *args: Any) -> TxReceipt:
        """Sign locally, send, wait; a revert (at estimation or mined) raises."""
        if self.signer is None:
            raise RegistryWriteFailed("no signer: this wrapper is read-only")
        sender = self.signer.address
        params: TxParams = {
            "from": sender,
            "nonce": self.w3.eth.get_transaction_count(sender, "pending"),
        }
        try:
            tx = getattr(self.contract.functions, function)(*args).build_transaction(params)
        except (ContractLogicError, TransactionFailed) as exc:
            message = str(exc.args[0] if exc.args else exc)
            raise RegistryWriteFailed(message.removeprefix("execution reverted: ")) from exc
        # The node's estimate is exact for the block it estimated in; a write of
        # ``block.timestamp + additionDelay`` over the value already stored costs less in a
        # block of that same second than in the next one, where the estimate ran out of gas.
        # Unused gas is not charged.
        tx["gas"] = tx["gas"] * GAS_MARGIN_PERCENT // 100
        signed = self.signer.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_SECONDS)
        if receipt["status"] != 1:
            raise RegistryWriteFailed(f"{function} reverted in block {receipt['blockNumber']}")
        return receipt

    def add_issuer(self, entry: IssuerEntry) -> TxReceipt:
        return self.transact("addIssuer", issuer_fields(entry))

    def add_issuers(self, entries: Iterable[IssuerEntry]) -> list[TxReceipt]:
        """Seed many issuers, ``MAX_BATCH`` per transaction (each batch all or nothing)."""
        fields = [issuer_fields(entry) for entry in entries]
        return [
            self.transact("addIssuers", fields[start : start + MAX_BATCH])
            for start in range(0, len(fields), MAX_BATCH)
        ]

    def remove_issuer(self, issuer: str) -> TxReceipt:
        return self.transact("removeIssuer", issuer)

    def remove_issuer_key(self, issuer: str, key_ref: str) -> TxReceipt:
        return self.transact("removeIssuerKey", issuer, _key_ref_bytes(key_ref))

    def add_verifier(self, entry: VerifierEntry) -> TxReceipt:
        permissions = [
            (regulation, sorted(claims)) for regulation, claims in sorted(entry.permissions.items())
        ]
        return self.transact(
            "addVerifier",
            entry.client_id,
            permissions,
            entry.legal_basis,
            entry.valid_from,
            entry.valid_until,
        )

    def remove_verifier(self, client_id: str) -> TxReceipt:
        return self.transact("removeVerifier", client_id)

    def anchor_regulation(self, anchor: RegulationAnchor) -> TxReceipt:
        return self.transact(
            "anchorRegulation", anchor.regulation, anchor.valid_from, _content_hash(anchor.version)
        )

    def remove_regulation_anchor(self, regulation: str, valid_from: str) -> TxReceipt:
        return self.transact("removeRegulationAnchor", regulation, valid_from)

    def seed(
        self,
        *,
        issuers: Sequence[IssuerEntry] = (),
        verifiers: Sequence[VerifierEntry] = (),
        anchors: Sequence[RegulationAnchor] = (),
    ) -> None:
        """Write a whole registry: what a deployment starts from (the demo's governance)."""
        self.add_issuers(issuers)
        for verifier in verifiers:
            self.add_verifier(verifier)
        for anchor in anchors:
            self.anchor_regulation(anchor)

    def add_admin(self, account: ChecksumAddress) -> TxReceipt:
        return self.transact("addAdmin", account)

    def remove_admin(self, account: ChecksumAddress) -> TxReceipt:
        return self.transact("removeAdmin", account)

    def set_addition_delay(self, seconds: int) -> TxReceipt:
        return self.transact("setAdditionDelay", seconds)

    def transfer_ownership(self, new_owner: ChecksumAddress) -> TxReceipt:
        return self.transact("transferOwnership", new_owner)

    def accept_ownership(self) -> TxReceipt:
        return self.transact("acceptOwnership")


def deploy(w3: Web3, *, signer: LocalAccount) -> TrustRegistryContract:
    """Deploy the artifact's bytecode; ``signer`` becomes owner and first admin."""
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    params: TxParams = {
        "from": signer.address,
        "nonce": w3.eth.get_transaction_count(signer.address, "pending"),
    }
    tx = factory.constructor().build_transaction(params)
    signed = signer.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction), timeout=RECEIPT_TIMEOUT_SECONDS
    )
    address = receipt["contractAddress"]
    if receipt["status"] != 1 or address is None:
        raise RegistryWriteFailed("deployment reverted")
    return TrustRegistryContract(w3, address, signer=signer)


def new_dev_admin(w3: Web3, *, private_key: bytes, wei: int = 10**21) -> LocalAccount:
    """An admin for ``private_key``, funded from the node: the in-process chain and tests.
    The key is a parameter (STYLE §7): the caller draws it, tests seed it."""
    account: LocalAccount = Account.from_key(private_key)
    fund_from_node(w3, account.address, wei)
    return account
