"""Derived predicates computed by an issuer mean exactly what the rules test."""

from __future__ import annotations

from specs.rules import HeldCredential, Status, evaluate, facts_from_credentials, parse_regulation
from specs.rules.predicates import derive_predicate_claims, predicates_for
from tests.specs.rules.toy import TOY, income, person

COMPILED = parse_regulation(TOY, origin="toy.yaml")
HOUSEHOLD = "urn:test:household"
LIMIT = 14_000_000


def _household(assets: int, date: str = "2026-01-01") -> dict[str, object]:
    return {"has_partner": False, "year": 2026, "assets": assets, "reference_date": date}


def test_the_catalogue_of_predicates_for_a_credential_type() -> None:
    (predicate,) = predicates_for(HOUSEHOLD, [COMPILED])
    assert (predicate.claim, predicate.op, predicate.param) == (
        ("assets_below_limit",),
        "lte",
        "asset_limit",
    )
    assert predicate.threshold == LIMIT
    assert predicate.version == COMPILED.version


def test_the_boolean_agrees_with_the_rule_at_and_around_the_threshold() -> None:
    for assets in (LIMIT - 1, LIMIT, LIMIT + 1):
        answers = derive_predicate_claims(HOUSEHOLD, _household(assets), [COMPILED])
        assert answers == {("assets_below_limit",): assets <= LIMIT}
        only_predicate = {
            **_household(assets),
            **{"assets_below_limit": answers[("assets_below_limit",)]},
        }
        del only_predicate["assets"]
        by_value = _evaluate({**_household(assets)})
        by_predicate = _evaluate(only_predicate)
        assert by_value is by_predicate


def _evaluate(claims: dict[str, object]) -> Status:
    held = [
        HeldCredential("https://brp.example", "urn:test:person", person()["claims"]),  # type: ignore[arg-type]
        HeldCredential("https://tax.example", HOUSEHOLD, claims),
        HeldCredential("https://tax.example", "urn:test:income", income(1_000_000)["claims"]),  # type: ignore[arg-type]
    ]
    facts = facts_from_credentials(COMPILED.regulation, held)
    return evaluate(COMPILED, facts.facts).status


def test_no_predicate_for_another_period() -> None:
    assert derive_predicate_claims(HOUSEHOLD, _household(1, date="2025-01-01"), [COMPILED]) == {}
