"""Properties that must hold for every claim tree and every tampering (hypothesis).

1. issue -> present(any subset) -> verify returns exactly what was asked for: the requested
   values are intact, and every Disclosure the verifier saw lies on a requested path.
2. Any single-character change to a presentation is rejected, and the only exception that
   ever escapes is ``Rejected``.

The ``slow`` variants run many more examples; `make test` runs the quick ones.
"""

from __future__ import annotations

import os
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specs.errors import Rejected
from specs.jose import StaticKeyResolver, generate_private_key
from specs.sd_jwt import (
    DecoyPolicy,
    KeyBindingRequired,
    claim_path,
    issue_sd_jwt,
    mark_all_disclosable,
    open_sd_jwt,
    present_sd_jwt,
    select_values,
    verify_sd_jwt,
)
from specs.sd_jwt.claim_path import overlaps

NOW = 1_790_000_000
ISSUER = generate_private_key()
HOLDER = generate_private_key()
POLICY = KeyBindingRequired(nonce="nonce-123", audience="https://desk.example")
KEYS = StaticKeyResolver(ISSUER.public)
TYP = "example+sd-jwt"

names = st.text(alphabet=string.ascii_letters + "._-é ", min_size=1, max_size=8).filter(
    # Registered time claims are checked as such (RFC 7519), so random values would fail them.
    lambda n: n not in ("_sd", "...", "_sd_alg", "cnf", "exp", "nbf", "iat")
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(names, children, max_size=4)
    ),
    max_leaves=12,
)
claim_trees = st.dictionaries(names, values, min_size=1, max_size=6)


def _object_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths through objects only; arrays are requested whole with a ``None`` wildcard."""
    paths: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for name, child in node.items():
            paths.append((*prefix, name))
            paths.extend(_object_paths(child, (*prefix, name)))
    elif isinstance(node, list) and node:
        paths.append((*prefix, None))
    return paths


def _issue_and_present(claims: dict[str, Any], pick: Any) -> tuple[Any, list[tuple[Any, ...]]]:
    issued = issue_sd_jwt(
        {
            **mark_all_disclosable(claims, keep_plain=frozenset()),
            "cnf": {"jwk": HOLDER.public.to_jwk()},
        },
        issuer_key=ISSUER,
        typ=TYP,
        random_bytes=os.urandom,
        decoys=DecoyPolicy(0, 2),
    )
    view = open_sd_jwt(issued.token)
    assert {k: v for k, v in view.processed.claims.items() if k != "cnf"} == claims
    candidates = _object_paths(claims)
    requested = pick(st.lists(st.sampled_from(candidates), max_size=4, unique=True))
    presentation = present_sd_jwt(
        view,
        disclose=[claim_path(p) for p in requested],
        holder_key=HOLDER,
        nonce=POLICY.nonce,
        audience=POLICY.audience,
        now=NOW,
    )
    return presentation, requested


def _round_trip(claims: dict[str, Any], data: st.DataObject) -> None:
    presentation, requested = _issue_and_present(claims, data.draw)
    verified = verify_sd_jwt(presentation, issuer_keys=KEYS, typ=TYP, key_binding=POLICY, now=NOW)
    for path in requested:
        assert select_values(verified.claims, path) == select_values(claims, path)
    for revealed in verified.processed.revealed_paths.values():
        assert any(overlaps(path, revealed) for path in requested)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims=claim_trees, data=st.data())
def test_round_trip_discloses_exactly_the_request(
    claims: dict[str, Any], data: st.DataObject
) -> None:
    _round_trip(claims, data)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims=claim_trees, data=st.data())
def test_round_trip_many(claims: dict[str, Any], data: st.DataObject) -> None:
    _round_trip(claims, data)


def _fixed_presentation() -> str:
    claims = {
        "given_name": "Jan",
        "address": {"street": "Oudegracht 1", "locality": "Utrecht"},
        "nationalities": ["NL", "DE"],
    }
    issued = issue_sd_jwt(
        {
            **mark_all_disclosable(claims, keep_plain=frozenset()),
            "cnf": {"jwk": HOLDER.public.to_jwk()},
        },
        issuer_key=ISSUER,
        typ=TYP,
        random_bytes=os.urandom,
        decoys=DecoyPolicy(1, 1),
    )
    return present_sd_jwt(
        open_sd_jwt(issued.token),
        disclose=[("address", "locality"), ("nationalities", 1)],
        holder_key=HOLDER,
        nonce=POLICY.nonce,
        audience=POLICY.audience,
        now=NOW,
    )


PRESENTATION = _fixed_presentation()
ALPHABET = string.ascii_letters + string.digits + "-_~.=+/ é\n"


def _printed_chain(error: BaseException) -> list[BaseException]:
    """The exceptions a traceback of ``error`` shows: causes, and unsuppressed contexts."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return chain


def _mutation_is_rejected(position: int, replacement: str) -> None:
    original = PRESENTATION[position]
    if replacement == original:
        replacement = "A" if original != "A" else "B"
    mutated = PRESENTATION[:position] + replacement + PRESENTATION[position + 1 :]
    with pytest.raises(Rejected) as info:
        verify_sd_jwt(mutated, issuer_keys=KEYS, typ=TYP, key_binding=POLICY, now=NOW)
    # The message is the reason's slug, and nothing a logged traceback would print carries
    # library exceptions that quote the input (V-17, INV-5).
    assert str(info.value) == info.value.reason.value
    assert all(isinstance(e, Rejected) for e in _printed_chain(info.value))


def test_the_unmutated_presentation_verifies() -> None:
    verified = verify_sd_jwt(PRESENTATION, issuer_keys=KEYS, typ=TYP, key_binding=POLICY, now=NOW)
    assert verified.claims["address"] == {"locality": "Utrecht"}
    assert verified.claims["nationalities"] == ["DE"]


@settings(max_examples=400, deadline=None)
@given(
    position=st.integers(min_value=0, max_value=len(PRESENTATION) - 1),
    replacement=st.sampled_from(ALPHABET),
)
def test_any_single_character_mutation_is_rejected(position: int, replacement: str) -> None:
    _mutation_is_rejected(position, replacement)


@pytest.mark.slow
def test_every_position_with_every_replacement_class() -> None:
    """Exhaustive over positions: each character replaced by one of a few classes."""
    for position in range(len(PRESENTATION)):
        for replacement in ("A", "_", "~", "."):
            if PRESENTATION[position] != replacement:
                _mutation_is_rejected(position, replacement)
