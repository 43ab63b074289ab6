"""Regulation files: YAML text in, a validated, compiled regulation out (pure: no file I/O).

The caller reads the file (``runtime/regulations.py`` for the bundled catalogue, the CLI for
``check FILES``) and passes the text. Parsing refuses what YAML would silently accept:
duplicate keys (the last would win) and anything but plain data.

The version is ``sha256:<hex>`` over the canonical JSON of the parsed document, so it does
not change with comments or formatting, and a desk and a wallet that ran the same law can
show the same hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Hashable
from typing import Any

import yaml
from pydantic import ValidationError

from specs.errors import InvalidRegulation
from specs.rules.engine import CompiledRegulation, compile_regulation
from specs.rules.model import Regulation

MAX_FILE_CHARS = 512 * 1024


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):  # YAML allows "? [a]" complex keys; JSON has none
            raise InvalidRegulation(f"line {key_node.start_mark.line + 1}: key is not a scalar")
        if key in result:
            raise InvalidRegulation(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text: str, *, origin: str) -> Any:
    if len(text) > MAX_FILE_CHARS:
        raise InvalidRegulation(f"{origin}: larger than {MAX_FILE_CHARS} characters")
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InvalidRegulation(f"{origin}: not valid YAML ({exc.__class__.__name__})") from None


def plain_json(value: Any) -> Any:
    """YAML values as JSON ones (dates as ISO text), for hashing and schema validation."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    return value


def content_hash(document: Any) -> str:
    canonical = json.dumps(plain_json(document), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_regulation(text: str, *, origin: str) -> CompiledRegulation:
    """Validate against the model and compile; ``InvalidRegulation`` names what is wrong."""
    document = load_yaml(text, origin=origin)
    try:
        regulation = Regulation.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidRegulation(f"{origin}: {where}: {first['msg']}") from None
    try:
        return compile_regulation(regulation, version=content_hash(document))
    except InvalidRegulation as exc:
        raise InvalidRegulation(f"{origin}: {exc}") from None
