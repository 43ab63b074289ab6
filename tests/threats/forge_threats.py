"""Hostile SD-JWT VCs for the parse, signature and key-binding cases, and the calls they go to.

``tests.specs.forge`` signs raw text, so a token reaches exactly the rule a case names; this
module only fixes the parties (one issuer, one holder, one desk) and the verifier's call, so
each case reads as "this input -> this reason".
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from specs.jose import PrivateJwk, StaticKeyResolver, generate_private_key
from specs.sd_jwt import KeyBindingPolicy, KeyBindingRequired, NoKeyBinding, SdJwtLimits
from specs.sd_jwt.limits import DEFAULT_LIMITS
from specs.sd_jwt_vc import VerifiedSdJwtVc, issue_sd_jwt_vc, verify_sd_jwt_vc
from tests.conftest import FIXED_NOW
from tests.specs.forge import sd_jwt, with_kb

NOW = FIXED_NOW
VCT = "urn:nl:belastingdienst:household-income:1"
ISS = "https://belastingdienst.example"
NONCE = "n-threat-0S6_WzA2Mj"
AUD = "x509_hash:desk-threat-audience"
ISSUER = generate_private_key()
HOLDER = generate_private_key()
CNF = {"jwk": HOLDER.public.to_jwk()}
REQUIRED = KeyBindingRequired(nonce=NONCE, audience=AUD)
#: Room for inputs far beyond the default caps, so a case reaches the cap it is about.
ROOMY = SdJwtLimits(max_token_chars=64 * 1024 * 1024, max_disclosures=200_000, max_digests=10_000)


def verify_vc(
    token: str,
    policy: KeyBindingPolicy | None = None,
    *,
    key: PrivateJwk = ISSUER,
    limits: SdJwtLimits = DEFAULT_LIMITS,
    **options: Any,
) -> VerifiedSdJwtVc:
    """The desk's SD-JWT VC verification with the issuer's key configured out of band."""
    return verify_sd_jwt_vc(
        token,
        issuer_keys=StaticKeyResolver(key.public),
        key_binding=policy or NoKeyBinding(),
        now=NOW,
        limits=limits,
        **options,
    )


def vc(
    payload: Mapping[str, Any] | str,
    *disclosures: str,
    header: Mapping[str, Any] | None = None,
    key: PrivateJwk = ISSUER,
) -> str:
    """``<JWT>~<D>...~`` signed as given; a dict payload gets ``vct`` unless it has one."""
    body: dict[str, Any] | str = payload if isinstance(payload, str) else {"vct": VCT, **payload}
    return sd_jwt(body, disclosures, key, typ="dc+sd-jwt", header=dict(header) if header else None)


def bound(payload: Mapping[str, Any], *disclosures: str, **overrides: Any) -> str:
    """An SD-JWT VC bound to ``HOLDER`` with a KB-JWT for ``NONCE``/``AUD``; ``overrides``
    replace KB-JWT claims before signing."""
    base = vc({"cnf": CNF, **payload}, *disclosures)
    return with_kb(base, HOLDER, nonce=NONCE, audience=AUD, now=NOW, overrides=overrides)


def issued(claims: Mapping[str, Any], *, holder: PrivateJwk | None = HOLDER) -> str:
    """A real credential from the production issuance code (random salts, sorted digests)."""
    return issue_sd_jwt_vc(
        claims,
        vct=VCT,
        issuer_key=ISSUER,
        random_bytes=os.urandom,
        holder_key=holder.public if holder else None,
    ).token


def components(token: str) -> tuple[str, list[str], str]:
    """``(jwt, disclosures, last)`` of a compact serialization."""
    parts = token.split("~")
    return parts[0], parts[1:-1], parts[-1]


def join(jwt: str, disclosures: Sequence[str], last: str = "") -> str:
    return "~".join([jwt, *disclosures]) + "~" + last
