"""The environment of all three roles at once, as ``aanspraak serve`` and ``config check`` read it.

Each role in the development profile on its own loopback port, with its own data directory
and SQLite database under the test's directory; the registry is the ``file`` backend over an
empty trust list signed by a fresh governance key at the wall clock (the served process reads
it with the wall clock; ``/readyz`` needs it signed and current, not populated), as
``tests/cli/test_wallet_cli.py`` sets it up for one role.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from specs.jose import JwsAlg, generate_private_key
from specs.trust import TrustSnapshot
from specs.trust.trust_list import build_trust_list
from tests.issuer.server import free_port

ROLES = ("issuer", "wallet", "verifier")
PREFIXES = (*(f"AANSPRAAK_{role.upper()}_" for role in ROLES), "AANSPRAAK_TRUST_")


@dataclass(frozen=True)
class AllRoles:
    ports: dict[str, int]
    tmp_path: Path

    def base(self, role: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.ports[role]}"


def configure_all_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, scheme: str = "http"
) -> AllRoles:
    """Set every role's variables (and clear any others of ours); subprocesses inherit them."""
    for name in list(os.environ):
        if name.startswith(PREFIXES):
            monkeypatch.delenv(name)
    governance = generate_private_key(JwsAlg.ES256)
    governance_file = tmp_path / "governance.jwk"
    governance_file.write_text(json.dumps(governance.public.to_jwk()))
    now = int(time.time())
    trust_list = build_trust_list(
        TrustSnapshot(as_of=now), key=governance, governance_id="governance", now=now, ttl=86_400
    )
    (tmp_path / "trust-list.jwt").write_text(trust_list)
    monkeypatch.setenv("AANSPRAAK_TRUST_BACKEND", "file")
    monkeypatch.setenv("AANSPRAAK_TRUST_TRUST_LIST_FILE", str(tmp_path / "trust-list.jwt"))
    monkeypatch.setenv("AANSPRAAK_TRUST_GOVERNANCE_KEY_FILE", str(governance_file))
    roles = AllRoles({role: free_port() for role in ROLES}, tmp_path)
    for role in ROLES:
        prefix = f"AANSPRAAK_{role.upper()}_"
        monkeypatch.setenv(f"{prefix}PROFILE", "development")
        monkeypatch.setenv(f"{prefix}PUBLIC_URL", roles.base(role, scheme))
        monkeypatch.setenv(f"{prefix}PORT", str(roles.ports[role]))
        monkeypatch.setenv(f"{prefix}DATA_DIR", str(tmp_path / role))
        monkeypatch.setenv(f"{prefix}DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/{role}.db")
    monkeypatch.setenv("AANSPRAAK_ISSUER_STATUS_LIST_SIZE", "1024")  # a small list: fast start
    return roles
