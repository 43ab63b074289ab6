"""Run the real ``aanspraak`` command in a subprocess: exit codes and stderr are the contract."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from specs.jose import PrivateJwk, generate_private_key


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    def _run(*args: str, stdin: str = "") -> Result:
        done = subprocess.run(
            [sys.executable, "-m", "aanspraak", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return Result(done.returncode, done.stdout, done.stderr)

    return _run


@dataclass(frozen=True)
class KeyFiles:
    issuer: PrivateJwk
    holder: PrivateJwk
    issuer_private: Path
    issuer_public: Path
    holder_private: Path
    holder_public: Path


@pytest.fixture
def keys(tmp_path: Path) -> KeyFiles:
    issuer, holder = generate_private_key(), generate_private_key()
    paths = {
        "issuer_private": issuer.to_jwk(),
        "issuer_public": issuer.public.to_jwk(),
        "holder_private": holder.to_jwk(),
        "holder_public": holder.public.to_jwk(),
    }
    for name, jwk in paths.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(jwk))
    return KeyFiles(issuer, holder, *(tmp_path / f"{name}.json" for name in paths))
