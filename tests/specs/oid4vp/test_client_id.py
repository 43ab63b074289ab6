"""Client Identifier Prefixes and the keys that authenticate them (OpenID4VP 1.0 §5.9)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import Oid4vpReason, Rejected
from specs.jose import JwsAlg, StaticKeyResolver, b64url_encode, generate_private_key
from specs.oid4vp import (
    ClientId,
    ClientIdPrefix,
    client_signing_key,
    format_client_id,
    parse_client_id,
    x509_hash_of,
)
from specs.sd_jwt_vc.did import DidResolver
from tests.specs.oid4vp.conftest import (
    DNS_NAME,
    MOMENT,
    NOW,
    DidVerifier,
    Pki,
    der,
    new_pki,
)
from tests.support import assert_rejected, load_json, vectors_dir

SPEC_HASH = "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk"  # §5.9.3 example


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "prefix", "value"),
    [
        ("redirect_uri:https://client.example.org/cb", ClientIdPrefix.REDIRECT_URI, None),
        ("x509_san_dns:client.example.org", ClientIdPrefix.X509_SAN_DNS, "client.example.org"),
        (SPEC_HASH, ClientIdPrefix.X509_HASH, SPEC_HASH.split(":", 1)[1]),
        ("decentralized_identifier:did:example:123", ClientIdPrefix.DECENTRALIZED_IDENTIFIER, None),
        ("decentralized_identifier:did:web:verifier.example%3A8443:desk", None, None),
    ],
)
def test_spec_client_ids_split_at_the_first_colon(
    text: str, prefix: ClientIdPrefix | None, value: str | None
) -> None:
    parsed = parse_client_id(text)
    name, _, rest = text.partition(":")
    assert parsed == ClientId(ClientIdPrefix(name), rest, text)
    assert prefix is None or parsed.prefix is prefix
    assert value is None or parsed.value == value


def test_the_spec_request_example_client_id_parses() -> None:
    payload = load_json(vectors_dir("oid4vp", "inline") / "L0446_examples.json")
    client = parse_client_id(payload["client_id"])
    assert client.prefix is ClientIdPrefix.REDIRECT_URI
    assert client.value == "https://client.example.org/cb"


@pytest.mark.parametrize(
    "text",
    [
        "example-client",  # §5.9.2: pre-registered, which we do not have
        "https://client.example.org/cb",  # "https" is not a prefix
        "openid_federation:https://federation-verifier.example.com",
        "verifier_attestation:verifier.example",
        "origin:https://verifier.example.com",  # §5.9.3: MUST NOT be accepted
        "X509_SAN_DNS:client.example.org",  # prefixes are case-sensitive
        "",
    ],
)
def test_unsupported_prefixes_are_refused(text: str) -> None:
    assert_rejected(Oid4vpReason.UNKNOWN_CLIENT_ID_PREFIX, parse_client_id, text)


@pytest.mark.parametrize(
    "text",
    [
        "x509_san_dns:",
        "x509_san_dns:client.example.org/path",
        "x509_san_dns:-bad.example",
        "x509_san_dns:under_score.example",
        "x509_san_dns:" + "a" * 254,
        "x509_hash:short",
        "x509_hash:" + SPEC_HASH.split(":", 1)[1] + "=",
        "x509_hash:" + b64url_encode(b"\x00" * 20),
        "redirect_uri:ftp://client.example.org/cb",
        "redirect_uri:https://client.example.org/cb#fragment",
        "redirect_uri:https://client.example.org/cb#",
        "redirect_uri:https://user@client.example.org/cb",
        "redirect_uri:/relative",
        "redirect_uri:https://client.example.org/c b",
        "decentralized_identifier:not-a-did",
        "decentralized_identifier:did:example:123#key-1",
        "decentralized_identifier:did:é:1",
        "redirect_uri:https://" + "a" * 2100,
    ],
)
def test_values_that_do_not_fit_their_prefix_are_malformed(text: str) -> None:
    assert_rejected(Oid4vpReason.MALFORMED_CLIENT_ID, parse_client_id, text)


@pytest.mark.parametrize("value", [None, 7, ["x509_san_dns:a.example"], b"x509_san_dns:a"])
def test_a_client_id_is_a_string(value: Any) -> None:
    assert_rejected(Oid4vpReason.MALFORMED_CLIENT_ID, parse_client_id, value)


def test_format_round_trips_and_refuses_bad_values() -> None:
    text = format_client_id(ClientIdPrefix.X509_SAN_DNS, DNS_NAME)
    assert text == f"x509_san_dns:{DNS_NAME}"
    assert parse_client_id(text).value == DNS_NAME
    with pytest.raises(ValueError, match="x509_hash"):
        format_client_id(ClientIdPrefix.X509_HASH, "not-a-hash")


def test_x509_hash_is_base64url_sha256_of_the_der_leaf(pki: Pki) -> None:
    leaf = der(pki.leaf)
    assert x509_hash_of(leaf) == b64url_encode(hashlib.sha256(leaf).digest())
    assert parse_client_id(f"x509_hash:{x509_hash_of(leaf)}").prefix is ClientIdPrefix.X509_HASH


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.sampled_from([p.value + ":" for p in ClientIdPrefix]))
def test_parsing_only_rejects(text: str) -> None:
    with contextlib.suppress(Rejected):
        parse_client_id(text)


# --- the key of a client --------------------------------------------------------------------


def _x5c(*certificates: x509.Certificate) -> list[str]:
    return [base64.b64encode(der(c)).decode("ascii") for c in certificates]


def _key(client_id: str, header: dict[str, Any], **kwargs: Any) -> Any:
    kwargs.setdefault("trust_roots", None)
    kwargs.setdefault("did_resolver", None)
    return client_signing_key(parse_client_id(client_id), header, now=NOW, **kwargs)


def test_x509_san_dns_key_is_the_leaf_key_of_a_trusted_chain(pki: Pki) -> None:
    key = _key(f"x509_san_dns:{DNS_NAME}", {"x5c": _x5c(pki.leaf)}, trust_roots=[pki.root])
    assert key.members == pki.signer.public.members


def test_dns_names_compare_case_insensitively(pki: Pki) -> None:
    key = _key("x509_san_dns:Verifier.EXAMPLE", {"x5c": _x5c(pki.leaf)}, trust_roots=[pki.root])
    assert key.members == pki.signer.public.members


def test_x509_san_dns_needs_the_name_in_a_dns_san(pki: Pki) -> None:
    header = {"x5c": _x5c(pki.leaf)}
    reason = Oid4vpReason.X509_SAN_MISMATCH
    assert_rejected(reason, _key, "x509_san_dns:other.example", header, trust_roots=[pki.root])
    uri_only = pki.issue(san=[x509.UniformResourceIdentifier(f"https://{DNS_NAME}")])
    header = {"x5c": _x5c(uri_only)}
    assert_rejected(reason, _key, f"x509_san_dns:{DNS_NAME}", header, trust_roots=[pki.root])
    no_san = pki.issue(san=None)
    header = {"x5c": _x5c(no_san)}
    assert_rejected(reason, _key, f"x509_san_dns:{DNS_NAME}", header, trust_roots=[pki.root])


def test_x509_san_dns_without_trust_roots_is_refused(pki: Pki) -> None:
    """Anyone can certify any DNS name to themselves; only an anchor makes the name true."""
    header = {"x5c": _x5c(pki.leaf)}
    assert_rejected(Oid4vpReason.CERTIFICATE_INVALID, _key, f"x509_san_dns:{DNS_NAME}", header)


def test_x509_hash_pins_the_leaf(pki: Pki) -> None:
    client_id = f"x509_hash:{x509_hash_of(der(pki.leaf))}"
    assert _key(client_id, {"x5c": _x5c(pki.leaf)}).members == pki.signer.public.members
    other = pki.issue()
    assert_rejected(Oid4vpReason.X509_HASH_MISMATCH, _key, client_id, {"x5c": _x5c(other)})


def test_x509_hash_with_roots_also_validates_the_chain(pki: Pki) -> None:
    client_id = f"x509_hash:{x509_hash_of(der(pki.leaf))}"
    header = {"x5c": _x5c(pki.leaf)}
    assert _key(client_id, header, trust_roots=[pki.root]).members == pki.signer.public.members
    stranger = new_pki()
    reason = Oid4vpReason.CERTIFICATE_INVALID
    assert_rejected(reason, _key, client_id, header, trust_roots=[stranger.root])
    assert_rejected(reason, _key, client_id, header, trust_roots=[])


def test_a_chain_to_another_root_is_refused(pki: Pki) -> None:
    stranger = new_pki()
    header = {"x5c": _x5c(stranger.leaf, stranger.root)}  # a root inside x5c earns nothing
    reason = Oid4vpReason.CERTIFICATE_INVALID
    assert_rejected(reason, _key, f"x509_san_dns:{DNS_NAME}", header, trust_roots=[pki.root])


@pytest.mark.parametrize(
    "window",
    [
        (MOMENT - timedelta(days=30), MOMENT - timedelta(days=1)),  # expired
        (MOMENT + timedelta(days=1), MOMENT + timedelta(days=30)),  # not yet valid
    ],
)
def test_certificates_outside_their_validity_are_refused(pki: Pki, window: tuple[Any, Any]) -> None:
    leaf = pki.issue(not_before=window[0], not_after=window[1])
    header = {"x5c": _x5c(leaf)}
    reason = Oid4vpReason.CERTIFICATE_INVALID
    assert_rejected(reason, _key, f"x509_hash:{x509_hash_of(der(leaf))}", header)
    dns = f"x509_san_dns:{DNS_NAME}"
    assert_rejected(reason, _key, dns, header, trust_roots=[pki.root])


def test_a_leaf_that_may_not_sign_is_refused(pki: Pki) -> None:
    leaf = pki.issue(digital_signature=False)
    header = {"x5c": _x5c(leaf)}
    reason = Oid4vpReason.CERTIFICATE_INVALID
    assert_rejected(reason, _key, f"x509_hash:{x509_hash_of(der(leaf))}", header)


@pytest.mark.parametrize(
    "key", [ec.generate_private_key(ec.SECP384R1()), ed25519.Ed25519PrivateKey.generate()]
)
def test_a_leaf_key_that_cannot_sign_es256_is_refused(pki: Pki, key: Any) -> None:
    leaf = pki.issue(key)
    header = {"x5c": _x5c(leaf)}
    reason = Oid4vpReason.CERTIFICATE_INVALID
    assert_rejected(reason, _key, f"x509_hash:{x509_hash_of(der(leaf))}", header)


@pytest.mark.parametrize(
    "x5c",
    [
        None,
        [],
        "MIIB",
        [7],
        ["not base64!"],
        ["QUJD"],  # base64 of "ABC", not a certificate
        ["é"],
        ["A" * 30_000],
    ],
)
def test_unusable_x5c_is_certificate_invalid(pki: Pki, x5c: Any) -> None:
    header = {} if x5c is None else {"x5c": x5c}
    client_id = f"x509_hash:{x509_hash_of(der(pki.leaf))}"
    assert_rejected(Oid4vpReason.CERTIFICATE_INVALID, _key, client_id, header)


def test_x5c_entries_have_one_spelling_and_a_bounded_count(pki: Pki) -> None:
    client_id = f"x509_hash:{x509_hash_of(der(pki.leaf))}"
    (encoded,) = _x5c(pki.leaf)
    reason = Oid4vpReason.CERTIFICATE_INVALID
    assert_rejected(reason, _key, client_id, {"x5c": [encoded + "\n"]})
    assert_rejected(reason, _key, client_id, {"x5c": [encoded[:8] + " " + encoded[8:]]})
    assert_rejected(reason, _key, client_id, {"x5c": [encoded] * 6})


def test_did_key_is_resolved_from_the_kid(did_verifier: DidVerifier) -> None:
    client_id = f"decentralized_identifier:{did_verifier.did}"
    key = _key(client_id, {"kid": did_verifier.kid}, did_resolver=did_verifier.resolver)
    assert key.members == did_verifier.signer.public.members


@pytest.mark.parametrize(
    "kid",
    [None, 7, "#0", "did:jwk:other#0", "{did}", "{did}#", "{did}#1", "{did}x#0"],
)
def test_did_kid_must_name_a_key_of_the_client_did(did_verifier: DidVerifier, kid: Any) -> None:
    if isinstance(kid, str):
        kid = kid.format(did=did_verifier.did)
    header = {} if kid is None else {"kid": kid}
    client_id = f"decentralized_identifier:{did_verifier.did}"
    assert_rejected(
        Oid4vpReason.DID_KEY_MISMATCH, _key, client_id, header, did_resolver=did_verifier.resolver
    )


def test_did_resolver_failure_and_non_es256_keys_are_key_mismatches(
    did_verifier: DidVerifier,
) -> None:
    client_id = f"decentralized_identifier:{did_verifier.did}"
    header = {"kid": did_verifier.kid}
    ed25519_key = generate_private_key(JwsAlg.ED25519).public
    reason = Oid4vpReason.DID_KEY_MISMATCH
    assert_rejected(reason, _key, client_id, header, did_resolver=StaticKeyResolver(ed25519_key))
    untrusting = DidResolver(documents={})  # trusts no did:jwk
    assert_rejected(reason, _key, client_id, header, did_resolver=untrusting)


def test_did_clients_need_a_resolver(did_verifier: DidVerifier) -> None:
    client_id = f"decentralized_identifier:{did_verifier.did}"
    header = {"kid": did_verifier.kid}
    assert_rejected(Oid4vpReason.UNKNOWN_CLIENT_ID_PREFIX, _key, client_id, header)


def test_redirect_uri_clients_have_no_key() -> None:
    client_id = "redirect_uri:https://client.example.org/cb"
    assert_rejected(Oid4vpReason.UNSIGNED_REQUEST, _key, client_id, {})
