"""Malformed registry entries: ``registry-entry-malformed`` per entry, dropped whole from the
snapshot, the rest served (trust/records.py explains the choice; THREATS R-06, R-07).

The contract checks what it cheaply can; what it cannot (JSON claim paths, UTF-8, calendar
dates) is written here on chain as an admin could, and must not reach a decision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from web3 import Web3

from specs.errors import TrustReason
from specs.jose import b64url_encode
from specs.trust import check_anchor, check_issuer, check_verifier
from tests.support import assert_rejected
from tests.trust.conftest import (
    CLAIMS,
    DESK,
    ISSUER,
    REGULATION,
    VCT,
    chain_now,
    issuer_entry,
    verifier_entry,
)
from trust.chain import ChainTrustRegistry
from trust.contract import TrustRegistryContract
from trust.records import assemble, parse_anchor, parse_issuer, parse_verifier

Reader = Callable[..., ChainTrustRegistry]
KEY = hashlib.sha256(b"key").digest()
ISSUER_RECORD = (ISSUER.encode(), [VCT.encode()], [KEY], 0, 10, 0, True)
VERIFIER_RECORD = (DESK.encode(), [(REGULATION.encode(), [b'["a"]'])], b"law", 0, 10, 0, True)
ANCHOR_RECORD = (REGULATION.encode(), b"2026-01-01", b"\xab" * 32, 0, True)


def changed(record: Sequence[Any], **fields: Any) -> tuple[Any, ...]:
    names = {"id": 0, "list": 1, "keys": 2, "from": 3, "until": 4}
    values = list(record)
    for name, value in fields.items():
        values[names[name]] = value
    return tuple(values)


def test_well_formed_records_parse() -> None:
    assert parse_issuer(ISSUER_RECORD).key_refs == {b64url_encode(KEY)}
    assert parse_verifier(VERIFIER_RECORD).permissions == {REGULATION: {'["a"]'}}
    assert parse_anchor(ANCHOR_RECORD).version == "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(changed(ISSUER_RECORD, id=b""), id="empty identifier"),
        pytest.param(changed(ISSUER_RECORD, id=b"https://\xff.example"), id="not UTF-8"),
        pytest.param(changed(ISSUER_RECORD, list=[b"a", b"a"]), id="duplicate type"),
        pytest.param(changed(ISSUER_RECORD, list=[b""]), id="empty type"),
        pytest.param(changed(ISSUER_RECORD, keys=[bytes(32)]), id="zero key"),
        pytest.param(changed(ISSUER_RECORD, keys=[KEY, KEY]), id="duplicate key"),
        pytest.param(changed(ISSUER_RECORD, keys=[KEY[:31]]), id="short key"),
        pytest.param(changed(ISSUER_RECORD, until=0), id="empty validity"),
    ],
)
def test_malformed_issuer_records(record: tuple[Any, ...]) -> None:
    assert_rejected(TrustReason.MALFORMED_ENTRY, parse_issuer, record)


@pytest.mark.parametrize(
    "claims",
    [
        [b'["a", "b"]'],  # not compact: would never equal claim_key's spelling
        [b'{"a":1}'],
        [b"a.b"],
        [b"[]"],
        [b'["a",-1]'],
        [b'["a",true]'],
        [b'["a"'],
        [b'["\xff"]'],
        [b'["a"]', b'["a"]'],
    ],
)
def test_malformed_claim_paths(claims: list[bytes]) -> None:
    record = changed(VERIFIER_RECORD, list=[(REGULATION.encode(), claims)])
    assert_rejected(TrustReason.MALFORMED_ENTRY, parse_verifier, record)


def test_a_regulation_listed_twice_is_malformed() -> None:
    twice = [(REGULATION.encode(), [b'["a"]']), (REGULATION.encode(), [b'["b"]'])]
    assert_rejected(
        TrustReason.MALFORMED_ENTRY, parse_verifier, changed(VERIFIER_RECORD, list=twice)
    )


@pytest.mark.parametrize(
    "record",
    [
        (REGULATION.encode(), b"2026-13-01", b"\xab" * 32, 0, True),
        (REGULATION.encode(), b"20260101", b"\xab" * 32, 0, True),
        (REGULATION.encode(), b"2026-01-01", bytes(32), 0, True),
        (b"", b"2026-01-01", b"\xab" * 32, 0, True),
    ],
)
def test_malformed_anchor_records(record: tuple[Any, ...]) -> None:
    assert_rejected(TrustReason.MALFORMED_ENTRY, parse_anchor, record)


def test_assemble_drops_bad_and_ambiguous_entries_and_names_them() -> None:
    other = changed(ISSUER_RECORD, id=b"https://other.example")
    bad = changed(ISSUER_RECORD, id=b"https://bad.example", keys=[bytes(32)])
    removed_garbage = (*changed(ISSUER_RECORD, id=b"\xff", until=0)[:-1], False)
    snapshot, malformed = assemble(
        [ISSUER_RECORD, other, bad, removed_garbage],
        [VERIFIER_RECORD, VERIFIER_RECORD],  # one identifier twice: a lying node
        [ANCHOR_RECORD],
        as_of=5,
        source="test",
    )
    assert set(snapshot.issuers) == {ISSUER, "https://other.example"}  # removed: not parsed
    assert snapshot.verifiers == {}
    assert malformed == ("issuer[2]", "verifier[1]", "verifier[0]")
    assert len(snapshot.anchors) == 1


def _raw_add_issuer(w3: Web3, registry: TrustRegistryContract, admin: LocalAccount) -> None:
    """``addIssuer`` with an identifier that is not UTF-8: web3 would refuse to encode it,
    the contract stores any bytes."""
    fields = (b"https://\xc3\x28.example", [VCT.encode()], [KEY], 0, 2**40)
    selector = Web3.keccak(text="addIssuer((string,string[],bytes32[],uint256,uint256))")[:4]
    data = selector + encode(["(bytes,bytes[],bytes32[],uint256,uint256)"], [fields])
    tx = {
        "to": registry.address,
        "data": data,
        "gas": 2_000_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "nonce": w3.eth.get_transaction_count(admin.address),
        "chainId": w3.eth.chain_id,
    }
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(admin.sign_transaction(tx).raw_transaction)
    )
    assert receipt["status"] == 1


def test_malformed_entries_on_chain_are_dropped_the_rest_is_served(
    chain: Web3, registry: TrustRegistryContract, admin: LocalAccount, reader: Reader
) -> None:
    now = chain_now(chain)
    good = issuer_entry(now=now)
    registry.add_issuer(good)
    _raw_add_issuer(chain, registry, admin)
    registry.add_verifier(verifier_entry(now=now, claims={'["income" ,"below_threshold"]'}))
    registry.transact("anchorRegulation", REGULATION, "2026-02-30", b"\xab" * 32)
    now = chain_now(chain)
    trust = reader()
    snapshot = trust.snapshot(now=now)
    assert trust.malformed == ("issuer[1]", "verifier[0]", "anchor[0]")
    check_issuer(snapshot, issuer=ISSUER, vct=VCT, key_refs=list(good.key_refs), now=now)
    assert_rejected(
        TrustReason.VERIFIER_NOT_REGISTERED,  # untrusted, not a crash
        check_verifier,
        snapshot,
        client_id=DESK,
        regulation=REGULATION,
        claims=CLAIMS,
        now=now,
    )
    assert_rejected(
        TrustReason.REGULATION_NOT_ANCHORED,
        check_anchor,
        snapshot,
        regulation=REGULATION,
        valid_from="2026-02-30",
        version="sha256:" + "ab" * 32,
        now=now,
    )
