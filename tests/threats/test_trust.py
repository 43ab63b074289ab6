# ruff: noqa: F811 - pytest fixtures imported from shared modules are parameters here
"""Trust registry cases R-01..R-08: what the registry says, and when it cannot be believed.

The decisions are ``specs.trust`` (``check_issuer``) on the snapshot the chain backend reads
through a JSON-RPC node on loopback (``tests.threats.chain_node``), the same path a desk and a
wallet service take; R-01 is also played at a running desk, R-06 and R-07 also through the
parsers of both backends (the chain's ``trust.records``, the file's signed trust list).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from eth_typing import HexStr
from web3 import Web3

from specs.errors import FAMILY_OF, Family, TrustReason
from specs.jose import JwsAlg, b64url_decode, generate_private_key, sign_compact_jws
from specs.trust import TrustSnapshot, check_issuer
from specs.trust.trust_list import TRUST_LIST_TYP, trust_list_claims, verify_trust_list
from tests.threats.chain_node import (  # noqa: F401 - fixtures
    POLL,
    ChainNode,
    admin_key,
    honest,
    node,
    read,
)
from tests.threats.invariants import no_server_error, rejected
from tests.trust.conftest import ISSUER, VCT, chain_now, issuer_entry, key_ref
from tests.verifier.agencies import new_agency_key
from tests.verifier.conftest import Desk, desk  # noqa: F401 - fixture
from tests.verifier.refusals import assert_consumed, assert_wire_error, ready
from trust.contract import TrustRegistryContract, load_artifact
from trust.records import assemble

INSURER = "https://zorgverzekeraar.example"
KEY = key_ref(ISSUER)


def decide(snapshot: TrustSnapshot, now: int, **overrides: Any) -> object:
    """The reason ``check_issuer`` refuses with (``rejected`` fails if it accepts)."""
    ask: dict[str, Any] = {"issuer": ISSUER, "vct": VCT, "key_refs": [KEY], "now": now}
    return rejected(lambda: check_issuer(snapshot, **(ask | overrides)))


# --- a key the registry does not list -----------------------------------------------


def test_R_01_a_key_not_in_the_registry(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    now = chain_now(chain)
    snapshot = read(node.url, writer, chain).snapshot(now=now)
    reason = decide(snapshot, now, key_refs=[key_ref("someone else")])
    assert reason == TrustReason.KEY_NOT_REGISTERED
    assert FAMILY_OF[reason] is Family.ISSUER_UNTRUSTED  # type: ignore[index]


async def test_R_01_a_key_not_in_the_registry_at_the_desk(desk: Desk) -> None:
    """The insurer signs with a key it publishes but governance never registered. The
    answer is refused and the request spent (the documented state change, OpenID4VP §8.2)."""
    desk.agencies[INSURER].key = new_agency_key()
    started = await ready(desk)
    response = await desk.wallet.answer(started["link"])
    no_server_error(response)
    assert_wire_error(response, TrustReason.KEY_NOT_REGISTERED)
    await assert_consumed(desk, started, TrustReason.KEY_NOT_REGISTERED)


# --- removed after issuance ---------------------------------------------------------


def test_R_02_an_issuer_removed_after_issuance_is_refused_now(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    registry = read(node.url, writer, chain)
    now = chain_now(chain)
    check_issuer(registry.snapshot(now=now), issuer=ISSUER, vct=VCT, key_refs=[KEY], now=now)
    writer.remove_issuer(ISSUER)  # credentials it issued before are not grandfathered
    later = now + POLL
    assert decide(registry.snapshot(now=later), later) == TrustReason.ISSUER_NOT_REGISTERED


# --- rotation and compromise --------------------------------------------------------


def test_R_03_old_key_valid_until_removed_compromised_key_refused_at_once(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    now = chain_now(chain)
    old, new = key_ref("old"), key_ref("new")
    other = "https://gemeente.example"
    writer.add_issuer(issuer_entry(other, now=now, key_refs={old, new}))
    now = chain_now(chain)  # the block that added it
    registry = read(node.url, writer, chain)
    snapshot = registry.snapshot(now=now)
    for key in (old, new):  # both listed: credentials of either verify
        check_issuer(snapshot, issuer=other, vct=VCT, key_refs=[key], now=now)
    writer.remove_issuer_key(other, old)  # compromised: no delay, no waiting for expiry
    later = now + POLL
    snapshot = registry.snapshot(now=later)
    reason = decide(snapshot, later, issuer=other, key_refs=[old])
    assert reason == TrustReason.KEY_NOT_REGISTERED
    check_issuer(snapshot, issuer=other, vct=VCT, key_refs=[new], now=later)


# --- wrong chain, wrong contract, other code ----------------------------------------


@pytest.mark.parametrize("wrong", ["chain_id", "contract_address", "code_hash"])
def test_R_04_a_registry_read_from_the_wrong_place_is_refused(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode, wrong: str
) -> None:
    chain, writer = honest
    now = chain_now(chain)
    other_contract = chain.eth.wait_for_transaction_receipt(  # returns 42 to anything
        chain.eth.send_transaction(
            {
                "from": chain.eth.accounts[0],
                "data": HexStr("0x600a600c600039600a6000f3602a60005260206000f3"),
            }
        )
    )["contractAddress"]
    upgraded = "0x" + "33" * 32  # what an upgraded proxy's implementation would hash to
    assert upgraded != load_artifact().runtime_code_hash
    settings: dict[str, dict[str, Any]] = {
        "chain_id": {"chain_id": chain.eth.chain_id + 1},
        "contract_address": {"contract_address": other_contract},
        "code_hash": {"code_hash": upgraded},
    }
    registry = read(node.url, writer, chain, **settings[wrong])
    reason = rejected(lambda: registry.snapshot(now=now))
    expected = TrustReason.WRONG_CHAIN if wrong == "chain_id" else TrustReason.WRONG_CODE
    assert reason == expected
    assert FAMILY_OF[expected] is Family.TRUST_UNAVAILABLE


# --- authorised for another type ----------------------------------------------------


def test_R_05_an_issuer_authorised_for_a_only_cannot_attest_b(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode
) -> None:
    chain, writer = honest
    now = chain_now(chain)
    snapshot = read(node.url, writer, chain).snapshot(now=now)
    for vct in ("https://credentials.example/pid", VCT + "/extended", VCT.upper()):
        assert decide(snapshot, now, vct=vct) == TrustReason.VCT_NOT_AUTHORISED


# --- spellings of an issuer, and two entries for one --------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "HTTPS://BELASTINGDIENST.EXAMPLE",
        "https://Belastingdienst.example",
        "https://belastingdienst.example/",
        "https://belastingdienst.example.",
        "https://belastingd\u0456enst.example",  # a Cyrillic i: an IDN homograph
        "https://xn--belastingdenst-kgg.example",
        " https://belastingdienst.example",
    ],
)
def test_R_06_issuer_spellings_match_exactly(
    honest: tuple[Web3, TrustRegistryContract], node: ChainNode, variant: str
) -> None:
    chain, writer = honest
    now = chain_now(chain)
    snapshot = read(node.url, writer, chain).snapshot(now=now)
    assert decide(snapshot, now, issuer=variant) == TrustReason.ISSUER_NOT_REGISTERED


def _record(issuer: str, key: str, now: int) -> tuple[Any, ...]:
    """An issuer slot as the contract returns it (``trust.records.parse_issuer``)."""
    return (issuer.encode(), [VCT.encode()], [b64url_decode(key)], now - 10, now + 10**6, 0, True)


def test_R_06_two_chain_entries_for_one_issuer_are_both_dropped(now: int) -> None:
    """Impossible with the pinned code; a lying node. Ambiguity trusts neither."""
    records = [_record(ISSUER, key_ref("a"), now), _record(ISSUER, key_ref("b"), now)]
    snapshot, malformed = assemble(records, [], [], as_of=now, source="test")
    assert sorted(malformed) == ["issuer[0]", "issuer[1]"]
    for key in ("a", "b"):
        reason = decide(snapshot, now, key_refs=[key_ref(key)])
        assert reason == TrustReason.ISSUER_NOT_REGISTERED


def test_R_06_a_trust_list_with_one_issuer_twice_is_refused_whole(now: int) -> None:
    governance = generate_private_key(JwsAlg.ES256)
    entry = issuer_entry(now=now)
    claims = trust_list_claims(
        TrustSnapshot({ISSUER: entry}, {}, {}, now, "test"),
        governance_id="governance",
        now=now,
        ttl=3600,
    )
    claims["issuers"].append({**claims["issuers"][0], "key_refs": [key_ref("conflicting")]})
    token = sign_compact_jws(claims, key=governance, typ=TRUST_LIST_TYP)
    reason = rejected(lambda: verify_trust_list(token, governance_keys=governance.public, now=now))
    assert reason == TrustReason.MALFORMED_ENTRY


# --- malformed keys in the registry -------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [b"", b"\x00" * 32, b"\x01" * 31, b"\x01" * 33, b"\x01" * 4096, "not bytes"],
    ids=["empty", "zero", "short", "long", "huge", "text"],
)
def test_R_07_a_malformed_key_reference_drops_the_entry_not_the_reader(
    now: int, key: object
) -> None:
    """The registry holds key references (SHA-256 thumbprints), never key material to
    parse; a bad one drops that entry (named for the operator), and no parser error escapes."""
    good = _record("https://gemeente.example", key_ref("good"), now)
    bad = (ISSUER.encode(), [VCT.encode()], [key], now - 10, now + 10**6, 0, True)
    snapshot, malformed = assemble([bad, good], [], [], as_of=now, source="test")
    assert malformed == ("issuer[0]",)
    assert decide(snapshot, now) == TrustReason.ISSUER_NOT_REGISTERED
    gemeente = {"issuer": "https://gemeente.example", "key_refs": [key_ref("good")]}
    check_issuer(snapshot, vct=VCT, now=now, **gemeente)  # type: ignore[arg-type]


def test_R_07_a_trust_list_with_a_malformed_key_is_refused(now: int) -> None:
    governance = generate_private_key(JwsAlg.ES256)
    claims = trust_list_claims(
        TrustSnapshot({ISSUER: issuer_entry(now=now)}, {}, {}, now, "test"),
        governance_id="governance",
        now=now,
        ttl=3600,
    )
    claims["issuers"][0]["key_refs"] = ['{"kty":"EC","crv":"P-384"}']
    token = sign_compact_jws(claims, key=governance, typ=TRUST_LIST_TYP)
    reason = rejected(lambda: verify_trust_list(token, governance_keys=governance.public, now=now))
    assert reason == TrustReason.MALFORMED_ENTRY


# --- the node is down: cache within staleness, then fail closed ---------------------


def test_R_08_cache_within_staleness_then_fail_closed(
    honest: tuple[Web3, TrustRegistryContract],
    node: ChainNode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain, writer = honest
    registry = read(node.url, writer, chain, max_staleness_seconds=60)
    now = chain_now(chain)
    fresh = registry.snapshot(now=now)
    node.stop()
    caplog.set_level(logging.WARNING, logger="trust.chain")
    cached = registry.snapshot(now=now + 30)  # within staleness: served, and says so
    assert cached.issuers == fresh.issuers
    assert cached.source == f"{fresh.source} (cached)"
    assert "not refreshed: registry-unavailable" in caplog.text  # provenance for the operator
    reason = rejected(lambda: registry.snapshot(now=now + 61))
    assert reason == TrustReason.REGISTRY_STALE
    assert FAMILY_OF[reason] is Family.TRUST_UNAVAILABLE  # type: ignore[index]
    node.start()  # the same port again: recovers by itself
    assert registry.snapshot(now=now + 61 + POLL).source == fresh.source
