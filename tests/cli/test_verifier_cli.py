"""``aanspraak verifier``: the desk's commands work on the service's own database and keys.

Every test has its own SQLite database, its own development signing key and self-signed
certificate, and a real trust registry: the ``file`` backend over a trust list signed by a
governance key (``AANSPRAAK_TRUST_BACKEND=file``), listing the test agencies and this desk
exactly as ``tests/verifier/conftest.py`` writes it. The verifier app runs in the test process
on the same environment (ASGI transport), so a transaction started on the command line is
answered by a standard-following test wallet at the service, and its decision read back here.

The bundled regulations and the trust list's entries are valid in 2026, and the commands take
the wall clock; so the commands that run in this process (``cli``) get the verifier tests'
fixed clock through the one seam the code has for it, ``build_context(clock=...)``.
``serve`` and a refusal run as real processes (``run``) on what does not depend on the date.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from aanspraak import verifier_cli_io
from aanspraak.cli import app as aanspraak
from runtime.fetcher import FetchPolicy, SafeFetcher
from specs.jose import JwsAlg, generate_private_key
from tests.cli.conftest import Result, Run
from tests.cli.serve_process import serve_command
from tests.support import Clock
from tests.verifier.agencies import Agencies
from tests.verifier.conftest import all_scenarios, scenario, write_trust_list
from tests.verifier.wallet import TestWallet, new_holder_key
from trust.backend import registry_from_settings
from trust.settings import TrustSettings
from verifier.app import build_app
from verifier.context import VerifierContext, build_context
from verifier.identity import load_identity
from verifier.settings import VerifierSettings

DESK = "http://127.0.0.1:8003"
ELIGIBLE = ("zorgtoeslag", "single_income_35000")
REFERRED = ("zorgtoeslag", "single_one_euro_over_income_limit_rounds_to_23_euro_and_is_referred")
REQUEST = ("verifier", "request", "--regulation")


@dataclass(frozen=True)
class Setup:
    """What the service and the commands share besides the environment."""

    clock: Clock
    agencies: Agencies
    client_id: str
    tmp_path: Path


@pytest.fixture(autouse=True)
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Setup:
    """The development profile on loopback and a signed trust list; subprocesses inherit it."""
    for name in list(os.environ):
        if name.startswith(("AANSPRAAK_VERIFIER_", "AANSPRAAK_TRUST_")):
            monkeypatch.delenv(name)
    governance = generate_private_key(JwsAlg.ES256)
    governance_file = tmp_path / "governance.jwk"
    governance_file.write_text(json.dumps(governance.public.to_jwk()))
    values = {
        "AANSPRAAK_VERIFIER_PROFILE": "development",
        "AANSPRAAK_VERIFIER_PUBLIC_URL": DESK,
        "AANSPRAAK_VERIFIER_REDIRECT_ORIGINS": "https://desk.example",
        "AANSPRAAK_VERIFIER_DATA_DIR": str(tmp_path / "verifier"),
        "AANSPRAAK_VERIFIER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/verifier.db",
        "AANSPRAAK_TRUST_BACKEND": "file",
        "AANSPRAAK_TRUST_TRUST_LIST_FILE": str(tmp_path / "trust-list.jwt"),
        "AANSPRAAK_TRUST_GOVERNANCE_KEY_FILE": str(governance_file),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    clock = Clock()
    monkeypatch.setattr(verifier_cli_io, "build_context", partial(build_context, clock=clock))
    agencies = Agencies(clock)
    for case in all_scenarios():
        for credential in case.credentials:
            agencies.add(credential.issuer)
    settings = VerifierSettings()  # type: ignore[call-arg]  # public_url from the environment
    client_id = load_identity(settings, now=clock).client_id  # the key and certificate, made
    write_trust_list(tmp_path / "trust-list.jwt", agencies, client_id, governance, clock())
    return Setup(clock, agencies, client_id, tmp_path)


Cli = Callable[..., Result]


@pytest.fixture
def cli() -> Cli:
    """The command in this process: exit code, stdout and stderr as a subprocess gives them.

    An exception other than an exit propagates (``catch_exceptions=False``): that is the
    traceback an operator would have seen.
    """

    def invoke(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        done = runner.invoke(aanspraak, list(args), input=stdin, env=env, catch_exceptions=False)
        return Result(done.exit_code, done.stdout, done.stderr)

    return invoke


async def in_thread(cli: Cli, *args: str, **options: Any) -> Result:
    """A command from inside an async test: it runs its own event loop, so in a thread."""
    return await asyncio.to_thread(cli, *args, **options)


def ok(result: Result) -> Any:
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


@asynccontextmanager
async def service(setup: Setup) -> AsyncIterator[tuple[httpx.AsyncClient, VerifierContext]]:
    """The verifier app built from the same environment as the commands (settings, database,
    keys, trust list); it reaches the test agencies through its own ``SafeFetcher``."""
    settings = VerifierSettings()  # type: ignore[call-arg]
    registry = registry_from_settings(TrustSettings())
    transport = httpx.ASGITransport(app=setup.agencies.app())
    fetcher = SafeFetcher(FetchPolicy(), transport=transport)
    context = build_context(settings, trust=registry, clock=setup.clock, fetcher=fetcher)
    app = build_app(settings, context=context)
    async with app.router.lifespan_context(app):
        to_app = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=to_app, base_url=DESK) as client:
            yield client, context


def wallet_for(client: httpx.AsyncClient, setup: Setup, regulation: str, name: str) -> TestWallet:
    """A wallet holding the scenario's credentials, all bound to one holder key."""
    wallet = TestWallet(client, setup.clock)
    holder = new_holder_key()
    for credential in scenario(regulation, name).credentials:
        token, _ = setup.agencies.issue(
            credential.issuer, credential.vct, credential.claims, holder=holder.public
        )
        wallet.hold(token, holder, credential.vct)
    return wallet


def asked_paths(started: dict[str, Any]) -> set[tuple[str, ...]]:
    query = started["dcql_query"]
    return {tuple(claim["path"]) for item in query["credentials"] for claim in item["claims"]}


async def test_a_request_made_here_is_answered_at_the_service_and_decided_here(
    cli: Cli, setup: Setup
) -> None:
    started = ok(await in_thread(cli, *REQUEST, "zorgtoeslag"))
    assert started["link"].startswith("openid4vp://?")
    assert started["request_uri"].startswith(f"{DESK}/wallet/request/")
    assert started["status"] == "pending"
    assert started["regulation"]["id"] == "zorgtoeslag"
    assert started["regulation"]["version"].startswith("sha256:")
    transaction_id = started["transaction_id"]
    pending = ok(await in_thread(cli, "verifier", "result", transaction_id))
    assert pending["status"] == "pending"
    assert "decision" not in pending

    async with service(setup) as (client, context):
        assert context.client_id == setup.client_id
        wallet = wallet_for(client, setup, *ELIGIBLE)
        answer = await wallet.answer(started["link"])
        assert (answer.status_code, answer.json()) == (200, {}), answer.text

    decided = ok(await in_thread(cli, "verifier", "result", transaction_id))
    expected = scenario(*ELIGIBLE).expect
    assert decided["status"] == expected["status"]
    record = decided["decision"]["record"]
    assert record["amount_cents"] == expected["amount_cents"]
    assert record["iss"] == setup.client_id
    assert record["regulation"]["version"] == started["regulation"]["version"]
    assert decided["decision"]["signed_record"].count(".") == 2
    assert decided["decision"]["explanation"]["en"][-1].startswith("Do you disagree")


async def test_same_device_result_needs_the_response_code_of_the_redirect(
    cli: Cli, setup: Setup
) -> None:
    back = "https://desk.example/page"
    started = ok(await in_thread(cli, *REQUEST, "zorgtoeslag", "--redirect-uri", back))
    async with service(setup) as (client, _):
        wallet = wallet_for(client, setup, *ELIGIBLE)
        answer = (await wallet.answer(started["link"])).json()
    assert answer["redirect_uri"].startswith(back + "#response_code=")
    code = answer["redirect_uri"].split("response_code=", 1)[1]
    transaction_id = started["transaction_id"]
    without = await in_thread(cli, "verifier", "result", transaction_id)
    assert (without.code, without.stdout, without.stderr) == (
        1,
        "",
        "error: this result is released only with the response_code of its redirect (forbidden)\n",
    )
    wrong = await in_thread(cli, "verifier", "result", transaction_id, "--response-code", "x" * 43)
    assert wrong.code == 1
    right = ok(await in_thread(cli, "verifier", "result", transaction_id, "--response-code", code))
    assert right["status"] == "eligible"


def test_facts_from_a_file_and_from_stdin_are_not_asked_of_the_wallet(
    cli: Cli, tmp_path: Path
) -> None:
    full = ok(cli(*REQUEST, "zorgtoeslag"))
    assert ("age_years",) in asked_paths(full)
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"age": 35}))
    from_file = ok(cli(*REQUEST, "zorgtoeslag", "--facts", str(facts)))
    from_stdin = ok(cli(*REQUEST, "zorgtoeslag", "--facts", "-", stdin='{"age": 35}'))
    for started in (from_file, from_stdin):
        assert ("age_years",) not in asked_paths(started)
        assert asked_paths(started) < asked_paths(full)


async def test_a_hardship_referral_decided_from_desk_facts_on_stdin(cli: Cli, setup: Setup) -> None:
    started = ok(await in_thread(cli, *REQUEST, "zorgtoeslag", "--facts", "-", stdin='{"age": 35}'))
    async with service(setup) as (client, _):
        wallet = wallet_for(client, setup, *REFERRED)
        assert (await wallet.answer(started["link"])).status_code == 200
    decided = ok(await in_thread(cli, "verifier", "result", started["transaction_id"]))
    assert decided["status"] == "refer_hardship"
    sources = {use["name"]: use["source"] for use in decided["decision"]["record"]["inputs"]}
    assert sources["age"] == {"kind": "desk", "issuer": None, "vct": None}
    assert "35" not in json.dumps(decided["decision"]["record"]["inputs"])


async def test_api_keys_authenticate_rotate_with_overlap_and_revoke(cli: Cli, setup: Setup) -> None:
    create = ("verifier", "api-key", "create", "--name", "loket Utrecht")
    created = ok(await in_thread(cli, *create, "--regulation", "zorgtoeslag"))
    first, first_id = created["api_key"], created["id"]
    assert first.startswith("avk_")
    assert created["regulations"] == ["zorgtoeslag"]

    async def start_with(client: httpx.AsyncClient, key: str, regulation: str) -> int:
        response = await client.post(
            "/desk/transactions",
            json={"regulation": regulation},
            headers={"Authorization": f"Bearer {key}"},
        )
        return response.status_code

    async with service(setup) as (client, _):
        assert await start_with(client, first, "zorgtoeslag") == 201
        assert await start_with(client, first, "kwijtschelding") == 403
        rotate = ("verifier", "api-key", "rotate", "--overlap", "3600", first_id)
        rotated = ok(await in_thread(cli, *rotate))
        second = rotated["api_key"]
        assert second.startswith("avk_")
        assert rotated["id"] != first_id
        assert await start_with(client, first, "zorgtoeslag") == 201  # the overlap
        assert await start_with(client, second, "zorgtoeslag") == 201
        revoked = ok(await in_thread(cli, "verifier", "api-key", "revoke", first_id))
        assert revoked == {"id": first_id, "revoked": True}
        assert await start_with(client, first, "zorgtoeslag") == 401
        assert await start_with(client, second, "zorgtoeslag") == 201

    listed = await in_thread(cli, "verifier", "api-key", "list")
    assert first not in listed.stdout
    assert second not in listed.stdout
    keys = {row["id"]: row for row in ok(listed)}
    assert keys[first_id]["revoked_at"] == setup.clock()
    assert keys[first_id]["expires_at"] == setup.clock() + 3600
    assert keys[rotated["id"]]["revoked_at"] is None
    assert keys[rotated["id"]]["name"] == "loket Utrecht"
    assert keys[rotated["id"]]["regulations"] == ["zorgtoeslag"]


async def test_a_transaction_started_here_is_not_visible_to_a_desk_key(
    cli: Cli, setup: Setup
) -> None:
    create = ("verifier", "api-key", "create", "--name", "desk", "--regulation", "zorgtoeslag")
    key = ok(await in_thread(cli, *create))["api_key"]
    started = ok(await in_thread(cli, *REQUEST, "zorgtoeslag"))
    async with service(setup) as (client, _):
        response = await client.get(
            f"/desk/transactions/{started['transaction_id']}",
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 404


CANARY = "do-not-echo-4711"
NOT_DECIDED = "error: this desk does not decide that regulation (not_found)\n"
REFUSALS: list[tuple[tuple[str, ...], str, int, str]] = [
    ((*REQUEST, "no_such_regulation"), "", 1, NOT_DECIDED),
    ((*REQUEST, "zorgtoeslag", "--facts", "{tmp}/missing.json"), "", 2,
     "error: cannot read the facts file\n"),
    ((*REQUEST, "zorgtoeslag", "--facts", "{tmp}/duplicate.json"), "", 2,
     "error: the facts file is not valid JSON (duplicate-json-key)\n"),
    ((*REQUEST, "zorgtoeslag", "--facts", "-"), "{", 2,
     "error: the facts on stdin are not valid JSON (bad-json)\n"),
    ((*REQUEST, "zorgtoeslag", "--facts", "-"), f'["{CANARY}"]', 2,
     "error: --facts must hold a JSON object\n"),
    ((*REQUEST, "zorgtoeslag", "--facts", "-"), json.dumps({CANARY: 1}), 2,
     "error: facts name inputs the regulation does not have (invalid_request)\n"),
    ((*REQUEST, "zorgtoeslag", "--facts", "-"), json.dumps({"age": CANARY}), 2,
     "error: a fact has the wrong type for its input (invalid_request)\n"),
    (("verifier", "result", "no-such-transaction"), "", 1,
     "error: no such transaction (not_found)\n"),
    (("verifier", "result", "--", "-no-such-transaction"), "", 1,
     "error: no such transaction (not_found)\n"),
    (("verifier", "api-key", "revoke", "no-such-key"), "", 1,
     "error: no such API key (not_found)\n"),
    (("verifier", "api-key", "rotate", "no-such-key"), "", 1,
     "error: no such API key (not_found)\n"),
    (("verifier", "api-key", "create", "--name", "x", "--regulation", "no_such"), "", 2,
     "error: unknown regulation (or not decided by this desk)\n"),
    (("verifier", "api-key", "create", "--name", "", "--regulation", "zorgtoeslag"), "", 2,
     "error: --name must be 1 to 200 characters\n"),
]  # fmt: skip


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda refusal: " ".join(refusal[0][1:3]))
def test_refusals_are_one_line_with_their_exit_code(
    cli: Cli, tmp_path: Path, refusal: tuple[tuple[str, ...], str, int, str]
) -> None:
    args, stdin, code, message = refusal
    (tmp_path / "duplicate.json").write_text('{"age": 35, "age": 36}')
    result = cli(*(arg.format(tmp=tmp_path) for arg in args), stdin=stdin)
    assert (result.code, result.stdout, result.stderr) == (code, "", message)


def test_a_key_is_rotated_once(cli: Cli) -> None:
    created = ok(cli("verifier", "api-key", "create", "--name", "x", "--regulation", "zorgtoeslag"))
    ok(cli("verifier", "api-key", "rotate", created["id"]))
    again = cli("verifier", "api-key", "rotate", created["id"])
    assert (again.code, again.stderr) == (1, "error: this API key was already rotated (conflict)\n")


def test_a_desk_the_registry_does_not_list_is_refused(cli: Cli, setup: Setup) -> None:
    governance = generate_private_key(JwsAlg.ES256)
    (setup.tmp_path / "governance.jwk").write_text(json.dumps(governance.public.to_jwk()))
    trust_list = setup.tmp_path / "trust-list.jwt"
    write_trust_list(
        trust_list, setup.agencies, "x509_hash:another-desk", governance, setup.clock()
    )
    result = cli(*REQUEST, "zorgtoeslag")
    assert (result.code, result.stdout, result.stderr) == (
        1,
        "",
        "error: the trust registry does not allow this request (verifier-not-registered) "
        "(forbidden)\n",
    )


UNREADABLE = "error: the trust registry cannot be read; try again later (temporarily_unavailable)\n"


@pytest.mark.parametrize("defect", ["missing", "other governance key", "expired"])
def test_a_trust_list_that_cannot_be_used_stops_new_transactions(
    cli: Cli, setup: Setup, defect: str
) -> None:
    trust_list = setup.tmp_path / "trust-list.jwt"
    if defect == "missing":
        trust_list.unlink()
    elif defect == "other governance key":
        other = generate_private_key(JwsAlg.ES256)
        write_trust_list(trust_list, setup.agencies, setup.client_id, other, setup.clock())
    else:
        setup.clock.advance(2 * 86_400)  # the list is signed for one day
    result = cli(*REQUEST, "zorgtoeslag")
    assert (result.code, result.stdout, result.stderr) == (1, "", UNREADABLE)


def test_a_refusal_from_the_real_command_is_one_line_without_the_input(run: Run) -> None:
    result = run(*REQUEST, "no_such_regulation", "--facts", "-", stdin=json.dumps({"age": 35}))
    assert (result.code, result.stdout, result.stderr) == (1, "", NOT_DECIDED)


def test_a_redirect_uri_that_is_not_a_web_address_is_refused(cli: Cli) -> None:
    result = cli(*REQUEST, "zorgtoeslag", "--redirect-uri", "javascript:alert(1)")
    assert (result.code, result.stdout) == (2, "")
    assert "javascript" not in result.stderr


def test_request_prints_the_qr_code_its_help_promises(cli: Cli) -> None:
    promised = "QR" in cli(*REQUEST[:2], "--help").stdout
    started = ok(cli(*REQUEST, "zorgtoeslag"))
    assert not promised or str(started.get("qr_svg")).startswith("<svg")


def test_the_client_identifier_can_be_read_before_registration(cli: Cli, setup: Setup) -> None:
    shown = ok(cli("verifier", "identity"))
    assert shown["client_id"] == setup.client_id


def test_settings_problems_name_the_variable_not_its_value(cli: Cli) -> None:
    result = cli(
        "verifier", "api-key", "list", env={"AANSPRAAK_VERIFIER_KB_MAX_AGE_SECONDS": "4242"}
    )
    assert result.code == 2
    assert result.stderr.startswith(
        "error: invalid settings: AANSPRAAK_VERIFIER_KB_MAX_AGE_SECONDS: "
    )
    assert "4242" not in result.stderr
    result = cli("verifier", "api-key", "list", env={"AANSPRAAK_TRUST_CONFIRMATIONS": "-4242"})
    assert result.code == 2
    assert result.stderr.startswith("error: invalid settings: AANSPRAAK_TRUST_CONFIRMATIONS: ")
    assert "4242" not in result.stderr
    secret = {"AANSPRAAK_VERIFIER_DATABASE_URL": "nope://a:hunter2@"}
    result = cli("verifier", "result", "x", env=secret)
    assert (result.code, result.stderr) == (
        2,
        "error: AANSPRAAK_VERIFIER_DATABASE_URL is not usable (is its driver installed?)\n",
    )
    result = cli("verifier", "api-key", "list", env={"AANSPRAAK_TRUST_BACKEND": "chain"})
    assert result.code == 2
    assert "AANSPRAAK_TRUST_RPC_URL" in result.stderr


def test_a_secret_in_the_public_url_is_not_repeated(cli: Cli) -> None:
    secret_url = {"AANSPRAAK_VERIFIER_PUBLIC_URL": "https://a:hunter2@desk.example"}
    result = cli("verifier", "api-key", "list", env=secret_url)
    assert result.code == 2
    assert "public_url" in result.stderr
    assert "hunter2" not in result.stderr


def test_a_problem_of_several_settings_is_not_named_as_a_variable(cli: Cli) -> None:
    secret_url = {"AANSPRAAK_VERIFIER_PUBLIC_URL": "https://a:hunter2@desk.example"}
    result = cli("verifier", "api-key", "list", env=secret_url)
    assert result.stderr.startswith("error: invalid settings: settings: Value error, public_url")


def test_an_unknown_configured_regulation_names_the_variable(cli: Cli) -> None:
    result = cli(
        "verifier", "api-key", "list", env={"AANSPRAAK_VERIFIER_REGULATIONS": f'["{CANARY}"]'}
    )
    assert result.code == 2
    assert "AANSPRAAK_VERIFIER_REGULATIONS" in result.stderr
    assert CANARY not in result.stderr


def test_a_port_out_of_range_is_a_settings_problem(cli: Cli) -> None:
    result = cli("verifier", "api-key", "list", env={"AANSPRAAK_VERIFIER_PORT": "99999"})
    assert result.code == 2
    assert result.stderr.startswith("error: invalid settings: AANSPRAAK_VERIFIER_PORT: ")


def test_production_refuses_to_start_without_provisioned_keys(cli: Cli, tmp_path: Path) -> None:
    production = {
        "AANSPRAAK_VERIFIER_PROFILE": "production",
        "AANSPRAAK_VERIFIER_PUBLIC_URL": "https://loket.gemeente.example",
        "AANSPRAAK_VERIFIER_DATA_DIR": str(tmp_path / "empty"),
    }
    result = cli("verifier", "api-key", "list", env=production)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.endswith(
        "signing-key.jwk: no signing key (provision one; see docs/verifier.md)\n"
    )
    assert not (tmp_path / "empty" / "signing-key.jwk").exists()


def test_serve_help_names_its_options(cli: Cli) -> None:
    shown = cli("verifier", "serve", "--help")
    assert shown.code == 0
    for option in ("--port", "--host", "--workers"):
        assert option in shown.stdout


def test_serve_starts_the_service_and_answers_livez_and_the_desk_page() -> None:
    with serve_command("verifier") as served:
        client, base = served.client, served.base
        page = client.get("/desk/page")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in page.headers["content-security-policy"]
        unauthenticated = client.post("/desk/transactions", json={"regulation": "zorgtoeslag"})
        assert unauthenticated.status_code == 401
    stdout, stderr = served.stdout, served.stderr
    assert f"verifier {DESK} listening on {base}" in stdout
    assert "desk page at /desk/page" in stdout
    assert "Traceback" not in stderr
