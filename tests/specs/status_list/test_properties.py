"""Property: for every bit size, any statuses survive encode -> decode (§4.1)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from specs.status_list import ALLOWED_BITS, decode_status_list, encode_status_list


@st.composite
def _bits_and_statuses(draw: st.DrawFn) -> tuple[int, list[int]]:
    bits = draw(st.sampled_from(ALLOWED_BITS))
    statuses = draw(st.lists(st.integers(0, (1 << bits) - 1), max_size=300))
    return bits, statuses


@given(_bits_and_statuses())
def test_encode_then_decode_round_trips(case: tuple[int, list[int]]) -> None:
    bits, statuses = case
    status_list = decode_status_list(encode_status_list(statuses, bits))
    assert status_list.bits == bits
    per_byte = 8 // bits
    assert len(status_list) == -(-len(statuses) // per_byte) * per_byte
    assert [status_list.status_at(i) for i in range(len(statuses))] == statuses
    padding = range(len(statuses), len(status_list))
    assert all(status_list.status_at(i) == 0 for i in padding)
