"""``aanspraak registry``: deploy the trust registry and govern it on a chain node.

Writes are signed locally with an admin key from a file (``--admin-key-file`` or
``AANSPRAAK_TRUST_ADMIN_KEY_FILE``); the node is an operator-configured JSON-RPC endpoint
(``--rpc-url`` or ``AANSPRAAK_TRUST_RPC_URL``). The embedded in-process chain lives inside one
process (``aanspraak demo``), so these commands always talk to a node.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import requests
import typer
from cryptography import x509
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import Web3Exception

from aanspraak.cli_io import fail_usage, read_public_key
from runtime.regulations import find
from specs.errors import Rejected
from specs.rules import compile_dcql
from specs.trust import (
    IssuerEntry,
    RegulationAnchor,
    VerifierEntry,
    certificate_key_ref,
    claim_key,
)
from trust.chain import ChainTrustRegistry
from trust.contract import (
    RegistryWriteFailed,
    TrustRegistryContract,
    deploy,
    load_admin_account,
    load_artifact,
)
from trust.rpc import BoundedHTTPProvider
from trust.settings import TrustSettings

app = typer.Typer(
    help="The trust registry on an Ethereum-compatible chain: deploy, govern, show.",
    no_args_is_help=True,
    add_completion=False,
)

RpcOption = Annotated[str, typer.Option(envvar="AANSPRAAK_TRUST_RPC_URL", help="JSON-RPC URL.")]
AddressOption = Annotated[
    str, typer.Option(envvar="AANSPRAAK_TRUST_CONTRACT_ADDRESS", help="Registry address.")
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        envvar="AANSPRAAK_TRUST_ADMIN_KEY_FILE",
        help="File with the admin private key (hex); or set AANSPRAAK_TRUST_ADMIN_KEY.",
    ),
]
DateOption = Annotated[str, typer.Option(help="ISO date (UTC midnight).")]
MAX_CERTIFICATE_BYTES = 16 * 1024


def _w3(rpc_url: str) -> Web3:
    return Web3(BoundedHTTPProvider(rpc_url, timeout=10.0))


def _epoch(date: str) -> int:
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        fail_usage(f"not an ISO date: {date!r}")
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _admin(key_file: Path | None) -> LocalAccount:
    if key_file is None:
        secret = TrustSettings().admin_key
        if secret is None:
            fail_usage("give --admin-key-file or set AANSPRAAK_TRUST_ADMIN_KEY")
        try:
            account: LocalAccount = Account.from_key(secret.get_secret_value().strip())
        except (ValueError, TypeError):
            fail_usage("AANSPRAAK_TRUST_ADMIN_KEY is not a private key")
        return account
    try:
        return load_admin_account(key_file)
    except PermissionError:
        fail_usage("the admin key file must be readable by its owner only (chmod 600)")
    except (OSError, ValueError):
        fail_usage("cannot read a private key from the admin key file")


def _registry(rpc_url: str, address: str, key_file: Path | None) -> TrustRegistryContract:
    w3 = _w3(rpc_url)
    try:
        checksummed = Web3.to_checksum_address(address)
    except ValueError:
        fail_usage(f"not an address: {address!r}")
    return TrustRegistryContract(w3, checksummed, signer=_admin(key_file))


@contextmanager
def _node_errors() -> Iterator[None]:
    """A node that does not answer, a reverted write, a registry we cannot vouch for: one line."""
    try:
        yield
    except RegistryWriteFailed as exc:
        typer.echo(f"error: the registry refused the change ({exc})", err=True)
        raise typer.Exit(1) from None
    except Rejected as exc:
        typer.echo(f"rejected: {exc.reason.value}", err=True)
        raise typer.Exit(1) from None
    except (Web3Exception, OSError, requests.RequestException, TimeoutError):
        typer.echo("error: the node did not answer as expected", err=True)
        raise typer.Exit(1) from None


def _done(**shown: Any) -> None:
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@app.command("deploy")
def deploy_command(rpc_url: RpcOption, admin_key_file: KeyFileOption = None) -> None:
    """Deploy the committed contract; prints the address, chain id and runtime code hash."""
    w3 = _w3(rpc_url)
    admin = _admin(admin_key_file)
    with _node_errors():
        registry = deploy(w3, signer=admin)
    _done(
        address=registry.address,
        chain_id=w3.eth.chain_id,
        code_hash=load_artifact().runtime_code_hash,
        owner=registry.signer.address if registry.signer else None,
    )


@app.command("add-issuer")
def add_issuer(
    rpc_url: RpcOption,
    address: AddressOption,
    issuer: Annotated[str, typer.Option(help="The exact iss (HTTPS URL or DID).")],
    vct: Annotated[list[str], typer.Option(help="An authorised credential type (repeat).")],
    valid_from: DateOption,
    valid_until: DateOption,
    key_file: Annotated[
        list[Path] | None, typer.Option(help="A public JWK of the issuer (repeat).")
    ] = None,
    key_ref: Annotated[
        list[str] | None, typer.Option(help="A key reference: JWK thumbprint or x5c root hash.")
    ] = None,
    ca_cert: Annotated[
        list[Path] | None,
        typer.Option(help="The root certificate (PEM or DER) the issuer's x5c chains end in."),
    ] = None,
    admin_key_file: KeyFileOption = None,
) -> None:
    """Authorise an issuer for credential types with its keys, in a validity window."""
    refs = [read_public_key(p, "issuer key").thumbprint() for p in key_file or []]
    refs += [_root_key_ref(p) for p in ca_cert or []]
    refs += key_ref or []
    if not refs:
        fail_usage("give --key-file, --ca-cert or --key-ref")
    entry = IssuerEntry(
        issuer, frozenset(vct), frozenset(refs), _epoch(valid_from), _epoch(valid_until), 0
    )
    registry = _registry(rpc_url, address, admin_key_file)
    with _node_errors():
        receipt = registry.add_issuer(entry)
    _done(added=issuer, block=receipt["blockNumber"])


def _root_key_ref(path: Path) -> str:
    """HAIP §6.1.1 key resolution through x5c: the registry anchors a CA by the SHA-256 of
    its root's SubjectPublicKeyInfo (``specs.trust.certificate_key_ref``)."""
    try:
        raw = path.read_bytes()[: MAX_CERTIFICATE_BYTES + 1]
    except OSError:
        fail_usage("the CA certificate file cannot be read")
    if len(raw) > MAX_CERTIFICATE_BYTES:
        fail_usage("the CA certificate file is too large")
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            certificate = x509.load_pem_x509_certificate(raw)
        else:
            certificate = x509.load_der_x509_certificate(raw)
    except ValueError:
        fail_usage("the CA certificate file is not one PEM or DER certificate")
    return certificate_key_ref(certificate)


@app.command("remove-issuer")
def remove_issuer(
    rpc_url: RpcOption,
    address: AddressOption,
    issuer: Annotated[str, typer.Option()],
    admin_key_file: KeyFileOption = None,
) -> None:
    """Remove an issuer at once (no delay): its credentials are no longer trusted."""
    registry = _registry(rpc_url, address, admin_key_file)
    with _node_errors():
        receipt = registry.remove_issuer(issuer)
    _done(removed=issuer, block=receipt["blockNumber"])


@app.command("add-verifier")
def add_verifier(
    rpc_url: RpcOption,
    address: AddressOption,
    client_id: Annotated[str, typer.Option(help="The verifier's client identifier.")],
    regulation: Annotated[str, typer.Option(help="A bundled regulation id.")],
    legal_basis: Annotated[str, typer.Option(help="Why this desk may ask (law, article).")],
    valid_from: DateOption,
    valid_until: DateOption,
    admin_key_file: KeyFileOption = None,
) -> None:
    """Register a desk for one regulation: exactly the claims its compiled DCQL query asks."""
    try:
        compiled = find(regulation)
    except KeyError:
        fail_usage(f"no regulation {regulation!r}")
    claims = frozenset(claim_key(need.path) for need in compile_dcql(compiled).needs)
    entry = VerifierEntry(
        client_id, {regulation: claims}, legal_basis, _epoch(valid_from), _epoch(valid_until), 0
    )
    registry = _registry(rpc_url, address, admin_key_file)
    with _node_errors():
        receipt = registry.add_verifier(entry)
    _done(
        added=client_id, regulation=regulation, claims=sorted(claims), block=receipt["blockNumber"]
    )


@app.command("remove-verifier")
def remove_verifier(
    rpc_url: RpcOption,
    address: AddressOption,
    client_id: Annotated[str, typer.Option()],
    admin_key_file: KeyFileOption = None,
) -> None:
    """Remove a desk at once."""
    registry = _registry(rpc_url, address, admin_key_file)
    with _node_errors():
        receipt = registry.remove_verifier(client_id)
    _done(removed=client_id, block=receipt["blockNumber"])


@app.command("anchor-regulation")
def anchor_regulation(
    rpc_url: RpcOption,
    address: AddressOption,
    regulation: Annotated[str, typer.Argument(help="A bundled regulation id.")],
    admin_key_file: KeyFileOption = None,
) -> None:
    """Anchor the bundled version of a regulation (its content hash) for its valid_from."""
    try:
        compiled = find(regulation)
    except KeyError:
        fail_usage(f"no regulation {regulation!r}")
    anchor = RegulationAnchor(
        regulation, compiled.version, compiled.regulation.valid_from.isoformat(), 0
    )
    registry = _registry(rpc_url, address, admin_key_file)
    with _node_errors():
        receipt = registry.anchor_regulation(anchor)
    _done(anchored=regulation, version=compiled.version, block=receipt["blockNumber"])


@app.command("show")
def show(
    rpc_url: RpcOption,
    address: AddressOption,
    chain_id: Annotated[
        int, typer.Option(envvar="AANSPRAAK_TRUST_CHAIN_ID", help="The chain id to insist on.")
    ],
    confirmations: Annotated[
        int, typer.Option(envvar="AANSPRAAK_TRUST_CONFIRMATIONS", help="Blocks to wait.")
    ] = 0,
) -> None:
    """Everything the registry says now, read from confirmed state (JSON)."""
    try:
        settings = TrustSettings(
            rpc_url=rpc_url,
            contract_address=address,
            chain_id=chain_id,
            confirmations=confirmations,
        )
    except ValueError:
        fail_usage("check --rpc-url, --address and --chain-id")
    with _node_errors():
        registry = ChainTrustRegistry.from_settings(settings)
        snapshot = registry.snapshot(now=int(time.time()))
    _done(
        as_of=snapshot.as_of,
        issuers={
            k: {
                "vcts": sorted(v.vcts),
                "key_refs": sorted(v.key_refs),
                "valid_from": v.valid_from,
                "valid_until": v.valid_until,
            }
            for k, v in snapshot.issuers.items()
        },
        verifiers={
            k: {r: sorted(c) for r, c in v.permissions.items()}
            for k, v in snapshot.verifiers.items()
        },
        anchors={f"{r}@{d}": a.version for (r, d), a in snapshot.anchors.items()},
    )
