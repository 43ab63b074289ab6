"""The demo's regulation steps: the wallet's offline scan and a desk decision with its trace.

The citizen holds SD-JWT VCs from four issuers (municipal records, the tax office, the health
insurer, the landlord). The wallet evaluates every discoverable regulation on the device:
"Did you know you are entitled to ...?". When the tax office later attests this year's
income, a second scan shows what changed: "Note: ...". Then the municipal desk asks for
exactly the claims the kwijtschelding rules need (the DCQL compiled from the regulation),
the wallet presents them bound to the purpose (``transaction_data_hashes`` in each KB-JWT),
the desk verifies and decides, and the decision cites the law for every step: that last part
runs the verifier service over OpenID4VP (``demo_presentation``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.regulations import catalogue
from specs.jose import PrivateJwk, generate_private_key
from specs.rules import HeldCredential, Outcome
from specs.rules.discovery import scan
from specs.rules.predicates import derive_predicate_claims
from specs.sd_jwt import (
    HolderView,
    mark_all_disclosable,
    open_sd_jwt,
)
from specs.sd_jwt_vc import PLAIN_BY_DEFAULT, issue_sd_jwt_vc

SCAN_DATE = dt.date(2026, 3, 1)
DECIDED_REGULATION = "kwijtschelding"
ESTIMATED_INCOME_CENTS = 2_400_000
ATTESTED_INCOME_CENTS = 4_150_000
ESTIMATES = {"income": ESTIMATED_INCOME_CENTS, "net_monthly_income": 138_000, "partner": False}
"""What the citizen declares in the app: this year's joint income, and no allowance partner."""


class DemoFailed(Exception):
    """A step of the story did not verify; the demo stops and says which."""


ISSUERS = {
    "https://brp.utrecht.example": "gemeente Utrecht (BRP)",
    "https://belastingdienst.example": "Belastingdienst",
    "https://zorgverzekeraar.example": "zorgverzekeraar",
    "https://verhuurder.example": "verhuurder",
    "https://sociaal.utrecht.example": "gemeente Utrecht (sociaal domein)",
}


def citizen_claims(year: int) -> list[tuple[str, str, dict[str, Any]]]:
    reference = f"{year}-01-01"
    return [
        (
            "https://brp.utrecht.example",
            "urn:nl:brp:person:1",
            {
                "birthdate": "1987-03-14",
                "age_years": 38,
                "reference_date": reference,
                "municipality": "Utrecht",
                "resident_in_nl": True,
            },
        ),
        (
            "https://brp.utrecht.example",
            "urn:nl:brp:household:1",
            {
                "reference_date": reference,
                "has_partner": False,
                "single_parent": True,
                "children_under_12": 1,
                "children_12_to_15": 0,
                "children_16_to_17": 0,
                "household_members": 2,
            },
        ),
        (
            "https://belastingdienst.example",
            "urn:nl:belastingdienst:household-assets:1",
            {"reference_date": reference, "joint_assets_cents": 100_000},
        ),
        (
            "https://zorgverzekeraar.example",
            "urn:nl:zorgverzekeraar:health-insurance:1",
            {"year": year, "insured": True},
        ),
        (
            "https://verhuurder.example",
            "urn:nl:huur:rent-statement:1",
            {
                "reference_date": reference,
                "basic_rent_cents": 75_000,
                "service_costs_cents": 4_000,
                "independent_dwelling": True,
            },
        ),
        (
            "https://sociaal.utrecht.example",
            "urn:nl:gemeente:social-assistance:1",
            {
                "reference_date": reference,
                "receives_social_assistance": False,
                "net_monthly_income_cents": 138_000,
                "income_36_months_at_most_110_percent_norm": False,
                "prospect_of_income_improvement": True,
            },
        ),
    ]


@dataclass
class Wallet:
    """The citizen's credentials as the holder library keeps them (keys stay here)."""

    key: PrivateJwk
    issuer_keys: dict[str, PrivateJwk] = field(default_factory=dict)
    views: list[HolderView] = field(default_factory=list)

    def held(self) -> list[HeldCredential]:
        return [
            HeldCredential(v.processed.claims["iss"], v.processed.claims["vct"], v.processed.claims)
            for v in self.views
        ]

    def issued_types(self) -> dict[str, set[str]]:
        """Which credential types each issuer gave this wallet (what governance registers)."""
        types: dict[str, set[str]] = {}
        for view in self.views:
            types.setdefault(view.processed.claims["iss"], set()).add(view.processed.claims["vct"])
        return types

    def receive(
        self,
        issuer: str,
        vct: str,
        claims: Mapping[str, Any],
        now: int,
        *,
        status: Mapping[str, Any] | None = None,
    ) -> None:
        """Issue a credential to this wallet; ``status`` (a loopback status list reference,
        so development only) is added as the SD-JWT VC ``status`` claim."""
        key = self.issuer_keys.setdefault(issuer, generate_private_key())
        derived = derive_predicate_claims(vct, claims, catalogue())
        body = {"iss": issuer, "iat": now, **claims}
        body.update({str(path[0]): value for path, value in derived.items()})
        if status is not None:
            body["status"] = dict(status)
        issued = issue_sd_jwt_vc(
            mark_all_disclosable(body, keep_plain=PLAIN_BY_DEFAULT),
            vct=vct,
            issuer_key=key,
            holder_key=self.key.public,
            random_bytes=os.urandom,
            allow_http=status is not None,
        )
        self.views.append(open_sd_jwt(issued.token))


def issue_wallet(now: int) -> Wallet:
    wallet = Wallet(generate_private_key())
    for issuer, vct, claims in citizen_claims(SCAN_DATE.year):
        wallet.receive(issuer, vct, claims, now)
    return wallet


def discover(wallet: Wallet, *, estimate: bool) -> list[Outcome]:
    self_declared = dict(ESTIMATES) if estimate else None
    return scan(catalogue(), wallet.held(), on=SCAN_DATE, self_declared=self_declared)
