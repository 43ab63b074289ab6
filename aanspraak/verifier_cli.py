"""``aanspraak verifier``: run the desk's verifier and use it from the operator's shell.

The commands read the same ``AANSPRAAK_VERIFIER_*`` and ``AANSPRAAK_TRUST_*`` variables as
the service (``docs/verifier.example.env``), so they work on the service's own database and
keys: a transaction started here is answered at the running service, and its result read
here. Every command that touches the database first migrates it (``verifier.app.prepare``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from aanspraak.cli_io import fail_usage, read_json_file
from aanspraak.cli_serve import serve_role
from aanspraak.issuer_cli_io import print_json
from aanspraak.verifier_cli_io import ENV_PREFIX, nothing_more, run_on_database
from aanspraak.verifier_cli_io import settings_from_environment as settings_now
from runtime.key_files import KeyFileError
from verifier.results import transaction_result
from verifier.transactions import start_transaction

app = typer.Typer(
    help="The desk's verifier: run the service, request a presentation, read the decision.",
    no_args_is_help=True,
    add_completion=False,
)
api_key_app = typer.Typer(
    help="Desk API keys: shown once, stored as digests, scoped to regulations.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(api_key_app, name="api-key")
TransactionId = Annotated[str, typer.Argument(help="The transaction_id printed by `request`.")]
KeyId = Annotated[str, typer.Argument(help="The API key's id; put -- before one starting with -.")]
MAX_OVERLAP_SECONDS = 30 * 86_400


@app.command("serve")
def serve(
    port: Annotated[
        int | None, typer.Option(help="Port (default: AANSPRAAK_VERIFIER_PORT).")
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Address (default: AANSPRAAK_VERIFIER_HOST).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Run the verifier under uvicorn; each worker builds its app from the environment."""
    serve_role(
        role="verifier",
        env_prefix=ENV_PREFIX,
        factory="verifier.serve:app_from_environment",
        port=port,
        host=host,
        workers=workers,
        settings=settings_now,
        prepare=lambda: run_on_database(nothing_more),  # keys, certificate, schema: once
        note="; desk page at /desk/page",
    )


@app.command("request")
def request(
    regulation: Annotated[str, typer.Option(help="The regulation id (see `regulations list`).")],
    facts: Annotated[
        Path | None,
        typer.Option(help="JSON object of inputs the desk already holds; - reads stdin."),
    ] = None,
    redirect_uri: Annotated[
        str | None, typer.Option(help="Same-device flow: where the wallet returns the citizen.")
    ] = None,
) -> None:
    """Start a transaction; prints its JSON with the openid4vp:// link (and the QR as SVG)."""
    known: Any = None if facts is None else read_json_file(facts, "facts")
    if known is not None and not isinstance(known, dict):
        fail_usage("--facts must hold a JSON object")
    started = run_on_database(
        lambda context: start_transaction(
            context, regulation_id=regulation, facts=known, redirect_uri=redirect_uri
        )
    )
    print_json({**started.as_json(), "qr_svg": started.qr_svg()})


@app.command("identity")
def identity() -> None:
    """Print the client identifier and keys governance registers for this desk."""
    from verifier.identity import load_identity  # noqa: PLC0415

    settings = settings_now()
    try:
        loaded = load_identity(settings)
    except (KeyFileError, OSError, ValueError) as exc:
        fail_usage(str(exc))
    shown: dict[str, Any] = {
        "client_id": loaded.client_id,
        "prefix": loaded.prefix.value,
        "signing_key_thumbprint": loaded.signer.public.thumbprint(),
    }
    if loaded.certificates:
        leaf = loaded.certificates[0]
        shown["certificate_not_after"] = leaf.not_valid_after_utc.isoformat()
    print_json(shown)


@app.command("result")
def result(
    transaction_id: TransactionId,
    response_code: Annotated[
        str | None, typer.Option(help="Same-device flow: the response_code of the redirect.")
    ] = None,
) -> None:
    """Print a transaction's state and, once decided, the decision JSON."""
    shown = run_on_database(
        lambda context: transaction_result(
            context, transaction_id, api_key=None, response_code=response_code
        )
    )
    print_json(shown)


@api_key_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Option(help="Which desk system holds the key.")],
    regulation: Annotated[
        list[str], typer.Option(help="A regulation the key may request (repeat).")
    ],
) -> None:
    """Create a key; it is printed once and only its digest is stored."""
    if not 1 <= len(name) <= 200:
        fail_usage("--name must be 1 to 200 characters")

    async def create(context: Any) -> Any:
        unknown = set(regulation) - set(context.regulations())
        if unknown:
            fail_usage("unknown regulation (or not decided by this desk)")
        return await context.api_keys.create(name=name, scope=regulation)

    created = run_on_database(create)
    print_json(
        {
            "id": created.key.id,
            "name": created.key.name,
            "regulations": sorted(created.key.scope),
            "api_key": created.secret,
            "note": "shown once: store it now",
        }
    )


@api_key_app.command("list")
def api_key_list() -> None:
    """List keys (never their secrets)."""
    print_json(run_on_database(lambda context: context.api_keys.list()))


@api_key_app.command("rotate")
def api_key_rotate(
    key_id: KeyId,
    overlap: Annotated[
        int, typer.Option(min=0, max=MAX_OVERLAP_SECONDS, help="Seconds the old key still works.")
    ] = 86_400,
) -> None:
    """A new key with the same scope; the old one ends after the overlap."""
    fresh = run_on_database(
        lambda context: context.api_keys.rotate(key_id, overlap_seconds=overlap)
    )
    ends = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=overlap)
    print_json(
        {
            "id": fresh.key.id,
            "api_key": fresh.secret,
            "old_key_ends": ends.isoformat(timespec="seconds"),
            "note": "shown once: store it now",
        }
    )


@api_key_app.command("revoke")
def api_key_revoke(key_id: KeyId) -> None:
    """End a key at once."""
    run_on_database(lambda context: context.api_keys.revoke(key_id))
    print_json({"id": key_id, "revoked": True})
