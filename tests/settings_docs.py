"""Checks shared by the roles' settings documentation tests (``docs/<role>.example.env``).

Each example file lists every variable of a role's settings (``<PREFIX>NAME=value``, possibly
commented out) below a comment that says what it does and its default ("Default: ..." or
"Required"); these helpers read that format and compare it with the pydantic model.
"""

from __future__ import annotations

import re
import typing
from enum import Enum
from pathlib import Path

from pydantic_settings import BaseSettings


def comments_above(example: Path, prefix: str) -> dict[str, str]:
    """Each variable's name (lower case) and the comment block right above its line."""
    variable = re.compile(rf"^(# )?{re.escape(prefix)}(\w+)=")
    found: dict[str, str] = {}
    block: list[str] = []
    for line in example.read_text(encoding="utf-8").splitlines():
        match = variable.match(line)
        if match:
            name = match.group(2).lower()
            assert name not in found, f"{name} is listed twice"
            found[name] = " ".join(block)
            block = []
        elif line.startswith("# ") and not line.startswith("# ---"):
            block.append(line[2:])
        else:
            block = []
    return found


def assert_every_setting_described(example: Path, prefix: str, model: type[BaseSettings]) -> None:
    described = comments_above(example, prefix)
    assert sorted(described) == sorted(model.model_fields)
    for name, comment in described.items():
        assert len(comment) > 20, f"{name} has no comment"
        assert "Default:" in comment or "Required" in comment, f"{name}: no default stated"


def assert_stated_defaults_are_code_defaults(
    example: Path, prefix: str, model: type[BaseSettings]
) -> None:
    for name, comment in comments_above(example, prefix).items():
        field = model.model_fields[name]
        if field.is_required():
            assert "Required" in comment, name
            continue
        match = re.search(r"Default: (.+?)(?:\.$|\. | \(|;)", comment)
        assert match is not None, name
        stated, default = match.group(1), field.get_default(call_default_factory=True)
        if default is None:
            assert stated.startswith(("unset", "<DATA_DIR>/")), name
        elif default == []:
            assert stated in {"[]", "empty"}, name
        else:
            assert stated == str(default), name


def _choices(annotation: object) -> list[str]:
    """The values a setting may take, when its type names them (an Enum or a Literal)."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    if typing.get_origin(annotation) is typing.Literal:
        return [str(value) for value in typing.get_args(annotation)]
    return []


def assert_every_choice_named(example: Path, prefix: str, model: type[BaseSettings]) -> int:
    """Each value a setting may take is named in its comment; how many were checked."""
    described = comments_above(example, prefix)
    checked = 0
    for name, field in model.model_fields.items():
        for choice in _choices(field.annotation):
            assert choice in described[name], f"{name}: {choice} is not explained"
            checked += 1
    return checked
