"""``trusted_authorities`` (OpenID4VP 1.0 §6.1.1; HAIP §5 makes ``aki`` mandatory): parsed
with caps, matched by the wallet, re-checked by the verifier, compiled by the desk."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from runtime.regulations import find
from specs.errors import DcqlReason
from specs.oid4vp.dcql import (
    DcqlLimits,
    TrustedAuthoritiesQuery,
    dcql_query_to_json,
    parse_dcql_query,
)
from specs.oid4vp.dcql_match import check_presentation, select_credentials
from specs.oid4vp.trusted_authorities import (
    AKI,
    chain_key_identifiers,
    satisfies_trusted_authorities,
    x5c_key_identifiers,
)
from specs.rules import compile_dcql
from tests.ca import new_ca, signing_key
from tests.conftest import FIXED_NOW
from tests.specs.oid4vp_dcql import held, issue, present
from tests.support import assert_rejected

PID = "urn:test:pid"
VIEW = issue(PID, {"given_name": "Jan"})


def _query(authorities: Any = None) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "id": "pid",
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [PID]},
        "claims": [{"path": ["given_name"]}],
    }
    if authorities is not None:
        credential["trusted_authorities"] = authorities
    return {"credentials": [credential]}


def test_haip_5_trusted_authorities_are_parsed_and_written_back() -> None:
    raw = _query(
        [
            {"type": "aki", "values": ["s9tIpPmhxdiuNkHMEWNpYim8S8Y"]},
            {
                "type": "etsi_tl",
                "values": ["https://lotl.example.com"],
            },
        ]
    )
    query = parse_dcql_query(raw)
    assert query.credentials[0].trusted_authorities == (
        TrustedAuthoritiesQuery("aki", ("s9tIpPmhxdiuNkHMEWNpYim8S8Y",)),
        TrustedAuthoritiesQuery("etsi_tl", ("https://lotl.example.com",)),
    )
    assert parse_dcql_query(dcql_query_to_json(query)) == query


@pytest.mark.parametrize(
    "authorities",
    [
        "aki",
        [],
        ["aki"],
        [{"type": "aki"}],
        [{"values": ["x"]}],
        [{"type": "aki", "values": []}],
        [{"type": "aki", "values": [1]}],
        [{"type": "aki", "values": [""]}],
        [{"type": 7, "values": ["x"]}],
        [{"type": "aki", "values": "x"}],
    ],
)
def test_malformed_trusted_authorities_are_refused(authorities: Any) -> None:
    assert_rejected(DcqlReason.MALFORMED_QUERY, parse_dcql_query, _query(authorities))


def test_too_many_trusted_authorities_or_values_are_refused() -> None:
    limits = DcqlLimits(max_trusted_authorities=2, max_values=2)
    many = [{"type": "aki", "values": ["a"]}] * 3
    assert_rejected(DcqlReason.QUERY_TOO_LARGE, parse_dcql_query, _query(many), limits=limits)
    wide = [{"type": "aki", "values": ["a", "b", "c"]}]
    assert_rejected(DcqlReason.QUERY_TOO_LARGE, parse_dcql_query, _query(wide), limits=limits)


def test_chain_key_identifiers_are_the_leaf_aki_and_the_root_ski() -> None:
    ca = new_ca(FIXED_NOW)
    key = signing_key()
    assert isinstance(key.key, ec.EllipticCurvePrivateKey)
    leaf = ca.leaf(key.key, "https://issuer.example")
    assert chain_key_identifiers([leaf]) == {ca.aki}  # the leaf's AKI names the CA
    assert chain_key_identifiers([leaf, ca.root]) == {ca.aki}  # root: AKI and SKI agree
    assert x5c_key_identifiers({"x5c": ca.chain(key, "https://issuer.example")}) == {ca.aki}


def test_a_header_without_a_readable_chain_has_no_key_identifiers() -> None:
    assert x5c_key_identifiers({"kid": "k"}) == frozenset()
    assert x5c_key_identifiers({"x5c": ["%%%"]}) == frozenset()


def test_only_aki_entries_can_be_satisfied() -> None:
    aki = TrustedAuthoritiesQuery(AKI, ("id1",))
    federation = TrustedAuthoritiesQuery("openid_federation", ("id1",))
    assert satisfies_trusted_authorities((), frozenset())
    assert satisfies_trusted_authorities((aki,), frozenset({"id1"}))
    assert not satisfies_trusted_authorities((aki,), frozenset({"id2"}))
    assert not satisfies_trusted_authorities((federation,), frozenset({"id1"}))
    assert satisfies_trusted_authorities((federation, aki), frozenset({"id1"}))


def test_haip_5_the_wallet_offers_only_a_credential_of_a_named_authority() -> None:
    query = parse_dcql_query(_query([{"type": "aki", "values": ["ca-1"]}]))
    plain = held("plain", VIEW)
    other = dataclasses.replace(held("other", VIEW), authority_key_ids=frozenset({"ca-2"}))
    named = dataclasses.replace(held("named", VIEW), authority_key_ids=frozenset({"ca-1"}))
    chosen = select_credentials(query, [plain, other, named])
    assert [s.ref for s in chosen["pid"]] == ["named"]
    assert_rejected(
        DcqlReason.CREDENTIAL_SETS_UNSATISFIED, select_credentials, query, [plain, other]
    )


def test_a_query_naming_only_other_types_selects_nothing() -> None:
    query = parse_dcql_query(_query([{"type": "etsi_tl", "values": ["ca-1"]}]))
    named = dataclasses.replace(held("named", VIEW), authority_key_ids=frozenset({"ca-1"}))
    assert_rejected(DcqlReason.CREDENTIAL_SETS_UNSATISFIED, select_credentials, query, [named])


def test_haip_5_the_verifier_rechecks_trusted_authorities() -> None:
    query = parse_dcql_query(_query([{"type": "aki", "values": ["ca-1"]}]))
    shown = present(VIEW, [("given_name",)], "pid")
    named = dataclasses.replace(shown, authority_key_ids=frozenset({"ca-1", "ca-0"}))
    assert check_presentation(query, {"pid": [named]}) == frozenset({"pid"})
    for ids in (frozenset(), frozenset({"ca-2"})):
        assert_rejected(
            DcqlReason.TRUSTED_AUTHORITY_NOT_MATCHED,
            check_presentation,
            query,
            {"pid": [dataclasses.replace(shown, authority_key_ids=ids)]},
        )
    other_type = parse_dcql_query(_query([{"type": "openid_federation", "values": ["ca-1"]}]))
    assert_rejected(
        DcqlReason.TRUSTED_AUTHORITY_NOT_MATCHED, check_presentation, other_type, {"pid": [named]}
    )


def test_haip_5_the_desk_query_carries_its_authorities() -> None:
    compiled = find("zorgtoeslag")
    plain = compile_dcql(compiled)
    assert all("trusted_authorities" not in c for c in plain.query["credentials"])
    request = compile_dcql(compiled, trusted_authority_akis=["ca-1", "ca-2", "ca-1"])
    query = parse_dcql_query(request.query)
    for credential in query.credentials:
        assert credential.trusted_authorities == (TrustedAuthoritiesQuery(AKI, ("ca-1", "ca-2")),)
