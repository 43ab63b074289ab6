"""The DCQL compiler: minimal queries, predicates before values, purpose in transaction_data."""

from __future__ import annotations

import json

from specs.jose import b64url_decode
from specs.rules import compile_dcql, parse_regulation
from specs.rules.dcql import PURPOSE_TYPE
from tests.specs.rules.toy import TOY

COMPILED = parse_regulation(TOY, origin="toy.yaml")


def _claims(query: dict, vct: str) -> list[list]:  # type: ignore[type-arg]
    for credential in query["credentials"]:
        if credential["meta"]["vct_values"] == [vct]:
            return [c["path"] for c in credential["claims"]]
    return []


def test_a_predicate_is_asked_instead_of_the_value_it_compares() -> None:
    query = compile_dcql(COMPILED).query
    household = _claims(query, "urn:test:household")
    assert ["assets_below_limit"] in household
    assert ["assets"] not in household  # the amount never leaves the wallet
    assert ["has_partner"] in household
    assert {"reference_date", "year"} <= {p[0] for p in household}


def test_a_value_used_in_arithmetic_is_asked_with_its_period() -> None:
    query = compile_dcql(COMPILED).query
    assert _claims(query, "urn:test:income") == [["income"], ["year"]]
    assert _claims(query, "urn:test:other-income") == [["total"], ["year"]]


def test_alternative_credentials_become_credential_sets() -> None:
    query = compile_dcql(COMPILED).query
    ids = {c["meta"]["vct_values"][0]: c["id"] for c in query["credentials"]}
    options = [s["options"] for s in query["credential_sets"]]
    assert sorted([[ids["urn:test:income"]], [ids["urn:test:other-income"]]]) in options
    referenced = {cid for s in query["credential_sets"] for o in s["options"] for cid in o}
    assert referenced == set(ids.values())  # every credential query is in some set


def test_facts_the_desk_holds_are_not_asked() -> None:
    query = compile_dcql(COMPILED, known={"age", "debt_help"}).query
    vcts = {c["meta"]["vct_values"][0] for c in query["credentials"]}
    assert "urn:test:person" not in vcts
    assert "urn:test:debt" not in vcts


def test_the_purpose_travels_as_transaction_data() -> None:
    request = compile_dcql(COMPILED)
    (encoded,) = request.transaction_data
    purpose = json.loads(b64url_decode(encoded))
    assert purpose == request.purpose
    assert purpose["type"] == PURPOSE_TYPE
    assert purpose["regulation"] == "toy_allowance"
    assert purpose["version"] == COMPILED.version
    assert purpose["legal_basis"]["id"] == "BWBR0000001"
    assert purpose["credential_ids"] == [c["id"] for c in request.query["credentials"]]
    (shown,) = request.verifier_info
    assert shown["data"]["regulation"] == {"nl": "Proeftoeslag", "en": "Test allowance"}


def test_every_claim_serves_an_input_the_rules_read() -> None:
    request = compile_dcql(COMPILED)
    assert {n.input for n in request.needs} == set(COMPILED.regulation.inputs)
    paths = {
        (c["meta"]["vct_values"][0], tuple(claim["path"]))
        for c in request.query["credentials"]
        for claim in c["claims"]
    }
    assert paths == {(n.vct, n.path) for n in request.needs}


def test_claim_sets_when_one_credential_offers_alternatives() -> None:
    alternative = TOY.replace(
        '- {vct: "urn:test:other-income", claim: [total], period_claim: [year]}',
        '- {vct: "urn:test:income", claim: [total], period_claim: [year]}',
    )
    query = compile_dcql(parse_regulation(alternative, origin="toy.yaml")).query
    (income,) = [c for c in query["credentials"] if c["meta"]["vct_values"] == ["urn:test:income"]]
    by_path = {tuple(c["path"]): c["id"] for c in income["claims"]}
    assert sorted(income["claim_sets"]) == sorted(
        [
            sorted([by_path[("income",)], by_path[("year",)]]),
            sorted([by_path[("total",)], by_path[("year",)]]),
        ]
    )


def test_hardship_only_and_declarable_inputs_are_optional() -> None:
    """A wallet without a debt-programme credential or this year's income can still answer."""
    query = compile_dcql(COMPILED).query
    ids = {c["meta"]["vct_values"][0]: c["id"] for c in query["credentials"]}
    required = {
        tuple(cid for option in s["options"] for cid in option): s["required"]
        for s in query["credential_sets"]
    }
    assert required[(ids["urn:test:person"],)] is True
    assert required[(ids["urn:test:household"],)] is True
    assert required[(ids["urn:test:debt"],)] is False  # read only by the hardship check
    assert required[tuple(sorted([ids["urn:test:income"], ids["urn:test:other-income"]]))] is False


def test_nothing_to_ask_is_an_error_not_an_empty_query() -> None:
    import pytest

    with pytest.raises(ValueError, match="nothing to ask"):
        compile_dcql(COMPILED, known=set(COMPILED.regulation.inputs))
