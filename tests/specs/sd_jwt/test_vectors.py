"""RFC 9901's own examples (../shared/vectors/sd_jwt): digests, Disclosures, processed payloads.

Every worked example is verified as the spec prints it; the keys are the spec's. The
KB-JWT ``iat`` values are from 2025/2026, so the clock is set to each KB-JWT's ``iat``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specs.jose import StaticKeyResolver, parse_public_jwk
from specs.sd_jwt import (
    KeyBindingRequired,
    NoKeyBinding,
    digest_of,
    open_sd_jwt,
    parse_disclosure,
    verify_sd_jwt,
    verify_sd_jwt_json,
)
from tests.support import VECTORS, load_json, vectors_dir


def _typ(folder: Path) -> str:
    header = folder / "issuer_jwt_header.json"
    return str(load_json(header)["typ"]) if header.exists() else "example+sd-jwt"


def _examples() -> list[str]:
    root = VECTORS / "sd_jwt"
    if not root.is_dir():
        return ["absent"]
    return sorted(p.name for p in root.iterdir() if (p / "vector.json").is_file())


def _example(name: str) -> tuple[Path, dict[str, Any]]:
    folder = vectors_dir("sd_jwt", name)
    return folder, load_json(folder / "vector.json")


def _policy(vector: dict[str, Any]) -> tuple[Any, int]:
    if not vector.get("key_binding"):
        return NoKeyBinding(), 1_790_000_000
    params = vector["key_binding_params"]
    return KeyBindingRequired(nonce=params["nonce"], audience=params["aud"]), params["iat"]


def _issuer_key(folder: Path) -> StaticKeyResolver:
    path = folder / "issuer_key.json"
    if not path.exists():
        path = folder / "issuer_keys.json"
        jwks = load_json(path)
        first = jwks["keys"][0] if isinstance(jwks, dict) else jwks[0]
        return StaticKeyResolver(parse_public_jwk(first))
    return StaticKeyResolver(parse_public_jwk(load_json(path)))


@pytest.mark.parametrize("name", _examples())
def test_every_disclosure_decodes_and_digests_as_the_spec_prints(name: str) -> None:
    folder, _ = _example(name)
    for item in load_json(folder / "disclosures.json"):
        disclosure = parse_disclosure(item["disclosure"], hash_alg="sha-256")
        assert disclosure.digest == item["digest"]
        assert disclosure.salt == item["decoded"][0]
        assert [
            disclosure.salt,
            *(() if disclosure.name is None else (disclosure.name,)),
            disclosure.value,
        ] == item["decoded"]


@pytest.mark.parametrize("name", _examples())
def test_presentation_verifies_to_the_processed_payload(name: str) -> None:
    folder, vector = _example(name)
    policy, now = _policy(vector)
    expected = load_json(folder / "verified_payload.json")
    compact = folder / "sd_jwt_presentation.txt"
    if compact.exists():
        verified = verify_sd_jwt(
            compact.read_text().strip(),
            issuer_keys=_issuer_key(folder),
            typ=_typ(folder),
            key_binding=policy,
            now=now,
        )
    else:
        verified = verify_sd_jwt_json(
            (folder / "sd_jwt_presentation.json").read_text(),
            issuer_keys=_issuer_key(folder),
            typ=_typ(folder),
            key_binding=policy,
            now=now,
        )
    assert verified.claims == expected
    presented = sorted(d.digest for d in verified.disclosures)
    assert presented == sorted(vector["presented_disclosure_digests"])
    if vector.get("key_binding"):
        assert verified.key_binding is not None
        assert verified.key_binding.claims["sd_hash"] == vector["key_binding_params"]["sd_hash"]


@pytest.mark.parametrize("name", _examples())
def test_issued_form_opens_with_every_disclosure_in_place(name: str) -> None:
    folder, _ = _example(name)
    issued = folder / "sd_jwt_issuance.txt"
    if not issued.exists():
        pytest.skip("JSON serialization example: holder side uses the compact form")
    view = open_sd_jwt(issued.read_text().strip())
    assert view.processed.claims.keys() >= load_json(folder / "user_claims.json").keys()
    assert {d.encoded for d in view.disclosures} == {
        d["disclosure"] for d in load_json(folder / "disclosures.json")
    }


def test_encoding_variants_have_distinct_digests_of_the_same_claim() -> None:
    """§4.2.1: the digest covers the string as sent, so each spelling has its own digest."""
    data = load_json(vectors_dir("sd_jwt", "inline") / "disclosure_encoding_variants.json")
    for variant in data["variants"]:
        disclosure = parse_disclosure(variant["disclosure"], hash_alg="sha-256")
        assert disclosure.value == variant["decoded"][2]
        assert digest_of(variant["disclosure"]) == variant["digest_sha256"]
