"""Interop with @sd-jwt/sd-jwt-vc 0.19.0, the JavaScript reference, through interop/js/*.mjs.

Every combination of issuer, holder and verifier in which at least one role is ours and at
least one is node's must end with the same processed payload; a tampered presentation from
either side must be rejected by the other. The node scripts speak JSON over stdin/stdout
(interop/README.md); our side is the ``aanspraak sd-jwt`` command line.

What the node harness adds to the library's own checks (typ dc+sd-jwt, vct, KB-JWT aud, ES256
only) is listed at the top of interop/js/verify.mjs.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.interop.chains import (
    check_round_trip,
    check_tampered,
    round_trips,
    tamper_directions,
)

if TYPE_CHECKING:
    from tests.interop.conftest import Implementation, KeyPair, OurCli, Scenario

pytestmark = pytest.mark.interop

JS_DIR = Path(__file__).resolve().parents[2] / "interop" / "js"
NODE_TIMEOUT_SECONDS = 60
HARNESS_REJECTED = 1  # exit code of verify.mjs for a rejected token; 2 means the call was wrong


def disclosure_frame(value: Any) -> dict[str, Any] | None:
    """The library's DisclosureFrame making every member and element disclosable, recursively.

    This mirrors our CLI's issuance policy, so both issuers produce the same shape of credential.
    """
    if isinstance(value, dict):
        frame: dict[str, Any] = {"_sd": list(value)}
        members = {name: disclosure_frame(member) for name, member in value.items()}
    elif isinstance(value, list):
        frame = {"_sd": list(range(len(value)))}
        members = {str(index): disclosure_frame(item) for index, item in enumerate(value)}
    else:
        return None
    frame.update({name: nested for name, nested in members.items() if nested is not None})
    return frame


def presentation_frame(paths: tuple[tuple[str | int, ...], ...]) -> dict[str, Any]:
    """The library's PresentationFrame: {"address": {"locality": true}, "list": {"1": true}}."""
    frame: dict[str, Any] = {}
    for path in paths:
        node = frame
        for part in path[:-1]:
            node = node.setdefault(str(part), {})
        node[str(path[-1])] = True
    return frame


class NodeSdJwt:
    """issue.mjs, present.mjs and verify.mjs with the scenario's inputs."""

    name = "node"

    def __init__(self, node: str, scenario: Scenario, issuer: KeyPair, holder: KeyPair):
        self._node = node
        self._scenario = scenario
        self._issuer = issuer
        self._holder = holder

    def _call(self, script: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        completed = subprocess.run(
            [self._node, str(JS_DIR / script)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=NODE_TIMEOUT_SECONDS,
            cwd=JS_DIR,
            check=False,
        )
        assert completed.returncode in (0, HARNESS_REJECTED), (
            f"{script} exited {completed.returncode}: {completed.stderr}"
        )
        answer: dict[str, Any] = json.loads(completed.stdout)
        return completed.returncode, answer

    def issue(self) -> str:
        exit_code, answer = self._call(
            "issue.mjs",
            {
                "issuer_private_jwk": self._issuer.private_jwk,
                "holder_public_jwk": self._holder.public_jwk,
                "claims": self._scenario.claims,
                "vct": self._scenario.vct,
                "iss": self._scenario.iss,
                "iat": self._scenario.issued_at,
                "disclosure_frame": disclosure_frame(self._scenario.claims),
            },
        )
        assert exit_code == 0
        sd_jwt: str = answer["sd_jwt"]
        return sd_jwt

    def present(self, sd_jwt: str) -> str:
        exit_code, answer = self._call(
            "present.mjs",
            {
                "sd_jwt": sd_jwt,
                "holder_private_jwk": self._holder.private_jwk,
                "disclose": presentation_frame(self._scenario.disclosed_paths),
                "nonce": self._scenario.nonce,
                "aud": self._scenario.audience,
                "iat": self._scenario.presented_at,
            },
        )
        assert exit_code == 0
        presentation: str = answer["presentation"]
        return presentation

    def _verify(self, presentation: str) -> tuple[int, dict[str, Any]]:
        return self._call(
            "verify.mjs",
            {
                "token": presentation,
                "issuer_public_jwk": self._issuer.public_jwk,
                "nonce": self._scenario.nonce,
                "aud": self._scenario.audience,
                "require_kb": True,
                "now": self._scenario.verified_at,
            },
        )

    def verify(self, presentation: str) -> dict[str, Any]:
        exit_code, answer = self._verify(presentation)
        assert exit_code == 0, f"node refused: {answer.get('error')}"
        assert answer["ok"] is True
        payload: dict[str, Any] = answer["payload"]
        return payload

    def reject(self, presentation: str) -> str:
        exit_code, answer = self._verify(presentation)
        assert exit_code == HARNESS_REJECTED, answer
        assert answer["ok"] is False
        error: str = answer["error"]
        return error


@pytest.fixture
def node(
    node_executable: str, scenario: Scenario, issuer_key: KeyPair, holder_key: KeyPair
) -> NodeSdJwt:
    return NodeSdJwt(node_executable, scenario, issuer_key, holder_key)


@pytest.fixture
def roles(ours: OurCli, node: NodeSdJwt) -> dict[str, Implementation]:
    return {"ours": ours, "node": node}


@pytest.mark.parametrize("chain", round_trips("node"))
def test_presentation_round_trip(
    chain: tuple[str, str, str],
    roles: dict[str, Implementation],
    scenario: Scenario,
    holder_key: KeyPair,
) -> None:
    check_round_trip(chain, roles, scenario, holder_key)


@pytest.mark.parametrize(("producer", "verifier"), tamper_directions("node"))
def test_tampered_presentation_is_rejected(
    producer: str,
    verifier: str,
    tamper: Callable[[str], str],
    roles: dict[str, Implementation],
) -> None:
    check_tampered(producer, verifier, tamper, roles)
