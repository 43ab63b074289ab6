"""The Authorization Response: ``direct_post`` forms and the ``vp_token`` (§8.1, §8.2)."""

from __future__ import annotations

import contextlib
import string
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import Oid4vpReason, Rejected
from specs.oid4vp import (
    direct_post_form,
    direct_post_jwt_form,
    parse_direct_post_form,
    parse_vp_token,
    response_payload,
)
from tests.support import assert_rejected, load_json, vectors_dir

LIMIT = 64 * 1024
PRESENTATION = "eyJhbGciOiJFUzI1NiJ9.eyJ2Y3QiOiJ4In0.c2ln~WyJzIiwiYSIsMV0~eyJhbGc.e30.c2ln"


@pytest.mark.parametrize(
    "name",
    [
        "L1192_examples.json",
        "L1421_encrypted_responses.json",
        "L1451_response_mode_direct_post_jwt.json",
        "L2734_presentation_response.json",
    ],
)
def test_spec_vp_tokens_parse(name: str) -> None:
    example = load_json(vectors_dir("oid4vp", "inline") / name)
    token = example.get("vp_token", example)
    assert parse_vp_token(token) == token


def test_spec_direct_post_example_body_parses() -> None:
    """§8.2: ``vp_token=...&state=eyJhb...6-sVA``, with a real token in place of ``...``."""
    body = urlencode({"vp_token": '{"my_credential":["eyJhbGci...QMA"]}', "state": "eyJhb.6-sVA"})
    form = parse_direct_post_form(body.encode(), max_bytes=LIMIT)
    assert form["state"] == "eyJhb.6-sVA"
    assert parse_vp_token(form["vp_token"]) == {"my_credential": ["eyJhbGci...QMA"]}


def test_spec_error_response_body_parses() -> None:
    body = b"error=invalid_request&error_description=unsupported%20client_id_prefix&state=s"
    form = parse_direct_post_form(body, max_bytes=LIMIT)
    assert form == {
        "error": "invalid_request",
        "error_description": "unsupported client_id_prefix",
        "state": "s",
    }


def test_wallet_form_round_trips() -> None:
    token = {"income": [PRESENTATION], "household": [PRESENTATION, PRESENTATION]}
    form = direct_post_form(token, "st-1")
    assert form["vp_token"] == (
        '{"income":["'
        + PRESENTATION
        + '"],"household":["'
        + PRESENTATION
        + '","'
        + PRESENTATION
        + '"]}'
    )
    parsed = parse_direct_post_form(urlencode(form).encode(), max_bytes=LIMIT)
    assert parsed == form
    assert parse_vp_token(parsed["vp_token"]) == token
    assert direct_post_form(token, None).keys() == {"vp_token"}
    assert response_payload(token, "st-1") == {"vp_token": token, "state": "st-1"}
    assert direct_post_jwt_form("eyJ.x.y.z.w") == {"response": "eyJ.x.y.z.w"}


@pytest.mark.parametrize("token", [{}, {"q": []}, {"q": "one"}])
def test_the_wallet_side_refuses_empty_tokens(token: Any) -> None:
    with pytest.raises(ValueError, match=r"§8\.1"):
        direct_post_form(token, None)


# --- the form -------------------------------------------------------------------------------


def test_size_is_checked_first() -> None:
    body = b"vp_token=" + b"a" * 100
    assert_rejected(Oid4vpReason.RESPONSE_TOO_LARGE, parse_direct_post_form, body, max_bytes=50)
    big = b"\xff" * 100
    assert_rejected(Oid4vpReason.RESPONSE_TOO_LARGE, parse_direct_post_form, big, max_bytes=50)


def test_a_parameter_sent_twice_is_refused() -> None:
    body = b"vp_token=%7B%7D&state=a&state=b"
    reason = Oid4vpReason.DUPLICATE_PARAMETER
    assert_rejected(reason, parse_direct_post_form, body, max_bytes=LIMIT)


@pytest.mark.parametrize(
    "body",
    [
        b"vp_token",
        b"vp_token=a&",
        b"&vp_token=a",
        b"=a",
        b"vp_token=%ff%fe",
        b"vp_token=%zz",
        b"vp_token=\xc3\xa9",
        b"a=1&" * 20 + b"b=2",
        "vp_token=a",
    ],
)
def test_malformed_forms_are_refused(body: Any) -> None:
    assert_rejected(Oid4vpReason.MALFORMED_RESPONSE, parse_direct_post_form, body, max_bytes=LIMIT)


def test_form_values_decode_as_utf8() -> None:
    form = parse_direct_post_form(b"state=%C3%A9+x", max_bytes=LIMIT)
    assert form == {"state": "é x"}


# --- the vp_token ---------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", {}, "{}"])
def test_an_absent_or_empty_token_is_missing(token: Any) -> None:
    assert_rejected(Oid4vpReason.VP_TOKEN_MISSING, parse_vp_token, token)


@pytest.mark.parametrize(
    "token",
    [
        "not json",
        '{"q":["a"],"q":["b"]}',
        '["a"]',
        "null",
        7,
        ["q"],
        {"q": "a"},
        {"q": []},
        {"q": [7]},
        {"q": [""]},
        {"q": [{"@context": []}]},  # ldp_vc presentations are objects: not ours
        {"": ["a"]},
        {"q" * 600: ["a"]},
        '{"q":["a"]} trailing',
    ],
)
def test_malformed_tokens_are_refused(token: Any) -> None:
    assert_rejected(Oid4vpReason.MALFORMED_VP_TOKEN, parse_vp_token, token)


def test_presentations_are_counted_over_all_queries() -> None:
    token = {"a": ["x"] * 8, "b": ["y"] * 8}
    assert parse_vp_token(token) == token
    reason = Oid4vpReason.TOO_MANY_PRESENTATIONS
    assert_rejected(reason, parse_vp_token, {**token, "c": ["z"]})
    assert_rejected(reason, parse_vp_token, {"a": ["x", "y"]}, max_presentations=1)
    many_keys = {f"q{i}": "not even a list" for i in range(20)}
    assert_rejected(reason, parse_vp_token, many_keys)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=200)
    | st.text(alphabet=string.printable + "%é", max_size=200).map(str.encode)
    | st.dictionaries(
        st.sampled_from(["vp_token", "state", "response", "error"]), st.text(max_size=30)
    ).map(lambda form: urlencode(form).encode())
)
def test_forms_only_reject(body: bytes) -> None:
    with contextlib.suppress(Rejected):
        parse_direct_post_form(body, max_bytes=150)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON | st.text(max_size=80))
def test_vp_tokens_only_reject(token: Any) -> None:
    with contextlib.suppress(Rejected):
        parse_vp_token(token)
