"""The bundled regulation catalogue: reads ``specs/regulations/<id>/<AUTHORITY>-<date>.yaml``.

``specs`` is pure, so the files are read here and their text handed to
``specs.rules.parse_regulation``. The file name is part of the format (STYLE §9): the folder
is the regulation id and the file is named after the authority code and ``valid_from``, and
a mismatch is refused so two versions can never be confused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from specs.errors import InvalidRegulation
from specs.rules import CompiledRegulation, parse_regulation
from specs.rules.discovery import in_force

_FILE_NAME = re.compile(r"^([A-Z][A-Z0-9]*)-(\d{4}-\d{2}-\d{2})\.yaml$")


@dataclass(frozen=True)
class CatalogueEntry:
    path: Path
    compiled: CompiledRegulation


def regulations_root() -> Path:
    return Path(str(resources.files("specs"))) / "regulations"


def load_file(path: Path) -> CompiledRegulation:
    """Load one regulation file and check its name against its content."""
    match = _FILE_NAME.fullmatch(path.name)
    if match is None:
        raise InvalidRegulation(f"{path.name}: expected <AUTHORITY>-<valid_from>.yaml")
    compiled = parse_regulation(path.read_text(encoding="utf-8"), origin=str(path.name))
    regulation = compiled.regulation
    if path.parent.name != regulation.id:
        raise InvalidRegulation(f"{path}: folder is not the regulation id {regulation.id!r}")
    if dt.date.fromisoformat(match.group(2)) != regulation.valid_from:
        raise InvalidRegulation(f"{path}: file date differs from valid_from")
    return compiled


def regulation_files(root: Path | None = None) -> Iterator[Path]:
    base = root or regulations_root()
    yield from sorted(p for p in base.glob("*/*.yaml") if not p.name.endswith(".scenarios.yaml"))


@cache
def catalogue() -> tuple[CompiledRegulation, ...]:
    """Every bundled regulation, validated and compiled once per process."""
    return tuple(load_file(path) for path in regulation_files())


def find(regulation_id: str, on: dt.date | None = None) -> CompiledRegulation:
    """The version of ``regulation_id`` in force ``on`` a date (default: the newest)."""
    versions = [c for c in catalogue() if c.regulation.id == regulation_id]
    if on is not None:
        versions = in_force(versions, on)
    if not versions:
        raise KeyError(regulation_id)
    return max(versions, key=lambda c: c.regulation.valid_from)
