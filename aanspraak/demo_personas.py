"""The demo's citizens (``aanspraak demo --persona NAME``): whose phone the story follows.

Each persona is a household with the statements the agencies would sign for it, an earlier
statement that a newer one replaces (so the wallet has something to notice), and the desk it
goes to. Their figures are those of the regulations' own scenario files, so what the wallet
finds and what the desk decides are the outcomes those files expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TAX_OFFICE = "Belastingdienst"
MUNICIPALITY = "gemeente Utrecht"
INSURER = "zorgverzekeraar"
AGENCY_CONFIGURATIONS = {
    TAX_OFFICE: ("household_income", "household_assets"),
    MUNICIPALITY: ("person", "household", "social_assistance"),
    INSURER: ("health_insurance",),
}
"""Which agency signs what: each runs its own issuer service in the demo."""

Statement = tuple[str, dict[str, Any]]
"""A credential configuration and the claims the agency's back office states."""


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    situation: str
    statements: tuple[Statement, ...]
    later: Statement | None
    """A newer statement that replaces one of ``statements``: the wallet notices what it changes."""
    desk: str
    """The regulation the desk decides."""
    desk_name: str
    desk_legal_basis: str
    expect: str
    """What the desk should decide: the regulation's scenario says so."""


def _income(cents: int) -> Statement:
    return (
        "household_income",
        {"has_allowance_partner": False, "joint_assessed_income_cents": cents, "year": 2026},
    )


_PERSON_41 = ("person", {"age_years": 41, "reference_date": "2026-01-01"})
_INSURED = ("health_insurance", {"insured": True, "year": 2026})
_NO_ASSETS = ("household_assets", {"joint_assets_cents": 0, "reference_date": "2026-01-01"})

PERSONAS = {
    persona.key: persona
    for persona in (
        Persona(
            key="sanne",
            name="Sanne",
            situation="41, single, insured; her 2026 income was first assessed at EUR 48,000, "
            "then corrected to EUR 35,000",
            statements=(_PERSON_41, _INSURED, _income(4_800_000), _NO_ASSETS),
            later=_income(3_500_000),
            desk="zorgtoeslag",
            desk_name="Dienst Toeslagen, zorgtoeslag",
            desk_legal_basis="Awir art. 40; Wet op de zorgtoeslag art. 1-4",
            expect="eligible",
        ),
        Persona(
            key="noor",
            name="Noor",
            situation="52, single, insured; her income is EUR 1 above the zorgtoeslag limit",
            statements=(
                ("person", {"age_years": 52, "reference_date": "2026-01-01"}),
                _INSURED,
                _income(4_200_000),
                _NO_ASSETS,
            ),
            later=_income(4_085_800),
            desk="zorgtoeslag",
            desk_name="Dienst Toeslagen, zorgtoeslag",
            desk_legal_basis="Awir art. 40; Wet op de zorgtoeslag art. 1-4",
            expect="refer_hardship",
        ),
        Persona(
            key="daan",
            name="Daan",
            situation="35, single, on a net income of EUR 1,261.35 a month; asks his "
            "municipality to waive his municipal taxes",
            statements=(
                ("person", {"age_years": 35, "reference_date": "2026-01-01"}),
                (
                    "household",
                    {"has_partner": False, "single_parent": False, "reference_date": "2026-01-01"},
                ),
                (
                    "social_assistance",
                    {"net_monthly_income_cents": 140_000, "reference_date": "2026-01-01"},
                ),
                (
                    "household_assets",
                    {"joint_assets_cents": 50_000, "reference_date": "2026-01-01"},
                ),
            ),
            later=(
                "social_assistance",
                {"net_monthly_income_cents": 126_135, "reference_date": "2026-01-01"},
            ),
            desk="kwijtschelding",
            desk_name="gemeente Utrecht, kwijtschelding gemeentelijke belastingen",
            desk_legal_basis="Invorderingswet 1990 art. 26; Uitvoeringsregeling Invorderingswet",
            expect="eligible",
        ),
    )
}
DEFAULT_PERSONA = "sanne"
