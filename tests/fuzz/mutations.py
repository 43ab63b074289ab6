"""Inputs for the fuzzers: arbitrary values, and near misses of real, valid ones.

Random text rarely gets past the first check of a parser; a valid token or document with
one thing wrong reaches the rules behind it. So besides arbitrary bytes, text and JSON, the
strategies here take a real value and break it the way an attacker or a buggy peer would:
flip or drop characters, drop, duplicate or swap the segments of a token (``.`` and ``~``),
and swap the type of one node of a JSON document.
"""

from __future__ import annotations

import copy
import string
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from specs.jose import b64url_encode, dumps_compact

TOKEN_ALPHABET = string.ascii_letters + string.digits + '-_.~=+/ \n\x00é{}[]":,'

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=16),
)


def json_values(names: Sequence[str] = (), *, max_leaves: int = 16) -> st.SearchStrategy[Any]:
    """Any JSON value; objects use ``names`` (what the parser looks for) or random keys."""
    keys = st.sampled_from(list(names)) | st.text(max_size=6) if names else st.text(max_size=6)
    return st.recursive(
        SCALARS | (st.sampled_from(list(names)) if names else SCALARS),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
        ),
        max_leaves=max_leaves,
    )


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document, the root included."""
    found = [prefix]
    if isinstance(node, dict):
        for name, child in node.items():
            found.extend(_paths(child, (*prefix, name)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    changed = copy.deepcopy(document)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return changed


def _removed(document: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return document
    changed = copy.deepcopy(document)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return changed


@st.composite
def mutated_json(draw: st.DrawFn, document: Any, names: Sequence[str] = ()) -> Any:
    """``document`` with one to three nodes swapped for another type, dropped or doubled."""
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)))
        action = draw(st.sampled_from(["swap", "swap", "drop", "wrap", "copy"]))
        if action == "swap":
            document = _replaced(document, path, draw(json_values(names, max_leaves=6)))
        elif action == "drop":
            document = _removed(document, path)
        elif action == "wrap":
            node = document
            for step in path:
                node = node[step]
            document = _replaced(document, path, draw(st.sampled_from([[node], {"": node}])))
        else:
            other = draw(st.sampled_from(_paths(document)))
            node = document
            for step in other:
                node = node[step]
            document = _replaced(document, path, copy.deepcopy(node))
    return document


@st.composite
def mutated_text(draw: st.DrawFn, text: str, separators: str = ".~") -> str:
    """``text`` with one to four edits: characters flipped, dropped or inserted, segments
    (split on ``separators``) dropped, doubled, swapped or replaced, or the end cut off."""
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            return draw(st.text(alphabet=TOKEN_ALPHABET, max_size=20))
        position = draw(st.integers(0, len(text) - 1))
        action = draw(
            st.sampled_from(["flip", "flip", "drop", "insert", "segment", "segment", "cut"])
        )
        if action == "flip":
            text = text[:position] + draw(st.sampled_from(TOKEN_ALPHABET)) + text[position + 1 :]
        elif action == "drop":
            end = position + draw(st.integers(1, 8))
            text = text[:position] + text[end:]
        elif action == "insert":
            text = text[:position] + draw(st.text(TOKEN_ALPHABET, max_size=8)) + text[position:]
        elif action == "cut":
            text = text[:position]
        else:
            text = draw(_segment_edit(text, separators))
    return text


@st.composite
def _segment_edit(draw: st.DrawFn, text: str, separators: str) -> str:
    separator = draw(st.sampled_from(list(separators)))
    parts = text.split(separator)
    index = draw(st.integers(0, len(parts) - 1))
    action = draw(st.sampled_from(["drop", "double", "swap", "json", "empty"]))
    if action == "drop":
        del parts[index]
    elif action == "double":
        parts.insert(index, parts[index])
    elif action == "swap":
        other = draw(st.integers(0, len(parts) - 1))
        parts[index], parts[other] = parts[other], parts[index]
    elif action == "json":
        parts[index] = b64url_encode(dumps_compact(draw(json_values())).encode())
    else:
        parts[index] = ""
    return separator.join(parts)


def near(valid: str, separators: str = ".~") -> st.SearchStrategy[str]:
    """Arbitrary token text, or ``valid`` mutated (mostly the latter: it goes deeper)."""
    return st.one_of(
        st.text(alphabet=TOKEN_ALPHABET, max_size=200),
        mutated_text(valid, separators),
        mutated_text(valid, separators),
        mutated_text(valid, separators),
    )


def near_bytes(valid: bytes) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, or ``valid`` with bytes flipped, dropped, inserted or cut."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(valid)
        for _ in range(draw(st.integers(1, 4))):
            if not data:
                break
            position = draw(st.integers(0, len(data) - 1))
            action = draw(st.sampled_from(["flip", "drop", "insert", "cut"]))
            if action == "flip":
                data[position] ^= 1 << draw(st.integers(0, 7))
            elif action == "drop":
                del data[position : position + draw(st.integers(1, 8))]
            elif action == "insert":
                data[position:position] = draw(st.binary(max_size=8))
            else:
                del data[position:]
        return bytes(data)

    return st.one_of(st.binary(max_size=300), mutate(), mutate())
