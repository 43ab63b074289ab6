"""Field readers for Type Metadata documents: every wrong shape is ``type-metadata-invalid``.

Shared by the Type Metadata model (type_metadata.py) and its display part (type_display.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specs.errors import Rejected, TypeMetadataReason
from specs.sd_jwt_vc.integrity import parse_integrity

_INVALID = TypeMetadataReason.METADATA_INVALID


def optional_text(obj: Mapping[str, Any], name: str) -> str | None:
    """An optional string member: absent is ``None``, present is a non-empty string."""
    if name not in obj:
        return None
    value = obj[name]
    if not isinstance(value, str) or not value:
        raise Rejected(_INVALID)
    return value


def required_text(obj: Mapping[str, Any], name: str) -> str:
    value = optional_text(obj, name)
    if value is None:
        raise Rejected(_INVALID)
    return value


def as_object(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Rejected(_INVALID)
    return value


def as_objects(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        raise Rejected(_INVALID)
    return [as_object(item) for item in value]


def integrity_of(obj: Mapping[str, Any], name: str) -> str | None:
    """``extends#integrity``: its syntax is checked now, since resolving depends on it.

    A rendering ``uri#integrity`` is only checked by ``check_integrity`` when that resource
    is fetched: a bad value costs the one image, not the type (the spec's own example has
    a ``uri#integrity`` that is not valid base64).
    """
    value = optional_text(obj, name)
    if value is not None:
        parse_integrity(value)
    return value
