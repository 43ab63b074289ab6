"""``aanspraak issuer api-key``: back-office API keys, shown once, stored as digests."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from aanspraak.cli_io import fail_usage
from aanspraak.issuer_cli_io import KeyId, print_json, run_on_database
from issuer.api_keys import create_api_key, list_api_keys, revoke_api_key, rotate_api_key

MAX_OVERLAP_SECONDS = 30 * 86_400

api_key_app = typer.Typer(
    help="Back-office API keys: shown once, stored as digests, scoped to configurations.",
    no_args_is_help=True,
    add_completion=False,
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
    created = run_on_database(
        lambda context: create_api_key(context, name=name, configurations=configuration)
    )
    print_json(
        {
            "id": created.key.id,
            "name": created.key.name,
            "configurations": sorted(created.key.scope),
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
    fresh = run_on_database(
        lambda context: rotate_api_key(context, key_id, overlap_seconds=overlap)
    )
    print_json(
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
    run_on_database(lambda context: revoke_api_key(context, key_id))
    print_json({"id": key_id, "revoked": True})


@api_key_app.command("list")
def api_key_list(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every key: id, name, scope and times; never a secret."""
    rows = run_on_database(list_api_keys)
    if json_output:
        print_json(rows)
        return
    for row in rows:  # one line per key, never truncated, whatever the terminal width
        times = (f"{what} {_when(row[f'{what}_at'])}" for what in ("created", "expires", "revoked"))
        scope = ",".join(map(str, row["configurations"]))  # type: ignore[call-overload]
        typer.echo(f"{row['id']}  {'  '.join(times)}  {scope}  {row['name']}")


def _when(epoch: object) -> str:
    if not isinstance(epoch, int):
        return "-"
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
