"""``aanspraak issuer``: run the agency issuer and administer it from the operator's shell.

The commands read the same ``AANSPRAAK_ISSUER_*`` variables as the service
(``docs/issuer.example.env``), so they work on the service's own database and keys: an offer
made here is redeemed at the running service, a revocation made here shows in its status
lists. Every command that touches the database first migrates it (``issuer.app.prepare``).

Exit codes and messages: see ``aanspraak.issuer_cli_io``; the API-key commands live in
``aanspraak.issuer_api_key_cli``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import segno
import typer

from aanspraak.cli_io import read_json_file
from aanspraak.cli_serve import serve_role
from aanspraak.issuer_api_key_cli import api_key_app
from aanspraak.issuer_cli_io import (
    ENV_PREFIX,
    OfferId,
    loaded,
    nothing_more,
    print_json,
    run_on_database,
    settings_from_environment,
)
from issuer.context import IssuerContext, load_keys
from issuer.offer_admin import CredentialStatus, approve_offer, change_status, describe_offer
from issuer.offers import OfferGrant, OfferRequest, create_offer
from issuer.reseal import BATCH, reseal

app = typer.Typer(
    help="The agency issuer: run the service, make offers, revoke, manage API keys and keys.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(api_key_app, name="api-key")

ClaimsOption = Annotated[
    Path | None, typer.Option(help="JSON file with the claims; - reads them from stdin.")
]


def _read_claims(source: Path | None) -> Any:
    """Claims from a file or, for ``-``, stdin (``cli_io.read_json_file``)."""
    return None if source is None else read_json_file(source, "claims")


@app.command("serve")
def serve(
    port: Annotated[int | None, typer.Option(help="Port (default: AANSPRAAK_ISSUER_PORT).")] = None,
    host: Annotated[
        str | None, typer.Option(help="Address (default: AANSPRAAK_ISSUER_HOST).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Run the issuer under uvicorn; each worker builds its app from the environment."""
    serve_role(
        role="issuer",
        env_prefix=ENV_PREFIX,
        factory="issuer.serve:app_from_environment",
        port=port,
        host=host,
        workers=workers,
        settings=settings_from_environment,
        prepare=lambda: run_on_database(nothing_more),  # keys and schema: once, not raced
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
    grant: Annotated[
        OfferGrant,
        typer.Option(
            help="authorization_code: the citizen logs in (as --subject, if given); no claims,"
            " no tx_code (HAIP 1.0 §4.2)."
        ),
    ] = OfferGrant.PRE_AUTHORIZED_CODE,
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
        tx_code=grant is OfferGrant.PRE_AUTHORIZED_CODE and not no_tx_code,
        expires_in=expires_in,
        grant=grant,
    )

    async def work(context: IssuerContext) -> dict[str, Any]:
        everything = frozenset(context.configurations.by_id)
        created = await create_offer(context, request, api_key_id=None, allowed=everything)
        return created.as_json(with_qr=False)

    created = run_on_database(work)
    print_json(created)  # first: if a QR file cannot be written, the tx_code is not lost
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
    changed = run_on_database(
        lambda context: change_status(context, offer_id, status, allowed=None)
    )
    print_json({"offer_id": offer_id, "status": status.value, "changed": changed})


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
    print_json(run_on_database(lambda context: describe_offer(context, offer_id, allowed=None)))


@app.command("approve")
def approve(offer_id: OfferId, claims: ClaimsOption = None) -> None:
    """Release a deferred offer, with its claims if the offer was made without them."""
    given = _read_claims(claims)
    run_on_database(lambda context: approve_offer(context, offer_id, claims=given, allowed=None))
    print_json({"offer_id": offer_id, "approved": True})


@app.command("keys")
def keys() -> None:
    """The published signing keys (kid = RFC 7638 thumbprint): what the registry anchors."""
    settings = settings_from_environment()
    published = loaded(lambda: load_keys(settings))
    print_json(
        {
            "issuer": settings.public_url,
            "active_kid": published.active.public.kid,
            "jwks": {"keys": [key.to_jwk() for key in published.published]},
        }
    )


@app.command("reseal")
def reseal_command(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="values per transaction")] = BATCH,
) -> None:
    """Seal every stored value again under the active storage key (after a rotation).

    Safe to stop and to run again. Afterwards the keys in RETIRED_STORAGE_KEY_FILES open
    nothing any more, but they still check the tx_codes of offers made before the switch:
    remove them once OFFER_TTL_SECONDS has passed (docs/issuer.md, "Rotating the storage
    key").
    """
    figures = run_on_database(lambda context: reseal(context, batch=batch))
    print_json(
        {
            "resealed": figures.resealed,
            "already_current": figures.current,
            "changed_meanwhile": figures.changed_meanwhile,
            "unopenable": figures.unopenable,
        }
    )
