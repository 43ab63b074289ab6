"""The benchmark workload: the credential, what is presented, and our implementation."""

from __future__ import annotations

import os
from typing import Any

from specs.jose import PrivateJwk, StaticKeyResolver
from specs.sd_jwt import Disclosable, KeyBindingRequired, open_sd_jwt, present_sd_jwt
from specs.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc

VCT = "https://credentials.example.nl/person"

ISSUER = "https://issuer.example.nl"
AUDIENCE = "https://verifier.example.nl"
NONCE = "n-0S6_WzA2Mj"
TOP_FIELDS = ("given_name", "family_name", "birthdate", "email", "phone_number")
ADDRESS_FIELDS = ("street_address", "locality", "postal_code", "country")
PERSON: dict[str, Any] = {
    "given_name": "Jan",
    "family_name": "Jansen",
    "birthdate": "1990-01-01",
    "email": "jan.jansen@example.nl",
    "phone_number": "+31 6 12345678",
    "address": {
        "street_address": "Stationsplein 1",
        "locality": "Utrecht",
        "postal_code": "3511 ED",
        "country": "NL",
    },
    "nationalities": ["NL", "DE"],
}
DISCLOSURES_ISSUED = 12
DISCLOSED_PATHS = (("given_name",), ("address", "locality"), ("nationalities", 0))
DISCLOSURES_SENT = 4
TARGETS = {"issue": 0.5, "present": 0.5, "verify": 0.8}
OPERATIONS = tuple(TARGETS)


def registered_claims(now: int) -> dict[str, Any]:
    """The plain claims besides ``vct`` and ``cnf``, as every implementation issues them."""
    return {"iss": ISSUER, "iat": now, "exp": now + 365 * 86400}


def marked_claims(now: int) -> dict[str, Any]:
    """``PERSON`` with our ``Disclosable`` marks: the 12 Disclosures of the module docstring."""
    return {
        **registered_claims(now),
        **{name: Disclosable(PERSON[name]) for name in TOP_FIELDS},
        "address": Disclosable({n: Disclosable(PERSON["address"][n]) for n in ADDRESS_FIELDS}),
        "nationalities": [Disclosable(value) for value in PERSON["nationalities"]],
    }


class Ours:
    """The project's API, as a wallet and a verifier would call it."""

    def __init__(self, issuer: PrivateJwk, holder: PrivateJwk, now: int) -> None:
        self.issuer, self.holder, self.now = issuer, holder, now
        self.claims = marked_claims(now)
        self.resolver = StaticKeyResolver(issuer.public)
        self.policy = KeyBindingRequired(nonce=NONCE, audience=AUDIENCE)

    def issue(self) -> str:
        return issue_sd_jwt_vc(
            self.claims,
            vct=VCT,
            issuer_key=self.issuer,
            holder_key=self.holder.public,
            random_bytes=os.urandom,
        ).token

    def present(self, token: str) -> str:
        return present_sd_jwt(
            open_sd_jwt(token),
            disclose=DISCLOSED_PATHS,
            holder_key=self.holder,
            nonce=NONCE,
            audience=AUDIENCE,
            now=self.now,
        )

    def verify(self, presentation: str) -> dict[str, Any]:
        return verify_sd_jwt_vc(
            presentation, issuer_keys=self.resolver, key_binding=self.policy, now=self.now
        ).claims
