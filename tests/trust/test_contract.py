"""The TrustRegistry contract's governance rules, on the in-process EVM.

Who may write (admins), who may appoint admins and set the delay (the owner), how ownership
moves (two steps), when additions and removals take effect (THREATS C-07, R-03), that every
change is an event, and that the committed artifact is what the source compiles to.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import TxReceipt

from specs.errors import TrustReason
from tests.support import assert_rejected
from tests.trust.conftest import (
    ISSUER,
    REGULATION,
    VALID_FROM_DATE,
    anchor,
    chain_now,
    issuer_entry,
    key_ref,
    verifier_entry,
)
from trust.contract import (
    ARTIFACT_PATH,
    MAX_BATCH,
    MAX_ENTRIES,
    RegistryWriteFailed,
    TrustRegistryContract,
    issuer_fields,
    load_admin_account,
    load_artifact,
)

SOURCE = ARTIFACT_PATH.with_suffix(".vy")
ZERO = "0x" + "00" * 20


def events(registry: TrustRegistryContract, receipt: TxReceipt, name: str) -> list[Any]:
    return list(getattr(registry.contract.events, name)().process_receipt(receipt))


def view(registry: TrustRegistryContract, name: str, *args: Any) -> Any:
    return getattr(registry.contract.functions, name)(*args).call()


def test_deployer_is_owner_and_admin_and_the_code_is_the_artifact(
    chain: Web3, registry: TrustRegistryContract, admin: LocalAccount
) -> None:
    assert view(registry, "owner") == admin.address
    assert view(registry, "isAdmin", admin.address)
    assert view(registry, "additionDelay") == 0
    code = chain.eth.get_code(registry.address)
    assert "0x" + Web3.keccak(code).hex() == load_artifact().runtime_code_hash


def test_only_admins_write(
    chain: Web3, registry: TrustRegistryContract, funded: Callable[[], LocalAccount]
) -> None:
    now = chain_now(chain)
    registry.add_issuer(issuer_entry(now=now))
    stranger = registry.with_signer(funded())
    writes: list[Callable[[], object]] = [
        lambda: stranger.add_issuer(issuer_entry("https://other.example", now=now)),
        lambda: stranger.add_issuers([issuer_entry("https://other.example", now=now)]),
        lambda: stranger.remove_issuer(ISSUER),
        lambda: stranger.remove_issuer_key(ISSUER, key_ref(ISSUER)),
        lambda: stranger.add_verifier(verifier_entry(now=now)),
        lambda: stranger.remove_verifier("https://desk.example"),
        lambda: stranger.anchor_regulation(anchor()),
        lambda: stranger.remove_regulation_anchor(REGULATION, VALID_FROM_DATE),
    ]
    for write in writes:
        with pytest.raises(RegistryWriteFailed, match=r"^not admin$"):
            write()
    assert view(registry, "issuerCount") == 1


def test_only_the_owner_governs_admins_and_the_delay(
    chain: Web3, registry: TrustRegistryContract, funded: Callable[[], LocalAccount]
) -> None:
    second = funded()
    receipt = registry.add_admin(second.address)
    assert [e["args"]["account"] for e in events(registry, receipt, "AdminAdded")] == [
        second.address
    ]
    as_second = registry.with_signer(second)
    as_second.add_issuer(issuer_entry(now=chain_now(chain)))  # an admin writes entries ...
    for owner_only in (
        lambda: as_second.add_admin(funded().address),
        lambda: as_second.remove_admin(registry.signer.address),  # type: ignore[union-attr]
        lambda: as_second.set_addition_delay(0),
        lambda: as_second.transfer_ownership(second.address),
    ):
        with pytest.raises(RegistryWriteFailed, match=r"^not owner$"):  # ... but governs nothing
            owner_only()
    receipt = registry.remove_admin(second.address)
    assert len(events(registry, receipt, "AdminRemoved")) == 1
    with pytest.raises(RegistryWriteFailed, match=r"^not admin$"):
        as_second.remove_issuer(ISSUER)
    with pytest.raises(RegistryWriteFailed, match="already admin"):
        registry.add_admin(registry.signer.address)  # type: ignore[union-attr]
    with pytest.raises(RegistryWriteFailed, match="zero address"):
        registry.add_admin(ZERO)  # type: ignore[arg-type]


def test_ownership_moves_in_two_steps(
    registry: TrustRegistryContract, admin: LocalAccount, funded: Callable[[], LocalAccount]
) -> None:
    successor, stranger = funded(), funded()
    receipt = registry.transfer_ownership(successor.address)
    [started] = events(registry, receipt, "OwnershipTransferStarted")
    assert (started["args"]["previous_owner"], started["args"]["new_owner"]) == (
        admin.address,
        successor.address,
    )
    assert view(registry, "owner") == admin.address  # nothing moved yet
    assert view(registry, "pendingOwner") == successor.address
    with pytest.raises(RegistryWriteFailed, match="not pending owner"):
        registry.with_signer(stranger).accept_ownership()
    receipt = registry.with_signer(successor).accept_ownership()
    [moved] = events(registry, receipt, "OwnershipTransferred")
    assert moved["args"]["new_owner"] == successor.address
    assert view(registry, "owner") == successor.address
    assert view(registry, "pendingOwner") == ZERO
    with pytest.raises(RegistryWriteFailed, match="not owner"):
        registry.set_addition_delay(60)  # the old owner governs nothing any more
    registry.with_signer(successor).transfer_ownership(stranger.address)
    registry.with_signer(successor).transfer_ownership(ZERO)  # a handover can be cancelled
    with pytest.raises(RegistryWriteFailed, match="not pending owner"):
        registry.with_signer(stranger).accept_ownership()


def test_additions_wait_for_the_delay_removals_do_not(
    chain: Web3, registry: TrustRegistryContract
) -> None:
    receipt = registry.set_addition_delay(3600)
    [delay] = events(registry, receipt, "AdditionDelaySet")
    assert (delay["args"]["previous_delay"], delay["args"]["new_delay"]) == (0, 3600)
    receipt = registry.add_issuer(issuer_entry(now=chain_now(chain)))
    mined_at = chain.eth.get_block(receipt["blockNumber"])["timestamp"]
    [added] = events(registry, receipt, "IssuerAdded")
    assert added["args"]["effective_from"] == mined_at + 3600
    assert view(registry, "issuerAt", 0)[5:] == (mined_at + 3600, True)
    registry.remove_issuer(ISSUER)
    assert view(registry, "issuerAt", 0)[6] is False  # immediately, no delay
    registry.anchor_regulation(anchor())
    assert view(registry, "anchorAt", 0)[3] > chain_now(chain)
    with pytest.raises(RegistryWriteFailed, match="delay too long"):
        registry.set_addition_delay(366 * 24 * 3600)


def test_entries_are_checked_on_write(chain: Web3, registry: TrustRegistryContract) -> None:
    now = chain_now(chain)
    good = issuer_fields(issuer_entry(now=now))
    bad = {
        "empty identifier": ("", *good[1:]),
        "no credential types": (good[0], [], *good[2:]),
        "empty credential type": (good[0], [""], *good[2:]),
        "no keys": (*good[:2], [], *good[3:]),
        "zero key reference": (*good[:2], [bytes(32)], *good[3:]),
        "empty validity": (*good[:3], now, now),
    }
    for message, fields in bad.items():
        with pytest.raises(RegistryWriteFailed, match=message):
            registry.transact("addIssuer", fields)
    registry.transact("addIssuer", good)
    with pytest.raises(RegistryWriteFailed, match="issuer registered"):
        registry.transact("addIssuer", good)  # no silent overwrite: remove first
    with pytest.raises(RegistryWriteFailed, match="issuer not registered"):
        registry.remove_issuer("https://unknown.example")
    with pytest.raises(RegistryWriteFailed, match="key not registered"):
        registry.remove_issuer_key(ISSUER, key_ref("unknown"))
    with pytest.raises(RegistryWriteFailed, match="duplicate regulation"):
        registry.transact(
            "addVerifier", "https://desk.example", [("r", ['["a"]']), ("r", ['["b"]'])], "law", 0, 1
        )
    with pytest.raises(RegistryWriteFailed, match="not an ISO date"):
        registry.transact("anchorRegulation", REGULATION, "2026-1-1", b"\x01" * 32)
    with pytest.raises(RegistryWriteFailed, match="zero content hash"):
        registry.transact("anchorRegulation", REGULATION, VALID_FROM_DATE, bytes(32))
    with pytest.raises(RegistryWriteFailed, match="regulation not anchored"):
        registry.remove_regulation_anchor(REGULATION, VALID_FROM_DATE)


def test_a_removed_entry_keeps_its_slot_and_can_come_back(
    chain: Web3, registry: TrustRegistryContract
) -> None:
    entry = issuer_entry(now=chain_now(chain))
    registry.add_issuer(entry)
    registry.remove_issuer(ISSUER)
    registry.add_issuer(entry)
    assert view(registry, "issuerCount") == 1
    assert view(registry, "issuerAt", 0)[6] is True
    with pytest.raises(Exception, match="index out of range"):
        view(registry, "issuerAt", 1)


def test_batch_seeding_is_chunked_and_all_or_nothing(
    chain: Web3, registry: TrustRegistryContract
) -> None:
    now = chain_now(chain)
    entries = [issuer_entry(f"https://issuer-{i}.example", now=now) for i in range(MAX_BATCH + 4)]
    receipts = registry.add_issuers(entries)
    assert len(receipts) == 2
    assert sum(len(events(registry, r, "IssuerAdded")) for r in receipts) == MAX_BATCH + 4
    assert view(registry, "issuerCount") == MAX_BATCH + 4
    doomed = [issuer_entry(f"https://late-{i}.example", now=now) for i in range(3)] + entries[:1]
    with pytest.raises(RegistryWriteFailed, match="issuer registered"):
        registry.add_issuers(doomed)
    assert view(registry, "issuerCount") == MAX_BATCH + 4  # the three new ones did not land


def test_every_change_is_an_event(chain: Web3, registry: TrustRegistryContract) -> None:
    now = chain_now(chain)
    keys = {key_ref("old"), key_ref("new")}
    changes = [
        (registry.add_issuer(issuer_entry(now=now, key_refs=keys)), "IssuerAdded"),
        (registry.remove_issuer_key(ISSUER, key_ref("old")), "IssuerKeyRemoved"),
        (registry.remove_issuer(ISSUER), "IssuerRemoved"),
        (registry.add_verifier(verifier_entry(now=now)), "VerifierAdded"),
        (registry.remove_verifier(verifier_entry(now=now).client_id), "VerifierRemoved"),
        (registry.anchor_regulation(anchor()), "RegulationAnchored"),
        (registry.remove_regulation_anchor(REGULATION, VALID_FROM_DATE), "RegulationRemoved"),
    ]
    for receipt, name in changes:
        assert len(events(registry, receipt, name)) == 1, name
    [removed] = events(registry, changes[1][0], "IssuerKeyRemoved")
    assert removed["args"]["identifier"] == ISSUER
    assert removed["args"]["key_ref"] == hashlib.sha256(b"old").digest()
    assert removed["args"]["identifier_hash"] == Web3.keccak(text=ISSUER)


def test_model_entries_that_cannot_be_written_are_refused_before_sending(
    chain: Web3, registry: TrustRegistryContract
) -> None:
    now = chain_now(chain)
    assert_rejected(
        TrustReason.MALFORMED_ENTRY,
        registry.add_issuer,
        issuer_entry(now=now, key_refs={"not base64url!"}),
    )
    assert_rejected(
        TrustReason.MALFORMED_ENTRY,
        registry.anchor_regulation,
        anchor().__class__(REGULATION, "sha1:" + "ab" * 20, VALID_FROM_DATE, 0),
    )


def test_admin_key_file_must_be_private(tmp_path: Path, admin: LocalAccount) -> None:
    path = tmp_path / "admin.key"
    path.write_text(admin.key.hex() + "\n", encoding="ascii")
    path.chmod(0o644)
    with pytest.raises(PermissionError):
        load_admin_account(path)
    path.chmod(0o600)
    assert load_admin_account(path).address == admin.address


def _constants() -> dict[str, int]:
    source = SOURCE.read_text(encoding="utf-8")
    return {
        name: int(value)
        for name, value in re.findall(r"^(\w+): constant\(uint256\) = (\d+)", source, re.M)
    }


def test_python_limits_match_the_contract() -> None:
    constants = _constants()
    assert (constants["MAX_BATCH"], constants["MAX_ENTRIES"]) == (MAX_BATCH, MAX_ENTRIES)


def test_artifact_matches_its_source() -> None:
    artifact = json.loads(ARTIFACT_PATH.read_text(encoding="utf-8"))
    source = SOURCE.read_bytes()
    assert artifact["source_sha256"] == hashlib.sha256(source).hexdigest()
    assert source.startswith(b"# pragma version 0.4.3\n# SPDX-License-Identifier: EUPL-1.2\n")
    assert artifact["compiler"] == "vyper 0.4.3"
    assert artifact["evm_version"] == "cancun"
    runtime = bytes.fromhex(artifact["bytecode_runtime"].removeprefix("0x"))
    assert artifact["runtime_code_hash"] == "0x" + Web3.keccak(runtime).hex()


def test_recompiling_the_source_gives_the_committed_bytes() -> None:
    pytest.importorskip("vyper")
    from scripts.build_contract import compile_artifact, render

    artifact = json.loads(ARTIFACT_PATH.read_text(encoding="utf-8"))
    rebuilt = compile_artifact(SOURCE.read_text(encoding="utf-8"), evm_version="cancun")
    assert rebuilt["bytecode"] == artifact["bytecode"]
    assert rebuilt["bytecode_runtime"] == artifact["bytecode_runtime"]
    assert render(rebuilt) == ARTIFACT_PATH.read_text(encoding="utf-8")
