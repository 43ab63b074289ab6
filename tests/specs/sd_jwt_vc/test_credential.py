"""SD-JWT VC rules on top of RFC 9901 (draft-ietf-oauth-sd-jwt-vc §3; THREATS S-07, S-12, S-13)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from specs.errors import JoseReason, SdJwtVcReason
from specs.jose import StaticKeyResolver, generate_private_key, parse_public_jwk
from specs.sd_jwt import (
    Disclosable,
    KeyBindingRequired,
    NoKeyBinding,
    mark_all_disclosable,
    open_sd_jwt,
)
from specs.sd_jwt_vc import (
    PLAIN_BY_DEFAULT,
    JwtVcIssuerMetadataResolver,
    issue_sd_jwt_vc,
    parse_jwt_vc_issuer_metadata,
    verify_sd_jwt_vc,
)
from specs.status_list import parse_status_reference
from tests.specs.forge import digest, disclosure, sd_jwt
from tests.support import VECTORS, assert_rejected, load_json, vectors_dir

NOW = 1_790_000_000
ISSUER = generate_private_key()
HOLDER = generate_private_key()
VCT = "urn:nl:example:income:1"


def verify(token: str, policy: Any = None, **kwargs: Any) -> Any:
    return verify_sd_jwt_vc(
        token,
        issuer_keys=StaticKeyResolver(ISSUER.public),
        key_binding=policy or NoKeyBinding(),
        now=NOW,
        **kwargs,
    )


def _vc(payload: dict[str, Any], *disclosures: str, typ: str = "dc+sd-jwt") -> str:
    return sd_jwt(payload, disclosures, ISSUER, typ=typ)


def _vc_examples() -> list[str]:
    root = VECTORS / "sd_jwt_vc"
    if not root.is_dir():
        return ["absent"]
    return sorted(p.name for p in root.iterdir() if (p / "vector.json").is_file())


@pytest.mark.parametrize("name", _vc_examples())
def test_spec_examples_verify_as_sd_jwt_vcs(name: str) -> None:
    folder = vectors_dir("sd_jwt_vc", name)
    vector = load_json(folder / "vector.json")
    if vector.get("key_binding"):
        params = vector["key_binding_params"]
        policy: Any = KeyBindingRequired(nonce=params["nonce"], audience=params["aud"])
        now = params["iat"]
    else:
        policy, now = NoKeyBinding(), NOW
    verified = verify_sd_jwt_vc(
        (folder / "sd_jwt_presentation.txt").read_text().strip(),
        issuer_keys=StaticKeyResolver(parse_public_jwk(load_json(folder / "issuer_key.json"))),
        key_binding=policy,
        now=now,
    )
    assert verified.claims == load_json(folder / "verified_payload.json")
    assert verified.vct == verified.claims["vct"]


def test_status_list_referenced_token_example() -> None:
    """The Token Status List's SD-JWT example: processed payload and status reference."""
    folder = vectors_dir("status_list", "referenced_token")
    view = open_sd_jwt((folder / "sd_jwt_issuance.txt").read_text().strip())
    expected = load_json(folder / "sd_jwt_verified_payload.json")
    assert view.processed.claims == expected
    reference = parse_status_reference(view.processed.claims["status"])
    assert reference.idx == expected["status"]["status_list"]["idx"]


def test_round_trip_with_key_binding_and_status() -> None:
    claims = {
        "iss": "https://tax.example",
        "iat": NOW,
        "exp": NOW + 3600,
        "status": {"status_list": {"idx": 3, "uri": "https://tax.example/status/1"}},
        "income": {"year": 2024, "below_limit": True},
    }
    issued = issue_sd_jwt_vc(
        mark_all_disclosable(claims, keep_plain=PLAIN_BY_DEFAULT),
        vct=VCT,
        issuer_key=ISSUER,
        holder_key=HOLDER.public,
        random_bytes=os.urandom,
    )
    verified = verify(issued.token)
    assert verified.status is not None
    assert (verified.status.idx, verified.status.uri) == (3, "https://tax.example/status/1")
    assert verified.issuer == "https://tax.example"
    assert verified.holder_key is None  # no KB-JWT was required or sent


def test_typ_must_be_dc_sd_jwt_and_legacy_only_on_request() -> None:
    payload = {"vct": VCT}
    assert_rejected(JoseReason.TYP_MISMATCH, verify, _vc(payload, typ="vc+sd-jwt"))
    assert verify(_vc(payload, typ="vc+sd-jwt"), accept_legacy_typ=True).vct == VCT
    for typ in ("JWT", "example+sd-jwt", "kb+jwt", "statuslist+jwt"):
        assert_rejected(JoseReason.TYP_MISMATCH, verify, _vc(payload, typ=typ))


@pytest.mark.parametrize("vct", [None, "", 5, ["a"]])
def test_vct_is_required_and_a_string(vct: Any) -> None:
    payload = {} if vct is None else {"vct": vct}
    assert_rejected(SdJwtVcReason.VCT_MISSING, verify, _vc(payload))


@pytest.mark.parametrize(
    "name", ["iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"]
)
def test_registered_claims_must_not_be_disclosable(name: str) -> None:
    value: Any = {"jwk": HOLDER.public.to_jwk()} if name == "cnf" else "x"
    if name in ("nbf", "exp"):
        value = NOW + 10
    d = disclosure("salt-salt-salt", name, value)
    payload: dict[str, Any] = {"_sd": [digest(d)]}
    if name != "vct":
        payload["vct"] = VCT
    assert_rejected(SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED, verify, _vc(payload, d))


def test_issuer_refuses_to_make_registered_claims_disclosable() -> None:
    assert_rejected(
        SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED,
        issue_sd_jwt_vc,
        {"exp": Disclosable(NOW)},
        vct=VCT,
        issuer_key=ISSUER,
        random_bytes=os.urandom,
    )


def test_nested_claims_named_like_registered_ones_are_fine() -> None:
    d = disclosure("salt-salt-salt", "status", "married")
    verified = verify(_vc({"vct": VCT, "civil": {"_sd": [digest(d)]}}, d))
    assert verified.claims["civil"] == {"status": "married"}


@pytest.mark.parametrize(
    "extra",
    [{"iss": 5}, {"sub": ["a"]}, {"vct#integrity": 1}, {"aka_vcts": "x"}, {"aka_vcts": [1]}],
)
def test_registered_claims_of_the_wrong_type(extra: dict[str, Any]) -> None:
    assert_rejected(SdJwtVcReason.BAD_REGISTERED_CLAIM, verify, _vc({"vct": VCT, **extra}))


@pytest.mark.parametrize(
    "status",
    [
        "revoked",
        {"status_list": {"idx": -1, "uri": "https://s.example/1"}},
        {"status_list": {"idx": 1}},
        {"status_list": {"idx": "3", "uri": "https://s.example/1"}},
        {"status_list": {"idx": 1, "uri": "http://s.example/1"}},
        {"status_list": "x"},
    ],
)
def test_status_claim_shape(status: Any) -> None:
    assert_rejected(SdJwtVcReason.BAD_STATUS_CLAIM, verify, _vc({"vct": VCT, "status": status}))


def test_http_status_lists_only_in_the_development_profile() -> None:
    """DESIGN §4: ``allow_http`` is the development profile's, on both sides."""
    status = {"status_list": {"idx": 1, "uri": "http://127.0.0.1:8001/status/1"}}
    token = _vc({"vct": VCT, "status": status})
    assert_rejected(SdJwtVcReason.BAD_STATUS_CLAIM, verify, token)
    assert verify(token, allow_http=True).status.uri == "http://127.0.0.1:8001/status/1"
    assert_rejected(
        SdJwtVcReason.BAD_STATUS_CLAIM,
        issue_sd_jwt_vc,
        {"status": status},
        vct=VCT,
        issuer_key=generate_private_key(),
        random_bytes=os.urandom,
    )
    issued = issue_sd_jwt_vc(
        {"status": status},
        vct=VCT,
        issuer_key=generate_private_key(),
        random_bytes=os.urandom,
        allow_http=True,
    )
    assert issued.payload["status"] == status


def test_other_status_mechanisms_are_carried_not_judged() -> None:
    verified = verify(_vc({"vct": VCT, "status": {"other_mechanism": {"x": 1}}}))
    assert verified.status is None


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"exp": NOW - 60}, JoseReason.EXPIRED),
        ({"exp": "99999999999"}, JoseReason.BAD_TIME_CLAIM),
        ({"exp": True}, JoseReason.BAD_TIME_CLAIM),
        ({"nbf": NOW + 3600}, JoseReason.NOT_YET_VALID),
        ({"iat": NOW + 3600}, JoseReason.ISSUED_IN_FUTURE),
    ],
)
def test_time_claims(extra: dict[str, Any], reason: JoseReason) -> None:
    assert_rejected(reason, verify, _vc({"vct": VCT, **extra}))


def test_issued_by_another_key() -> None:
    other = generate_private_key()
    token = sd_jwt({"vct": VCT}, [], other, typ="dc+sd-jwt")
    assert_rejected(JoseReason.BAD_SIGNATURE, verify, token)


def test_issuer_metadata_resolution_end_to_end() -> None:
    """The key comes from the issuer's metadata for exactly the ``iss`` (THREATS S-05, S-10)."""
    iss = "https://tax.example"
    key = generate_private_key(kid="tax-2026")
    metadata = parse_jwt_vc_issuer_metadata(
        {"issuer": iss, "jwks": {"keys": [key.public.to_jwk()]}}, expected_issuer=iss
    )
    resolver = JwtVcIssuerMetadataResolver({iss: metadata})

    def issue(claimed_iss: str) -> str:
        return issue_sd_jwt_vc(
            {"iss": claimed_iss, "a": Disclosable(1)},
            vct=VCT,
            issuer_key=key,
            random_bytes=os.urandom,
            extra_header={"kid": "tax-2026"},
        ).token

    verified = verify_sd_jwt_vc(
        issue(iss), issuer_keys=resolver, key_binding=NoKeyBinding(), now=NOW
    )
    assert (verified.issuer, verified.claims["a"]) == (iss, 1)
    for claimed in ("https://tax.example/", "https://tax.example.evil", "HTTPS://tax.example"):
        assert_rejected(
            SdJwtVcReason.ISSUER_KEY_NOT_FOUND,
            verify_sd_jwt_vc,
            issue(claimed),
            issuer_keys=resolver,
            key_binding=NoKeyBinding(),
            now=NOW,
        )


@pytest.mark.parametrize("name", ["status", "cnf"])
def test_nothing_inside_a_registered_claim_may_be_disclosable(name: str) -> None:
    """Dropping a nested Disclosure must not silently drop the status check (§2.2.2)."""
    inner = (
        disclosure("salt-salt-salt", "status_list", {"idx": 1, "uri": "https://s.example/1"})
        if name == "status"
        else disclosure("salt-salt-salt", "jwk", HOLDER.public.to_jwk())
    )
    payload = {"vct": VCT, name: {"_sd": [digest(inner)]}}
    for presented in ((inner,), ()):  # disclosed or withheld: refused either way
        assert_rejected(
            SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED, verify, _vc(payload, *presented)
        )
    in_array = {"vct": VCT, "aka_vcts": [{"...": digest(disclosure("salt-salt-salt", "x"))}]}
    assert_rejected(SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED, verify, _vc(in_array))


def test_issuer_refuses_marks_nested_inside_registered_claims() -> None:
    assert_rejected(
        SdJwtVcReason.NON_DISCLOSABLE_CLAIM_DISCLOSED,
        issue_sd_jwt_vc,
        {"status": {"status_list": Disclosable({"idx": 1, "uri": "https://s.example/1"})}},
        vct=VCT,
        issuer_key=ISSUER,
        random_bytes=os.urandom,
    )


def test_an_empty_status_object_is_malformed() -> None:
    assert_rejected(SdJwtVcReason.BAD_STATUS_CLAIM, verify, _vc({"vct": VCT, "status": {}}))
