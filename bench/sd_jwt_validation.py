"""Check every implementation's output before timing it, so a broken path is never timed."""

from __future__ import annotations

from bench.sd_jwt_ceiling import Ceiling
from bench.sd_jwt_reference import Reference
from bench.sd_jwt_workload import (
    DISCLOSURES_ISSUED,
    DISCLOSURES_SENT,
    NONCE,
    PERSON,
    VCT,
    Ours,
    registered_claims,
)
from specs.jose import PrivateJwk
from specs.sd_jwt import open_sd_jwt


def _require(condition: bool, what: str) -> None:
    if not condition:  # not an assert: python -O must not turn the check off
        raise SystemExit(f"bench.sd_jwt: broken path, not timed: {what}")


def _sent(presentation: str) -> int:
    """Disclosures in ``<JWT>~<D1>~...~<Dn>~<KB-JWT>``."""
    return presentation.count("~") - 1


def validate(
    ours: Ours, ceiling: Ceiling, reference: Reference | None, holder: PrivateJwk, now: int
) -> tuple[str, str]:
    """Run every timed path once and check its output; return the shared token and presentation.

    Each ceiling's output is read by our code (and ours by the ceiling), so a ceiling cannot
    be fast by skipping work a real SD-JWT needs; the reference is crossed with ours likewise.
    """
    registered = {**registered_claims(now), "vct": VCT}
    cnf = {"jwk": holder.public.to_jwk()}
    everything = {**registered, **PERSON, "cnf": cnf}
    disclosed = {
        **registered,
        "cnf": cnf,
        "given_name": "Jan",
        "address": {"locality": "Utrecht"},
        "nationalities": ["NL"],
    }
    token = ours.issue()
    view = open_sd_jwt(token)
    _require(len(view.disclosures) == DISCLOSURES_ISSUED, "ours: issued Disclosure count")
    _require(view.processed.claims == everything, "ours: issued claims")
    presentation = ours.present(token)
    _require(_sent(presentation) == DISCLOSURES_SENT, "ours: presented Disclosure count")
    _require(ours.verify(presentation) == disclosed, "ours: verified claims")

    ceiling_view = open_sd_jwt(ceiling.issue())
    _require(len(ceiling_view.disclosures) == DISCLOSURES_ISSUED, "ceiling issue: count")
    _require(ceiling_view.processed.claims == everything, "ceiling issue: claims")
    ceiling_presentation = ceiling.present(token)
    _require(_sent(ceiling_presentation) == DISCLOSURES_SENT, "ceiling present: count")
    _require(ours.verify(ceiling_presentation) == disclosed, "ceiling present: claims")
    (_, payload), disclosures, (_, kb_payload) = ceiling.verify(presentation)
    sent = set(presentation.split("~")[1:-1])
    expected = {
        d.digest: [d.salt, d.value] if d.name is None else [d.salt, d.name, d.value]
        for d in view.disclosures
        if d.encoded in sent
    }
    _require(payload["cnf"] == cnf and kb_payload["nonce"] == NONCE, "ceiling verify: payloads")
    _require(disclosures == expected, "ceiling verify: Disclosures")

    if reference is not None:
        reference_view = open_sd_jwt(reference.issue())
        _require(len(reference_view.disclosures) == DISCLOSURES_ISSUED, "sd-jwt issue: count")
        reference_claims = reference_view.processed.claims
        reference_claims["cnf"]["jwk"].pop("kid")  # jwcrypto adds the RFC 7638 thumbprint
        _require(reference_claims == everything, "sd-jwt issue: claims")
        reference_presentation = reference.present(token)
        _require(_sent(reference_presentation) == DISCLOSURES_SENT, "sd-jwt present: count")
        _require(ours.verify(reference_presentation) == disclosed, "sd-jwt present: claims")
        _require(reference.verify(presentation) == disclosed, "sd-jwt verify: claims")
    return token, presentation
