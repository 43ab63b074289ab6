"""The demo's look at speed: the desk's check of the citizen's presentation, repeated on one core.

The SD-JWT VC checks the desk makes before it runs the regulation, on the presentation the
demo just verified: the issuer's signature, every Disclosure's digest, the key binding
(nonce, audience, ``sd_hash``, a second signature by a key read from ``cnf.jwk``), the time
claims, and the credential's entry in the status list already fetched. (The registry
lookup, the query re-check and the answer's decryption are measured by
``python -m bench.verifier``.) It is repeated for about ``SECONDS`` of CPU time, next to the
same run's cost of the two ES256 signature checks alone, the floor no verifier can go under.
``python -m bench`` measures the whole system (bench/README.md); docs/deployment.md sizes a
deployment from it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from specs.jose import generate_private_key

SECONDS = 0.3


def per_cpu_second(run: Callable[[], object], seconds: float = SECONDS) -> float:
    """Calls of ``run`` per CPU second of this process, over about ``seconds``."""
    calls, started = 0, time.process_time()
    while (elapsed := time.process_time() - started) < seconds:
        run()
        calls += 1
    return calls / elapsed


def _two_signature_checks() -> Callable[[], object]:
    key = generate_private_key().key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    algorithm = ec.ECDSA(hashes.SHA256())
    signature, public = key.sign(b"demo", algorithm), key.public_key()

    def check() -> None:
        public.verify(signature, b"demo", algorithm)
        public.verify(signature, b"demo", algorithm)

    return check


def measure(verify_once: Callable[[], object]) -> dict[str, Any]:
    """Presentations checked per CPU second, against two bare signature checks per second."""
    verify_once()  # warm: the first call imports and caches nothing the others would not
    checks = per_cpu_second(verify_once)
    floor = per_cpu_second(_two_signature_checks())
    return {
        "presentations_per_second": round(checks),
        "signature_pairs_per_second": round(floor),
        "ratio": round(checks / floor, 2),
        "seconds": SECONDS,
    }
