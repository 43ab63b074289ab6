"""A real issuer process on loopback: started, killed with SIGKILL and restarted at will.

``python -m uvicorn --factory issuer.serve:app_from_environment`` runs as a child process
with its whole configuration in ``AANSPRAAK_ISSUER_*`` variables, exactly as an operator
runs it (development profile: the signing and storage keys are created on first start).
A restart reuses the port, the data directory and the database, so what the issuer
committed before a kill is what it finds after it.

It serves plain http on ``127.0.0.1`` (the development profile's exception, DESIGN §4), or
with ``tls=True`` https under a certificate for ``127.0.0.1`` made here, which the clients
trust and nothing else (:meth:`IssuerServer.client_tls`).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from issuer.api_keys import create_api_key
from issuer.app import prepare
from issuer.context import build_context
from issuer.settings import IssuerSettings
from specs.sd_jwt_vc import parse_jwt_vc_issuer_metadata
from specs.sd_jwt_vc.issuer_metadata import JwtVcIssuerMetadataResolver
from tests.child_service import ChildService
from tests.issuer.conftest import INCOME_CLAIMS

PREFIX = "AANSPRAAK_ISSUER_"


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed ECDSA certificate for ``127.0.0.1`` and its key, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "tls-cert.pem", directory / "tls-key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


@dataclass
class IssuerServer(ChildService):
    """One issuer deployment: a port, a data directory and a database, and its process."""

    data_dir: Path
    database_url: str
    overrides: dict[str, str] = field(default_factory=dict)
    """Further settings by field name (``{"status_list_size": "1024"}``)."""
    tls: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def client_tls(self) -> ssl.SSLContext | bool:
        """What an ``httpx`` client passes as ``verify``: trust this server's certificate."""
        if not self.tls:
            return True
        return ssl.create_default_context(cafile=self._tls_files()[0])

    def _tls_files(self) -> tuple[Path, Path]:
        """The certificate and key, made once per data directory, so restarts keep them."""
        certificate, key = self.data_dir / "tls-cert.pem", self.data_dir / "tls-key.pem"
        if not (certificate.exists() and key.exists()):
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return write_certificate(self.data_dir)
        return certificate, key

    def environment(self) -> dict[str, str]:
        """The parent's environment without its own issuer settings, plus this deployment's."""
        env = {name: value for name, value in os.environ.items() if not name.startswith(PREFIX)}
        env.update(
            {
                f"{PREFIX}PROFILE": "development",
                f"{PREFIX}PUBLIC_URL": self.url,
                f"{PREFIX}DATA_DIR": str(self.data_dir),
                f"{PREFIX}DATABASE_URL": self.database_url,
            }
        )
        env.update({PREFIX + name.upper(): value for name, value in self.overrides.items()})
        return env

    def settings(self) -> IssuerSettings:
        """The same settings the process reads from :meth:`environment`."""
        return IssuerSettings(
            profile="development",  # type: ignore[arg-type]
            public_url=self.url,
            data_dir=self.data_dir,
            database_url=self.database_url,
            **self.overrides,  # type: ignore[arg-type]  # strings, as from the environment
        )

    @property
    def label(self) -> str:
        return "issuer"

    def command(self) -> list[str]:
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "issuer.serve:app_from_environment",
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
        ]  # fmt: skip
        if self.tls:
            certificate, key = self._tls_files()
            command += ["--ssl-certfile", str(certificate), "--ssl-keyfile", str(key)]
        return command

    async def create_offer(
        self, client: httpx.AsyncClient, key: str, **body: Any
    ) -> dict[str, Any]:
        """An income offer through the back-office API (``body`` overrides the defaults)."""
        response = await client.post(
            f"{self.url}/backoffice/offers",
            json={"configuration_id": "household_income", "claims": INCOME_CLAIMS, **body},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def create_backoffice_key(self) -> str:
        """A back-office API key for every configuration, made through the library call.

        Run it before the first start: it also migrates the schema and creates the keys of
        the development profile, which the process then finds in place.
        """
        context = build_context(self.settings())
        try:
            await prepare(context)
            created = await create_api_key(
                context, name="back office", configurations=sorted(context.configurations.by_id)
            )
        finally:
            await context.engine.dispose()
        return created.secret


@asynccontextmanager
async def running_issuer(
    data_dir: Path,
    database_url: str,
    *,
    tls: bool = False,
    overrides: Mapping[str, str] | None = None,
) -> AsyncIterator[tuple[IssuerServer, str]]:
    """A started issuer and a back-office key; the process is stopped on the way out."""
    server = IssuerServer(data_dir, database_url, dict(overrides or {}), tls)
    key = await server.create_backoffice_key()
    try:
        await server.start()
        yield server, key
    finally:
        server.stop()


async def issuer_keys(client: httpx.AsyncClient, issuer: str) -> JwtVcIssuerMetadataResolver:
    """The issuer's keys from its JWT VC Issuer Metadata (SD-JWT VC §4), http allowed.

    For checking the status lists it signs; the wallet finds the keys the same way.
    """
    response = await client.get(f"{issuer}/.well-known/jwt-vc-issuer")
    response.raise_for_status()
    metadata = parse_jwt_vc_issuer_metadata(
        response.json(), expected_issuer=issuer, allow_http=True
    )
    return JwtVcIssuerMetadataResolver({issuer: metadata})
