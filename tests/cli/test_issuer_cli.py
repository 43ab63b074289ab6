"""``aanspraak issuer``: the operator's commands work on the service's own database and keys.

The service runs in the test process on the same settings (ASGI transport), so an offer made
on the command line is redeemed by a wallet at the service, and a revocation made on the
command line shows in the service's status list. ``offer``, ``serve`` and one refusal run as
real processes (the ``run`` fixture); the other commands run in this process through the same
command tree (``cli``), since starting ``aanspraak`` costs seconds and the file must stay quick.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from typer.testing import CliRunner

from aanspraak.cli import app as aanspraak
from issuer.app import build_app, prepare
from issuer.context import IssuerContext, build_context
from issuer.offers import OfferRequest, create_offer
from issuer.settings import IssuerSettings
from specs.jose import JwsAlg, parse_public_jwk
from specs.sd_jwt import NoKeyBinding
from specs.sd_jwt_vc import VerifiedSdJwtVc, parse_jwt_vc_issuer_metadata, verify_sd_jwt_vc
from specs.sd_jwt_vc.issuer_metadata import JwtVcIssuerMetadataResolver
from specs.status_list import StatusType, verify_status_list_token
from tests.cli.conftest import Result, Run
from tests.cli.serve_process import serve_command
from tests.issuer.conftest import INCOME_CLAIMS
from tests.issuer.wallet import PRE_AUTHORIZED, Wallet, holder_key, offer_from_link, proof_jwt

ISSUER = "http://127.0.0.1:8001"
TX_CODE_LENGTH = 8
UNDECLARED = {"year": 2024, "case_note": "do-not-echo-4711"}


def wall_clock() -> int:
    return int(time.time())


@pytest.fixture(autouse=True)
def claims_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The development profile on loopback, as the demo runs it; subprocesses inherit it."""
    for name in list(os.environ):
        if name.startswith("AANSPRAAK_ISSUER_"):
            monkeypatch.delenv(name)
    values = {
        "PROFILE": "development",
        "PUBLIC_URL": ISSUER,
        "DATA_DIR": str(tmp_path / "issuer"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/issuer.db",
        "TX_CODE_LENGTH": str(TX_CODE_LENGTH),
        "STATUS_LIST_SIZE": "1024",
    }
    for name, value in values.items():
        monkeypatch.setenv(f"AANSPRAAK_ISSUER_{name}", value)
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(INCOME_CLAIMS))
    return path


class LoopbackWallet(Wallet):
    """The test wallet, accepting the development profile's ``http`` issuer on loopback."""

    async def verify(self, issuer: str, tokens: list[str]) -> list[VerifiedSdJwtVc]:
        response = await self.client.get(f"{issuer}/.well-known/jwt-vc-issuer")
        metadata = parse_jwt_vc_issuer_metadata(
            response.json(), expected_issuer=issuer, allow_http=True
        )
        keys = JwtVcIssuerMetadataResolver({issuer: metadata})
        policy = NoKeyBinding()
        return [
            verify_sd_jwt_vc(
                t, issuer_keys=keys, key_binding=policy, now=wall_clock(), allow_http=True
            )
            for t in tokens
        ]


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


@asynccontextmanager
async def service() -> AsyncIterator[tuple[httpx.AsyncClient, IssuerContext]]:
    """The issuer app built from the same environment as the commands."""
    settings = IssuerSettings()  # type: ignore[call-arg]
    context = build_context(settings)
    app = build_app(settings, context=context)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
            yield client, context


def ok(result: Result) -> Any:
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


async def offer_in_process(context: IssuerContext, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "configuration_id": "household_income",
        "claims": INCOME_CLAIMS,
        "subject": None,
        "batch_size": 1,
        "deferred": False,
        "tx_code": True,
        "expires_in": None,
        **changes,
    }
    created = await create_offer(
        context, OfferRequest(**values), api_key_id=None, allowed=frozenset({"household_income"})
    )
    return created.as_json(with_qr=False)


async def status_of(client: httpx.AsyncClient, credential: VerifiedSdJwtVc) -> int:
    """The credential's entry in the service's Token Status List, the token verified."""
    assert credential.status is not None
    published = (await client.get("/.well-known/jwt-vc-issuer")).json()["jwks"]["keys"]
    response = await client.get(credential.status.uri)
    verified = verify_status_list_token(
        response.text,
        key=parse_public_jwk(published[0]),
        expected_uri=credential.status.uri,
        now=wall_clock(),
        leeway=0,
        max_age=86_400,
        algorithms={JwsAlg.ES256},
    )
    return verified.status_of(credential.status)


async def test_an_offer_made_here_is_redeemed_at_the_service_and_revoked_here(
    run: Run, cli: Cli, claims_file: Path, tmp_path: Path
) -> None:
    svg, png = tmp_path / "offer.svg", tmp_path / "offer.png"
    created = ok(
        run(
            *("issuer", "offer", "--configuration", "household_income"),
            *("--claims", str(claims_file), "--batch", "2"),
            *("--qr-svg", str(svg), "--qr-png", str(png)),
        )
    )
    assert offer_from_link(created["link"]) == created["credential_offer"]
    assert quote(created["credential_offer_uri"], safe="") in created["link_by_reference"]
    assert created["tx_code"].isdigit()
    assert len(created["tx_code"]) == TX_CODE_LENGTH
    grant = created["credential_offer"]["grants"][PRE_AUTHORIZED]
    assert grant["tx_code"]["length"] == TX_CODE_LENGTH
    assert "qr" not in created
    assert svg.read_text().startswith("<?xml")
    assert png.read_bytes().startswith(b"\x89PNG")

    async with service() as (client, _):
        wallet = LoopbackWallet(client, wall_clock)
        received = await wallet.receive(created["credential_offer"], created["tx_code"], batch=2)
        assert received.credentials[0].claims["joint_assessed_income_cents"] == 2_850_000
        offer_id = created["offer_id"]
        revoked = ok(await in_thread(cli, "issuer", "revoke", "--", offer_id))
        assert revoked == {"offer_id": offer_id, "status": "revoked", "changed": 2}
        for credential in received.credentials:
            assert await status_of(client, credential) == StatusType.INVALID

    shown = ok(await in_thread(cli, "issuer", "show", "--", offer_id))
    assert shown["credentials"] == {"revoked": 2}
    assert (shown["state"], shown["claims_held"]) == ("revoked", False)


async def test_approve_releases_a_deferred_offer_with_claims_from_stdin(
    cli: Cli,
) -> None:
    async with service() as (client, context):
        created = await offer_in_process(context, claims=None, deferred=True, tx_code=False)
        wallet = LoopbackWallet(client, wall_clock)
        token = (await wallet.token(created["credential_offer"], None)).json()["access_token"]
        metadata = await wallet.issuer_metadata(ISSUER)
        nonce = await wallet.nonce(metadata)
        proof = proof_jwt(holder_key(), audience=ISSUER, nonce=nonce, iat=wall_clock())
        body = {"credential_configuration_id": "household_income", "proofs": {"jwt": [proof]}}
        pending = await wallet.credential_request(metadata, token, body)
        assert pending.status_code == 202, pending.text

        offer_id = created["offer_id"]
        approved = await in_thread(
            cli,
            "issuer",
            "approve",
            "--claims",
            "-",
            "--",
            offer_id,
            stdin=json.dumps(INCOME_CLAIMS),
        )
        assert ok(approved) == {"offer_id": offer_id, "approved": True}

        issued = await client.post(
            metadata["deferred_credential_endpoint"],
            json={"transaction_id": pending.json()["transaction_id"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert issued.status_code == 200, issued.text
        tokens = [item["credential"] for item in issued.json()["credentials"]]
        (credential,) = await wallet.verify(ISSUER, tokens)
        assert credential.claims["year"] == 2024


async def test_api_keys_authenticate_rotate_with_overlap_and_revoke(cli: Cli) -> None:
    create = ("issuer", "api-key", "create", "--name", "toeslagen back office")
    created = ok(await in_thread(cli, *create, "--configuration", "household_income"))
    first, first_id = created["api_key"], created["id"]
    assert created["configurations"] == ["household_income"]
    body = {"configuration_id": "household_income", "claims": INCOME_CLAIMS}

    async def offer_with(client: httpx.AsyncClient, key: str, **changes: Any) -> int:
        response = await client.post(
            "/backoffice/offers",
            json={**body, **changes},
            headers={"Authorization": f"Bearer {key}"},
        )
        return response.status_code

    async with service() as (client, _):
        assert await offer_with(client, first) == 201
        assert await offer_with(client, first, configuration_id="rent", claims={"x": 1}) == 403
        rotate = ("issuer", "api-key", "rotate", "--overlap", "3600", "--", first_id)
        rotated = ok(await in_thread(cli, *rotate))
        second = rotated["api_key"]
        assert rotated["previous_key_id"] == first_id
        assert await offer_with(client, first) == 201  # the overlap
        assert await offer_with(client, second) == 201
        revoked = ok(await in_thread(cli, "issuer", "api-key", "revoke", "--", first_id))
        assert revoked == {"id": first_id, "revoked": True}
        assert await offer_with(client, first) == 401
        assert await offer_with(client, second) == 201

    listed = await in_thread(cli, "issuer", "api-key", "list", "--json")
    assert first not in listed.stdout
    assert second not in listed.stdout
    keys = {row["id"]: row for row in ok(listed)}
    assert keys[first_id]["revoked_at"] is not None
    assert keys[first_id]["expires_at"] is not None
    assert keys[rotated["id"]]["revoked_at"] is None
    assert keys[rotated["id"]]["name"] == "toeslagen back office"
    table = await in_thread(cli, "issuer", "api-key", "list")
    assert table.stdout.count("toeslagen back office") == 2
    assert first not in table.stdout


@pytest.fixture
def unredeemed() -> str:
    """Schema, keys and one offer nobody redeemed yet."""

    async def prepare_store() -> str:
        context = build_context(IssuerSettings())  # type: ignore[call-arg]
        try:
            await prepare(context)
            return str((await offer_in_process(context))["offer_id"])
        finally:
            await context.engine.dispose()

    return asyncio.run(prepare_store())


def test_keys_prints_what_the_service_publishes(cli: Cli, unredeemed: str) -> None:
    shown = ok(cli("issuer", "keys"))
    settings = IssuerSettings()  # type: ignore[call-arg]
    signing_key = json.loads(settings.signing_key_path.read_text())
    thumbprint = parse_public_jwk(
        {k: signing_key[k] for k in ("kty", "crv", "x", "y")}
    ).thumbprint()
    assert shown["active_kid"] == thumbprint  # what the trust registry anchors
    assert [key["kid"] for key in shown["jwks"]["keys"]] == [thumbprint]
    assert all("d" not in key for key in shown["jwks"]["keys"])


NOT_DECLARED = (
    "error: claims contain a name the credential type does not declare (invalid_request)\n"
)
OFFER = ("issuer", "offer", "--configuration")
REFUSALS: list[tuple[tuple[str, ...], str, int, str]] = [
    ((*OFFER, "no_such_type", "--claims", "{claims}"), "", 2,
     "error: unknown credential configuration (invalid_request)\n"),
    ((*OFFER, "household_income", "--claims", "{tmp}/missing.json"), "", 2,
     "error: cannot read the claims file\n"),
    ((*OFFER, "household_income", "--claims", "{tmp}/duplicate.json"), "", 2,
     "error: the claims file is not valid JSON (duplicate-json-key)\n"),
    ((*OFFER, "household_income", "--claims", "-"), json.dumps(UNDECLARED), 2, NOT_DECLARED),
    ((*OFFER, "household_income", "--claims", "-"), "{", 2,
     "error: the claims on stdin are not valid JSON (bad-json)\n"),
    ((*OFFER, "household_income"), "", 2,
     "error: claims or subject are required (invalid_request)\n"),
    ((*OFFER, "household_income", "--claims", "{claims}", "--batch", "11"), "", 2,
     "error: batch_size is out of range (invalid_request)\n"),
    (("issuer", "revoke", "no-such-offer"), "", 1, "error: no such offer (not_found)\n"),
    (("issuer", "show", "--", "-no-such-offer"), "", 1, "error: no such offer (not_found)\n"),
    (("issuer", "suspend", "--", "{unredeemed}"), "", 1,
     "error: no credential has been issued for this offer yet (conflict)\n"),
    (("issuer", "approve", "--", "{unredeemed}"), "", 1,
     "error: the offer is not waiting for approval (conflict)\n"),
    (("issuer", "api-key", "revoke", "no-such-key"), "", 1,
     "error: no such API key (not_found)\n"),
    (("issuer", "api-key", "rotate", "no-such-key"), "", 1,
     "error: no such API key (not_found)\n"),
    (("issuer", "api-key", "create", "--name", "x", "--configuration", "no_such_type"), "", 2,
     "error: unknown credential configuration\n"),
    (("issuer", "api-key", "create", "--name", "", "--configuration", "rent"), "", 2,
     "error: --name must be 1 to 200 characters\n"),
]  # fmt: skip


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda refusal: " ".join(refusal[0][1:3]))
def test_refusals_are_one_line_with_their_exit_code(
    cli: Cli,
    claims_file: Path,
    tmp_path: Path,
    unredeemed: str,
    refusal: tuple[tuple[str, ...], str, int, str],
) -> None:
    args, stdin, code, message = refusal
    (tmp_path / "duplicate.json").write_text('{"year": 2024, "year": 2025}')
    names = {"claims": str(claims_file), "tmp": str(tmp_path), "unredeemed": unredeemed}
    result = cli(*(arg.format(**names) for arg in args), stdin=stdin)
    assert (result.code, result.stdout, result.stderr) == (code, "", message)


def test_settings_problems_name_the_variable_not_its_value(cli: Cli) -> None:
    secret_url = {"AANSPRAAK_ISSUER_PUBLIC_URL": "https://a:hunter2@issuer.example"}
    result = cli("issuer", "keys", env=secret_url)
    assert result.code == 2
    assert result.stderr.startswith("error: invalid settings: settings: Value error, public_url")
    assert "hunter2" not in result.stderr
    result = cli("issuer", "keys", env={"AANSPRAAK_ISSUER_TX_CODE_LENGTH": "99"})
    assert result.stderr.startswith("error: invalid settings: AANSPRAAK_ISSUER_TX_CODE_LENGTH: ")
    assert "99" not in result.stderr
    result = cli("issuer", "show", "x", env={"AANSPRAAK_ISSUER_DATABASE_URL": "nope://a:hunter2@"})
    assert (result.code, result.stderr) == (
        2,
        "error: AANSPRAAK_ISSUER_DATABASE_URL is not usable (is its driver installed?)\n",
    )


def test_a_refusal_from_the_real_command_is_one_line_without_the_claims(run: Run) -> None:
    result = run(*OFFER, "household_income", "--claims", "-", stdin=json.dumps(UNDECLARED))
    assert (result.code, result.stdout, result.stderr) == (2, "", NOT_DECLARED)
    assert "4711" not in result.stderr


def test_serve_starts_the_service_and_answers_livez() -> None:
    with serve_command("issuer") as served:
        client, base = served.client, served.base
        metadata = client.get("/.well-known/openid-credential-issuer").json()
        assert metadata["credential_issuer"] == ISSUER
    stdout, stderr = served.stdout, served.stderr
    assert f"issuer {ISSUER} listening on {base}" in stdout
    assert "Traceback" not in stderr
