"""The engine: outcomes, trace, sources, periods, estimates, hardship (specs/rules)."""

from __future__ import annotations

from typing import Any

import pytest

from specs.errors import InvalidRegulation
from specs.rules import (
    UNKNOWN,
    HeldCredential,
    Status,
    evaluate,
    facts_from_credentials,
    parse_regulation,
)
from tests.specs.rules.toy import TOY, household, income, person

COMPILED = parse_regulation(TOY, origin="toy.yaml")


def run(*credentials: dict[str, Any], self_declared: dict[str, Any] | None = None) -> Any:
    held = [HeldCredential(c["issuer"], c["vct"], c["claims"]) for c in credentials]  # type: ignore[arg-type]
    facts = facts_from_credentials(COMPILED.regulation, held, self_declared=self_declared)
    return evaluate(COMPILED, facts.facts), facts.rejected


def test_eligible_with_amount_and_a_full_trace() -> None:
    outcome, _ = run(person(), household(), income(2_000_000))
    assert outcome.status is Status.ELIGIBLE
    assert outcome.amount_cents == 200_000 - 100_000  # base - 5% of income
    assert not outcome.estimated
    assert {n.id for n in outcome.trace} >= {
        "entitled",
        "adult",
        "income_limit",
        "asset_limit",
        "amount",
        "reduction",
    }
    assert all(n.legal_basis.url.startswith("https://") for n in outcome.trace)
    sources = {u.name: u.source for u in outcome.inputs}
    assert sources["income"].vct == "urn:test:income"
    assert sources["income"].issuer == "https://tax.example"
    assert sources["income"].claim == ("income",)


@pytest.mark.parametrize(
    ("cents", "partner", "status"),
    [
        (4_000_000, False, Status.ELIGIBLE),  # exactly at the single limit
        (4_000_001, False, Status.REFER_HARDSHIP),  # one cent over: within the margin
        (4_050_001, False, Status.NOT_ELIGIBLE),  # beyond the margin
        (5_000_000, True, Status.ELIGIBLE),  # the partner limit applies
    ],
)
def test_thresholds_are_exact(cents: int, partner: bool, status: Status) -> None:
    outcome, _ = run(person(), household(partner=partner), income(cents))
    assert outcome.status is status


def test_missing_evidence_is_unknown_and_says_what_settles_it() -> None:
    outcome, _ = run(person(), household())
    assert outcome.status is Status.UNKNOWN
    assert outcome.settle_with == ("urn:test:income", "urn:test:other-income")
    assert outcome.amount_cents is None


def test_evidence_for_the_wrong_period_is_not_accepted() -> None:
    outcome, rejected = run(person(), household(), income(2_000_000, year=2025))
    assert outcome.status is Status.UNKNOWN
    assert [(r.input, r.reason) for r in rejected] == [("income", "wrong_period")]
    outcome, rejected = run(person(date="2025-06-01"), household(), income(1))
    assert outcome.status is Status.UNKNOWN
    assert ("age", "wrong_period") in [(r.input, r.reason) for r in rejected]


def test_a_false_requirement_decides_even_when_others_are_unknown() -> None:
    outcome, _ = run(person(age=17))
    assert outcome.status is Status.NOT_ELIGIBLE


def test_self_declared_estimate_is_marked() -> None:
    outcome, _ = run(person(), household(), self_declared={"income": 1_000_000})
    assert outcome.status is Status.ELIGIBLE
    assert outcome.estimated
    assert {u.name: u.source.kind for u in outcome.inputs}["income"] == "self_declared"


def test_estimates_only_where_the_law_allows() -> None:
    outcome, rejected = run(person(), income(1), self_declared={"partner": False, "assets": 1})
    assert outcome.status is Status.UNKNOWN
    assert {r.input for r in rejected if r.reason == "not_allowed"} == {"partner", "assets"}


def test_predicate_claims_answer_the_comparison_without_the_value() -> None:
    hh = household()
    hh["claims"] = {
        "has_partner": False,
        "year": 2026,
        "assets_below_limit": True,
        "reference_date": "2026-01-01",
    }
    outcome, _ = run(person(), hh, income(1_000_000))
    assert outcome.status is Status.ELIGIBLE
    assets = {u.name: u for u in outcome.inputs}["assets"]
    assert assets.value is UNKNOWN
    assert assets.source.claim == ("assets_below_limit",)


def test_hardship_circumstance_refers_a_case_that_fails_the_rule() -> None:
    debt = {
        "issuer": "https://gemeente.example",
        "vct": "urn:test:debt",
        "claims": {"in_programme": True},
    }
    outcome, _ = run(person(), household(), income(9_000_000), debt)
    assert outcome.status is Status.REFER_HARDSHIP
    assert any(n.kind == "hardship" and n.id == "in_debt_programme" for n in outcome.trace)
    assert outcome.text.en == "Ask for a tailored assessment."


def test_no_hardship_when_another_requirement_fails() -> None:
    outcome, _ = run(person(age=17), household(), income(4_000_001))
    assert outcome.status is Status.NOT_ELIGIBLE


def test_values_of_the_wrong_type_never_count() -> None:
    p = person()
    p["claims"] = {"age": True, "reference_date": "2026-01-01"}
    outcome, rejected = run(p, household(), income(1))
    assert outcome.status is Status.UNKNOWN
    assert ("age", "wrong_type") in [(r.input, r.reason) for r in rejected]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("{input: age}", "{input: agee}"), "unknown input 'agee'"),
        (("{param: min_age}", "{param: nope}"), "unknown param 'nope'"),
        (("{gte: [", "{gtee: ["), "unknown operator 'gtee'"),
        (("{def: reduction}", "{def: nothing}"), "unknown def 'nothing'"),
        (("id: adult", "id: Adult"), "requirements.all.0.id"),
        (('{ratio: "5/100",', '{ratio: "five",'), "parameters.rate"),
        (("discoverable: true", "discoverable: true\ndiscoverable: false"), "duplicate key"),
    ],
)
def test_broken_regulations_are_refused_with_the_place(
    change: tuple[str, str], message: str
) -> None:
    with pytest.raises(InvalidRegulation, match=message):
        parse_regulation(TOY.replace(*change, 1), origin="toy.yaml")


def test_the_version_is_a_content_hash_independent_of_formatting() -> None:
    reformatted = parse_regulation(
        TOY.replace("\nvalid_from", "\n# a comment\nvalid_from"), origin="toy.yaml"
    )
    assert reformatted.version == COMPILED.version
    assert COMPILED.version.startswith("sha256:")
    changed = parse_regulation(TOY.replace("4000000", "4000001"), origin="toy.yaml")
    assert changed.version != COMPILED.version


@pytest.mark.parametrize(
    ("cents", "rounded"), [(2349, 2300), (2350, 2400), (2351, 2400), (-150, -100), (155045, 155000)]
)
def test_round_to_whole_euros_halves_up(cents: int, rounded: int) -> None:
    from specs.rules.expressions import Env, Names, compile_expression

    names = Names(frozenset(), frozenset(), frozenset())
    compiled = compile_expression({"round": [{"cents": cents}, 100]}, names, "t")
    assert compiled(Env({}, {}, {})) == rounded


def test_a_circumstance_sets_aside_only_what_it_names() -> None:
    debt = {
        "issuer": "https://gemeente.example",
        "vct": "urn:test:debt",
        "claims": {"in_programme": True},
    }
    outcome, _ = run(person(age=17), household(), income(9_000_000), debt)
    assert outcome.status is Status.NOT_ELIGIBLE  # the age rule is not set aside


def test_a_circumstance_must_match_in_type_too() -> None:
    numeric = TOY.replace("equals: true, sets_aside", "equals: 1, sets_aside")
    compiled = parse_regulation(numeric, origin="toy.yaml")
    debt = HeldCredential("https://gemeente.example", "urn:test:debt", {"in_programme": True})
    held = [
        HeldCredential(c["issuer"], c["vct"], c["claims"])  # type: ignore[arg-type]
        for c in (person(), household(), income(9_000_000))
    ]
    facts = facts_from_credentials(compiled.regulation, [*held, debt])
    assert evaluate(compiled, facts.facts).status is Status.NOT_ELIGIBLE  # True is not 1


def test_a_near_miss_is_decided_on_the_tree_not_on_every_failed_leaf() -> None:
    """A failed leaf under an ``any`` that still passes does not block a referral."""
    with_any = TOY.replace(
        """    - id: asset_limit
""",
        """    - id: either
      legal_basis: {title: Testwet, id: BWBR0000001, article: "2d", url: "https://wetten.overheid.nl/BWBR0000001"}
      any:
        - id: is_partner
          legal_basis: {title: Testwet, id: BWBR0000001, article: "2e", url: "https://wetten.overheid.nl/BWBR0000001"}
          test: {input: partner}
        - id: is_adult_again
          legal_basis: {title: Testwet, id: BWBR0000001, article: "2f", url: "https://wetten.overheid.nl/BWBR0000001"}
          test: {gte: [{input: age}, {param: min_age}]}
    - id: asset_limit
""",
    )
    compiled = parse_regulation(with_any, origin="toy.yaml")
    held = [
        HeldCredential(c["issuer"], c["vct"], c["claims"])  # type: ignore[arg-type]
        for c in (person(), household(partner=False), income(4_000_001))
    ]
    facts = facts_from_credentials(compiled.regulation, held)
    assert evaluate(compiled, facts.facts).status is Status.REFER_HARDSHIP


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("requirement: income_limit", "requirement: income_limitt"), "unknown requirement"),
        (
            (
                "    - requirement: income_limit\n      input: income",
                "    - requirement: income_limit\n      input: incomee",
            ),
            "unknown input 'incomee'",
        ),
        (("input: debt_help, equals", "input: debt_helpp, equals"), "unknown input 'debt_helpp'"),
        (("sets_aside: [income_limit]", "sets_aside: [nothing]"), "unknown requirement 'nothing'"),
        (("    - id: asset_limit\n", "    - id: adult\n"), "duplicate id 'adult'"),
    ],
)
def test_hardship_references_are_checked_at_load(change: tuple[str, str], message: str) -> None:
    with pytest.raises(InvalidRegulation, match=message):
        parse_regulation(TOY.replace(*change, 1), origin="toy.yaml")


def test_an_estimate_never_replaces_a_value_withheld_from_a_presented_credential() -> None:
    """Presenting this period's income credential without its amount, then declaring a lower
    one, must not work: the estimate is only for facts no credential could settle."""
    partial = income(2_000_000)
    partial["claims"] = {"year": 2024}
    outcome, rejected = run(person(), household(), partial, self_declared={"income": 1})
    assert outcome.status is Status.UNKNOWN
    assert ("income", "withheld") in [(r.input, r.reason) for r in rejected]


def test_disagreeing_attestations_settle_nothing() -> None:
    outcome, rejected = run(person(), household(), income(1_000_000), income(9_000_000))
    assert outcome.status is Status.UNKNOWN
    assert ("income", "conflict") in [(r.input, r.reason) for r in rejected]
    same, _ = run(person(), household(), income(1_000_000), income(1_000_000))
    assert same.status is Status.ELIGIBLE


def test_values_below_an_inputs_minimum_are_refused() -> None:
    bounded = parse_regulation(
        TOY.replace("  age:\n    type: integer\n", "  age:\n    type: integer\n    minimum: 0\n"),
        origin="toy.yaml",
    )
    held = [
        HeldCredential(c["issuer"], c["vct"], c["claims"])  # type: ignore[arg-type]
        for c in (person(age=-3), household(), income(1))
    ]
    facts = facts_from_credentials(bounded.regulation, held)
    assert ("age", "out_of_range") in [(r.input, r.reason) for r in facts.rejected]
    assert evaluate(bounded, facts.facts).status is Status.UNKNOWN
