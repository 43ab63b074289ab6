"""The bundled credential types: SD-JWT VC Type Metadata in ``specs/credential_types/*.json``.

``specs`` is pure, so the files are read here. The file stem is the credential
configuration id an issuer offers (OID4VCI 1.0 §12.2.4 ``credential_configurations_supported``);
the document is served as the Type Metadata of its ``vct`` (SD-JWT VC §5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from specs.sd_jwt_vc import TypeMetadata, parse_type_metadata


@dataclass(frozen=True)
class CredentialType:
    configuration_id: str
    document: dict[str, Any]
    """The Type Metadata document as published (served byte-for-byte equivalent)."""
    metadata: TypeMetadata

    @property
    def vct(self) -> str:
        return self.metadata.vct


def credential_types_root() -> Path:
    return Path(str(resources.files("specs"))) / "credential_types"


@cache
def credential_types() -> dict[str, CredentialType]:
    """Every bundled credential type by configuration id, parsed once per process."""
    found: dict[str, CredentialType] = {}
    for path in sorted(credential_types_root().glob("*.json")):
        raw = path.read_bytes()
        document = json.loads(raw)
        metadata = parse_type_metadata(raw, vct=str(document.get("vct")))
        found[path.stem] = CredentialType(path.stem, document, metadata)
    return found
