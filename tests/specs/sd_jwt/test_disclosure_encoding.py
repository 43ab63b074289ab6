"""The hand-written Disclosure text is byte-for-byte what the JSON encoder writes."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from specs.jose import dumps_compact
from specs.sd_jwt.disclosure import _array_text

LEAVES = st.one_of(
    st.text(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@given(salt=st.text(), name=st.one_of(st.none(), st.text()), value=LEAVES)
def test_disclosure_text_equals_the_encoder(salt: str, name: str | None, value: Any) -> None:
    array = [salt, value] if name is None else [salt, name, value]
    assert _array_text(salt, name, value) == dumps_compact(array)


def test_control_characters_and_non_ascii_are_escaped_like_json() -> None:
    for text in ['a"b\\c', "line\nbreak\t", "\x00\x1f", "Élan \u2013 東京", "\u2028"]:
        assert _array_text("s", "n", text) == dumps_compact(["s", "n", text])
