"""``aanspraak issuer offer --grant authorization_code``: an offer whose citizen logs in at the
agency (HAIP 1.0 §4.2), made on the command line like the back office makes it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aanspraak.cli import app as aanspraak
from specs.oid4vci import AUTHORIZATION_CODE_GRANT, parse_credential_offer
from tests.cli.conftest import Result
from tests.issuer.conftest import INCOME_CLAIMS

ISSUER = "http://127.0.0.1:8001"
SUBJECT = "citizen-1"


@pytest.fixture(autouse=True)
def claims_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The development profile with its authenticator and a file subject source."""
    for name in list(os.environ):
        if name.startswith("AANSPRAAK_ISSUER_"):
            monkeypatch.delenv(name)
    subjects = tmp_path / "subjects" / "household_income"
    subjects.mkdir(parents=True)
    (subjects / f"{SUBJECT}.json").write_text(json.dumps(INCOME_CLAIMS))
    values = {
        "PROFILE": "development",
        "PUBLIC_URL": ISSUER,
        "DATA_DIR": str(tmp_path / "issuer"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/issuer.db",
        "STATUS_LIST_SIZE": "1024",
        "AUTHENTICATOR": "development",
        "SUBJECT_SOURCE_DIR": str(tmp_path / "subjects"),
    }
    for name, value in values.items():
        monkeypatch.setenv(f"AANSPRAAK_ISSUER_{name}", value)
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(INCOME_CLAIMS))
    return path


def cli(*args: str) -> Result:
    done = CliRunner().invoke(aanspraak, list(args), catch_exceptions=False)
    return Result(done.exit_code, done.stdout, done.stderr)


def ok(result: Result) -> Any:
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


OFFER = ("issuer", "offer", "--configuration", "household_income")


def test_haip_4_2_the_command_makes_an_authorization_code_offer() -> None:
    created = ok(cli(*OFFER, "--grant", "authorization_code", "--subject", SUBJECT))
    assert created["tx_code"] is None
    grants = created["credential_offer"]["grants"]
    assert list(grants) == [AUTHORIZATION_CODE_GRANT]
    parsed = parse_credential_offer(created["credential_offer"], allow_http=True)
    assert parsed.issuer_state == grants[AUTHORIZATION_CODE_GRANT]["issuer_state"]
    shown = ok(cli("issuer", "show", "--", created["offer_id"]))
    assert (shown["grant"], shown["state"], shown["claims_held"]) == (
        "authorization_code",
        "offered",
        False,
    )


def test_haip_4_2_claims_with_the_authorization_code_grant_are_a_usage_error(
    claims_file: Path,
) -> None:
    result = cli(*OFFER, "--grant", "authorization_code", "--claims", str(claims_file))
    assert (result.code, result.stdout, result.stderr) == (
        2,
        "",
        "error: an authorization_code offer carries no claims; give subject (invalid_request)\n",
    )
    unknown = cli(*OFFER, "--grant", "implicit")
    assert unknown.code == 2
