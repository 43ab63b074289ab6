"""Fuzz targets for what is neither issuance nor presentation: regulation files and the
rules run on credential claims, the signed trust list, SD-JWT VC type and issuer metadata,
DID documents, and the JOSE basics every token goes through.

Regulation files are our own data, so their refusal is ``InvalidRegulation``; everything
else comes from a peer or a citizen and is refused with ``Rejected``. The bundled files and
scenarios are the valid starting points.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import strategies as st

from runtime.credential_types import credential_types_root
from runtime.regulations import find, regulation_files
from runtime.scenarios import load_scenarios, scenario_files
from specs.errors import InvalidRegulation
from specs.jose import (
    b64url_decode,
    dumps_compact,
    generate_private_key,
    loads_strict,
    parse_compact_jws,
    parse_public_jwk,
)
from specs.rules import HeldCredential, evaluate, facts_from_credentials, parse_regulation
from specs.sd_jwt_vc import (
    check_integrity,
    parse_did_document,
    parse_jwt_vc_issuer_metadata,
    parse_type_metadata,
)
from specs.trust import (
    IssuerEntry,
    RegulationAnchor,
    TrustSnapshot,
    VerifierEntry,
    claim_key,
)
from specs.trust.trust_list import TRUST_LIST_TYP, trust_list_claims, verify_trust_list
from tests.fuzz.harness import Target
from tests.fuzz.mutations import TOKEN_ALPHABET, mutated_json, near, near_bytes
from tests.specs.forge import sign_raw

NOW = 1_790_000_000

# --- regulation files -----------------------------------------------------------------------

REGULATION_TEXTS = [path.read_text(encoding="utf-8") for path in regulation_files()]
REGULATION_DOCUMENTS = [yaml.safe_load(text) for text in REGULATION_TEXTS]
REGULATION_NAMES = ["id", "inputs", "requirements", "test", "all", "any", "params", "amount"]


def _as_yaml(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


REGULATIONS = st.one_of(
    st.sampled_from(REGULATION_DOCUMENTS).flatmap(
        lambda document: mutated_json(document, REGULATION_NAMES).map(_as_yaml)
    ),
    st.sampled_from(REGULATION_TEXTS).flatmap(lambda text: near(text, separators="\n:-")),
    st.text(alphabet=TOKEN_ALPHABET + "\n:-!&*|>%@`'#", max_size=200),
)


def _parse_regulation(text: str) -> object:
    return parse_regulation(text, origin="fuzz.yaml")


# --- rules on credential claims -------------------------------------------------------------


def _cases() -> list[tuple[str, list[HeldCredential]]]:
    found = []
    for path in scenario_files():
        loaded = load_scenarios(path)
        found += [
            (loaded.regulation, case.credentials) for case in loaded.cases if case.credentials
        ]
    return found


CASES = _cases()


@st.composite
def _hostile_claims(draw: st.DrawFn) -> tuple[str, list[HeldCredential]]:
    """A scenario whose citizen's credentials have one claim tree broken: claims come from
    verified credentials, but an issuer may still put any JSON in them."""
    regulation, credentials = draw(st.sampled_from(CASES))
    index = draw(st.integers(0, len(credentials) - 1))
    target = credentials[index]
    claims = draw(mutated_json(dict(target.claims)))
    changed = HeldCredential(target.issuer, target.vct, claims if isinstance(claims, dict) else {})
    return regulation, [*credentials[:index], changed, *credentials[index + 1 :]]


def _evaluate(case: tuple[str, list[HeldCredential]]) -> object:
    regulation, credentials = case
    compiled = find(regulation)
    facts = facts_from_credentials(compiled.regulation, credentials)
    return evaluate(compiled, facts.facts)


# --- the trust list -------------------------------------------------------------------------

GOVERNANCE = generate_private_key()
KEY_REF = generate_private_key().public.thumbprint()
SNAPSHOT = TrustSnapshot(
    {
        "https://issuer.example": IssuerEntry(
            "https://issuer.example", frozenset({"urn:x"}), frozenset({KEY_REF}), 0, 2**40, 0
        )
    },
    {
        "x509_san_dns:desk.example": VerifierEntry(
            "x509_san_dns:desk.example",
            {"zorgtoeslag": frozenset({claim_key(("a", "b"))})},
            "Awir",
            0,
            2**40,
            0,
        )
    },
    {
        ("zorgtoeslag", "2026-01-01"): RegulationAnchor(
            "zorgtoeslag", "sha256:" + "0" * 64, "2026-01-01", 0
        )
    },
)
TRUST_CLAIMS = trust_list_claims(SNAPSHOT, governance_id="governance", now=NOW, ttl=86_400)


def _signed_trust_list(claims: Any) -> str:
    return sign_raw({"alg": "ES256", "typ": TRUST_LIST_TYP}, claims, GOVERNANCE)


def _verify_trust_list(token: str) -> object:
    return verify_trust_list(token, governance_keys=GOVERNANCE.public, now=NOW)


# --- SD-JWT VC metadata, DID documents ------------------------------------------------------

TYPE_DOCUMENTS = [p.read_bytes() for p in sorted(credential_types_root().glob("*.json"))]
TYPE_NAMES = ["vct", "display", "claims", "path", "sd", "locale", "label", "extends", "svg_id"]
ISSUER_METADATA = {
    "issuer": "https://issuer.example",
    "jwks": {"keys": [GOVERNANCE.public.to_jwk()]},
}
DID = "did:web:issuer.example"
DID_DOCUMENT = {
    "id": DID,
    "verificationMethod": [
        {
            "id": f"{DID}#k1",
            "type": "JsonWebKey2020",
            "controller": DID,
            "publicKeyJwk": GOVERNANCE.public.to_jwk(),
        }
    ],
    "assertionMethod": [f"{DID}#k1"],
}


def _type_metadata(data: bytes) -> object:
    return parse_type_metadata(data, vct=str(json.loads(TYPE_DOCUMENTS[0])["vct"]))


TARGETS = [
    Target("rules.parse_regulation", REGULATIONS, _parse_regulation, allowed=(InvalidRegulation,)),
    Target("rules.evaluate_hostile_claims", _hostile_claims(), _evaluate),
    Target(
        "trust.verify_trust_list.signed_random",
        mutated_json(TRUST_CLAIMS, list(TRUST_CLAIMS)).map(_signed_trust_list),
        _verify_trust_list,
    ),
    Target(
        "trust.verify_trust_list.mutated",
        near(_signed_trust_list(TRUST_CLAIMS), "."),
        _verify_trust_list,
    ),
    Target(
        "sd_jwt_vc.parse_type_metadata",
        mutated_json(json.loads(TYPE_DOCUMENTS[0]), TYPE_NAMES).map(
            lambda document: dumps_compact(document).encode()
        )
        | near_bytes(TYPE_DOCUMENTS[0]),
        _type_metadata,
    ),
    Target(
        "sd_jwt_vc.parse_jwt_vc_issuer_metadata",
        mutated_json(ISSUER_METADATA, ["issuer", "jwks", "jwks_uri", "keys", "kty", "crv"]),
        lambda document: parse_jwt_vc_issuer_metadata(
            document, expected_issuer="https://issuer.example"
        ),
    ),
    Target(
        "sd_jwt_vc.parse_did_document",
        mutated_json(DID_DOCUMENT, ["id", "verificationMethod", "publicKeyJwk", "controller"]),
        lambda document: parse_did_document(document, did=DID),
    ),
    Target(
        "sd_jwt_vc.check_integrity",
        st.tuples(
            near("sha256-47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=", "-"), st.binary(max_size=8)
        ),
        lambda pair: check_integrity(pair[0], pair[1]),
    ),
    Target("jose.loads_strict", near_bytes(dumps_compact(DID_DOCUMENT).encode()), loads_strict),
    Target(
        "jose.parse_public_jwk",
        mutated_json(GOVERNANCE.public.to_jwk(), ["kty", "crv", "x", "y", "d", "alg", "kid"]),
        parse_public_jwk,
    ),
    Target(
        "jose.parse_compact_jws",
        near(_signed_trust_list(TRUST_CLAIMS), "."),
        parse_compact_jws,
    ),
    Target("jose.b64url_decode", st.text(alphabet=TOKEN_ALPHABET, max_size=40), b64url_decode),
]
