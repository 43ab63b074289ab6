"""``aanspraak config check``: every role's configuration judged from the environment alone.

The environment is that of ``tests/cli/all_roles.py`` (all roles valid); each test breaks one
kind of setting and expects the role's line to name the variable while the value, written
to look like a secret, appears nowhere in the output. The check runs in this process through
the command tree (it starts nothing, so nothing can be left running); one run goes through
``python -m aanspraak`` for the wiring.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aanspraak.cli import app as aanspraak
from tests.cli.all_roles import AllRoles, configure_all_roles
from tests.cli.conftest import Result, Run

CANARY = "hunter2-do-not-echo"
ALL_OK = "issuer: OK\nwallet: OK\nverifier: OK\ntrust: OK\n"

Cli = Callable[..., Result]


@pytest.fixture(autouse=True)
def roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AllRoles:
    return configure_all_roles(tmp_path, monkeypatch)


@pytest.fixture
def cli() -> Cli:
    def invoke(*args: str) -> Result:
        done = CliRunner().invoke(aanspraak, list(args), catch_exceptions=False)
        return Result(done.exit_code, done.stdout, done.stderr)

    return invoke


def test_a_valid_environment_is_ok_for_every_role_and_nothing_is_created(
    cli: Cli, tmp_path: Path
) -> None:
    before = sorted(tmp_path.iterdir())
    result = cli("config", "check")
    assert (result.code, result.stdout, result.stderr) == (0, ALL_OK, "")
    assert sorted(tmp_path.iterdir()) == before  # no keys, no databases, no data directories


@pytest.mark.parametrize("role", ["issuer", "wallet", "verifier", "trust"])
def test_one_role_is_checked_alone(cli: Cli, monkeypatch: pytest.MonkeyPatch, role: str) -> None:
    for other in {"issuer", "wallet", "verifier"} - {role}:
        monkeypatch.setenv(f"AANSPRAAK_{other.upper()}_PORT", "-1")
    if role != "trust":
        monkeypatch.setenv("AANSPRAAK_TRUST_BACKEND", "chain")
    result = cli("config", "check", "--role", role)
    assert (result.code, result.stdout, result.stderr) == (0, f"{role}: OK\n", "")


# (variable, value or None to unset, the role, what its line says after "<role>: ")
PROBLEMS: list[tuple[str, str | None, str, str]] = [
    ("AANSPRAAK_ISSUER_PUBLIC_URL", None, "issuer",
     "AANSPRAAK_ISSUER_PUBLIC_URL: Field required"),
    ("AANSPRAAK_ISSUER_TX_CODE_LENGTH", "9" + "4711" * 4, "issuer",
     "AANSPRAAK_ISSUER_TX_CODE_LENGTH: Input should be less than or equal to 12"),
    ("AANSPRAAK_ISSUER_PUBLIC_URL", f"https://issuer.example/{CANARY}", "issuer",
     "AANSPRAAK_ISSUER_PUBLIC_URL: Value error, public_url must be an origin"),
    ("AANSPRAAK_ISSUER_WEBHOOK_URL", f"https://hooks.example/{CANARY}", "issuer",
     "settings: Value error, webhook_url needs webhook_secret"),
    ("AANSPRAAK_ISSUER_DATABASE_URL", f"postgresql+nope://admin:{CANARY}@db/issuer", "issuer",
     "AANSPRAAK_ISSUER_DATABASE_URL: not usable (is its async driver installed?)"),
    ("AANSPRAAK_WALLET_DATABASE_URL", f"sqlite:///{CANARY}.db", "wallet",  # not async
     "AANSPRAAK_WALLET_DATABASE_URL: not usable (is its async driver installed?)"),
    ("AANSPRAAK_WALLET_PIN_MIN_LENGTH", CANARY, "wallet",
     "AANSPRAAK_WALLET_PIN_MIN_LENGTH: Input should be a valid integer"),
    ("AANSPRAAK_WALLET_PUBLIC_URL", f"https://admin:{CANARY}@wallet.example", "wallet",
     "settings: Value error, public_url must be an https URL"),
    ("AANSPRAAK_VERIFIER_RESPONSE_MODE", CANARY, "verifier",
     "AANSPRAAK_VERIFIER_RESPONSE_MODE: Input should be 'direct_post' or 'direct_post.jwt'"),
    ("AANSPRAAK_VERIFIER_REGULATIONS", f"[{CANARY}", "verifier",
     "AANSPRAAK_VERIFIER_REGULATIONS: not valid JSON"),
    ("AANSPRAAK_VERIFIER_REGULATIONS", f'["{CANARY}"]', "verifier",
     "AANSPRAAK_VERIFIER_REGULATIONS: Value error, names a regulation that is not bundled"),
    ("AANSPRAAK_VERIFIER_REDIRECT_ORIGINS", f"ftp://{CANARY}.example", "verifier",
     "AANSPRAAK_VERIFIER_REDIRECT_ORIGINS: Value error"),
    ("AANSPRAAK_TRUST_BACKEND", CANARY, "trust",
     "AANSPRAAK_TRUST_BACKEND: Input should be 'chain' or 'file'"),
    ("AANSPRAAK_TRUST_BACKEND", "chain", "trust",
     "AANSPRAAK_TRUST_RPC_URL: required by the chain backend outside the demo"),
    ("AANSPRAAK_TRUST_RPC_URL", f"ftp://admin:{CANARY}@node.example", "trust",
     "AANSPRAAK_TRUST_RPC_URL: Value error, rpc_url must be an http(s) URL"),
    ("AANSPRAAK_TRUST_GOVERNANCE_KEY_FILE", f"/nonexistent/{CANARY}.jwk", "trust",
     "AANSPRAAK_TRUST_GOVERNANCE_KEY_FILE: not a readable public key"),
    ("AANSPRAAK_TRUST_TRUST_LIST_FILE", f"/nonexistent/{CANARY}.jwt", "trust",
     "AANSPRAAK_TRUST_TRUST_LIST_FILE: no such file"),
    ("AANSPRAAK_TRUST_TRUST_LIST_FILE", None, "trust",
     "settings: Value error, backend file needs trust_list_file and governance_key_file"),
]  # fmt: skip


@pytest.mark.parametrize(
    "problem", PROBLEMS, ids=[f"{variable}={value is not None}" for variable, value, *_ in PROBLEMS]
)
def test_each_kind_of_problem_names_the_variable_never_the_value(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, problem: tuple[str, str | None, str, str]
) -> None:
    variable, value, role, said = problem
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    result = cli("config", "check")
    assert result.code == 2
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{role}: {said}") for line in lines), result.stdout
    for other in {"issuer", "wallet", "verifier", "trust"} - {role}:
        assert f"{other}: OK" in lines
    assert result.stderr == f"error: invalid configuration: {role}\n"
    assert CANARY not in result.stdout + result.stderr
    if value not in (None, "chain"):  # "chain" is named in the advice, and no secret
        assert value not in result.stdout + result.stderr


def test_every_problem_of_every_role_is_listed_at_once(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AANSPRAAK_ISSUER_TX_CODE_LENGTH", "99")
    monkeypatch.setenv("AANSPRAAK_ISSUER_MAX_BATCH_SIZE", "0")
    monkeypatch.setenv("AANSPRAAK_VERIFIER_KB_MAX_AGE_SECONDS", "1")
    result = cli("config", "check")
    assert result.code == 2
    assert result.stdout.splitlines() == [
        "issuer: AANSPRAAK_ISSUER_TX_CODE_LENGTH: Input should be less than or equal to 12",
        "issuer: AANSPRAAK_ISSUER_MAX_BATCH_SIZE: Input should be greater than or equal to 1",
        "wallet: OK",
        "verifier: AANSPRAAK_VERIFIER_KB_MAX_AGE_SECONDS: "
        "Input should be greater than or equal to 30",
        "trust: OK",
    ]
    assert result.stderr == "error: invalid configuration: issuer, verifier\n"


def test_a_role_that_does_not_exist_is_a_usage_error(cli: Cli) -> None:
    result = cli("config", "check", "--role", "registry")
    assert result.code == 2
    assert "--role" in result.stderr


def test_the_real_command(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("config", "check") == Result(0, ALL_OK, "")
    monkeypatch.setenv("AANSPRAAK_WALLET_SESSION_TTL_SECONDS", "4" + "4711" * 4)
    broken = run("config", "check", "--role", "wallet")
    assert broken.code == 2
    assert broken.stdout.startswith("wallet: AANSPRAAK_WALLET_SESSION_TTL_SECONDS: ")
    assert "4711" not in broken.stdout + broken.stderr
