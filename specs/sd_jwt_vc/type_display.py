"""Display metadata of a credential type (SD-JWT VC editor's copy §5.5).

Display strings, image URIs, colours and SVG templates are data, never evaluated: a renderer
MUST escape them (§5.5.1.2.2, §7.6) and fetch URIs through the safe fetcher, checking each
``uri#integrity`` with ``check_integrity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specs.errors import Rejected, TypeMetadataReason
from specs.sd_jwt_vc.metadata_fields import (
    as_object,
    as_objects,
    optional_text,
    required_text,
)

_INVALID = TypeMetadataReason.METADATA_INVALID
_SVG_PROPERTIES = {
    "orientation": ("portrait", "landscape"),
    "color_scheme": ("light", "dark"),
    "contrast": ("normal", "high"),
}


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


def _uri(obj: Mapping[str, Any]) -> str:
    """§5.5.1: rendering ``uri``s are HTTPS URLs or ``data:`` URIs."""
    uri = required_text(obj, "uri")
    if not uri.startswith(("https://", "data:")):
        raise Rejected(_INVALID)
    return uri


def _image(obj: Mapping[str, Any], name: str) -> RenderingImage | None:
    if name not in obj:
        return None
    image = as_object(obj[name])
    return RenderingImage(
        _uri(image), optional_text(image, "uri#integrity"), optional_text(image, "alt_text")
    )


def _svg_templates(value: object) -> tuple[SvgTemplate, ...]:
    items = as_objects(value)
    templates = []
    for item in items:
        raw = as_object(item.get("properties", {}))
        if len(items) > 1 and not raw:
            raise Rejected(_INVALID)  # §5.5.1.2: properties REQUIRED with several templates
        properties = {k: v for k, v in raw.items() if k in _SVG_PROPERTIES}
        if raw and (
            not properties or any(v not in _SVG_PROPERTIES[k] for k, v in properties.items())
        ):
            raise Rejected(_INVALID)  # §5.5.1.2.1: at least one, with a defined value
        templates.append(SvgTemplate(_uri(item), optional_text(item, "uri#integrity"), properties))
    return tuple(templates)


def parse_type_display(obj: Mapping[str, Any]) -> TypeDisplay:
    rendering = as_object(obj.get("rendering", {}))
    simple = as_object(rendering.get("simple", {}))  # other rendering methods: ignored (§5.2)
    return TypeDisplay(
        locale=required_text(obj, "locale"),
        name=required_text(obj, "name"),
        description=optional_text(obj, "description"),
        logo=_image(simple, "logo"),
        background_image=_image(simple, "background_image"),
        background_color=optional_text(simple, "background_color"),
        text_color=optional_text(simple, "text_color"),
        svg_templates=_svg_templates(rendering.get("svg_templates", [])),
    )
