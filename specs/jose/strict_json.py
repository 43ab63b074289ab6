"""Strict JSON for everything that arrives inside a token (RFC 8259 with RFC 7493 I-JSON rules).

``json.loads`` accepts ``NaN``/``Infinity``, lets a duplicate member silently win, turns
``1e400`` into ``inf`` and recurses until the interpreter gives up. Each of those has broken a
JOSE library, so this parser rejects them:

* duplicate member names (RFC 7493 §2.3, RFC 7515 §5.2 step 4) -> ``duplicate-json-key``;
* ``NaN``, ``Infinity``, and numbers that overflow a double -> ``non-finite-number``;
* integers with more than ``MAX_INTEGER_DIGITS`` digits (I-JSON §2.2) -> ``number-too-large``;
* strings with unpaired surrogates (I-JSON §2.1) -> ``invalid-unicode``;
* nesting deeper than ``limits.max_depth`` -> ``json-too-deep``.

Callers cap the size of the text before calling; this module caps the depth.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from specs.errors import JoseReason, Rejected

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 20
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


class _StrictJsonError(Exception):
    def __init__(self, reason: JoseReason) -> None:
        self.reason = reason


def _pairs_to_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _StrictJsonError(JoseReason.DUPLICATE_JSON_KEY)
    return result


def _reject_constant(_name: str) -> Any:
    raise _StrictJsonError(JoseReason.NON_FINITE_NUMBER)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _StrictJsonError(JoseReason.NON_FINITE_NUMBER)
    return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _StrictJsonError(JoseReason.NUMBER_TOO_LARGE)
    return int(text)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs_to_dict,
    parse_constant=_reject_constant,
    parse_float=_parse_float,
    parse_int=_parse_int,
)
_SCAN = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__
_JSON_WHITESPACE = " \t\n\r"  # RFC 8259 §2


def loads_strict(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse one JSON text strictly; see the module docstring for what is refused."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(JoseReason.INVALID_UNICODE) from None
    else:
        text = data
    # Depth is measured on the text BEFORE decoding: the C scanner recurses on the C stack,
    # and with a raised recursion limit (some libraries raise it) deep nesting would crash
    # the process instead of raising. Depth cannot exceed the number of brackets, so most
    # inputs skip the scan.
    if text.count("{") + text.count("[") > max_depth:
        _check_text_depth(text, max_depth)
    # The C scanner directly: ``JSONDecoder.decode`` adds two Python layers and two regex
    # matches per call, a third of the cost on the small objects of a token.
    stripped = text.strip(_JSON_WHITESPACE)
    try:
        value, end = _SCAN(stripped, 0)
    except StopIteration:
        raise Rejected(JoseReason.BAD_JSON) from None
    except _StrictJsonError as exc:
        raise Rejected(exc.reason) from None
    except RecursionError:
        raise Rejected(JoseReason.JSON_TOO_DEEP) from None
    except (json.JSONDecodeError, ValueError):
        raise Rejected(JoseReason.BAD_JSON) from None
    if end != len(stripped):
        raise Rejected(JoseReason.BAD_JSON)
    if "\\u" in text and _ESCAPED_SURROGATE.search(text):
        _check_surrogates(value)
    return value


def _check_text_depth(text: str, max_depth: int) -> None:
    """Nesting depth of the text's brackets outside strings, without decoding anything."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    depth = 0
    for bracket in brackets:
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise Rejected(JoseReason.JSON_TOO_DEEP)
        else:
            depth -= 1


def _check_surrogates(value: Any) -> None:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            strings = [node]
        elif isinstance(node, dict):
            strings = list(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
            continue
        else:
            continue
        for item in strings:
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise Rejected(JoseReason.INVALID_UNICODE) from None


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _refuse_unserializable(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _c_encoder() -> Any:
    """The C encoder behind ``json.dumps``, built with the same options as ``_COMPACT``."""
    make = getattr(json.encoder, "c_make_encoder", None)
    basestring = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or basestring is None:  # pragma: no cover - CPython always has both
        return None
    return make, basestring


_C = _c_encoder()


def encode_json_string(text: str) -> str:
    """A JSON string literal exactly as ``dumps_compact(text)`` writes it."""
    if _C is None:  # pragma: no cover
        return _COMPACT.encode(text)
    return str(_C[1](text))


def dumps_compact(value: Any) -> str:
    """Serialize for signing or hashing: no whitespace, UTF-8 kept, NaN refused.

    ``ensure_ascii=False`` keeps the text short; the JWS layer encodes it as UTF-8
    (RFC 7515 §7.1 BASE64URL(UTF8(JWS Protected Header))). The output is exactly
    ``json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)``;
    ``json.dumps`` builds a new encoder on every call with non-default options, which
    costs as much as encoding a Disclosure, so the C encoder is built here directly.
    """
    if _C is None:  # pragma: no cover
        return _COMPACT.encode(value)
    make, basestring = _C
    if isinstance(value, str):
        return str(basestring(value))
    # markers (a fresh dict) keeps the circular-reference check; float repr as json uses.
    encoder = make({}, _refuse_unserializable, basestring, None, ":", ",", False, False, False)
    return "".join(encoder(value, 0))
