"""``aanspraak wallet serve``: the wallet service started from the operator's shell.

Every test has its own SQLite database, its own development data directory (where the PIN
secret and the session key are created on first start) and a real trust registry: the
``file`` backend over a trust list signed by a governance key (``AANSPRAAK_TRUST_BACKEND=file``),
as ``tests/cli/test_verifier_cli.py`` sets it up. The list is empty (``/readyz`` only needs it
to be signed and current), and signed at the wall clock, since the served process reads it
with the wall clock.

``serve`` runs as a real process (``serve_command``) for what only a real start shows: the
factory found by uvicorn, the health endpoints, the API description, and a device that
registers, unlocks and deletes its account over HTTP. The refusals run in this process
through the same command tree, with ``uvicorn.run`` replaced, so a refusal that did not
happen cannot leave a server running.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
import uvicorn
from fastapi import APIRouter
from typer.testing import CliRunner

import wallet.routes_account
import wallet.routes_holdings
from aanspraak.cli import app as aanspraak
from runtime.slow_clients import SERVICE_HTTP_PROTOCOL
from specs.dpop import build_dpop_proof, new_jti
from specs.jose import JwsAlg, PrivateJwk, generate_private_key
from specs.trust import TrustSnapshot
from specs.trust.trust_list import build_trust_list
from tests.cli.conftest import Result
from tests.cli.serve_process import serve_command

PUBLIC = "http://127.0.0.1:8002"
PIN = "271828"
CANARY = "4242"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The development profile on loopback and a signed trust list; subprocesses inherit it."""
    for name in list(os.environ):
        if name.startswith(("AANSPRAAK_WALLET_", "AANSPRAAK_TRUST_")):
            monkeypatch.delenv(name)
    governance = generate_private_key(JwsAlg.ES256)
    governance_file = tmp_path / "governance.jwk"
    governance_file.write_text(json.dumps(governance.public.to_jwk()))
    now = int(time.time())
    trust_list = build_trust_list(
        TrustSnapshot(as_of=now), key=governance, governance_id="governance", now=now, ttl=86_400
    )
    (tmp_path / "trust-list.jwt").write_text(trust_list)
    values = {
        "AANSPRAAK_WALLET_PROFILE": "development",
        "AANSPRAAK_WALLET_PUBLIC_URL": PUBLIC,
        "AANSPRAAK_WALLET_DATA_DIR": str(tmp_path / "wallet"),
        "AANSPRAAK_WALLET_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/wallet.db",
        "AANSPRAAK_TRUST_BACKEND": "file",
        "AANSPRAAK_TRUST_TRUST_LIST_FILE": str(tmp_path / "trust-list.jwt"),
        "AANSPRAAK_TRUST_GOVERNANCE_KEY_FILE": str(governance_file),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return tmp_path / "wallet"


Started = list[dict[str, Any]]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    """What ``serve`` handed to uvicorn; nothing is actually served in this process."""
    calls: Started = []

    def run(app: str, **options: Any) -> None:
        assert options.pop("factory") is True
        calls.append({"factory": app, **options})

    monkeypatch.setattr(uvicorn, "run", run)  # as aanspraak.cli_serve calls it
    return calls


Cli = Callable[..., Result]


@pytest.fixture
def cli() -> Cli:
    """The command in this process; an exception other than an exit propagates."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        done = CliRunner().invoke(aanspraak, list(args), env=env, catch_exceptions=False)
        return Result(done.exit_code, done.stdout, done.stderr)

    return invoke


def _v1_paths() -> set[str]:
    routers: list[APIRouter] = [wallet.routes_account.router, wallet.routes_holdings.router]
    return {route.path for router in routers for route in router.routes}  # type: ignore[attr-defined]


def test_serve_help_names_its_options(cli: Cli) -> None:
    shown = cli("wallet", "serve", "--help")
    assert shown.code == 0
    for option in ("--port", "--host", "--workers"):
        assert option in shown.stdout


def test_serve_prepares_once_and_hands_uvicorn_the_factory(
    cli: Cli, started: Started, data_dir: Path, tmp_path: Path
) -> None:
    shown = cli("wallet", "serve", "--port", "8123", "--host", "::1", "--workers", "3")
    assert (shown.code, shown.stderr) == (0, "")
    assert shown.stdout == (
        f"wallet {PUBLIC} listening on http://[::1]:8123 (3 workers); API under /v1\n"
    )
    assert started == [
        {
            "factory": "wallet.serve:app_from_environment",
            "host": "::1",
            "port": 8123,
            "workers": 3,
            "access_log": False,
            "http": SERVICE_HTTP_PROTOCOL,  # slow clients are cut off
        }
    ]
    assert os.environ["AANSPRAAK_WALLET_PORT"] == "8123"  # what every worker reads
    for secret in ("pin-secret.key", "session.key"):
        mode = (data_dir / secret).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600, secret
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path}/wallet.db")
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"accounts", "batches", "instances", "records", "proof_jtis"} <= tables


def test_production_refuses_to_start_without_provisioned_secrets(
    cli: Cli, started: Started, tmp_path: Path
) -> None:
    production = {
        "AANSPRAAK_WALLET_PROFILE": "production",
        "AANSPRAAK_WALLET_PUBLIC_URL": "https://wallet.example",
        "AANSPRAAK_WALLET_DATA_DIR": str(tmp_path / "empty"),
    }
    result = cli("wallet", "serve", env=production)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.endswith(
        "pin-secret.key: no PIN secret (provision one; see docs/wallet.md)\n"
    )
    assert not (tmp_path / "empty" / "pin-secret.key").exists()
    assert started == []


SETTINGS_PROBLEMS: list[tuple[dict[str, str], str]] = [
    ({"AANSPRAAK_WALLET_PIN_MIN_LENGTH": CANARY},
     "error: invalid settings: AANSPRAAK_WALLET_PIN_MIN_LENGTH: "),
    ({"AANSPRAAK_WALLET_PORT": "9" + CANARY},
     "error: invalid settings: AANSPRAAK_WALLET_PORT: "),
    ({"AANSPRAAK_WALLET_PIN_KDF_LANES": "4", "AANSPRAAK_WALLET_PIN_KDF_MEMORY_KIB": "8"},
     "error: invalid settings: settings: Value error, pin_kdf_memory_kib"),
    ({"AANSPRAAK_WALLET_PUBLIC_URL": f"https://a:{CANARY}@wallet.example"},
     "error: invalid settings: settings: Value error, public_url"),
    ({"AANSPRAAK_TRUST_CONFIRMATIONS": "-" + CANARY},
     "error: invalid settings: AANSPRAAK_TRUST_CONFIRMATIONS: "),
    ({"AANSPRAAK_WALLET_DATABASE_URL": f"nope://a:{CANARY}@"},
     "error: AANSPRAAK_WALLET_DATABASE_URL is not usable (is its driver installed?)\n"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("env", "message"), SETTINGS_PROBLEMS, ids=[",".join(env) for env, _ in SETTINGS_PROBLEMS]
)
def test_settings_problems_name_the_variable_not_its_value(
    cli: Cli, started: Started, env: dict[str, str], message: str
) -> None:
    result = cli("wallet", "serve", env=env)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith(message)
    assert CANARY not in result.stderr
    assert started == []


def test_a_chain_backend_without_a_node_names_the_variables(cli: Cli, started: Started) -> None:
    result = cli("wallet", "serve", env={"AANSPRAAK_TRUST_BACKEND": "chain"})
    assert result.code == 2
    assert "AANSPRAAK_TRUST_RPC_URL" in result.stderr
    assert started == []


def _signed(
    client: httpx.Client,
    device: PrivateJwk,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
) -> httpx.Response:
    """A request with a fresh device proof for the *public* URL, as the app signs it."""
    proof = build_dpop_proof(
        key=device,
        method=method,
        url=PUBLIC + path,
        now=int(time.time()),
        jti=new_jti(os.urandom),
        access_token=token,
    )
    headers = {"DPoP": proof} | ({} if token is None else {"Authorization": f"DPoP {token}"})
    return client.request(method, path, json=body, headers=headers)


def test_serve_starts_the_service_and_a_device_uses_its_api() -> None:
    with serve_command("wallet") as served:
        client, base = served.client, served.base
        ready = client.get("/readyz")
        assert (ready.status_code, ready.json()) == (
            200,
            {"status": "ok", "checks": {"database": "ok", "trust_registry": "ok"}},
        )
        described = client.get("/openapi.json").json()
        assert described["info"]["title"] == "aanspraak wallet"
        assert _v1_paths() <= set(described["paths"])
        assert {path for path in described["paths"] if not path.startswith("/v1/")} == set()

        unproven = client.post("/v1/accounts", json={"pin": PIN})
        assert (unproven.status_code, unproven.json()["error"]) == (401, "invalid_dpop_proof")
        assert unproven.headers["www-authenticate"] == 'DPoP algs="ES256"'

        device = generate_private_key(JwsAlg.ES256)
        created = _signed(client, device, "POST", "/v1/accounts", body={"pin": PIN})
        assert created.status_code == 201, created.text
        unlocked = _signed(client, device, "POST", "/v1/sessions", body={"pin": PIN})
        assert unlocked.status_code == 200, unlocked.text
        session = unlocked.json()
        assert session["account"] == created.json()["account"]
        assert session["token_type"] == "DPoP"
        token = session["session_token"]
        held = _signed(client, device, "GET", "/v1/credentials", token=token)
        assert (held.status_code, held.json()) == (200, {"credentials": []})
        assert held.headers["cache-control"] == "no-store"
        gone = _signed(client, device, "DELETE", "/v1/account", token=token)
        assert (gone.status_code, gone.content) == (204, b"")  # and the connection goes on
        after = _signed(client, device, "GET", "/v1/credentials", token=token)
        assert (after.status_code, after.json()["error"]) == (401, "invalid_token")
    stdout, stderr = served.stdout, served.stderr
    assert f"wallet {PUBLIC} listening on {base} (1 worker); API under /v1" in stdout
    assert "Traceback" not in stderr
    assert PIN not in stdout + stderr
