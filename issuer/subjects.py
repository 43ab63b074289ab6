"""Subject sources: where the claims come from when the back office names a subject.

An agency's back office either sends the claims with the offer, or a subject reference
(its own case or citizen number) that a source adapter turns into claims: the agency's
register, reached from inside its network. The adapter is a Protocol so an agency plugs in
its own; the bundled one reads JSON files and is meant for development and the demo.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from issuer.settings import IssuerSettings

_SUBJECT = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_SUBJECT_FILE_BYTES = 16 * 1024


class SubjectNotFound(Exception):
    """No claims for that subject (the message never names the subject)."""


class SubjectSource(Protocol):
    async def claims_for(self, subject: str, *, configuration_id: str) -> Mapping[str, Any]: ...


class FileSubjectSource:
    """Claims from ``<root>/<configuration_id>/<subject>.json``."""

    def __init__(self, root: Path) -> None:
        self._root = root

    async def claims_for(self, subject: str, *, configuration_id: str) -> Mapping[str, Any]:
        if not _SUBJECT.fullmatch(subject) or not _SUBJECT.fullmatch(configuration_id):
            raise SubjectNotFound("no such subject")
        path = self._root / configuration_id / f"{subject}.json"
        try:
            raw = path.read_bytes()[: MAX_SUBJECT_FILE_BYTES + 1]
        except OSError:
            raise SubjectNotFound("no such subject") from None
        if len(raw) > MAX_SUBJECT_FILE_BYTES:
            raise SubjectNotFound("no such subject")
        document = json.loads(raw)
        if not isinstance(document, dict):
            raise SubjectNotFound("no such subject")
        return document


def subject_source_for(settings: IssuerSettings) -> SubjectSource | None:
    if settings.subject_source_dir is None:
        return None
    return FileSubjectSource(settings.subject_source_dir)
