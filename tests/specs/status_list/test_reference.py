"""The ``status`` claim of a Referenced Token (§6.1, §6.2) and our URI policy."""

from __future__ import annotations

from typing import Any

import pytest

from specs.errors import StatusListReason
from specs.status_list import (
    MAX_URI_LENGTH,
    StatusReference,
    check_status_list_uri,
    parse_status_reference,
)
from tests.support import assert_rejected

URI = "https://example.com/statuslists/1"


def _claim(**members: Any) -> dict[str, Any]:
    return {"status_list": members}


def test_reference_parses_and_other_members_are_ignored() -> None:
    claim = {"status_list": {"idx": 7, "uri": URI, "x": 1}, "other_mechanism": {}}
    assert parse_status_reference(claim) == StatusReference(idx=7, uri=URI)


@pytest.mark.parametrize(
    "claim",
    [
        None,
        [],
        "https://example.com/statuslists/1",
        {},
        {"other_mechanism": {"idx": 0, "uri": URI}},
        {"status_list": None},
        {"status_list": [0, URI]},
        _claim(uri=URI),
        _claim(idx=0),
        _claim(idx=0, uri=None),
        _claim(idx=0, uri=42),
        _claim(idx=0, uri=[URI]),
    ],
)
def test_wrong_shapes_are_bad_references(claim: Any) -> None:
    assert_rejected(StatusListReason.BAD_REFERENCE, parse_status_reference, claim)


@pytest.mark.parametrize("idx", [-1, 1.5, "3", True, None, 2**64])
def test_bad_idx_is_bad_index(idx: Any) -> None:
    assert_rejected(StatusListReason.BAD_INDEX, parse_status_reference, _claim(idx=idx, uri=URI))


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "/statuslists/1",  # relative
        "example.com/statuslists/1",  # no scheme
        "ftp://example.com/statuslists/1",
        "urn:example:statuslist:1",  # a URI, but not one we can fetch
        "https:///statuslists/1",  # no host
        "https://example.com/statuslists/1#frag",  # not an absolute-URI (RFC 3986 §4.3)
        "https://user@example.com/statuslists/1",  # userinfo
        "https://example.com:99999/statuslists/1",  # port out of range
        "https://[::1/statuslists/1",  # broken IP literal
        "https://example.com/status lists/1",  # space
        "https://example.com/%zz",  # bad percent-encoding
        "https://exämple.com/1",  # not RFC 3986 characters
        "https://example.com/" + "a" * MAX_URI_LENGTH,
        "http://example.com/statuslists/1",  # http needs allow_http
    ],
)
def test_unacceptable_uris_are_bad_references(uri: str) -> None:
    assert_rejected(StatusListReason.BAD_REFERENCE, parse_status_reference, _claim(idx=0, uri=uri))


def test_http_is_accepted_only_when_allowed() -> None:
    claim = _claim(idx=0, uri="http://localhost:8080/statuslists/1")
    reference = parse_status_reference(claim, allow_http=True)
    assert reference.uri == "http://localhost:8080/statuslists/1"
    assert_rejected(StatusListReason.BAD_REFERENCE, parse_status_reference, claim)


@pytest.mark.parametrize(
    "uri",
    [
        URI,
        "https://example.com",
        "https://example.com:8443/lists/1?page=2&x=%2F",
        "https://[2001:db8::1]/lists/1",
    ],
)
def test_acceptable_uris(uri: str) -> None:
    assert check_status_list_uri(uri) == uri
