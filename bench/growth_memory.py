"""Peak memory of verifying one credential against a large status list, in a fresh process.

``bench.growth`` writes the inputs to a file and runs ``python -m bench.growth_memory FILE``
twice: against a 10^7-entry list and against a 10^3-entry one (the baseline: the same
process, imports and work, with a list that costs nothing). The child verifies the SD-JWT
VC presentation (``verify_sd_jwt_vc`` with key binding), reads its ``status`` reference,
verifies the Status List Token (``verify_status_list_token``: base64url, bounded
inflation), reads the entry, and prints its peak resident set (the kernel's high-water
mark, ``VmHWM``) as JSON. A fresh process per figure, so nothing the parent built
(the 10^7-entry list itself) is counted.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specs.jose import JwsAlg, StaticKeyResolver, generate_private_key, parse_public_jwk
from specs.sd_jwt import Disclosable, KeyBindingRequired, open_sd_jwt, present_sd_jwt
from specs.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from specs.status_list import StatusType, verify_status_list_token

LARGE, BASELINE = 10**7, 10**3
NONCE, AUDIENCE = "n-growth-memory", "https://verifier.example.nl"
VCT = "https://credentials.example.nl/person"


def peak_kib() -> int:
    """This process's peak resident set in KiB: ``VmHWM`` (proc(5)).

    Not ``ru_maxrss``: Linux keeps that across ``execve``, so a child forked from a parent
    that holds the 10^7-entry list would report the parent's size. ``ru_maxrss`` only where
    there is no ``/proc``.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(path: Path) -> dict[str, Any]:
    inputs = json.loads(path.read_text())
    before = peak_kib()
    now = inputs["now"]
    credential = verify_sd_jwt_vc(
        inputs["presentation"],
        issuer_keys=StaticKeyResolver(parse_public_jwk(inputs["issuer_key"])),
        key_binding=KeyBindingRequired(nonce=NONCE, audience=AUDIENCE),
        now=now,
    )
    if credential.status is None:
        raise SystemExit("bench.growth_memory: the credential has no status reference")
    status_list = verify_status_list_token(
        inputs["status_token"],
        key=parse_public_jwk(inputs["status_key"]),
        expected_uri=credential.status.uri,
        now=now,
        leeway=60,
        algorithms=frozenset({JwsAlg.ES256}),
        max_age=86_400,
    )
    status = status_list.status_of(credential.status)
    return {
        "entries": len(status_list.status_list),
        "status": status,
        "peak_before_kib": before,
        "peak_kib": peak_kib(),
    }


@dataclass(frozen=True)
class MemoryFigure:
    entries: int
    peak_kib: int
    peak_before_kib: int
    """The peak after imports and reading the inputs, before verifying."""


def measure_memory(sizes: tuple[int, ...] = (BASELINE, LARGE)) -> list[MemoryFigure]:
    """One fresh child per size (see the module docstring); the credential is VALID."""
    from bench.growth_status import status_list_fixture

    issuer, holder = generate_private_key(JwsAlg.ES256), generate_private_key(JwsAlg.ES256)
    status_key, now = generate_private_key(JwsAlg.ES256), int(time.time())
    figures = []
    with tempfile.TemporaryDirectory(prefix="aanspraak-growth-") as scratch:
        for size in sizes:
            fixture = status_list_fixture(size, status_key, now)
            reference = {"status_list": {"idx": fixture.valid.idx, "uri": fixture.valid.uri}}
            claims = {
                "iss": "https://issuer.example.nl",
                "iat": now,
                "exp": now + 86_400,
                "status": reference,
                "given_name": Disclosable("Jan"),
            }
            token = issue_sd_jwt_vc(
                claims,
                vct=VCT,
                issuer_key=issuer,
                holder_key=holder.public,
                random_bytes=os.urandom,
            ).token
            presentation = present_sd_jwt(
                open_sd_jwt(token),
                disclose=[("given_name",)],
                holder_key=holder,
                nonce=NONCE,
                audience=AUDIENCE,
                now=now,
            )
            path = Path(scratch) / f"inputs-{size}.json"
            path.write_text(
                json.dumps(
                    {
                        "now": now,
                        "presentation": presentation,
                        "issuer_key": issuer.public.to_jwk(),
                        "status_token": fixture.token,
                        "status_key": status_key.public.to_jwk(),
                    }
                )
            )
            done = subprocess.run(
                [sys.executable, "-m", "bench.growth_memory", str(path)],
                cwd=Path(__file__).resolve().parents[1],  # where ``bench`` is importable
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(done.stdout)
            if result["status"] != StatusType.VALID or result["entries"] < size:
                raise SystemExit(f"bench.growth_memory: broken path, not measured: {result}")
            figures.append(MemoryFigure(size, result["peak_kib"], result["peak_before_kib"]))
    return figures


if __name__ == "__main__":
    print(json.dumps(child(Path(sys.argv[1]))))
