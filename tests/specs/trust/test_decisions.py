"""The pure trust decisions (specs/trust/decisions.py), one exact reason per rule.

Every backend (chain, file) hands these functions a ``TrustSnapshot``, so these tests fix
what an entry means for all of them. THREATS R-01..R-08 and S-10 are named where they apply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from specs.errors import Rejected, TrustReason
from specs.jose import b64url_encode
from specs.trust import (
    IssuerEntry,
    RegulationAnchor,
    TrustSnapshot,
    VerifierEntry,
    check_anchor,
    check_fresh,
    check_issuer,
    check_verifier,
    claim_key,
)
from tests.conftest import FIXED_NOW
from tests.support import assert_rejected

ISSUER = "https://issuer.example"
VCT = "https://credentials.example/income"
DESK = "https://desk.example/verifier"
REGULATION = "zorgtoeslag"
VALID_FROM_DATE = "2026-01-01"
VERSION = "sha256:" + "ab" * 32
START = FIXED_NOW - 1000
END = FIXED_NOW + 1000
LOCALITY = ("address", "locality")
INCOME = ("income", "below_threshold")


def key_ref(label: str) -> str:
    """A 32-byte key reference (as a JWK thumbprint would be), derived from a label."""
    return b64url_encode(hashlib.sha256(label.encode()).digest())


OLD_KEY, NEW_KEY, OTHER_KEY = key_ref("old"), key_ref("new"), key_ref("other")


def issuer_entry(**changes: Any) -> IssuerEntry:
    entry = IssuerEntry(ISSUER, frozenset({VCT}), frozenset({OLD_KEY}), START, END, 0)
    return replace(entry, **changes)


def verifier_entry(**changes: Any) -> VerifierEntry:
    permissions = {REGULATION: frozenset({claim_key(LOCALITY), claim_key(INCOME)})}
    entry = VerifierEntry(DESK, permissions, "Wet op de zorgtoeslag art. 2", START, END, 0)
    return replace(entry, **changes)


def snapshot(
    issuers: Sequence[IssuerEntry] = (),
    verifiers: Sequence[VerifierEntry] = (),
    anchors: Sequence[RegulationAnchor] = (),
    as_of: int = FIXED_NOW,
) -> TrustSnapshot:
    return TrustSnapshot(
        {e.issuer: e for e in issuers},
        {v.client_id: v for v in verifiers},
        {(a.regulation, a.valid_from): a for a in anchors},
        as_of,
        "test",
    )


REGISTRY = snapshot(
    [issuer_entry()],
    [verifier_entry()],
    [RegulationAnchor(REGULATION, VERSION, VALID_FROM_DATE, 0)],
)


def issuer_check(
    registry: TrustSnapshot = REGISTRY,
    *,
    issuer: str = ISSUER,
    vct: str = VCT,
    key_refs: Sequence[str] = (OLD_KEY,),
    now: int = FIXED_NOW,
) -> IssuerEntry:
    return check_issuer(registry, issuer=issuer, vct=vct, key_refs=key_refs, now=now)


def verifier_check(
    registry: TrustSnapshot = REGISTRY,
    *,
    client_id: str = DESK,
    regulation: str = REGULATION,
    claims: Sequence[Sequence[str | int | None]] = (LOCALITY,),
    now: int = FIXED_NOW,
) -> VerifierEntry:
    return check_verifier(
        registry, client_id=client_id, regulation=regulation, claims=claims, now=now
    )


# -- issuers ------------------------------------------------------------------------------


def test_registered_issuer_with_listed_vct_and_key_is_accepted() -> None:
    assert issuer_check() == issuer_entry()


def test_one_matching_key_among_candidates_is_enough() -> None:
    """Candidates are the JWK thumbprint and, for x5c, the chain's root key hash."""
    assert issuer_check(key_refs=(OTHER_KEY, OLD_KEY)) == issuer_entry()


def test_unknown_issuer_is_not_registered() -> None:
    """THREATS R-01."""
    assert_rejected(TrustReason.ISSUER_NOT_REGISTERED, issuer_check, issuer="https://other.example")


def test_issuer_removed_after_issuance_is_refused_now() -> None:
    """THREATS R-02: removal takes effect at once, also for credentials issued before it."""
    assert issuer_check(REGISTRY, now=START + 1)
    removed = snapshot([], [verifier_entry()])
    assert_rejected(TrustReason.ISSUER_NOT_REGISTERED, issuer_check, removed, now=START + 1)


@pytest.mark.parametrize(
    "look_alike",
    [
        "https://issuer.example/",  # trailing slash
        "HTTPS://issuer.example",  # uppercase scheme
        "https://Issuer.Example",  # uppercase host
        "https://issuer.exampl",  # a prefix of the registered identifier
        "https://issuer.example.evil.example",  # the registered identifier as a prefix
        "https://issuer.example:443",  # default port spelled out
        "https://issuer.example ",  # trailing space
        "https://\u0456ssuer.example",  # Cyrillic i (IDN homograph)
        "https://issuer\u200b.example",  # zero-width space
        "",
    ],
)
def test_look_alike_issuer_identifiers_are_not_registered(look_alike: str) -> None:
    """THREATS R-06, S-10: exact match only; nothing is normalised, nothing is a prefix."""
    assert_rejected(TrustReason.ISSUER_NOT_REGISTERED, issuer_check, issuer=look_alike)


def test_vct_outside_the_registration_is_not_authorised() -> None:
    """THREATS R-05: authorised for vct A only, credential of vct B."""
    assert_rejected(
        TrustReason.VCT_NOT_AUTHORISED, issuer_check, vct="https://credentials.example/rent"
    )


@pytest.mark.parametrize(
    "vct",
    [
        "https://credentials.example/income/extended",  # a type that "extends" the base
        "https://credentials.example/income-plus",
        "https://credentials.example/income/",
        "https://credentials.example/INCOME",
        "https://credentials.example/inc",
    ],
)
def test_authorisation_is_per_exact_type(vct: str) -> None:
    """A type that ``extends`` an authorised type (SD-JWT VC type metadata) is another type:
    the issuer is authorised for it only when it is listed itself (THREATS S-14)."""
    assert_rejected(TrustReason.VCT_NOT_AUTHORISED, issuer_check, vct=vct)


def test_authorising_the_extended_type_does_not_authorise_its_base() -> None:
    extended = "https://credentials.example/income/extended"
    registry = snapshot([issuer_entry(vcts=frozenset({extended}))])
    assert issuer_check(registry, vct=extended)
    assert_rejected(TrustReason.VCT_NOT_AUTHORISED, issuer_check, registry, vct=VCT)


def test_unlisted_key_is_not_registered() -> None:
    assert_rejected(TrustReason.KEY_NOT_REGISTERED, issuer_check, key_refs=(OTHER_KEY,))


def test_no_candidate_key_is_not_registered() -> None:
    assert_rejected(TrustReason.KEY_NOT_REGISTERED, issuer_check, key_refs=())


def test_key_rotation_old_key_accepted_while_listed_then_refused_when_removed() -> None:
    """THREATS R-03, F-01: both keys listed -> both verify; the old key removed (e.g.
    compromised) -> refused at once, also for credentials that have not expired."""
    rotating = snapshot([issuer_entry(key_refs=frozenset({OLD_KEY, NEW_KEY}))])
    assert issuer_check(rotating, key_refs=(OLD_KEY,))
    assert issuer_check(rotating, key_refs=(NEW_KEY,))
    rotated = snapshot([issuer_entry(key_refs=frozenset({NEW_KEY}))])
    assert issuer_check(rotated, key_refs=(NEW_KEY,))
    assert_rejected(TrustReason.KEY_NOT_REGISTERED, issuer_check, rotated, key_refs=(OLD_KEY,))


def test_issuer_added_with_future_effective_date_is_not_yet_trusted() -> None:
    """THREATS C-07: an addition announced ahead (timelock) is not trusted before it."""
    registry = snapshot([issuer_entry(effective_from=FIXED_NOW + 1)])
    assert_rejected(TrustReason.NOT_YET_EFFECTIVE, issuer_check, registry)
    assert issuer_check(registry, now=FIXED_NOW + 1)


def test_issuer_before_valid_from_is_outside_validity() -> None:
    assert_rejected(TrustReason.OUTSIDE_VALIDITY, issuer_check, now=START - 1)
    assert issuer_check(now=START)


def test_issuer_at_valid_until_exactly_is_outside_validity() -> None:
    """``valid_until`` is exclusive, like ``exp``: the last trusted second is one before."""
    assert issuer_check(now=END - 1)
    assert_rejected(TrustReason.OUTSIDE_VALIDITY, issuer_check, now=END)
    assert_rejected(TrustReason.OUTSIDE_VALIDITY, issuer_check, now=END + 1)


@pytest.mark.parametrize(
    "changes",
    [
        {"issuer": "https://other.example"},
        {"vct": "https://credentials.example/rent"},
        {"key_refs": (OTHER_KEY,)},
        {"now": END},
    ],
)
def test_every_issuer_refusal_is_an_untrusted_issuer(changes: dict[str, Any]) -> None:
    """The edge maps by family: issuer refusals all read ISSUER_UNTRUSTED (THREATS table)."""
    with pytest.raises(Rejected) as info:
        issuer_check(**changes)
    assert info.value.family == "ISSUER_UNTRUSTED"


# -- verifiers ----------------------------------------------------------------------------


def test_registered_verifier_asking_for_allowed_claims_is_accepted() -> None:
    assert verifier_check(claims=(LOCALITY, INCOME)) == verifier_entry()


def test_asking_for_nothing_is_within_any_registration() -> None:
    assert verifier_check(claims=())


def test_claim_paths_with_indices_and_wildcards_match_exactly() -> None:
    nationality = ("nationalities", None)
    first = ("children", 0, "birthdate")
    allowed = {REGULATION: frozenset({claim_key(nationality), claim_key(first)})}
    registry = snapshot([], [verifier_entry(permissions=allowed)])
    assert verifier_check(registry, claims=(nationality, first))
    assert_rejected(
        TrustReason.CLAIM_NOT_AUTHORISED, verifier_check, registry, claims=[("nationalities", 0)]
    )
    assert_rejected(
        TrustReason.CLAIM_NOT_AUTHORISED,
        verifier_check,
        registry,
        claims=[("children", "0", "birthdate")],
    )


def test_unknown_verifier_is_not_registered() -> None:
    assert_rejected(
        TrustReason.VERIFIER_NOT_REGISTERED, verifier_check, client_id="https://other.example"
    )


@pytest.mark.parametrize(
    "look_alike", [DESK + "/", DESK.upper(), DESK[:-1], DESK + "s", "x509_san_dns:desk.example"]
)
def test_look_alike_verifier_identifiers_are_not_registered(look_alike: str) -> None:
    assert_rejected(TrustReason.VERIFIER_NOT_REGISTERED, verifier_check, client_id=look_alike)


def test_regulation_outside_the_registration_is_not_authorised() -> None:
    assert_rejected(TrustReason.REGULATION_NOT_AUTHORISED, verifier_check, regulation="huurtoeslag")


def test_one_claim_outside_the_registration_among_allowed_ones_is_refused() -> None:
    """THREATS V-15 (ARF RPRC_21): asking for one claim too many refuses the whole request."""
    assert_rejected(
        TrustReason.CLAIM_NOT_AUTHORISED,
        verifier_check,
        claims=(LOCALITY, ("birthdate",), INCOME),
    )


@pytest.mark.parametrize(
    "path",
    [
        ("address",),  # the parent would reveal more than the allowed child
        ("address", "locality", "code"),  # a child is another claim
        ("address", "Locality"),
        ("income", "below_threshold "),
    ],
)
def test_claim_authorisation_is_per_exact_path(path: tuple[str, ...]) -> None:
    assert_rejected(TrustReason.CLAIM_NOT_AUTHORISED, verifier_check, claims=(path,))


def test_verifier_with_future_effective_date_is_not_yet_effective() -> None:
    registry = snapshot([], [verifier_entry(effective_from=FIXED_NOW + 60)])
    assert_rejected(TrustReason.NOT_YET_EFFECTIVE, verifier_check, registry)


def test_verifier_outside_its_validity_is_refused() -> None:
    assert_rejected(TrustReason.OUTSIDE_VALIDITY, verifier_check, now=START - 1)
    assert_rejected(TrustReason.OUTSIDE_VALIDITY, verifier_check, now=END)
    assert verifier_check(now=START)
    assert verifier_check(now=END - 1)


def test_claim_key_is_compact_json_without_escaping_non_ascii() -> None:
    assert claim_key(["address", "locality"]) == '["address","locality"]'
    assert claim_key(("children", 0, None)) == '["children",0,null]'
    assert claim_key(["straße"]) == '["straße"]'


# -- regulation anchors -------------------------------------------------------------------


def anchor_check(
    registry: TrustSnapshot = REGISTRY,
    *,
    regulation: str = REGULATION,
    valid_from: str = VALID_FROM_DATE,
    version: str = VERSION,
    now: int = FIXED_NOW,
) -> RegulationAnchor:
    return check_anchor(
        registry, regulation=regulation, valid_from=valid_from, version=version, now=now
    )


def test_anchored_regulation_version_is_accepted() -> None:
    assert anchor_check() == RegulationAnchor(REGULATION, VERSION, VALID_FROM_DATE, 0)


def test_unknown_regulation_is_not_anchored() -> None:
    assert_rejected(TrustReason.REGULATION_NOT_ANCHORED, anchor_check, regulation="huurtoeslag")


def test_regulation_version_for_another_valid_from_date_is_not_anchored() -> None:
    assert_rejected(TrustReason.REGULATION_NOT_ANCHORED, anchor_check, valid_from="2027-01-01")


def test_regulation_with_another_content_hash_is_a_mismatch() -> None:
    """A tampered copy of the law (one figure changed) has another ``sha256:`` version."""
    assert_rejected(
        TrustReason.REGULATION_HASH_MISMATCH, anchor_check, version="sha256:" + "cd" * 32
    )


def test_anchor_announced_for_later_is_not_yet_effective() -> None:
    anchor = RegulationAnchor(REGULATION, VERSION, VALID_FROM_DATE, FIXED_NOW + 1)
    registry = snapshot(anchors=[anchor])
    assert_rejected(TrustReason.NOT_YET_EFFECTIVE, anchor_check, registry)
    assert anchor_check(registry, now=FIXED_NOW + 1) == anchor


# -- freshness ----------------------------------------------------------------------------


def test_snapshot_within_max_staleness_is_fresh() -> None:
    check_fresh(REGISTRY, now=FIXED_NOW, max_staleness=0)
    check_fresh(REGISTRY, now=FIXED_NOW + 300, max_staleness=300)


def test_snapshot_older_than_max_staleness_is_stale() -> None:
    """THREATS R-08: beyond the allowed staleness the registry decides nothing."""
    assert_rejected(
        TrustReason.REGISTRY_STALE, check_fresh, REGISTRY, now=FIXED_NOW + 301, max_staleness=300
    )
