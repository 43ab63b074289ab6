"""``aanspraak issuer``: run the agency issuer and administer it from the operator's shell.

The commands read the same ``AANSPRAAK_ISSUER_*`` variables as the service
(``docs/issuer.example.env``), so they work on the service's own database and keys: an offer
made here is redeemed at the running service, a revocation made here shows in its status
lists. Every command that touches the database first migrates it (``issuer.app.prepare``).

Exit codes follow ``aanspraak.cli_io``: 0 done; 1 the issuer refused (no such offer, a
conflict) or the database failed; 2 a usage or configuration error (bad input, invalid
settings, unusable key files). Messages are the issuer's fixed texts: never claim values,
codes or keys (DESIGN §3).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import segno
import typer
import uvicorn
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy.exc import SQLAlchemyError

from aanspraak.cli_io import EXIT_USAGE, MAX_FILE_CHARS, fail_usage, read_json_file, read_stdin
from issuer.api_keys import create_api_key, list_api_keys, revoke_api_key, rotate_api_key
from issuer.app import prepare
from issuer.configurations import UnknownConfiguration
from issuer.context import IssuerContext, build_context, load_keys
from issuer.keys import KeyFileError
from issuer.offer_admin import CredentialStatus, approve_offer, change_status, describe_offer
from issuer.offers import OfferRequest, create_offer
from issuer.settings import IssuerSettings
from runtime.wire import InvalidRequest, WireError
from specs.errors import Rejected
from specs.jose import loads_strict

app = typer.Typer(
    help="The agency issuer: run the service, make offers, revoke, manage API keys and keys.",
    no_args_is_help=True,
    add_completion=False,
)
api_key_app = typer.Typer(
    help="Back-office API keys: shown once, stored as digests, scoped to configurations.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(api_key_app, name="api-key")

T = TypeVar("T")
ENV_PREFIX = "AANSPRAAK_ISSUER_"
MAX_OVERLAP_SECONDS = 30 * 86_400

#: Ids are base64url, so one may start with "-": give it after "--" (``revoke -- -Xy...``).
OfferId = Annotated[
    str, typer.Argument(help="The offer_id printed by `offer`; put -- before one starting with -.")
]
KeyId = Annotated[str, typer.Argument(help="The API key's id; put -- before one starting with -.")]
ClaimsOption = Annotated[
    Path | None, typer.Option(help="JSON file with the claims; - reads them from stdin.")
]


def _print(shown: Any) -> None:
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


def _settings() -> IssuerSettings:
    """The service's settings; a problem names the variable, never its value."""
    try:
        return IssuerSettings()  # type: ignore[call-arg]  # public_url from the environment
    except ValidationError as exc:
        problems = "; ".join(f"{_variable(e['loc'])}: {e['msg']}" for e in exc.errors())
        fail_usage(f"invalid settings: {problems}")
    except SettingsError as exc:  # a list variable that is not JSON; names the field only
        fail_usage(f"invalid settings: {exc}")


def _variable(location: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "_".join(map(str, location)).upper() if location else "settings"


def _loaded(load: Callable[[], T]) -> T:
    """Keys and configuration loaded at start; the messages name files, not their content."""
    try:
        return load()
    except (KeyFileError, UnknownConfiguration, PermissionError, ValueError) as exc:
        fail_usage(str(exc))
    except OSError as exc:
        fail_usage(f"{exc.filename or 'a key file'}: cannot be read or created")


def _refused(error: WireError) -> NoReturn:
    typer.echo(f"error: {error.error_description} ({error.error})", err=True)
    raise typer.Exit(EXIT_USAGE if isinstance(error, InvalidRequest) else 1)


def _run(work: Callable[[IssuerContext], Awaitable[T]]) -> T:
    """Migrate, then ``work`` on the service's database; the issuer's refusals become exits."""
    settings = _settings()
    try:
        context = _loaded(lambda: build_context(settings))
    except (SQLAlchemyError, ImportError):  # the URL may carry a password: not repeated
        fail_usage(f"{ENV_PREFIX}DATABASE_URL is not usable (is its driver installed?)")

    async def main() -> T:
        try:
            await prepare(context)
            return await work(context)
        finally:
            await context.engine.dispose()

    try:
        return asyncio.run(main())
    except WireError as exc:
        _refused(exc)
    except UnknownConfiguration:
        fail_usage("unknown credential configuration")
    except (SQLAlchemyError, OSError) as exc:  # the class only: messages carry parameters
        typer.echo(f"error: the database could not be used ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from None


async def _nothing_more(context: IssuerContext) -> None:
    """For ``serve``: the migration in ``_run`` is all that is needed before the workers."""
    del context


def _read_claims(source: Path | None) -> Any:
    """Claims from a file or stdin, bounded and strictly parsed; errors never show the data."""
    if source is None:
        return None
    if str(source) != "-":
        return read_json_file(source, "claims")
    text = read_stdin(MAX_FILE_CHARS)
    if len(text) > MAX_FILE_CHARS:
        fail_usage(f"the claims on stdin are larger than {MAX_FILE_CHARS} characters")
    try:
        return loads_strict(text)
    except Rejected as exc:
        fail_usage(f"the claims on stdin are not valid JSON ({exc.reason.value})")


@app.command("serve")
def serve(
    port: Annotated[int | None, typer.Option(help="Port (default: AANSPRAAK_ISSUER_PORT).")] = None,
    host: Annotated[
        str | None, typer.Option(help="Address (default: AANSPRAAK_ISSUER_HOST).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Run the issuer under uvicorn; each worker builds its app from the environment."""
    if port is not None:
        os.environ[f"{ENV_PREFIX}PORT"] = str(port)
    if host is not None:
        os.environ[f"{ENV_PREFIX}HOST"] = host
    settings = _settings()
    _run(_nothing_more)  # keys created and schema migrated once, not raced by the workers
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    typer.echo(
        f"issuer {settings.public_url} listening on http://{shown_host}:{settings.port}"
        f" ({workers} worker{'s' if workers > 1 else ''})"
    )
    uvicorn.run(
        "issuer.serve:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        access_log=False,  # request paths hold offer ids, which lead to pre-authorized codes
    )


@app.command("offer")
def offer(
    configuration: Annotated[str, typer.Option(help="A credential configuration id.")],
    claims: ClaimsOption = None,
    subject: Annotated[str | None, typer.Option(help="A reference for the subject source.")] = None,
    batch: Annotated[int, typer.Option(help="One-time credential instances.")] = 1,
    deferred: Annotated[bool, typer.Option("--deferred", help="Issue after `approve`.")] = False,
    no_tx_code: Annotated[
        bool, typer.Option("--no-tx-code", help="No tx_code (only for a trusted channel).")
    ] = False,
    expires_in: Annotated[int | None, typer.Option(help="Seconds the offer is valid.")] = None,
    qr_svg: Annotated[Path | None, typer.Option(help="Write the QR code as SVG here.")] = None,
    qr_png: Annotated[Path | None, typer.Option(help="Write the QR code as PNG here.")] = None,
) -> None:
    """Create an offer; prints its links and the tx_code to send the citizen out of band."""
    request = OfferRequest(
        configuration_id=configuration,
        claims=_read_claims(claims),
        subject=subject,
        batch_size=batch,
        deferred=deferred,
        tx_code=not no_tx_code,
        expires_in=expires_in,
    )

    async def work(context: IssuerContext) -> dict[str, Any]:
        everything = frozenset(context.configurations.by_id)
        created = await create_offer(context, request, api_key_id=None, allowed=everything)
        return created.as_json(with_qr=False)

    created = _run(work)
    _print(created)  # first: if a QR file cannot be written, the tx_code is not lost
    if qr_svg is not None or qr_png is not None:
        _write_qr(created["link_by_reference"], svg=qr_svg, png=qr_png)


def _write_qr(link: str, *, svg: Path | None, png: Path | None) -> None:
    """The by-reference link, like the back-office API's QR code: short, so easy to scan."""
    code = segno.make(link, error="m")
    try:
        if svg is not None:
            code.save(str(svg), kind="svg", scale=4)
        if png is not None:
            code.save(str(png), kind="png", scale=4)
    except OSError:
        typer.echo("error: cannot write the QR code file (the offer was created)", err=True)
        raise typer.Exit(1) from None


def _change(offer_id: str, status: CredentialStatus) -> None:
    changed = _run(lambda context: change_status(context, offer_id, status, allowed=None))
    _print({"offer_id": offer_id, "status": status.value, "changed": changed})


@app.command("revoke")
def revoke(offer_id: OfferId) -> None:
    """Revoke every credential of the offer, for good (status list: INVALID)."""
    _change(offer_id, CredentialStatus.REVOKED)


@app.command("suspend")
def suspend(offer_id: OfferId) -> None:
    """Suspend every credential of the offer until `reinstate`."""
    _change(offer_id, CredentialStatus.SUSPENDED)


@app.command("reinstate")
def reinstate(offer_id: OfferId) -> None:
    """Make suspended credentials of the offer valid again (revoked ones stay revoked)."""
    _change(offer_id, CredentialStatus.VALID)


@app.command("show")
def show(offer_id: OfferId) -> None:
    """State of an offer and how many of its credentials are valid, suspended, revoked."""
    _print(_run(lambda context: describe_offer(context, offer_id, allowed=None)))


@app.command("approve")
def approve(offer_id: OfferId, claims: ClaimsOption = None) -> None:
    """Release a deferred offer, with its claims if the offer was made without them."""
    given = _read_claims(claims)
    _run(lambda context: approve_offer(context, offer_id, claims=given, allowed=None))
    _print({"offer_id": offer_id, "approved": True})


@app.command("keys")
def keys() -> None:
    """The published signing keys (kid = RFC 7638 thumbprint): what the registry anchors."""
    settings = _settings()
    loaded = _loaded(lambda: load_keys(settings))
    _print(
        {
            "issuer": settings.public_url,
            "active_kid": loaded.active.public.kid,
            "jwks": {"keys": [key.to_jwk() for key in loaded.published]},
        }
    )


@api_key_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Option(help="Which back-office system holds the key.")],
    configuration: Annotated[
        list[str], typer.Option(help="A configuration the key may offer (repeat).")
    ],
) -> None:
    """Create a key; it is printed once and only its digest is stored."""
    if not 1 <= len(name) <= 200:
        fail_usage("--name must be 1 to 200 characters")
    created = _run(lambda context: create_api_key(context, name=name, configurations=configuration))
    _print(
        {
            "id": created.key.id,
            "name": created.key.name,
            "configurations": sorted(created.key.configurations),
            "api_key": created.secret,
        }
    )
    typer.echo("note: the API key is shown only now; store it in the back office", err=True)


@api_key_app.command("rotate")
def api_key_rotate(
    key_id: KeyId,
    overlap: Annotated[
        int,
        typer.Option(min=0, max=MAX_OVERLAP_SECONDS, help="Seconds the old key keeps working."),
    ] = 86_400,
) -> None:
    """A new key with the same name and scope; the old one ends after the overlap."""
    fresh = _run(lambda context: rotate_api_key(context, key_id, overlap_seconds=overlap))
    _print(
        {
            "id": fresh.key.id,
            "api_key": fresh.secret,
            "previous_key_id": key_id,
            "previous_key_valid_for": overlap,
        }
    )


@api_key_app.command("revoke")
def api_key_revoke(key_id: KeyId) -> None:
    """End a key at once."""
    _run(lambda context: revoke_api_key(context, key_id))
    _print({"id": key_id, "revoked": True})


@api_key_app.command("list")
def api_key_list(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every key: id, name, scope and times; never a secret."""
    rows = _run(list_api_keys)
    if json_output:
        _print(rows)
        return
    for row in rows:  # one line per key, never truncated, whatever the terminal width
        times = (f"{what} {_when(row[f'{what}_at'])}" for what in ("created", "expires", "revoked"))
        scope = ",".join(map(str, row["configurations"]))  # type: ignore[call-overload]
        typer.echo(f"{row['id']}  {'  '.join(times)}  {scope}  {row['name']}")


def _when(epoch: object) -> str:
    if not isinstance(epoch, int):
        return "-"
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
