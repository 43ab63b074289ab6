"""Required means required (STYLE §3, THREATS K-01): no check can be skipped by omission.

Every verifier takes its keys, expectations and clock as keyword-only arguments without a
default, so forgetting one is a TypeError at the call site, never a silently skipped check.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from specs.jose import verify_jws
from specs.sd_jwt import verify_kb_jwt, verify_sd_jwt, verify_sd_jwt_json
from specs.sd_jwt_vc import verify_sd_jwt_vc
from specs.status_list import verify_status_list_token

REQUIRED: list[tuple[Callable[..., Any], set[str]]] = [
    (verify_jws, {"key", "algorithms", "typ"}),
    (verify_sd_jwt, {"issuer_keys", "typ", "key_binding", "now"}),
    (verify_sd_jwt_json, {"issuer_keys", "typ", "key_binding", "now"}),
    (verify_sd_jwt_vc, {"issuer_keys", "key_binding", "now"}),
    (verify_kb_jwt, {"holder_key", "policy", "sd_hash_input", "hash_alg", "now", "algorithms"}),
    (verify_status_list_token, {"key", "expected_uri", "now", "leeway", "algorithms", "max_age"}),
]


@pytest.mark.parametrize(("function", "names"), REQUIRED, ids=lambda v: getattr(v, "__name__", ""))
def test_expectations_are_keyword_only_without_defaults(
    function: Callable[..., Any], names: set[str]
) -> None:
    parameters = inspect.signature(function).parameters
    for name in names:
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters[name].default is inspect.Parameter.empty, name
