"""A small synthetic regulation that exercises every part of the format (not a real law)."""

from __future__ import annotations

TOY = """
id: toy_allowance
name: {nl: Proeftoeslag, en: Test allowance}
authority: DT
legal_basis: {title: Testwet, id: BWBR0000001, article: "1", url: "https://wetten.overheid.nl/BWBR0000001"}
valid_from: 2026-01-01
valid_until: 2026-12-31
discoverable: true
texts:
  eligible: {nl: U hebt recht., en: You are entitled.}
  not_eligible: {nl: U hebt geen recht., en: You are not entitled.}
  unknown: {nl: Dat weten we nog niet., en: We do not know yet.}
  refer_hardship: {nl: Vraag om maatwerk., en: Ask for a tailored assessment.}
parameters:
  limit_single: {cents: 4000000, year: 2026, source: {url: "https://example.org/a"}}
  limit_partner: {cents: 5000000, year: 2026, source: {url: "https://example.org/b"}}
  asset_limit: {cents: 14000000, year: 2026, source: {url: "https://example.org/c"}}
  base: {cents: 200000, year: 2026, source: {url: "https://example.org/d"}}
  rate: {ratio: "5/100", year: 2026, source: {url: "https://example.org/e"}}
  min_age: {integer: 18, year: 2026, source: {url: "https://example.org/f"}}
inputs:
  age:
    type: integer
    description: {nl: Leeftijd, en: Age}
    reference: {date: T-01-01}
    evidence: [{vct: "urn:test:person", claim: [age], period_claim: [reference_date]}]
  partner:
    type: boolean
    description: {nl: Partner, en: Partner}
    reference: {year: T}
    evidence: [{vct: "urn:test:household", claim: [has_partner], period_claim: [year]}]
  income:
    type: cents
    description: {nl: Inkomen, en: Income}
    reference: {year: T-2}
    evidence:
      - {vct: "urn:test:income", claim: [income], period_claim: [year]}
      - {vct: "urn:test:other-income", claim: [total], period_claim: [year]}
    self_declared: true
  assets:
    type: cents
    description: {nl: Vermogen, en: Assets}
    reference: {date: T-01-01}
    evidence: [{vct: "urn:test:household", claim: [assets], period_claim: [reference_date]}]
    predicates:
      - vct: "urn:test:household"
        claim: [assets_below_limit]
        period_claim: [reference_date]
        op: lte
        param: asset_limit
  debt_help:
    type: boolean
    description: {nl: Schuldhulp, en: Debt help}
    evidence: [{vct: "urn:test:debt", claim: [in_programme]}]
definitions:
  reduction:
    legal_basis: {title: Testwet, id: BWBR0000001, article: "3", url: "https://wetten.overheid.nl/BWBR0000001"}
    expr: {mul: [{param: rate}, {input: income}]}
requirements:
  id: entitled
  legal_basis: {title: Testwet, id: BWBR0000001, article: "2", url: "https://wetten.overheid.nl/BWBR0000001"}
  all:
    - id: adult
      legal_basis: {title: Testwet, id: BWBR0000001, article: "2a", url: "https://wetten.overheid.nl/BWBR0000001"}
      test: {gte: [{input: age}, {param: min_age}]}
    - id: income_limit
      legal_basis: {title: Testwet, id: BWBR0000001, article: "2b", url: "https://wetten.overheid.nl/BWBR0000001"}
      test:
        lte:
          - {input: income}
          - {if: [{input: partner}, {param: limit_partner}, {param: limit_single}]}
    - id: asset_limit
      legal_basis: {title: Testwet, id: BWBR0000001, article: "2c", url: "https://wetten.overheid.nl/BWBR0000001"}
      test: {lte: [{input: assets}, {param: asset_limit}]}
amount:
  legal_basis: {title: Testwet, id: BWBR0000001, article: "3", url: "https://wetten.overheid.nl/BWBR0000001"}
  expr: {max: [0, {floor: {sub: [{param: base}, {def: reduction}]}}]}
hardship:
  legal_basis: {title: Algemene wet bestuursrecht, id: BWBR0005537, article: "4:84", url: "https://wetten.overheid.nl/BWBR0005537"}
  margins:
    - requirement: income_limit
      input: income
      limit: {if: [{input: partner}, {param: limit_partner}, {param: limit_single}]}
      within_cents: 50000
  circumstances:
    - {id: in_debt_programme, input: debt_help, equals: true, sets_aside: [income_limit]}
"""


def person(age: int = 40, date: str = "2026-01-01") -> dict[str, object]:
    return {
        "issuer": "https://brp.example",
        "vct": "urn:test:person",
        "claims": {"age": age, "reference_date": date},
    }


def household(
    partner: bool = False, assets: int = 1_000_000, year: int = 2026, date: str = "2026-01-01"
) -> dict[str, object]:
    return {
        "issuer": "https://tax.example",
        "vct": "urn:test:household",
        "claims": {"has_partner": partner, "year": year, "assets": assets, "reference_date": date},
    }


def income(cents: int, year: int = 2024) -> dict[str, object]:
    return {
        "issuer": "https://tax.example",
        "vct": "urn:test:income",
        "claims": {"income": cents, "year": year},
    }
