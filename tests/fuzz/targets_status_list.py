"""Fuzz targets for the Token Status List: the list itself (``bits``, ``lst``), the Status
List Token (mutated, and signed with random claims), the ``status`` claim, the index.

A verified token is also asked for a status at a fuzzed reference, so the index checks
behind ``status_of`` see hostile input too.
"""

from __future__ import annotations

import zlib
from typing import Any

from hypothesis import strategies as st

from specs.jose import JwsAlg, b64url_encode, generate_private_key
from specs.status_list import (
    build_status_list_token,
    decode_status_list,
    encode_status_list,
    parse_status_index,
    parse_status_reference,
    status_list_token_header,
    verify_status_list_token,
)
from tests.fuzz.harness import Target
from tests.fuzz.mutations import json_values, mutated_json, near
from tests.specs.forge import sign_raw

NOW = 1_790_000_000
SUBJECT = "https://issuer.example/statuslists/1"
KEY = generate_private_key(JwsAlg.ES256, kid="status-issuer")
LIST = encode_status_list([1, 0, 2, 0, 3, 1], 2)
NAMES = ["bits", "lst", "aggregation_uri", "sub", "iat", "exp", "ttl", "status_list", "iss"]
PAYLOAD = {"sub": SUBJECT, "iat": NOW, "exp": NOW + 86_400, "ttl": 3600, "status_list": LIST}
TOKEN = build_status_list_token(
    key=KEY,
    subject_uri=SUBJECT,
    status_list=LIST,
    now=NOW,
    ttl=3600,
    exp=NOW + 86_400,
    issuer=None,
)
REFERENCE = {"status_list": {"idx": 3, "uri": SUBJECT}}


def _verify(token: str) -> object:
    return verify_status_list_token(
        token,
        key=KEY.public,
        expected_uri=SUBJECT,
        now=NOW,
        leeway=0,
        algorithms={JwsAlg.ES256},
        max_age=7 * 86_400,
    )


def _status_at(case: tuple[str, Any]) -> object:
    """Verify, then read the status the fuzzed reference points at."""
    token, reference = case
    verified = verify_status_list_token(
        token,
        key=KEY.public,
        expected_uri=SUBJECT,
        now=NOW,
        leeway=0,
        algorithms={JwsAlg.ES256},
        max_age=7 * 86_400,
    )
    return verified.status_of(parse_status_reference(reference))


def _lst(data: bytes) -> str:
    return b64url_encode(zlib.compress(data))


LISTS = st.one_of(
    mutated_json(dict(LIST), NAMES),
    st.builds(
        lambda bits, data: {"bits": bits, "lst": data},
        st.sampled_from([1, 2, 4, 8, 3, 0, -1, 16, True]) | json_values(max_leaves=2),
        st.binary(max_size=64).map(_lst) | st.text(max_size=40) | json_values(max_leaves=2),
    ),
    json_values(NAMES, max_leaves=8),
)
SIGNED = st.one_of(
    mutated_json(PAYLOAD, NAMES).map(
        lambda payload: sign_raw({"alg": "ES256", "typ": "statuslist+jwt"}, payload, KEY)
    ),
    st.builds(
        lambda header: sign_raw({"alg": "ES256", **header}, PAYLOAD, KEY),
        st.dictionaries(
            st.sampled_from(["typ", "alg", "kid", "crit", "x5c", "b64"]),
            st.sampled_from(["statuslist+jwt", "ES256"]) | json_values(max_leaves=3),
        ),
    ),
)

TARGETS = [
    Target("status_list.decode_status_list", LISTS, decode_status_list),
    Target("status_list.verify_status_list_token.mutated", near(TOKEN, separators="."), _verify),
    Target("status_list.verify_status_list_token.signed_random", SIGNED, _verify),
    Target(
        "status_list.status_list_token_header",
        near(TOKEN, separators="."),
        status_list_token_header,
    ),
    Target(
        "status_list.parse_status_reference",
        mutated_json(REFERENCE, ["status_list", "idx", "uri"]) | json_values(max_leaves=6),
        parse_status_reference,
    ),
    Target("status_list.parse_status_index", json_values(max_leaves=3), parse_status_index),
    Target(
        "status_list.status_of",
        st.tuples(st.just(TOKEN), mutated_json(REFERENCE, ["status_list", "idx", "uri"])),
        _status_at,
    ),
]
