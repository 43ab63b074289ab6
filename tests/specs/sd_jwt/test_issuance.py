"""Issuance (RFC 9901 §4.1, §4.2): sorted digests, decoys, salts, reserved names."""

from __future__ import annotations

import os
from typing import Any

import pytest

from specs.errors import JoseReason, SdJwtReason
from specs.jose import b64url_decode, generate_private_key
from specs.sd_jwt import NO_DECOYS, DecoyPolicy, Disclosable, issue_sd_jwt, open_sd_jwt
from tests.support import assert_rejected

ISSUER = generate_private_key()


def _issue(claims: dict[str, Any], decoys: DecoyPolicy = NO_DECOYS) -> Any:
    return issue_sd_jwt(
        claims, issuer_key=ISSUER, typ="example+sd-jwt", random_bytes=os.urandom, decoys=decoys
    )


def test_sd_arrays_are_sorted_and_padded_with_decoys() -> None:
    issued = _issue({"a": Disclosable(1), "b": Disclosable(2)}, DecoyPolicy(3, 3))
    digests = issued.payload["_sd"]
    assert digests == sorted(digests)
    assert len(digests) == 2 + 3
    assert issued.payload["_sd_alg"] == "sha-256"
    assert open_sd_jwt(issued.token).processed.claims == {"a": 1, "b": 2}


def test_arrays_get_decoy_placeholders_and_keep_element_order() -> None:
    issued = _issue({"n": [Disclosable("NL"), "plain", Disclosable("DE")]}, DecoyPolicy(2, 2))
    assert len(issued.payload["n"]) == 3 + 2
    assert open_sd_jwt(issued.token).processed.claims == {"n": ["NL", "plain", "DE"]}


def test_decoy_counts_stay_within_the_policy() -> None:
    for _ in range(20):
        issued = _issue({"a": Disclosable(1)}, DecoyPolicy(1, 4))
        assert 2 <= len(issued.payload["_sd"]) <= 5


@pytest.mark.parametrize(("minimum", "maximum"), [(-1, 2), (3, 2), (0, 1_001)])
def test_decoy_policy_bounds(minimum: int, maximum: int) -> None:
    with pytest.raises(ValueError, match="DecoyPolicy"):
        DecoyPolicy(minimum, maximum)


def test_salts_are_128_bit_and_unique() -> None:
    issued = _issue({f"c{i}": Disclosable(i) for i in range(50)})
    salts = [d.salt for d in issued.disclosures]
    assert len(set(salts)) == len(salts)
    assert all(len(b64url_decode(salt)) == 16 for salt in salts)


def test_no_disclosures_means_no_sd_alg() -> None:
    issued = _issue({"a": 1})
    assert issued.payload == {"a": 1}
    assert issued.token.endswith("~")


@pytest.mark.parametrize("name", ["_sd", "...", "_sd_alg"])
def test_reserved_names_cannot_be_issued(name: str) -> None:
    assert_rejected(SdJwtReason.DISCLOSURE_RESERVED_CLAIM_NAME, _issue, {name: 1})


@pytest.mark.parametrize("claims", [{1: "a"}, {"a": object()}, {"a": {2: "b"}}])
def test_non_json_claims_are_refused(claims: dict[Any, Any]) -> None:
    assert_rejected(JoseReason.BAD_JSON, _issue, claims)


def test_a_mark_must_sit_on_a_claim_or_element() -> None:
    assert_rejected(JoseReason.BAD_JSON, _issue, {"a": Disclosable(Disclosable(1))})
    assert_rejected(
        SdJwtReason.SD_ALG_UNSUPPORTED,
        issue_sd_jwt,
        {"a": 1},
        issuer_key=ISSUER,
        typ="t",
        random_bytes=os.urandom,
        hash_alg="md5",
    )
