"""Shared pieces of the interop tests: keys, one credential scenario, our CLI, tamperings.

Our implementation is reached only through its command line (``python -m aanspraak sd-jwt``):
that is the contract the other implementations are checked against. The independent
implementations (node ``@sd-jwt/sd-jwt-vc``, PyPI ``sd-jwt``) each get an adapter in their test
module with the same three verbs as ``OurCli`` here (``issue``, ``present``, ``verify``), so a
test can combine any issuer, holder and verifier.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

REPO = Path(__file__).resolve().parents[2]
CLI_TIMEOUT_SECONDS = 60

# Claims that stay in the clear in every SD-JWT VC (the CLI contract; SD-JWT VC §3.2.2.2).
ALWAYS_VISIBLE = frozenset({"iss", "iat", "nbf", "exp", "vct", "cnf", "status"})
REJECTED_LINE = re.compile(r"rejected: [a-z0-9][a-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    """A P-256 key as JWKs, and the files the CLI reads them from."""

    private_jwk: dict[str, str]
    public_jwk: dict[str, str]
    private_path: Path
    public_path: Path


def _coordinate(value: int) -> str:
    return b64url_encode(value.to_bytes(32, "big"))  # RFC 7518 §6.2.1.2: full length, no sign


def make_key_pair(directory: Path, name: str) -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.private_numbers()
    public = {
        "kty": "EC",
        "crv": "P-256",
        "x": _coordinate(numbers.public_numbers.x),
        "y": _coordinate(numbers.public_numbers.y),
    }
    private = {**public, "d": _coordinate(numbers.private_value)}
    private_path = directory / f"{name}.private.jwk.json"
    public_path = directory / f"{name}.public.jwk.json"
    private_path.write_text(json.dumps(private), encoding="utf-8")
    private_path.chmod(0o600)
    public_path.write_text(json.dumps(public), encoding="utf-8")
    return KeyPair(private, public, private_path, public_path)


@pytest.fixture
def issuer_key(tmp_path: Path) -> KeyPair:
    return make_key_pair(tmp_path, "issuer")


@pytest.fixture
def holder_key(tmp_path: Path) -> KeyPair:
    return make_key_pair(tmp_path, "holder")


# --- the credential every interop test issues, presents and verifies -----------------------


@dataclass(frozen=True)
class Scenario:
    """One credential, one selection of claims to disclose, one verifier request.

    ``disclosed_paths`` is the single source of the selection; each implementation's adapter
    turns it into its own format (CLI paths, a JS presentation frame, a PyPI claims tree).
    """

    iss: str
    vct: str
    issued_at: int
    presented_at: int
    verified_at: int
    nonce: str
    audience: str
    claims: dict[str, Any]
    disclosed_paths: tuple[tuple[str | int, ...], ...]
    expected_disclosed: dict[str, Any]

    def check_payload(self, payload: dict[str, Any], holder: KeyPair) -> None:
        """The processed payload has the visible claims and exactly the disclosed ones."""
        assert payload["iss"] == self.iss
        assert payload["vct"] == self.vct
        cnf_jwk = payload["cnf"]["jwk"]
        assert {name: cnf_jwk.get(name) for name in ("kty", "crv", "x", "y")} == holder.public_jwk
        disclosed = {name: value for name, value in payload.items() if name not in ALWAYS_VISIBLE}
        assert disclosed == self.expected_disclosed


@pytest.fixture
def scenario(now: int) -> Scenario:
    return Scenario(
        iss="https://issuer.example.invalid",
        vct="https://credentials.example.invalid/identity",
        issued_at=now,
        presented_at=now + 60,
        verified_at=now + 120,
        nonce="n-0S6_WzA2Mj",
        audience="https://verifier.example.invalid",
        claims={
            # Non-ASCII on purpose: node writes it raw in UTF-8, PyPI sd-jwt escapes it (\u00eb).
            "given_name": "Zoë",
            "family_name": "de Vries",
            "age_over_18": True,
            "address": {"street_address": "Oudegracht 1", "locality": "Utrecht", "country": "NL"},
            "nationalities": ["NL", "DE"],
        },
        disclosed_paths=(("given_name",), ("address", "locality"), ("nationalities", 1)),
        # Undisclosed array elements are removed (RFC 9901 §7.3), so "NL" leaves no gap.
        expected_disclosed={
            "given_name": "Zoë",
            "address": {"locality": "Utrecht"},
            "nationalities": ["DE"],
        },
    )


# --- the three roles, as every implementation's adapter offers them -----------------------


class Implementation(Protocol):
    """Issue the scenario's credential, present it, verify a presentation or require a no."""

    name: str

    def issue(self) -> str: ...

    def present(self, sd_jwt: str) -> str: ...

    def verify(self, presentation: str) -> dict[str, Any]: ...

    def reject(self, presentation: str) -> str:
        """Require a rejection; return its reason (our slug, or the other side's message)."""
        ...


# --- our implementation, through its command line -----------------------------------------


class OurCli:
    """``aanspraak sd-jwt issue | present | verify`` with the scenario's inputs."""

    name = "ours"

    def __init__(self, workdir: Path, scenario: Scenario, issuer: KeyPair, holder: KeyPair):
        self._workdir = workdir
        self._scenario = scenario
        self._issuer = issuer
        self._holder = holder

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [sys.executable, "-m", "aanspraak", *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=CLI_TIMEOUT_SECONDS,
            cwd=REPO,
            check=False,
        )
        if "No module named aanspraak.__main__" in completed.stderr:
            pytest.fail("the aanspraak CLI (python -m aanspraak) does not exist yet")
        return completed

    def _succeed(self, *args: str, stdin: str = "") -> str:
        completed = self.run(*args, stdin=stdin)
        assert completed.returncode == 0, (
            f"{args[1]} exited {completed.returncode}: {completed.stderr}"
        )
        return completed.stdout.strip()

    def issue(self) -> str:
        claims_path = self._workdir / "claims.json"
        # iss travels in the claims file; iat comes from --now.
        claims = {"iss": self._scenario.iss, **self._scenario.claims}
        claims_path.write_text(json.dumps(claims, ensure_ascii=False), encoding="utf-8")
        return self._succeed(
            "sd-jwt", "issue",
            "--issuer-key", str(self._issuer.private_path),
            "--claims", str(claims_path),
            "--holder-key", str(self._holder.public_path),
            "--vct", self._scenario.vct,
            "--now", str(self._scenario.issued_at),
        )  # fmt: skip

    def present(self, sd_jwt: str) -> str:
        disclose: list[str] = []
        for path in self._scenario.disclosed_paths:
            # Both spellings of the contract get used: dotted for paths with an array index
            # (nationalities.1), a DCQL claims path (["address", "locality"]) for the others.
            has_index = any(isinstance(part, int) for part in path)
            spelled = ".".join(str(part) for part in path) if has_index else json.dumps(list(path))
            disclose += ["--disclose", spelled]
        return self._succeed(
            "sd-jwt", "present",
            "--holder-key", str(self._holder.private_path),
            *disclose,
            "--nonce", self._scenario.nonce,
            "--audience", self._scenario.audience,
            "--now", str(self._scenario.presented_at),
            stdin=sd_jwt,
        )  # fmt: skip

    def _verify(self, presentation: str) -> subprocess.CompletedProcess[str]:
        return self.run(
            "sd-jwt", "verify",
            "--issuer-key", str(self._issuer.public_path),
            "--vc",
            "--nonce", self._scenario.nonce,
            "--audience", self._scenario.audience,
            "--now", str(self._scenario.verified_at),
            stdin=presentation,
        )  # fmt: skip

    def verify(self, presentation: str) -> dict[str, Any]:
        completed = self._verify(presentation)
        assert completed.returncode == 0, f"our verifier refused: {completed.stderr}"
        payload: dict[str, Any] = json.loads(completed.stdout)
        return payload

    def reject(self, presentation: str) -> str:
        """Require a rejection as the contract words it and return its reason slug."""
        completed = self._verify(presentation)
        assert completed.returncode == 1, f"expected exit 1, got {completed.returncode}"
        lines = completed.stderr.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got {completed.stderr!r}"
        assert REJECTED_LINE.fullmatch(lines[0]), f"not a rejection line: {lines[0]!r}"
        assert completed.stdout == "", "a rejected token must not print a payload"
        return lines[0].removeprefix("rejected: ")


@pytest.fixture
def ours(tmp_path: Path, scenario: Scenario, issuer_key: KeyPair, holder_key: KeyPair) -> OurCli:
    return OurCli(tmp_path, scenario, issuer_key, holder_key)


# --- tamperings: each must make every verifier reject the presentation ---------------------


def _parts(presentation: str) -> list[str]:
    parts = presentation.split("~")
    assert len(parts) >= 3, "expected a compact SD-JWT+KB"
    assert parts[-1], "expected a KB-JWT at the end"
    return parts


def forge_issuer_claim(presentation: str) -> str:
    """Change ``iss`` in the issuer-signed payload and keep the old signature."""
    parts = _parts(presentation)
    header, payload, signature = parts[0].split(".")
    claims = json.loads(b64url_decode(payload))
    claims["iss"] = "https://attacker.example.invalid"
    parts[0] = ".".join([header, b64url_encode(json.dumps(claims).encode()), signature])
    return "~".join(parts)


def forge_disclosure(presentation: str) -> str:
    """Swap the given_name Disclosure for one with another value (a fresh, unsigned digest)."""
    parts = _parts(presentation)
    for index, disclosure in enumerate(parts[1:-1], start=1):
        decoded = json.loads(b64url_decode(disclosure))
        if len(decoded) == 3 and decoded[1] == "given_name":
            forged = [decoded[0], "given_name", "Mallory"]
            parts[index] = b64url_encode(json.dumps(forged).encode())
            return "~".join(parts)
    raise AssertionError("no given_name Disclosure in the presentation")


def corrupt_key_binding_signature(presentation: str) -> str:
    """Flip one bit inside the KB-JWT signature (decoded, so no base64 padding bits)."""
    parts = _parts(presentation)
    header, payload, signature = parts[-1].split(".")
    raw = bytearray(b64url_decode(signature))
    raw[len(raw) // 2] ^= 0x01
    parts[-1] = ".".join([header, payload, b64url_encode(bytes(raw))])
    return "~".join(parts)


def strip_key_binding(presentation: str) -> str:
    """Drop the KB-JWT: an SD-JWT without key binding where the verifier requires it."""
    parts = _parts(presentation)
    parts[-1] = ""
    return "~".join(parts)


TAMPERINGS: dict[str, Callable[[str], str]] = {
    "forged-issuer-claim": forge_issuer_claim,
    "forged-disclosure": forge_disclosure,
    "corrupt-kb-signature": corrupt_key_binding_signature,
    "stripped-kb": strip_key_binding,
}


@pytest.fixture(params=sorted(TAMPERINGS))
def tamper(request: pytest.FixtureRequest) -> Callable[[str], str]:
    tampering: Callable[[str], str] = TAMPERINGS[request.param]
    return tampering


JS_HARNESS = REPO / "interop" / "js"


@pytest.fixture(scope="session")
def node_executable() -> str:
    """Node with the pinned ``@sd-jwt/*`` packages installed, or a skip saying what is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH (the JS interop harness needs Node 20)")
    if not (JS_HARNESS / "node_modules" / "@sd-jwt" / "sd-jwt-vc").is_dir():
        pytest.skip("interop/js/node_modules is missing: run `npm ci` in interop/js")
    return node
