"""The ``aanspraak`` command: the front door to every role (DESIGN §1, aanspraak/)."""

from __future__ import annotations

import typer

from aanspraak import (
    config_check,
    demo,
    issuer_cli,
    registry_cli,
    regulations_cli,
    sd_jwt_cli,
    serve_all,
    verifier_cli,
    wallet_cli,
)

app = typer.Typer(
    help="aanspraak: citizen-held credentials that decide eligibility without pooling data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(sd_jwt_cli.app, name="sd-jwt")
app.add_typer(regulations_cli.app, name="regulations")
app.add_typer(registry_cli.app, name="registry")
app.add_typer(issuer_cli.app, name="issuer")
app.add_typer(verifier_cli.app, name="verifier")
app.add_typer(wallet_cli.app, name="wallet")
app.command("demo")(demo.run)
app.command("serve")(serve_all.serve)
app.add_typer(config_check.app, name="config")


def main() -> None:
    app()
