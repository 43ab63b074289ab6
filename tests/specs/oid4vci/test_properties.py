"""No input crashes a parser: whatever arrives, the only exception is ``Rejected`` (hypothesis).

Random bytes go through ``loads_strict`` (as the services decode bodies) and then into every
JSON parser; random JSON values, random strings and random form pairs go in directly. A
parser may accept what it is given; it may never raise ``KeyError``, ``TypeError``,
``ValueError`` or anything but ``Rejected``.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import Rejected
from specs.jose import JwsAlg, b64url_encode, dumps_compact, generate_private_key, loads_strict
from specs.oid4vci import (
    OFFER_SCHEME,
    PRE_AUTHORIZED_GRANT,
    PROOF_JWT_TYP,
    parse_configurations,
    parse_credential_offer,
    parse_credential_request,
    parse_credential_response,
    parse_deferred_request,
    parse_issuer_metadata,
    parse_notification_request,
    parse_offer_link,
    parse_token_request,
    verify_jwt_proof,
)

ISSUER = "https://issuer.example"
NOW = 1_790_000_000
HOLDER = generate_private_key()

PARSERS: list[Callable[[Any], object]] = [
    parse_credential_offer,
    lambda value: parse_credential_request(value, max_proofs=3),
    parse_credential_response,
    parse_deferred_request,
    parse_notification_request,
    parse_configurations,
    lambda value: parse_issuer_metadata(value, expected_issuer=ISSUER),
]

# Member names the parsers look for, so random objects reach past the first check.
NAMES = st.sampled_from(
    [
        "credential_issuer",
        "credential_configuration_ids",
        "grants",
        PRE_AUTHORIZED_GRANT,
        "pre-authorized_code",
        "tx_code",
        "input_mode",
        "length",
        "description",
        "authorization_code",
        "issuer_state",
        "credential_configuration_id",
        "credential_identifier",
        "proofs",
        "proof",
        "jwt",
        "credentials",
        "credential",
        "transaction_id",
        "interval",
        "notification_id",
        "event",
        "event_description",
        "credential_endpoint",
        "nonce_endpoint",
        "batch_credential_issuance",
        "batch_size",
        "credential_configurations_supported",
        "format",
        "vct",
        "display",
        "authorization_servers",
        "proof_types_supported",
        "credential_response_encryption",
        "encryption_required",
    ]
) | st.text(max_size=6)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from([ISSUER, "credential_accepted", "numeric", "a.b.c"]),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(NAMES, children, max_size=6)
    ),
    max_leaves=20,
)


def _survives(call: Callable[..., object], *args: Any) -> None:
    with contextlib.suppress(Rejected):
        call(*args)


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_json_parsers_only_reject(value: Any) -> None:
    for parse in PARSERS:
        _survives(parse, value)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=256))
def test_random_bytes_only_reject(data: bytes) -> None:
    def decode_and_parse() -> None:
        value = loads_strict(data)
        for parse in PARSERS:
            _survives(parse, value)

    _survives(decode_and_parse)


LINK_TEXT = st.text(alphabet=string.printable + "%é\u0000", max_size=200) | st.builds(
    lambda tail: f"{OFFER_SCHEME}?credential_offer={tail}", st.text(max_size=120)
)


@settings(max_examples=200, deadline=None)
@given(LINK_TEXT)
def test_offer_links_only_reject(link: str) -> None:
    _survives(parse_offer_link, link)


def _verify(token: str) -> object:
    return verify_jwt_proof(
        token,
        audience=ISSUER,
        now=NOW,
        max_age=300,
        leeway=30,
        algorithms={JwsAlg.ES256},
        require_nonce=True,
    )


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + "-_.=", max_size=300))
def test_proof_strings_only_reject(token: str) -> None:
    _survives(_verify, token)


HEADER_VALUES = st.one_of(
    JSON, st.just(HOLDER.public.to_jwk()), st.just(PROOF_JWT_TYP), st.just("ES256")
)
CLAIM_VALUES = st.one_of(JSON, st.just(ISSUER), st.integers(NOW - 400, NOW + 60))


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["typ", "alg", "jwk", "kid", "x5c", "crit"]), HEADER_VALUES),
    st.dictionaries(st.sampled_from(["aud", "iat", "exp", "nbf", "nonce", "iss"]), CLAIM_VALUES),
)
def test_signed_proofs_with_random_members_only_reject(
    header: dict[str, Any], claims: dict[str, Any]
) -> None:
    """Correctly signed, so every header and claim rule is reached."""
    signing_input = ".".join(
        b64url_encode(dumps_compact(part).encode()) for part in (header, claims)
    )
    signature = b64url_encode(HOLDER.sign(signing_input.encode()))
    _survives(_verify, f"{signing_input}.{signature}")


FORM_NAMES = st.sampled_from(["grant_type", "pre-authorized_code", "tx_code"]) | st.text(max_size=5)
FORM_VALUES = st.sampled_from([PRE_AUTHORIZED_GRANT, ""]) | st.text(max_size=70)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FORM_NAMES, FORM_VALUES), max_size=40))
def test_token_forms_only_reject(form: list[tuple[str, str]]) -> None:
    _survives(lambda: parse_token_request(form))
