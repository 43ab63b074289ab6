"""SD-JWT VC Type Metadata (editor's copy §5): parsing, `extends`, integrity, merging.

The edge fetches the documents (the ``vct`` and every ``extends`` target, §5.3) and passes
their raw bytes in; ``resolve_type_metadata`` checks integrity on those bytes *before*
parsing (§6), parses strictly, checks that each document describes the type it was fetched
for (§5.3), walks ``extends`` with cycle and depth limits (§5.4, §7.4), and merges:

* ``display``: the nearest document that defines it wins, whole (§5.5.2);
* ``claims``: by ``path``; a child's property replaces the parent's property of the same
  name, whole, never merged inside (§5.6.5); ``sd`` fixed to ``always``/``never`` and
  ``mandatory: true`` cannot be relaxed by a child (§5.6.5.1). Order: the base type's
  claims first, overridden in place, then the child's new ones.

Members we do not understand are ignored (§5.2); ``schema``/``schema_uri`` were removed from
the draft (-12) and are now such members. Display strings, SVG template URIs and colours are
data, never evaluated: a renderer MUST escape them (§5.5.1.2.2, §7.6) and fetch ``uri``s
through the safe fetcher, checking ``uri#integrity`` with ``check_integrity``.
Claim-metadata validation against a credential (``mandatory``, ``sd``) is not done here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from specs.errors import Rejected, TypeMetadataReason
from specs.jose import loads_strict
from specs.sd_jwt.claim_path import ClaimPath
from specs.sd_jwt_vc.integrity import check_integrity
from specs.sd_jwt_vc.metadata_fields import (
    as_objects,
    integrity_of,
    optional_text,
    required_text,
)
from specs.sd_jwt_vc.type_display import TypeDisplay, parse_type_display

DEFAULT_MAX_EXTENDS_DEPTH = 8
DEFAULT_MAX_DOCUMENT_BYTES = 256 * 1024
_INVALID = TypeMetadataReason.METADATA_INVALID
_SVG_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # §5.6: alphanumerics and "_", no leading digit


class SdRule(StrEnum):
    """§5.6.4 ``sd``: whether the Issuer must, may or must not make the claim disclosable."""

    ALWAYS = "always"
    ALLOWED = "allowed"
    NEVER = "never"


_SD_VALUES = frozenset(SdRule)


@dataclass(frozen=True, slots=True)
class ClaimDisplay:
    locale: str
    label: str
    description: str | None


@dataclass(frozen=True, slots=True)
class ClaimMetadata:
    """§5.6; ``None`` means "not stated here", so ``extends`` can tell absent from default."""

    path: ClaimPath
    display: tuple[ClaimDisplay, ...] | None = None
    mandatory: bool | None = None
    sd: SdRule | None = None
    svg_id: str | None = None

    @property
    def is_mandatory(self) -> bool:
        return self.mandatory is True  # §5.6.3: default false

    @property
    def sd_rule(self) -> SdRule:
        return self.sd or SdRule.ALLOWED  # §5.6.4: default allowed


@dataclass(frozen=True, slots=True)
class TypeMetadata:
    """One Type Metadata document (§5.2), as published."""

    vct: str
    name: str | None
    description: str | None
    extends: str | None
    extends_integrity: str | None
    display: tuple[TypeDisplay, ...] | None
    claims: tuple[ClaimMetadata, ...]


@dataclass(frozen=True, slots=True)
class ResolvedTypeMetadata:
    """The effective metadata of ``vct`` after applying every ``extends`` (§5.7)."""

    vct: str
    chain: tuple[TypeMetadata, ...]
    """The document of ``vct`` first, then the type it extends, and so on."""
    display: tuple[TypeDisplay, ...] | None
    claims: tuple[ClaimMetadata, ...]

    @property
    def types(self) -> tuple[str, ...]:
        """``vct`` and every type it extends, for matching (§5.4)."""
        return tuple(metadata.vct for metadata in self.chain)


def _claim(obj: Mapping[str, Any]) -> ClaimMetadata:
    path = obj.get("path")
    if not isinstance(path, list) or not path:  # §5.6.1: a non-empty array of ...
        raise Rejected(_INVALID)
    for part in path:  # ... strings, nulls and non-negative integers
        if not (part is None or isinstance(part, str) or _is_index(part)):
            raise Rejected(_INVALID)
    display = None
    if "display" in obj:
        display = tuple(
            ClaimDisplay(
                required_text(d, "locale"),
                required_text(d, "label"),
                optional_text(d, "description"),
            )
            for d in as_objects(obj["display"])
        )
    mandatory = obj.get("mandatory")
    if mandatory is not None and not isinstance(mandatory, bool):
        raise Rejected(_INVALID)
    sd = optional_text(obj, "sd")
    if sd is not None and sd not in _SD_VALUES:
        raise Rejected(_INVALID)
    svg_id = optional_text(obj, "svg_id")
    if svg_id is not None and not _SVG_ID.fullmatch(svg_id):
        raise Rejected(_INVALID)
    return ClaimMetadata(tuple(path), display, mandatory, SdRule(sd) if sd else None, svg_id)


def _is_index(part: object) -> bool:
    return isinstance(part, int) and not isinstance(part, bool) and part >= 0


def _check_unique(claims: Iterable[ClaimMetadata]) -> None:
    """One entry per ``path``; ``svg_id`` unique within the type metadata (§5.6)."""
    paths: set[ClaimPath] = set()
    svg_ids: set[str] = set()
    for claim in claims:
        if claim.path in paths or (claim.svg_id is not None and claim.svg_id in svg_ids):
            raise Rejected(_INVALID)
        paths.add(claim.path)
        if claim.svg_id is not None:
            svg_ids.add(claim.svg_id)


def parse_type_metadata(
    data: bytes, *, vct: str, max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
) -> TypeMetadata:
    """Parse one document fetched for ``vct`` (§5.2); its ``vct`` must be that identifier (§5.3)."""
    if len(data) > max_bytes:
        raise Rejected(_INVALID)
    try:
        document = loads_strict(data)
    except Rejected as exc:
        raise Rejected(_INVALID) from exc
    if not isinstance(document, Mapping):
        raise Rejected(_INVALID)
    if required_text(document, "vct") != vct:
        raise Rejected(TypeMetadataReason.VCT_MISMATCH)
    display = None
    if "display" in document:
        display = tuple(parse_type_display(item) for item in as_objects(document["display"]))
    claims = tuple(_claim(item) for item in as_objects(document.get("claims", [])))
    _check_unique(claims)
    return TypeMetadata(
        vct=vct,
        name=optional_text(document, "name"),
        description=optional_text(document, "description"),
        extends=optional_text(document, "extends"),
        extends_integrity=integrity_of(document, "extends#integrity"),
        display=display,
        claims=claims,
    )


def resolve_type_metadata(
    vct: str,
    *,
    documents: Mapping[str, bytes],
    integrity: str | None,
    max_depth: int = DEFAULT_MAX_EXTENDS_DEPTH,
) -> ResolvedTypeMetadata:
    """Walk ``vct`` and its ``extends`` chain through ``documents`` and merge (§5.4, §5.7).

    ``integrity`` is the credential's ``vct#integrity`` (``None`` when it has none); each
    ``extends#integrity`` guards the next document. ``max_depth`` counts ``extends`` links.
    A document absent from ``documents`` (the ``vct``'s own included) is ``extends-missing``.
    """
    chain: list[TypeMetadata] = []
    current, expected = vct, integrity
    while True:
        if any(metadata.vct == current for metadata in chain):
            raise Rejected(TypeMetadataReason.EXTENDS_CYCLE)  # §7.4
        if len(chain) > max_depth:
            raise Rejected(TypeMetadataReason.EXTENDS_TOO_DEEP)
        data = documents.get(current)
        if data is None:
            raise Rejected(TypeMetadataReason.EXTENDS_MISSING)
        if expected is not None:
            check_integrity(expected, data)  # §6: before processing the document
        metadata = parse_type_metadata(data, vct=current)
        chain.append(metadata)
        if metadata.extends is None:
            break
        current, expected = metadata.extends, metadata.extends_integrity
    return _merge(vct, chain)


def _merge(vct: str, chain: list[TypeMetadata]) -> ResolvedTypeMetadata:
    display: tuple[TypeDisplay, ...] | None = None
    claims: dict[ClaimPath, ClaimMetadata] = {}
    for metadata in reversed(chain):  # the base type first (§5.4)
        if metadata.display is not None:
            display = metadata.display  # §5.5.2: replaced whole
        for claim in metadata.claims:
            base = claims.get(claim.path)
            claims[claim.path] = claim if base is None else _override(base, claim)
    _check_unique(claims.values())
    return ResolvedTypeMetadata(vct, tuple(chain), display, tuple(claims.values()))


def _override(base: ClaimMetadata, child: ClaimMetadata) -> ClaimMetadata:
    """§5.6.5: the child's stated properties win; §5.6.5.1 limits ``sd`` and ``mandatory``."""
    if base.sd in (SdRule.ALWAYS, SdRule.NEVER) and child.sd not in (None, base.sd):
        raise Rejected(_INVALID)
    if base.mandatory is True and child.mandatory is False:
        raise Rejected(_INVALID)
    return ClaimMetadata(
        path=base.path,
        display=base.display if child.display is None else child.display,
        mandatory=base.mandatory if child.mandatory is None else child.mandatory,
        sd=base.sd if child.sd is None else child.sd,
        svg_id=base.svg_id if child.svg_id is None else child.svg_id,
    )
