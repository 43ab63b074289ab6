"""``aanspraak registry`` against a real node (anvil): deploy, govern, show.

Runs when ``TEST_CHAIN_RPC_URL`` is set (``.ci/run`` starts anvil), skipped otherwise. Takes
the same lock on the node as ``tests/trust/test_chain_anvil.py``, whose reorganisation test
reverts the node's state.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from runtime.regulations import find
from specs.jose import generate_private_key
from tests.cli.conftest import Run
from trust.contract import fund_from_node
from trust.rpc import BoundedHTTPProvider

URL = os.environ.get("TEST_CHAIN_RPC_URL", "")
needs_node = pytest.mark.skipif(not URL, reason="TEST_CHAIN_RPC_URL is not set (anvil)")
CLOSED = "http://127.0.0.1:1"  # nothing listens on port 1


@pytest.fixture
def node() -> Iterator[Web3]:
    name = hashlib.sha256(URL.encode()).hexdigest()[:16]
    with (Path(tempfile.gettempdir()) / f"aanspraak-chain-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield Web3(BoundedHTTPProvider(URL, timeout=10))


@needs_node
def test_deploy_govern_and_show(run: Run, node: Web3, tmp_path: Path) -> None:
    admin = Account.create()
    fund_from_node(node, admin.address, 10**20)
    key_file = tmp_path / "admin.key"
    key_file.write_text(admin.key.hex())
    key_file.chmod(0o600)
    common = ["--rpc-url", URL, "--admin-key-file", str(key_file)]

    deployed = run("registry", "deploy", *common)
    assert deployed.code == 0, deployed.stderr
    address = json.loads(deployed.stdout)["address"]
    at = [*common, "--address", address]

    issuer_key = generate_private_key()
    (tmp_path / "issuer.json").write_text(json.dumps(issuer_key.public.to_jwk()))
    added = run(
        "registry",
        "add-issuer",
        *at,
        "--issuer",
        "https://tax.example",
        "--vct",
        "urn:nl:belastingdienst:household-assets:1",
        "--key-file",
        str(tmp_path / "issuer.json"),
        "--valid-from",
        "2026-01-01",
        "--valid-until",
        "2027-01-01",
    )
    assert added.code == 0, added.stderr
    assert (
        run(
            "registry",
            "add-verifier",
            *at,
            "--client-id",
            "https://desk.example",
            "--regulation",
            "kwijtschelding",
            "--legal-basis",
            "Invorderingswet 1990 art. 26",
            "--valid-from",
            "2026-01-01",
            "--valid-until",
            "2027-01-01",
        ).code
        == 0
    )
    assert run("registry", "anchor-regulation", *at, "kwijtschelding").code == 0

    show = [
        "registry",
        "show",
        "--rpc-url",
        URL,
        "--address",
        address,
        "--chain-id",
        str(node.eth.chain_id),
    ]
    shown = json.loads(run(*show).stdout)
    assert shown["issuers"]["https://tax.example"]["key_refs"] == [issuer_key.public.thumbprint()]
    assert (
        '["joint_assets_within_kwijtschelding_limit_single"]'
        in (shown["verifiers"]["https://desk.example"]["kwijtschelding"])
    )
    assert shown["anchors"]["kwijtschelding@2026-01-01"] == find("kwijtschelding").version

    assert run("registry", "remove-issuer", *at, "--issuer", "https://tax.example").code == 0
    assert "https://tax.example" not in json.loads(run(*show).stdout)["issuers"]


def test_a_world_readable_admin_key_is_refused(run: Run, tmp_path: Path) -> None:
    key_file = tmp_path / "admin.key"
    key_file.write_text(Account.create().key.hex())
    key_file.chmod(0o644)
    result = run("registry", "deploy", "--rpc-url", CLOSED, "--admin-key-file", str(key_file))
    assert result.code == 2
    assert "readable by its owner only" in result.stderr


def test_an_unreachable_node_is_one_line_not_a_traceback(run: Run, tmp_path: Path) -> None:
    shown = run(
        "registry",
        "show",
        "--rpc-url",
        CLOSED,
        "--address",
        "0x" + "11" * 20,
        "--chain-id",
        "31337",
    )
    assert shown.code == 1
    assert shown.stderr.endswith("rejected: registry-unavailable\n")  # after the reader's log
    key_file = tmp_path / "admin.key"
    key_file.write_text(Account.create().key.hex())
    key_file.chmod(0o600)
    deployed = run("registry", "deploy", "--rpc-url", CLOSED, "--admin-key-file", str(key_file))
    assert (deployed.code, deployed.stderr) == (1, "error: the node did not answer as expected\n")


def test_the_admin_key_may_come_from_the_environment(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AANSPRAAK_TRUST_ADMIN_KEY_FILE", raising=False)
    monkeypatch.delenv("AANSPRAAK_TRUST_ADMIN_KEY", raising=False)
    missing = run("registry", "deploy", "--rpc-url", CLOSED)
    assert missing.code == 2
    assert "AANSPRAAK_TRUST_ADMIN_KEY" in missing.stderr
    monkeypatch.setenv("AANSPRAAK_TRUST_ADMIN_KEY", Account.create().key.hex())
    deployed = run("registry", "deploy", "--rpc-url", CLOSED)
    assert deployed.stderr == "error: the node did not answer as expected\n"  # the key was read
