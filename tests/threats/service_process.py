"""The verifier and the wallet service as real processes, killed and restarted at will.

``python -m uvicorn --factory <role>.serve:app_from_environment`` runs as a child process with
its whole configuration in ``AANSPRAAK_<ROLE>_*`` and ``AANSPRAAK_TRUST_*`` variables, as an
operator runs it (development profile: keys and secrets are made on first use). A restart
reuses the port, the data directory and the database, so what the service committed before a
kill is what it finds after it; ``tests/issuer/server.py`` does the same for the issuer.

The registry both read is the ``file`` backend: a trust list signed by a governance key
(:class:`TrustFile`), written by the harness before the processes start.

On PostgreSQL a harness may cut the service's database connections instead of killing it
(:func:`cut_connections`): its own connections carry :data:`HARNESS_APPLICATION`, so they
are spared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from runtime.database import create_engine
from specs.jose import JwsAlg, PrivateJwk, generate_private_key
from specs.trust import TrustSnapshot
from specs.trust.trust_list import build_trust_list
from tests.child_service import ChildService
from tests.issuer.server import free_port

TRUST_PREFIX = "AANSPRAAK_TRUST_"
HARNESS_APPLICATION = "crash-harness"
TRUST_LIST_TTL = 86_400


@dataclass
class TrustFile:
    """A signed trust list on disk and the governance key that signs it."""

    directory: Path
    governance: PrivateJwk = field(default_factory=lambda: generate_private_key(JwsAlg.ES256))

    @property
    def path(self) -> Path:
        return self.directory / "trust-list.jwt"

    @property
    def key_path(self) -> Path:
        return self.directory / "governance.jwk"

    def publish(self, snapshot: TrustSnapshot) -> None:
        """Sign ``snapshot`` now and rename it over the old list (``trust.file_backend``)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.key_path.write_text(json.dumps(self.governance.public.to_jwk()))
        now = int(time.time())
        token = build_trust_list(
            snapshot, key=self.governance, governance_id="governance", now=now, ttl=TRUST_LIST_TTL
        )
        staged = self.path.with_suffix(".new")
        staged.write_text(token)
        staged.replace(self.path)

    def environment(self) -> dict[str, str]:
        return {
            f"{TRUST_PREFIX}BACKEND": "file",
            f"{TRUST_PREFIX}TRUST_LIST_FILE": str(self.path),
            f"{TRUST_PREFIX}GOVERNANCE_KEY_FILE": str(self.key_path),
        }


@dataclass
class ServiceProcess(ChildService):
    """One deployment of ``role`` (``verifier`` or ``wallet``): a port, a data directory, a
    database, its settings, and its process."""

    role: str
    data_dir: Path
    database_url: str
    trust: TrustFile
    settings: dict[str, str] = field(default_factory=dict)
    """Further settings by field name (``{"local_origins": "http://127.0.0.1:1"}``)."""
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def prefix(self) -> str:
        return f"AANSPRAAK_{self.role.upper()}_"

    @property
    def label(self) -> str:
        return self.role

    def values(self) -> dict[str, str]:
        """The settings by field name, as the process reads them."""
        return {
            "profile": "development",
            "public_url": self.url,
            "data_dir": str(self.data_dir),
            "database_url": self.database_url,
            **self.settings,
        }

    def environment(self) -> dict[str, str]:
        """The parent's environment without our settings, plus this deployment's."""
        ours = (self.prefix, TRUST_PREFIX)
        env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
        env.update({self.prefix + name.upper(): value for name, value in self.values().items()})
        env.update(self.trust.environment())
        return env

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", "--factory", f"{self.role}.serve:app_from_environment",
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
        ]  # fmt: skip


def is_postgresql(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def harness_engine(database_url: str) -> AsyncEngine:
    """The harness's own view of a service's database; on PostgreSQL it is named, so
    :func:`cut_connections` spares it."""
    if not is_postgresql(database_url):
        return create_engine(database_url)
    return create_async_engine(
        make_url(database_url),
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": HARNESS_APPLICATION}},
    )


async def cut_connections(database_url: str) -> int:
    """``pg_terminate_backend`` every connection to the database but the harness's: the
    service loses its database mid-work (its process lives on). How many were cut."""
    url = make_url(database_url)
    admin = await asyncpg.connect(
        url.set(drivername="postgresql").render_as_string(hide_password=False),
        server_settings={"application_name": HARNESS_APPLICATION},
    )
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2",
            url.database,
            HARNESS_APPLICATION,
        )
    finally:
        await admin.close()
    return sum(1 for row in rows if row[0])


def database_files(database_url: str) -> list[Path]:
    """A SQLite database's file with its ``-wal``, ``-shm`` and ``-journal`` (what a
    privacy scan reads); none for a server database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return []
    base = Path(url.database)
    candidates = [base, *(Path(f"{base}{suffix}") for suffix in ("-wal", "-shm", "-journal"))]
    return [path for path in candidates if path.is_file()]
