"""``aanspraak serve``: the issuer, the wallet service and the verifier, started together.

One process, one event loop, three uvicorn servers (``serve_all_loop``). Why one process and
not three: DESIGN §2 makes "one process" the embedded default for a single machine, and this
command is that default. One process is one thing to start, stop and supervise (a systemd
unit, a container), with one exit status, no children to reap or to orphan, and a Ctrl-C
that reaches every role at once. What it costs: the roles share one CPU core and one failure
domain. A deployment that needs more runs each role on its own, with
``aanspraak <role> serve --workers N`` (DESIGN §2, scale-out); the apps are the same.

Each role starts exactly as its own ``serve`` command starts it (``cli_serve.serve_role``):
the options become its ``AANSPRAAK_<ROLE>_PORT`` / ``_HOST``, it reads its own
``AANSPRAAK_<ROLE>_*`` and, for the wallet and the verifier, ``AANSPRAAK_TRUST_*``; its
prepare step runs once (keys, schema); its app comes from its ``serve.app_from_environment``
factory, so ``/docs``, ``/openapi.json``, ``/livez``, ``/readyz`` and ``/metrics`` are the ones
``runtime.app`` gives every role.

Nothing serves until everything could: every role's configuration is checked first
(``config_check``, all problems at once), then every role is prepared, its app built and its
address bound. A failure in any of these ends the command naming the role, before a port
answers (exit 2; 1 when a database could not be used, as for ``aanspraak <role> serve``).
Once serving, a role that stops on its own stops the others, and the command exits 1
naming it; SIGINT or SIGTERM stop all three gracefully and the command exits 0.

TLS: no role has a certificate setting (a production deployment usually ends TLS at a
proxy), so ``--tls-cert`` and ``--tls-key`` are options here and every role serves HTTPS
with them: one host, one certificate.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from fastapi import FastAPI

from aanspraak import issuer_cli_io, verifier_cli_io, wallet_cli
from aanspraak.cli_io import EXIT_USAGE, fail_usage
from aanspraak.cli_serve import override_address, shown_address
from aanspraak.config_check import Role, problems_of
from aanspraak.serve_all_loop import Listening, bind, serve_together
from issuer.serve import app_from_environment as issuer_app
from runtime.settings import ServiceSettings
from runtime.slow_clients import SERVICE_HTTP_PROTOCOL
from verifier.serve import app_from_environment as verifier_app
from wallet.serve import app_from_environment as wallet_app


@dataclass(frozen=True)
class _Role:
    """What ``aanspraak <role> serve`` uses to start one role, gathered for all three."""

    name: str
    env_prefix: str
    settings: Callable[[], ServiceSettings]
    prepare: Callable[[], object]
    factory: Callable[[], FastAPI]
    note: str = ""


ROLES = (
    _Role(
        "issuer",
        issuer_cli_io.ENV_PREFIX,
        issuer_cli_io.settings_from_environment,
        lambda: issuer_cli_io.run_on_database(issuer_cli_io.nothing_more),
        issuer_app,
    ),
    _Role(
        "wallet",
        wallet_cli.ENV_PREFIX,
        wallet_cli.settings_from_environment,
        wallet_cli.prepare_once,
        wallet_app,
        "; API under /v1",
    ),
    _Role(
        "verifier",
        verifier_cli_io.ENV_PREFIX,
        verifier_cli_io.settings_from_environment,
        lambda: verifier_cli_io.run_on_database(verifier_cli_io.nothing_more),
        verifier_app,
        "; desk page at /desk/page",
    ),
)
CHECKED = (Role.ISSUER, Role.WALLET, Role.VERIFIER, Role.TRUST)


def _port_option(role: str, default: int) -> Any:
    return typer.Option(
        min=0,
        max=65535,
        help=f"The {role}'s port (default: AANSPRAAK_{role.upper()}_PORT, else {default}).",
    )


def serve(
    *,
    issuer_port: Annotated[int | None, _port_option("issuer", 8001)] = None,
    wallet_port: Annotated[int | None, _port_option("wallet", 8002)] = None,
    verifier_port: Annotated[int | None, _port_option("verifier", 8003)] = None,
    host: Annotated[
        str | None, typer.Option(help="Address of all three (default: each role's _HOST).")
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate (chain) to serve HTTPS with.")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="PEM private key of --tls-cert (unencrypted).")
    ] = None,
) -> None:
    """Run the issuer, the wallet service and the verifier together, in one process."""
    if (tls_cert is None) != (tls_key is None):
        fail_usage("--tls-cert and --tls-key go together")
    ports = {"issuer": issuer_port, "wallet": wallet_port, "verifier": verifier_port}
    for role in ROLES:
        override_address(role.env_prefix, port=ports[role.name], host=host)
    _check_all()
    started = [_listening(role, tls_cert=tls_cert, tls_key=tls_key) for role in ROLES]
    for _, line in started:
        typer.echo(line)
    failed = serve_together([listening for listening, _ in started])
    if failed is not None:
        typer.echo(f"error: the {failed} stopped, so the other roles were stopped too", err=True)
        raise typer.Exit(1)
    typer.echo("stopped")


def _check_all() -> None:
    """Every role's problems at once, so one run shows everything there is to fix."""
    invalid = False
    for role in CHECKED:
        for problem in problems_of(role):
            typer.echo(f"error: {role.value}: {problem}", err=True)
            invalid = True
    if invalid:
        fail_usage("nothing was started (see `aanspraak config check`)")


def _listening(
    role: _Role, *, tls_cert: Path | None, tls_key: Path | None
) -> tuple[Listening, str]:
    """Prepared, built and bound as ``aanspraak <role> serve`` would, or an exit naming it;
    with the line that says where it listens, shown once every role got this far."""
    try:
        settings = role.settings()
        role.prepare()
        config = uvicorn.Config(
            role.factory(),
            access_log=False,  # request paths hold ids that lead to codes, nonces and offers
            http=SERVICE_HTTP_PROTOCOL,  # slow clients are cut off (runtime.slow_clients)
            ssl_certfile=tls_cert,
            ssl_keyfile=tls_key,
        )
        _load(config)
        try:
            bound = bind(settings.host, settings.port)
        except OSError as exc:
            address = shown_address("tcp", settings.host, settings.port)
            fail_usage(f"cannot listen on {address} ({exc.strerror or type(exc).__name__})")
    except typer.Exit as exc:
        if exc.exit_code == 0:
            raise
        typer.echo(f"error: the {role.name} cannot start; nothing was started", err=True)
        raise typer.Exit(exc.exit_code or EXIT_USAGE) from None
    scheme = "http" if tls_cert is None else "https"
    port = bound.getsockname()[1]
    where = shown_address(scheme, settings.host, port)
    line = f"{role.name} {settings.public_url} listening on {where}{role.note}"
    return Listening.of(role.name, config, bound), line


def _load(config: uvicorn.Config) -> None:
    """The app wrapped and the TLS context made now, so a bad certificate stops the start."""
    try:
        config.load()
    except (OSError, ssl.SSLError):  # names the options, not what the files hold
        fail_usage("--tls-cert and --tls-key are not a usable PEM certificate and key")
