"""SD-JWT VC Type Metadata (editor's copy §5) and document integrity (§6, W3C SRI syntax)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from specs.errors import JoseReason, TypeMetadataReason
from specs.sd_jwt_vc.integrity import MAX_INTEGRITY_CHARS, check_integrity
from specs.sd_jwt_vc.type_metadata import (
    DEFAULT_MAX_EXTENDS_DEPTH,
    ClaimMetadata,
    SdRule,
    parse_type_metadata,
    resolve_type_metadata,
)
from tests.support import assert_rejected, load_json, vectors_dir

BASE = "https://example.com/base-type-metadata"
CHILD = "https://example.com/custom-type-metadata"


def _folder() -> Path:
    return vectors_dir("sd_jwt_vc", "type_metadata")


def _bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode("utf-8")


def _sri(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def _claim_json(claim: ClaimMetadata) -> dict[str, Any]:
    """The JSON shape of §5.6, for comparison with the spec's effective claim metadata."""
    result: dict[str, Any] = {"path": list(claim.path)}
    if claim.display is not None:
        result["display"] = [
            {"label": d.label, "locale": d.locale}
            | ({} if d.description is None else {"description": d.description})
            for d in claim.display
        ]
    return result


# --- the spec's examples ----------------------------------------------------------------------


def test_short_example_parses() -> None:
    data = (_folder() / "type_metadata_document_short.json").read_bytes()
    metadata = parse_type_metadata(
        data, vct="https://betelgeuse.example.com/education_credential/v42"
    )
    assert metadata.extends == "https://galaxy.example.com/galactic-education-credential/v2"
    assert metadata.extends_integrity == "sha256-ilOUJsTultOwLfz7QUcFALaRa3BP/jelX1ds04kB9yU="
    assert metadata.display is None
    assert metadata.claims == ()


def test_full_example_parses_display_and_claims() -> None:
    data = (_folder() / "full_example_type_metadata.json").read_bytes()
    metadata = parse_type_metadata(
        data, vct="https://betelgeuse.example.com/education_credential/v42"
    )
    assert metadata.display is not None
    assert [d.locale for d in metadata.display] == ["en-US", "de-DE"]
    english = metadata.display[0]
    assert english.logo is not None
    assert english.logo.alt_text == "Betelgeuse Ministry of Education logo"
    assert english.background_color == "#12107c"
    assert english.svg_templates[0].properties == {
        "orientation": "landscape",
        "color_scheme": "light",
        "contrast": "high",
    }
    by_path = {claim.path: claim for claim in metadata.claims}
    assert by_path[("name",)].is_mandatory
    assert by_path[("degrees",)].sd_rule is SdRule.NEVER
    assert by_path[("degrees", None)].sd_rule is SdRule.ALWAYS
    assert by_path[("address", "street_address")].svg_id == "address_street_address"
    assert not by_path[("address",)].is_mandatory


def test_extends_example_yields_the_spec_effective_claim_metadata() -> None:
    folder = _folder()
    documents = {
        BASE: (folder / "extends_base_type_metadata.json").read_bytes(),
        CHILD: (folder / "extends_child_type_metadata.json").read_bytes(),
    }
    resolved = resolve_type_metadata(CHILD, documents=documents, integrity=None)
    expected = load_json(folder / "extends_effective_claim_metadata.json")["claims"]
    assert [_claim_json(claim) for claim in resolved.claims] == expected
    assert resolved.types == (CHILD, BASE)


def test_full_example_integrity_values_are_illustrative() -> None:
    """SOURCES.md: the printed ``vct#integrity`` does not hash the printed document."""
    folder = _folder()
    payload = load_json(folder / "full_example_sd_jwt_vc_payload.json")
    data = (folder / "full_example_type_metadata.json").read_bytes()
    assert_rejected(
        TypeMetadataReason.INTEGRITY_MISMATCH, check_integrity, payload["vct#integrity"], data
    )


def test_full_example_extends_integrity_guards_its_parent() -> None:
    folder = _folder()
    vct = "https://betelgeuse.example.com/education_credential/v42"
    parent = "https://galaxy.example.com/galactic-education-credential/v2"
    documents = {
        vct: (folder / "full_example_type_metadata.json").read_bytes(),
        parent: _bytes({"vct": parent}),
    }
    assert_rejected(
        TypeMetadataReason.INTEGRITY_MISMATCH,
        resolve_type_metadata,
        vct,
        documents=documents,
        integrity=None,
    )


# --- integrity (§6) ---------------------------------------------------------------------------

DATA = b'{"vct":"urn:example"}'
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _non_canonical(sri: str) -> str:
    """Set an unused low bit of the last base64 character: same digest, another spelling."""
    last = _ALPHABET.index(sri[-2])
    return sri[:-2] + _ALPHABET[last | 1] + "="


@pytest.mark.parametrize(
    "integrity",
    [
        _sri(DATA),
        _sri(DATA, "sha384"),
        _sri(DATA, "sha512"),
        f"{_sri(b'other')} {_sri(DATA, 'sha384')}",
        f"{_sri(b'other', 'sha512')}\t{_sri(DATA, 'sha512')}",
        f"{_sri(DATA)}?ct=application/json",
        f"md5-AAAA {_sri(DATA)}",
        f"  {_sri(DATA)}  ",
    ],
)
def test_integrity_matches(integrity: str) -> None:
    check_integrity(integrity, DATA)


def test_the_strongest_algorithm_decides() -> None:
    integrity = f"{_sri(DATA)} {_sri(b'other', 'sha512')}"
    assert_rejected(TypeMetadataReason.INTEGRITY_MISMATCH, check_integrity, integrity, DATA)


def test_one_changed_byte_is_a_mismatch() -> None:
    assert_rejected(TypeMetadataReason.INTEGRITY_MISMATCH, check_integrity, _sri(DATA), DATA + b" ")


@pytest.mark.parametrize(
    "integrity", ["sha1-AAAA", "md5-AAAA sha3-AAAA", "SHA256-" + _sri(DATA)[7:]]
)
def test_only_unsupported_algorithms_is_not_a_pass(integrity: str) -> None:
    assert_rejected(TypeMetadataReason.INTEGRITY_UNSUPPORTED_ALG, check_integrity, integrity, DATA)


@pytest.mark.parametrize(
    "integrity",
    [
        "",
        "   ",
        "sha256",
        "sha256-",
        "-AAAA",
        "sha256-!!!!",
        _sri(DATA).rstrip("="),
        _sri(DATA).replace("=", "") + "==",
        _non_canonical(_sri(DATA)),
        _sri(DATA)[:-2] + "==",
        "sha256-" + base64.urlsafe_b64encode(b"\xfb" * 32).decode(),
        _sri(DATA) + "\u00a0",
        _sri(DATA) + " " + "x" * MAX_INTEGRITY_CHARS,
    ],
)
def test_malformed_integrity_is_refused(integrity: str) -> None:
    assert_rejected(TypeMetadataReason.INTEGRITY_MALFORMED, check_integrity, integrity, DATA)


# --- resolving extends (§5.4, §7.4) -----------------------------------------------------------


def _chain(length: int) -> dict[str, bytes]:
    """urn:t:0 extends urn:t:1 ... extends urn:t:<length-1>."""
    documents = {}
    for i in range(length):
        document: dict[str, Any] = {"vct": f"urn:t:{i}"}
        if i + 1 < length:
            document["extends"] = f"urn:t:{i + 1}"
        documents[f"urn:t:{i}"] = _bytes(document)
    return documents


def test_integrity_of_the_vct_and_of_each_extends_is_checked() -> None:
    base = _bytes({"vct": BASE, "claims": [{"path": ["name"], "sd": "always"}]})
    child = _bytes({"vct": CHILD, "extends": BASE, "extends#integrity": _sri(base, "sha384")})
    documents = {BASE: base, CHILD: child}
    resolved = resolve_type_metadata(CHILD, documents=documents, integrity=_sri(child))
    assert resolved.claims[0].sd is SdRule.ALWAYS
    tampered = {BASE: base.replace(b"always", b"never "), CHILD: child}
    assert_rejected(
        TypeMetadataReason.INTEGRITY_MISMATCH,
        resolve_type_metadata,
        CHILD,
        documents=tampered,
        integrity=_sri(child),
    )


def test_vct_integrity_is_checked_before_parsing() -> None:
    not_json = b"\xff not even json"
    assert_rejected(
        TypeMetadataReason.INTEGRITY_MISMATCH,
        resolve_type_metadata,
        CHILD,
        documents={CHILD: not_json},
        integrity=_sri(DATA),
    )


def test_chain_up_to_the_depth_limit_resolves() -> None:
    documents = _chain(DEFAULT_MAX_EXTENDS_DEPTH + 1)
    resolved = resolve_type_metadata("urn:t:0", documents=documents, integrity=None)
    assert len(resolved.types) == DEFAULT_MAX_EXTENDS_DEPTH + 1


def test_chain_beyond_the_depth_limit_is_too_deep() -> None:
    assert_rejected(
        TypeMetadataReason.EXTENDS_TOO_DEEP,
        resolve_type_metadata,
        "urn:t:0",
        documents=_chain(100),
        integrity=None,
    )


@pytest.mark.parametrize(
    "documents",
    [
        {"urn:a": _bytes({"vct": "urn:a", "extends": "urn:a"})},
        {
            "urn:a": _bytes({"vct": "urn:a", "extends": "urn:b"}),
            "urn:b": _bytes({"vct": "urn:b", "extends": "urn:c"}),
            "urn:c": _bytes({"vct": "urn:c", "extends": "urn:a"}),
        },
    ],
    ids=["self", "three"],
)
def test_extends_cycle_is_refused(documents: dict[str, bytes]) -> None:
    assert_rejected(
        TypeMetadataReason.EXTENDS_CYCLE,
        resolve_type_metadata,
        "urn:a",
        documents=documents,
        integrity=None,
    )


@pytest.mark.parametrize(
    ("vct", "documents"),
    [
        ("urn:a", {"urn:a": _bytes({"vct": "urn:a", "extends": "urn:b"})}),
        ("urn:a", {}),
    ],
    ids=["parent", "own"],
)
def test_absent_document_is_missing(vct: str, documents: dict[str, bytes]) -> None:
    assert_rejected(
        TypeMetadataReason.EXTENDS_MISSING,
        resolve_type_metadata,
        vct,
        documents=documents,
        integrity=None,
    )


@pytest.mark.parametrize(
    ("vct", "documents"),
    [
        ("urn:a", {"urn:a": _bytes({"vct": "urn:b"})}),
        (
            "urn:a",
            {
                "urn:a": _bytes({"vct": "urn:a", "extends": "urn:b"}),
                "urn:b": _bytes({"vct": "urn:c"}),
            },
        ),
        ("urn:a", {"urn:a": _bytes({"vct": "URN:a"})}),
    ],
)
def test_document_must_describe_the_type_it_was_fetched_for(
    vct: str, documents: dict[str, bytes]
) -> None:
    assert_rejected(
        TypeMetadataReason.VCT_MISMATCH,
        resolve_type_metadata,
        vct,
        documents=documents,
        integrity=None,
    )


# --- merging (§5.5.2, §5.6.5) -----------------------------------------------------------------


def _resolve_pair(base: dict[str, Any], child: dict[str, Any]) -> Any:
    documents = {
        BASE: _bytes({"vct": BASE, **base}),
        CHILD: _bytes({"vct": CHILD, "extends": BASE, **child}),
    }
    return resolve_type_metadata(CHILD, documents=documents, integrity=None)


def test_display_is_inherited_unless_the_child_defines_its_own() -> None:
    base_display = [{"locale": "en", "name": "Base"}]
    inherited = _resolve_pair({"display": base_display}, {})
    assert [d.name for d in inherited.display] == ["Base"]
    replaced = _resolve_pair({"display": base_display}, {"display": []})
    assert replaced.display == ()


def test_child_properties_replace_parent_properties_whole() -> None:
    base = {
        "claims": [
            {
                "path": ["a"],
                "display": [{"locale": "en", "label": "A"}, {"locale": "nl", "label": "A"}],
                "svg_id": "a",
                "sd": "allowed",
            }
        ]
    }
    child = {
        "claims": [{"path": ["a"], "display": [{"locale": "de", "label": "A"}], "sd": "never"}]
    }
    (claim,) = _resolve_pair(base, child).claims
    assert claim.display is not None
    assert [d.locale for d in claim.display] == ["de"]
    assert claim.svg_id == "a"
    assert claim.sd is SdRule.NEVER


def test_mandatory_can_be_raised_by_a_child() -> None:
    (claim,) = _resolve_pair(
        {"claims": [{"path": ["a"]}]}, {"claims": [{"path": ["a"], "mandatory": True}]}
    ).claims
    assert claim.is_mandatory


@pytest.mark.parametrize(
    ("base", "child"),
    [
        ({"path": ["a"], "sd": "always"}, {"path": ["a"], "sd": "never"}),
        ({"path": ["a"], "sd": "never"}, {"path": ["a"], "sd": "allowed"}),
        ({"path": ["a"], "mandatory": True}, {"path": ["a"], "mandatory": False}),
        ({"path": ["a"], "svg_id": "x"}, {"path": ["b"], "svg_id": "x"}),
    ],
    ids=["sd-always-to-never", "sd-never-to-allowed", "mandatory-dropped", "svg-id-collision"],
)
def test_child_cannot_relax_or_collide(base: dict[str, Any], child: dict[str, Any]) -> None:
    assert_rejected(
        TypeMetadataReason.METADATA_INVALID,
        _resolve_pair,
        {"claims": [base]},
        {"claims": [child]},
    )


# --- parsing (§5.2, §5.5, §5.6) ---------------------------------------------------------------


def test_unknown_members_are_ignored_and_display_text_is_kept_verbatim() -> None:
    label = '<script>alert("x")</script>{{svg_id}}'
    document = {
        "vct": "urn:a",
        "schema_uri": "https://example.com/schema.json",
        "x-extension": {"any": ["thing"]},
        "claims": [{"path": ["a"], "display": [{"locale": "en", "label": label}], "x": 1}],
        "display": [{"locale": "en", "name": "A", "rendering": {"future_method": {}}}],
    }
    metadata = parse_type_metadata(_bytes(document), vct="urn:a")
    assert metadata.claims[0].display is not None
    assert metadata.claims[0].display[0].label == label


def _invalid_documents() -> list[Any]:
    ok_display = {"locale": "en", "name": "A"}
    svg = {"uri": "https://example.com/a.svg"}
    return [
        [],
        {"name": "no vct"},
        {"vct": 5},
        {"vct": "urn:a", "name": 5},
        {"vct": "urn:a", "description": ""},
        {"vct": "urn:a", "extends": ""},
        {"vct": "urn:a", "extends": ["urn:b"]},
        {"vct": "urn:a", "display": {"locale": "en"}},
        {"vct": "urn:a", "display": [{"locale": "en"}]},
        {"vct": "urn:a", "display": [{"name": "A"}]},
        {"vct": "urn:a", "display": [{**ok_display, "rendering": []}]},
        {"vct": "urn:a", "display": [{**ok_display, "rendering": {"simple": {"logo": {}}}}]},
        {
            "vct": "urn:a",
            "display": [
                {**ok_display, "rendering": {"simple": {"logo": {"uri": "http://x.example/l"}}}}
            ],
        },
        {"vct": "urn:a", "display": [{**ok_display, "rendering": {"svg_templates": [svg, svg]}}]},
        {
            "vct": "urn:a",
            "display": [
                {
                    **ok_display,
                    "rendering": {"svg_templates": [{**svg, "properties": {"orientation": "up"}}]},
                }
            ],
        },
        {
            "vct": "urn:a",
            "display": [
                {**ok_display, "rendering": {"svg_templates": [{**svg, "properties": {"x": 1}}]}}
            ],
        },
        {"vct": "urn:a", "claims": {}},
        {"vct": "urn:a", "claims": [{}]},
        {"vct": "urn:a", "claims": [{"path": []}]},
        {"vct": "urn:a", "claims": [{"path": "a"}]},
        {"vct": "urn:a", "claims": [{"path": ["a", -1]}]},
        {"vct": "urn:a", "claims": [{"path": ["a", True]}]},
        {"vct": "urn:a", "claims": [{"path": ["a", 1.0]}]},
        {"vct": "urn:a", "claims": [{"path": [{"a": 1}]}]},
        {"vct": "urn:a", "claims": [{"path": ["a"], "sd": "sometimes"}]},
        {"vct": "urn:a", "claims": [{"path": ["a"], "mandatory": "true"}]},
        {"vct": "urn:a", "claims": [{"path": ["a"], "svg_id": "1a"}]},
        {"vct": "urn:a", "claims": [{"path": ["a"], "svg_id": "a-b"}]},
        {"vct": "urn:a", "claims": [{"path": ["a"], "display": [{"locale": "en"}]}]},
        {"vct": "urn:a", "claims": [{"path": ["a"]}, {"path": ["a"]}]},
        {
            "vct": "urn:a",
            "claims": [{"path": ["a"], "svg_id": "s"}, {"path": ["b"], "svg_id": "s"}],
        },
    ]


def test_malformed_documents_are_invalid() -> None:
    for document in _invalid_documents():
        assert_rejected(
            TypeMetadataReason.METADATA_INVALID, parse_type_metadata, _bytes(document), vct="urn:a"
        )


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (b'{"vct":"urn:a","vct":"urn:b"}', JoseReason.DUPLICATE_JSON_KEY),
        (b'{"vct":"urn:a","n":NaN}', JoseReason.NON_FINITE_NUMBER),
        (b'{"vct":"urn:a"', JoseReason.BAD_JSON),
        (b"\xff", JoseReason.INVALID_UNICODE),
        (b'{"vct":"urn:a","d":' + b"[" * 100 + b"]" * 100 + b"}", JoseReason.JSON_TOO_DEEP),
    ],
)
def test_strict_json_failures_are_invalid_metadata(data: bytes, cause: JoseReason) -> None:
    rejected = assert_rejected(
        TypeMetadataReason.METADATA_INVALID, parse_type_metadata, data, vct="urn:a"
    )
    assert getattr(rejected.__cause__, "reason", None) is cause


def test_oversized_document_is_invalid_before_parsing() -> None:
    data = b'{"vct":"urn:a","pad":"' + b"x" * 100 + b'"}'
    assert_rejected(
        TypeMetadataReason.METADATA_INVALID, parse_type_metadata, data, vct="urn:a", max_bytes=64
    )


def test_rendering_integrity_is_left_to_the_renderer() -> None:
    """The spec's full example carries a ``uri#integrity`` that is not valid base64."""
    metadata = parse_type_metadata(
        (_folder() / "full_example_type_metadata.json").read_bytes(),
        vct="https://betelgeuse.example.com/education_credential/v42",
    )
    assert metadata.display is not None
    background = metadata.display[1].background_image
    assert background is not None
    assert background.integrity is not None
    assert_rejected(
        TypeMetadataReason.INTEGRITY_MALFORMED, check_integrity, background.integrity, b"png"
    )


def test_malformed_integrity_member_fails_the_document() -> None:
    document = {"vct": "urn:a", "extends": "urn:b", "extends#integrity": "sha256-???"}
    assert_rejected(
        TypeMetadataReason.INTEGRITY_MALFORMED, parse_type_metadata, _bytes(document), vct="urn:a"
    )
