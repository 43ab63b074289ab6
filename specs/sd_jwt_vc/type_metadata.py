"""SD-JWT VC Type Metadata (editor's copy §5) and the integrity of referenced documents (§6).

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
from specs.sd_jwt_vc.integrity import check_integrity, parse_integrity

DEFAULT_MAX_EXTENDS_DEPTH = 8
DEFAULT_MAX_DOCUMENT_BYTES = 256 * 1024
_INVALID = TypeMetadataReason.METADATA_INVALID
_SVG_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # §5.6: alphanumerics and "_", no leading digit
_SVG_PROPERTIES = {
    "orientation": ("portrait", "landscape"),
    "color_scheme": ("light", "dark"),
    "contrast": ("normal", "high"),
}


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
class RenderingImage:
    """§5.5.1.1.1 logo / §5.5.1.1.2 background image: an HTTPS or ``data:`` URI."""

    uri: str
    integrity: str | None
    alt_text: str | None


@dataclass(frozen=True, slots=True)
class SvgTemplate:
    """§5.5.1.2; ``properties`` holds orientation / color_scheme / contrast (§5.5.1.2.1)."""

    uri: str
    integrity: str | None
    properties: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class TypeDisplay:
    """§5.5, one locale; ``simple`` and ``svg_templates`` are the §5.5.1 rendering methods."""

    locale: str
    name: str
    description: str | None
    logo: RenderingImage | None = None
    background_image: RenderingImage | None = None
    background_color: str | None = None
    text_color: str | None = None
    svg_templates: tuple[SvgTemplate, ...] = ()


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


def _text(obj: Mapping[str, Any], name: str) -> str | None:
    """An optional string member: absent is ``None``, present is a non-empty string."""
    if name not in obj:
        return None
    value = obj[name]
    if not isinstance(value, str) or not value:
        raise Rejected(_INVALID)
    return value


def _required_text(obj: Mapping[str, Any], name: str) -> str:
    value = _text(obj, name)
    if value is None:
        raise Rejected(_INVALID)
    return value


def _object(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Rejected(_INVALID)
    return value


def _objects(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        raise Rejected(_INVALID)
    return [_object(item) for item in value]


def _integrity_of(obj: Mapping[str, Any], name: str) -> str | None:
    """``extends#integrity``: its syntax is checked now, since resolving depends on it.

    A rendering ``uri#integrity`` is only checked by ``check_integrity`` when that resource
    is fetched: a bad value costs the one image, not the type (the spec's own example has
    a ``uri#integrity`` that is not valid base64).
    """
    value = _text(obj, name)
    if value is not None:
        parse_integrity(value)
    return value


def _uri(obj: Mapping[str, Any]) -> str:
    """§5.5.1: rendering ``uri``s are HTTPS URLs or ``data:`` URIs."""
    uri = _required_text(obj, "uri")
    if not uri.startswith(("https://", "data:")):
        raise Rejected(_INVALID)
    return uri


def _image(obj: Mapping[str, Any], name: str) -> RenderingImage | None:
    if name not in obj:
        return None
    image = _object(obj[name])
    return RenderingImage(_uri(image), _text(image, "uri#integrity"), _text(image, "alt_text"))


def _svg_templates(value: object) -> tuple[SvgTemplate, ...]:
    items = _objects(value)
    templates = []
    for item in items:
        raw = _object(item.get("properties", {}))
        if len(items) > 1 and not raw:
            raise Rejected(_INVALID)  # §5.5.1.2: properties REQUIRED with several templates
        properties = {k: v for k, v in raw.items() if k in _SVG_PROPERTIES}
        if raw and (
            not properties or any(v not in _SVG_PROPERTIES[k] for k, v in properties.items())
        ):
            raise Rejected(_INVALID)  # §5.5.1.2.1: at least one, with a defined value
        templates.append(SvgTemplate(_uri(item), _text(item, "uri#integrity"), properties))
    return tuple(templates)


def _type_display(obj: Mapping[str, Any]) -> TypeDisplay:
    rendering = _object(obj.get("rendering", {}))
    simple = _object(rendering.get("simple", {}))  # other rendering methods: ignored (§5.2)
    return TypeDisplay(
        locale=_required_text(obj, "locale"),
        name=_required_text(obj, "name"),
        description=_text(obj, "description"),
        logo=_image(simple, "logo"),
        background_image=_image(simple, "background_image"),
        background_color=_text(simple, "background_color"),
        text_color=_text(simple, "text_color"),
        svg_templates=_svg_templates(rendering.get("svg_templates", [])),
    )


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
                _required_text(d, "locale"), _required_text(d, "label"), _text(d, "description")
            )
            for d in _objects(obj["display"])
        )
    mandatory = obj.get("mandatory")
    if mandatory is not None and not isinstance(mandatory, bool):
        raise Rejected(_INVALID)
    sd = _text(obj, "sd")
    if sd is not None and sd not in _SD_VALUES:
        raise Rejected(_INVALID)
    svg_id = _text(obj, "svg_id")
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
    if _required_text(document, "vct") != vct:
        raise Rejected(TypeMetadataReason.VCT_MISMATCH)
    display = None
    if "display" in document:
        display = tuple(_type_display(item) for item in _objects(document["display"]))
    claims = tuple(_claim(item) for item in _objects(document.get("claims", [])))
    _check_unique(claims)
    return TypeMetadata(
        vct=vct,
        name=_text(document, "name"),
        description=_text(document, "description"),
        extends=_text(document, "extends"),
        extends_integrity=_integrity_of(document, "extends#integrity"),
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
