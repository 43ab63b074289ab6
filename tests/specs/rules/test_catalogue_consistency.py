"""Regulations and credential types agree: every claim a regulation reads is one an agency issues.

The credential types are SD-JWT VC Type Metadata (``specs/credential_types``); a regulation
that names a ``vct`` or claim no type declares would ask wallets for something nobody has.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.regulations import catalogue
from specs.sd_jwt_vc import parse_type_metadata

TYPES = Path(__file__).resolve().parents[3] / "specs" / "credential_types"


def _types() -> dict[str, set[tuple[object, ...]]]:
    declared = {}
    for path in sorted(TYPES.glob("*.json")):
        raw = path.read_bytes()
        document = json.loads(raw)
        metadata = parse_type_metadata(raw, vct=document["vct"])
        declared[metadata.vct] = {tuple(claim["path"]) for claim in document["claims"]}
    return declared


def test_every_credential_type_is_valid_type_metadata() -> None:
    declared = _types()
    assert len(declared) >= 8
    assert all(paths for paths in declared.values())


@pytest.mark.parametrize("compiled", catalogue(), ids=lambda c: c.regulation.id)
def test_every_claim_a_regulation_reads_is_declared(compiled) -> None:  # type: ignore[no-untyped-def]
    declared = _types()
    for name, spec in compiled.regulation.inputs.items():
        for source in [*spec.evidence, *spec.predicates]:
            assert source.vct in declared, f"{name}: unknown vct {source.vct}"
            assert tuple(source.claim) in declared[source.vct], f"{name}: {source.claim}"
            if source.period_claim:
                assert tuple(source.period_claim) in declared[source.vct], name


@pytest.mark.parametrize("compiled", catalogue(), ids=lambda c: c.regulation.id)
def test_a_figure_from_an_earlier_year_says_so(compiled) -> None:  # type: ignore[no-untyped-def]
    """Where the year's figure is not published yet, an earlier one is used, and said so."""
    regulation = compiled.regulation
    for name, parameter in regulation.parameters.items():
        if parameter.year != regulation.year:
            note = parameter.source.note or ""
            assert str(parameter.year) in note, f"{name}: a {parameter.year} figure, unexplained"


@pytest.mark.parametrize("compiled", catalogue(), ids=lambda c: c.regulation.id)
def test_the_published_schema_accepts_every_bundled_file(compiled) -> None:  # type: ignore[no-untyped-def]
    """An independent validator reads the published schema: it describes the real files."""
    jsonschema = pytest.importorskip("jsonschema")
    from runtime.regulations import regulation_files
    from specs.rules.loader import load_yaml, plain_json

    schema = json.loads((TYPES.parent / "rules" / "regulation.schema.json").read_text())
    (path,) = [p for p in regulation_files() if p.parent.name == compiled.regulation.id]
    document = plain_json(load_yaml(path.read_text(encoding="utf-8"), origin=path.name))
    jsonschema.Draft202012Validator(schema).validate(document)
    broken = {**document, "discoverable": "sometimes"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)
