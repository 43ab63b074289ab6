"""The JavaScript reference: ``@sd-jwt/sd-jwt-vc`` 0.19.0 timed in node on the same workload.

``interop/js/bench.mjs`` issues the workload's credential with the equivalent disclosure frame,
presents our issued token with the equivalent presentation frame and a KB-JWT, and verifies our
presentation (issuer key loaded once, holder key imported from ``cnf.jwk`` per call). It runs
its own calibrated rounds in one node process after the Python rounds, so it is in the same run
but not interleaved with them; op/s is per CPU second of the node process, like the Python rows.

Before its figures are used, one output of each operation is checked here: our code opens its
issued credential (12 Disclosures, the workload's claims), verifies its presentation (the three
claims), and its verifier must have returned the claims we disclosed. Where node or the pinned
packages are missing (``make interop-js``), the row is ``n/a`` with the reason.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.sd_jwt_workload import (
    AUDIENCE,
    DISCLOSURES_ISSUED,
    NONCE,
    PERSON,
    TOP_FIELDS,
    VCT,
    Ours,
    registered_claims,
)
from specs.jose import PrivateJwk
from specs.sd_jwt import open_sd_jwt

HARNESS = Path(__file__).resolve().parent.parent / "interop" / "js"
TIMEOUT_SECONDS = 600

DISCLOSURE_FRAME: dict[str, Any] = {
    "_sd": [*TOP_FIELDS, "address"],
    "address": {"_sd": ["street_address", "locality", "postal_code", "country"]},
    "nationalities": {"_sd": [0, 1]},
}
PRESENTATION_FRAME: dict[str, Any] = {
    "given_name": True,
    "address": {"locality": True},
    "nationalities": {"0": True},
}


@dataclass(frozen=True)
class JsRates:
    version: str
    rates: dict[str, list[float]]

    def median(self, operation: str) -> float:
        return statistics.median(self.rates[operation])


def unavailable_reason() -> str | None:
    """Why the JavaScript row cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (HARNESS / "node_modules" / "@sd-jwt" / "sd-jwt-vc").is_dir():
        return "interop/js/node_modules is missing (make interop-js)"
    return None


def _check(condition: bool, what: str) -> None:
    if not condition:  # not an assert: python -O must not turn the check off
        raise SystemExit(f"bench.sd_jwt: broken path, not timed: @sd-jwt {what}")


def measure_js(
    ours: Ours,
    issuer: PrivateJwk,
    holder: PrivateJwk,
    *,
    now: int,
    token: str,
    presentation: str,
    disclosed: dict[str, Any],
    seconds: float,
    rounds: int,
) -> JsRates:
    """Run ``bench.mjs``, check one output of each operation, return its op/s per round."""
    node = shutil.which("node")
    assert node is not None  # callers ask unavailable_reason() first
    cnf = {"jwk": holder.public.to_jwk()}
    payload = {**registered_claims(now), "vct": VCT, **PERSON, "cnf": cnf}
    request = {
        "issuer_private_jwk": issuer.to_jwk(),
        "holder_private_jwk": holder.to_jwk(),
        "payload": payload,
        "disclosure_frame": DISCLOSURE_FRAME,
        "token": token,
        "presentation": presentation,
        "presentation_frame": PRESENTATION_FRAME,
        "nonce": NONCE,
        "aud": AUDIENCE,
        "now": now,
        "seconds": seconds,
        "rounds": rounds,
    }
    completed = subprocess.run(
        [node, "bench.mjs"],
        cwd=HARNESS,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"bench.sd_jwt: @sd-jwt bench failed: {completed.stderr.strip()}")
    output = json.loads(completed.stdout)
    view = open_sd_jwt(output["issued"])
    _check(len(view.disclosures) == DISCLOSURES_ISSUED, "issue: Disclosure count")
    _check(view.processed.claims == payload, "issue: claims")
    _check(ours.verify(output["presented"]) == disclosed, "present: claims")
    _check(output["verified_payload"] == disclosed, "verify: claims")
    rates = {name: [float(rate) for rate in values] for name, values in output["rates"].items()}
    return JsRates(str(output["version"]), rates)
