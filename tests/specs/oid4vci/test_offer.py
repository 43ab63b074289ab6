"""Credential Offers (OpenID4VCI 1.0 §4.1): build, link, and the wallet's strict parser."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

import pytest

from specs.errors import JoseReason, Oid4vciReason
from specs.oid4vci import (
    OFFER_SCHEME,
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    TxCode,
    build_credential_offer,
    offer_link,
    offer_link_by_reference,
    parse_credential_offer,
    parse_offer_link,
)
from tests.support import assert_rejected

ISSUER = "https://issuer.example/agency"
R = Oid4vciReason.MALFORMED_OFFER


def _offer(**overrides: Any) -> dict[str, Any]:
    offer = build_credential_offer(
        credential_issuer=ISSUER,
        configuration_ids=["zorgtoeslag_income"],
        pre_authorized_code="code-123",
        tx_code=TxCode(length=6, description="Sent by text message"),
    )
    offer.update(overrides)
    return offer


def _with_grant(**members: Any) -> dict[str, Any]:
    offer = _offer()
    offer["grants"][PRE_AUTHORIZED_GRANT] = members
    return offer


# --- building ---------------------------------------------------------------------------


def test_built_offer_has_the_shape_of_section_4_1_1() -> None:
    assert _offer() == {
        "credential_issuer": ISSUER,
        "credential_configuration_ids": ["zorgtoeslag_income"],
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": "code-123",
                "tx_code": {
                    "input_mode": "numeric",
                    "length": 6,
                    "description": "Sent by text message",
                },
            }
        },
    }


def test_offer_without_tx_code_has_no_tx_code_member() -> None:
    offer = build_credential_offer(
        credential_issuer=ISSUER,
        configuration_ids=("a", "b"),
        pre_authorized_code="c",
        tx_code=None,
    )
    assert offer["grants"][PRE_AUTHORIZED_GRANT] == {"pre-authorized_code": "c"}
    assert parse_credential_offer(offer).tx_code is None


@pytest.mark.parametrize("ids", [[], ["a", "a"], [""], "abc"])
def test_builder_refuses_bad_configuration_ids(ids: Any) -> None:
    with pytest.raises(ValueError, match="configuration_ids"):
        build_credential_offer(
            credential_issuer=ISSUER,
            configuration_ids=ids,
            pre_authorized_code="c",
            tx_code=None,
        )


def test_builder_refuses_an_empty_code() -> None:
    with pytest.raises(ValueError, match="pre_authorized_code"):
        build_credential_offer(
            credential_issuer=ISSUER,
            configuration_ids=["a"],
            pre_authorized_code="",
            tx_code=None,
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_mode": "alpha"},
        {"length": -1},
        {"length": 65},
        {"length": True},
        {"description": "x" * 301},
    ],
)
def test_tx_code_refuses_values_outside_section_4_1_1(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="tx_code"):
        TxCode(**kwargs)


def test_round_trip_through_the_parser() -> None:
    parsed = parse_credential_offer(_offer())
    assert parsed == CredentialOffer(
        credential_issuer=ISSUER,
        configuration_ids=("zorgtoeslag_income",),
        pre_authorized_code="code-123",
        tx_code=TxCode("numeric", 6, "Sent by text message"),
        issuer_state=None,
    )


# --- links ------------------------------------------------------------------------------


def test_link_by_value_percent_encodes_the_compact_json() -> None:
    link = offer_link(_offer())
    assert link.startswith(f"{OFFER_SCHEME}?credential_offer=%7B%22credential_issuer%22%3A")
    assert " " not in link
    assert "{" not in link
    assert parse_offer_link(link) == parse_credential_offer(_offer())


def test_link_by_reference_returns_the_uri() -> None:
    uri = "https://issuer.example/offers/abc?x=1&y=2"
    link = offer_link_by_reference(uri)
    encoded = "https%3A%2F%2Fissuer.example%2Foffers%2Fabc%3Fx%3D1%26y%3D2"
    assert link == f"{OFFER_SCHEME}?credential_offer_uri={encoded}"
    assert parse_offer_link(link) == uri


def test_https_link_to_a_wallet_endpoint_is_read_too() -> None:
    link = "https://wallet.example/offer?" + offer_link(_offer()).split("?", 1)[1] + "&lang=nl"
    assert isinstance(parse_offer_link(link), CredentialOffer)


def test_http_is_only_for_the_development_profile() -> None:
    local = "http://127.0.0.1:8001"
    offer = _offer(credential_issuer=local)
    assert_rejected(R, parse_credential_offer, offer)
    assert parse_credential_offer(offer, allow_http=True).credential_issuer == local
    by_reference = offer_link_by_reference("http://127.0.0.1:8001/offers/1")
    assert_rejected(R, parse_offer_link, by_reference)
    assert parse_offer_link(by_reference, allow_http=True) == "http://127.0.0.1:8001/offers/1"


def test_oversized_link_is_refused_before_parsing() -> None:
    link = offer_link(_offer())
    assert_rejected(Oid4vciReason.OFFER_TOO_LARGE, parse_offer_link, link, max_bytes=len(link) - 1)
    assert isinstance(parse_offer_link(link, max_bytes=len(link)), CredentialOffer)


def test_repeated_link_parameter_is_refused() -> None:
    query = "credential_offer_uri=https%3A%2F%2Fa.example%2Fo"
    assert_rejected(
        Oid4vciReason.DUPLICATE_PARAMETER, parse_offer_link, f"{OFFER_SCHEME}?{query}&{query}"
    )


@pytest.mark.parametrize(
    "link",
    [
        f"{OFFER_SCHEME}",  # no parameter
        f"{OFFER_SCHEME}?foo=bar",
        f"{OFFER_SCHEME}?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fa.example",
        "openid4vp://?credential_offer_uri=https%3A%2F%2Fa.example",  # other scheme
        "http://wallet.example/?credential_offer_uri=https%3A%2F%2Fa.example",
        f"{OFFER_SCHEME}?credential_offer_uri=https%3A%2F%2Fa.example#frag",
        f"{OFFER_SCHEME}?credential_offer_uri=ftp%3A%2F%2Fa.example",
        f"{OFFER_SCHEME}?credential_offer_uri=",
        f"{OFFER_SCHEME}?credential_offer=%FF%FE",  # not UTF-8
        f"{OFFER_SCHEME}?credential_offer=%7B%7D&&",  # strict query syntax
        f"{OFFER_SCHEME}?credential_offer=caf\u00e9",  # raw non-ASCII
        f"{OFFER_SCHEME}?" + "&".join(f"p{i}=1" for i in range(9)),  # too many fields
    ],
)
def test_malformed_links(link: str) -> None:
    assert_rejected(R, parse_offer_link, link)


def test_offer_value_is_strict_json() -> None:
    body = '{"credential_issuer": "https://a.example", "credential_issuer": "https://b.example"}'
    link = f"{OFFER_SCHEME}?credential_offer={quote(body, safe='')}"
    assert_rejected(JoseReason.DUPLICATE_JSON_KEY, parse_offer_link, link)


def test_a_link_that_is_not_a_string_is_refused() -> None:
    assert_rejected(R, parse_offer_link, b"openid-credential-offer://")


# --- the wallet's parser ----------------------------------------------------------------


def test_authorization_code_grant_keeps_issuer_state() -> None:
    offer = _offer(grants={"authorization_code": {"issuer_state": "state-1"}})
    parsed = parse_credential_offer(offer)
    assert (parsed.pre_authorized_code, parsed.issuer_state) == (None, "state-1")


def test_missing_or_empty_grants_mean_no_grant() -> None:
    offer = _offer()
    del offer["grants"]
    assert parse_credential_offer(offer).pre_authorized_code is None
    assert parse_credential_offer(_offer(grants={})).pre_authorized_code is None


def test_unknown_members_and_grants_are_ignored() -> None:
    offer = _offer(extra={"x": 1})
    offer["grants"]["urn:example:grant"] = "anything"
    assert parse_credential_offer(offer).pre_authorized_code == "code-123"


def test_empty_tx_code_object_still_requires_a_code() -> None:
    parsed = parse_credential_offer(_with_grant(**{"pre-authorized_code": "c", "tx_code": {}}))
    assert parsed.tx_code == TxCode(input_mode="numeric", length=0, description=None)


def test_text_input_mode_is_kept() -> None:
    grant = {"pre-authorized_code": "c", "tx_code": {"input_mode": "text", "length": 8}}
    assert parse_credential_offer(_with_grant(**grant)).tx_code == TxCode("text", 8, None)


@pytest.mark.parametrize(
    "overrides",
    [
        {"credential_issuer": "http://issuer.example"},
        {"credential_issuer": "https://issuer.example/?q=1"},  # §12.2.1: no query
        {"credential_issuer": "https://issuer.example/#f"},
        {"credential_issuer": "https://user@issuer.example"},
        {"credential_issuer": "https:///path"},
        {"credential_issuer": "https://issuer.example:99999"},
        {"credential_issuer": "https://issuer.example/a b"},
        {"credential_issuer": "https://issuer.example/caf\u00e9"},
        {"credential_issuer": ["https://issuer.example"]},
        {"credential_issuer": "https://issuer.example/" + "a" * 2048},
        {"credential_configuration_ids": []},
        {"credential_configuration_ids": "a"},
        {"credential_configuration_ids": ["a", "a"]},
        {"credential_configuration_ids": ["a", 1]},
        {"credential_configuration_ids": [""]},
        {"credential_configuration_ids": ["x" * 513]},
        {"credential_configuration_ids": [str(i) for i in range(257)]},
        {"grants": []},
        {"grants": {PRE_AUTHORIZED_GRANT: "code"}},
        {"grants": {"authorization_code": {"issuer_state": 7}}},
        {"grants": {"authorization_code": []}},
    ],
)
def test_malformed_offers(overrides: dict[str, Any]) -> None:
    assert_rejected(R, parse_credential_offer, _offer(**overrides))


@pytest.mark.parametrize(
    "grant",
    [
        {},
        {"pre-authorized_code": ""},
        {"pre-authorized_code": 123},
        {"pre-authorized_code": "x" * 513},
        {"pre-authorized_code": "c", "tx_code": None},
        {"pre-authorized_code": "c", "tx_code": "123456"},
        {"pre-authorized_code": "c", "tx_code": {"input_mode": "alphanumeric"}},
        {"pre-authorized_code": "c", "tx_code": {"length": 0}},
        {"pre-authorized_code": "c", "tx_code": {"length": True}},
        {"pre-authorized_code": "c", "tx_code": {"length": 6.0}},
        {"pre-authorized_code": "c", "tx_code": {"length": 65}},
        {"pre-authorized_code": "c", "tx_code": {"description": "x" * 301}},
        {"pre-authorized_code": "c", "tx_code": {"description": 5}},
    ],
)
def test_malformed_pre_authorized_grants(grant: dict[str, Any]) -> None:
    assert_rejected(R, parse_credential_offer, _with_grant(**grant))


def test_description_of_exactly_300_characters_is_allowed() -> None:
    grant = {"pre-authorized_code": "c", "tx_code": {"description": "x" * 300}}
    tx_code = parse_credential_offer(_with_grant(**grant)).tx_code
    assert tx_code is not None
    assert len(tx_code.description or "") == 300


def test_parser_does_not_share_state_with_its_input() -> None:
    offer = _offer()
    snapshot = copy.deepcopy(offer)
    parse_credential_offer(offer)
    assert offer == snapshot


def test_offer_that_is_not_an_object_is_refused() -> None:
    assert_rejected(R, parse_credential_offer, ["not", "an", "object"])
