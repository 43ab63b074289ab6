"""``aanspraak registry add-issuer --ca-cert``: a CA anchored by its root's key reference
(HAIP §6.1.1; ``specs.trust.certificate_key_ref``)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from eth_account import Account
from web3 import Web3

from tests.ca import new_ca
from tests.cli.conftest import Result, Run
from tests.cli.test_registry_cli import CLOSED, URL, needs_node, node
from tests.conftest import FIXED_NOW
from trust.contract import fund_from_node

__all__ = ["node"]  # the fixture, shared with the registry CLI's own tests


def _add(run: Run, rpc_url: str, key_file: Path, address: str, *extra: str) -> Result:
    return run(
        "registry",
        "add-issuer",
        "--rpc-url",
        rpc_url,
        "--admin-key-file",
        str(key_file),
        "--address",
        address,
        "--issuer",
        "https://tax.example",
        "--vct",
        "urn:nl:belastingdienst:household-assets:1",
        "--valid-from",
        "2026-01-01",
        "--valid-until",
        "2027-01-01",
        *extra,
    )


def _admin_key(tmp_path: Path) -> Path:
    key_file = tmp_path / "admin.key"
    key_file.write_text(Account.create().key.hex())
    key_file.chmod(0o600)
    return key_file


def test_a_ca_cert_that_is_not_a_certificate_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "root.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    result = _add(run, CLOSED, _admin_key(tmp_path), "0x" + "11" * 20, "--ca-cert", str(bad))
    assert result.code == 2
    assert "not one PEM or DER certificate" in result.stderr
    missing = _add(
        run, CLOSED, _admin_key(tmp_path), "0x" + "11" * 20, "--ca-cert", str(tmp_path / "no")
    )
    assert missing.code == 2
    assert "cannot be read" in missing.stderr


@needs_node
def test_haip_6_1_1_add_issuer_registers_the_root_key_reference(
    run: Run, node: Web3, tmp_path: Path
) -> None:
    admin = Account.create()
    fund_from_node(node, admin.address, 10**20)
    key_file = tmp_path / "admin.key"
    key_file.write_text(admin.key.hex())
    key_file.chmod(0o600)
    deployed = run("registry", "deploy", "--rpc-url", URL, "--admin-key-file", str(key_file))
    assert deployed.code == 0, deployed.stderr
    address = json.loads(deployed.stdout)["address"]
    ca = new_ca(FIXED_NOW)
    pem, der = tmp_path / "root.pem", tmp_path / "root.der"
    pem.write_bytes(ca.root.public_bytes(Encoding.PEM))
    der.write_bytes(ca.root.public_bytes(Encoding.DER))
    for path in (pem, der):
        added = _add(run, URL, key_file, address, "--ca-cert", str(path))
        assert added.code == 0, added.stderr
        shown = run(
            "registry",
            "show",
            "--rpc-url",
            URL,
            "--address",
            address,
            "--chain-id",
            str(node.eth.chain_id),
        )
        assert json.loads(shown.stdout)["issuers"]["https://tax.example"]["key_refs"] == [
            ca.key_ref
        ]
        assert (
            run(
                "registry",
                "remove-issuer",
                "--rpc-url",
                URL,
                "--admin-key-file",
                str(key_file),
                "--address",
                address,
                "--issuer",
                "https://tax.example",
            ).code
            == 0
        )
