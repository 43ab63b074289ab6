"""The interop matrix shared by every independent implementation ("oracle").

Round trips: every issuer -> holder -> verifier chain that mixes our side with the oracle's,
plus the all-oracle chain as the harness's own check (when it passes and another chain fails,
the fault is on our side). Tampering: the oracle's output tampered and given to us, ours to
the oracle, and the oracle's to itself (so the tampering is detectable at all).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.interop.conftest import Implementation, KeyPair, Scenario


def round_trips(oracle: str) -> list[Any]:
    chains = [c for c in product(("ours", oracle), repeat=3) if c != ("ours",) * 3]
    return [pytest.param(chain, id="-".join(chain)) for chain in chains]


def tamper_directions(oracle: str) -> list[Any]:
    pairs = [(oracle, oracle), (oracle, "ours"), ("ours", oracle)]
    return [pytest.param(p, v, id=f"{p}-to-{v}") for p, v in pairs]


def check_round_trip(
    chain: tuple[str, str, str],
    roles: dict[str, Implementation],
    scenario: Scenario,
    holder_key: KeyPair,
) -> None:
    issuer, holder, verifier = (roles[name] for name in chain)
    presentation = holder.present(issuer.issue())
    scenario.check_payload(verifier.verify(presentation), holder_key)


def check_tampered(
    producer: str, verifier: str, tamper: Callable[[str], str], roles: dict[str, Implementation]
) -> None:
    presentation = roles[producer].present(roles[producer].issue())
    # The untouched presentation passes, so the rejection is the tampering's doing.
    roles[verifier].verify(presentation)
    assert roles[verifier].reject(tamper(presentation))
