"""Compile trust/contracts/TrustRegistry.vy into the committed artifact TrustRegistry.json.

``python -m scripts.build_contract`` rewrites the artifact; ``--check`` only compares and exits 1
when the artifact is not what the source compiles to (``tests/trust/test_contract.py`` does the
same wherever vyper is installed, so the committed bytes cannot drift from the source).

The EVM version is passed explicitly, never left to the compiler's default: the bytecode must
run on every chain we read from. ``cancun`` is the newest fork that both the in-process EVM
(py-evm, via eth-tester) and the nodes we test against (anvil 1.7, which defaults to a later fork)
execute, and it is what permissioned Besu/geth networks have run since 2024.

Readers pin ``runtime_code_hash`` (keccak256 of the runtime bytecode): the contract has no
immutables, so the code at the deployed address is exactly ``bytecode_runtime``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import vyper
from eth_utils.crypto import keccak
from vyper.compiler.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "trust" / "contracts" / "TrustRegistry.vy"
TARGET = ROOT / "trust" / "contracts" / "TrustRegistry.json"
CONTRACT_PATH = "trust/contracts/TrustRegistry.vy"  # as the compiler sees it, machine-independent
EVM_VERSION = "cancun"


def compile_artifact(source: str, *, evm_version: str) -> dict[str, Any]:
    """What the committed artifact holds for ``source``: ABI, bytecodes, provenance."""
    output = vyper.compile_code(
        source,
        contract_path=CONTRACT_PATH,
        output_formats=["abi", "bytecode", "bytecode_runtime"],
        settings=Settings(evm_version=evm_version),
    )
    runtime = bytes.fromhex(output["bytecode_runtime"].removeprefix("0x"))
    return {
        "contract": "TrustRegistry",
        "source": CONTRACT_PATH,
        "source_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
        "compiler": f"vyper {vyper.__version__}",
        "evm_version": evm_version,
        "abi": output["abi"],
        "bytecode": output["bytecode"],
        "bytecode_runtime": output["bytecode_runtime"],
        "runtime_code_hash": "0x" + keccak(runtime).hex(),
    }


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.build_contract", description=__doc__)
    parser.add_argument("--evm-version", default=EVM_VERSION)
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    text = render(
        compile_artifact(SOURCE.read_text(encoding="utf-8"), evm_version=args.evm_version)
    )
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
        if current != text:
            print(
                f"{TARGET.relative_to(ROOT)} is out of date: run python -m scripts.build_contract"
            )
            return 1
        print(f"{TARGET.relative_to(ROOT)} is current")
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
