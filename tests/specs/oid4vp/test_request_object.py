"""Request Objects (OpenID4VP 1.0 §5, §5.9.3, §5.10; RFC 9101): build, then verify as a Wallet.

Every prefix round-trips; every rule of ``verify_request_object`` is broken once, by a token
that is otherwise valid and correctly signed, so the rejection names exactly that rule.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import string
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specs.errors import JoseReason, Oid4vpReason, Rejected
from specs.jose import (
    JwsAlg,
    b64url_encode,
    dumps_compact,
    generate_private_key,
    parse_compact_jws,
    sign_compact_jws,
)
from specs.oid4vp import (
    REQUEST_OBJECT_TYP,
    AuthorizationRequest,
    encode_transaction_data,
    x509_hash_of,
)
from specs.oid4vp.request_object import (
    SELF_ISSUED_AUDIENCE,
    authorization_request_link,
    build_request_object,
    build_unsigned_request_object,
    parse_authorization_request_link,
    parse_request_uri_post,
    request_uri_post_form,
    verify_request_object,
)
from tests.specs.forge import sign_raw
from tests.specs.oid4vp.conftest import (
    DNS_NAME,
    NOW,
    RESPONSE_URI,
    DidVerifier,
    Pki,
    der,
    signer_of,
)
from tests.support import assert_rejected, load_json, vectors_dir

CLIENT_ID = f"x509_san_dns:{DNS_NAME}"
QUERY = {"credentials": [{"id": "income", "format": "dc+sd-jwt"}]}
PURPOSE = encode_transaction_data({"type": "aanspraak-purpose", "credential_ids": ["income"]})
LIFETIME = 300


def _request(**overrides: Any) -> AuthorizationRequest:
    request = AuthorizationRequest(
        client_id=CLIENT_ID,
        response_uri=RESPONSE_URI,
        response_mode="direct_post.jwt",
        nonce="n-0S6_WzA2Mj",
        state="eyJhb.6-sVA",
        dcql_query=QUERY,
        client_metadata={"vp_formats_supported": {"dc+sd-jwt": {}}},
        transaction_data=(PURPOSE,),
        verifier_info=[{"format": "registration", "data": "eyJ...", "credential_ids": ["income"]}],
    )
    return dataclasses.replace(request, **overrides)


def _x5c(pki: Pki) -> list[str]:
    return [base64.b64encode(der(pki.leaf)).decode("ascii")]


def _signed(pki: Pki, claims: dict[str, Any], **header: Any) -> str:
    """A token with exactly these claims, signed by the Verifier's leaf key."""
    extra = {"x5c": _x5c(pki), **header}
    typ = extra.pop("typ", REQUEST_OBJECT_TYP)
    return sign_compact_jws(claims, key=pki.signer, typ=typ, extra_header=extra)


def _claims(**overrides: Any) -> dict[str, Any]:
    claims = _request().to_claims(NOW, LIFETIME)
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _verify(token: str, pki: Pki, **kwargs: Any) -> AuthorizationRequest:
    kwargs.setdefault("expected_client_id", CLIENT_ID)
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("allow_unsigned", False)
    kwargs.setdefault("trust_roots", [pki.root])
    return verify_request_object(token, **kwargs)


# --- round trips, one per prefix ------------------------------------------------------------


def test_x509_san_dns_request_round_trips(pki: Pki) -> None:
    request = _request()
    token = build_request_object(
        request, signer=pki.signer, now=NOW, lifetime=LIFETIME, x5c=[der(pki.leaf)]
    )
    jws = parse_compact_jws(token)
    assert jws.header == {"alg": "ES256", "typ": REQUEST_OBJECT_TYP, "x5c": _x5c(pki)}
    assert jws.payload["aud"] == SELF_ISSUED_AUDIENCE
    assert jws.payload["iss"] == CLIENT_ID
    assert jws.payload["exp"] == NOW + LIFETIME
    assert jws.payload["iat"] == NOW
    assert _verify(token, pki) == request


def test_x509_hash_request_round_trips_with_and_without_roots(pki: Pki) -> None:
    client_id = f"x509_hash:{x509_hash_of(der(pki.leaf))}"
    request = _request(client_id=client_id, response_uri="https://elsewhere.example/post")
    token = build_request_object(
        request, signer=pki.signer, now=NOW, lifetime=LIFETIME, x5c=[der(pki.leaf)]
    )
    assert _verify(token, pki, expected_client_id=client_id) == request
    assert _verify(token, pki, expected_client_id=client_id, trust_roots=None) == request


def test_decentralized_identifier_request_round_trips(did_verifier: DidVerifier) -> None:
    client_id = f"decentralized_identifier:{did_verifier.did}"
    request = _request(client_id=client_id, wallet_nonce="qPmxiNFCR3QTm19POc8u")
    token = build_request_object(
        request, signer=did_verifier.signer, now=NOW, lifetime=LIFETIME, kid=did_verifier.kid
    )
    assert parse_compact_jws(token).header["kid"] == did_verifier.kid
    verified = verify_request_object(
        token,
        expected_client_id=client_id,
        now=NOW,
        allow_unsigned=False,
        did_resolver=did_verifier.resolver,
        wallet_nonce="qPmxiNFCR3QTm19POc8u",
    )
    assert verified == request


def test_redirect_uri_request_is_unsigned_and_round_trips() -> None:
    client_id = "redirect_uri:http://127.0.0.1:8080/wallet/response"
    request = _request(client_id=client_id, response_uri=client_id.split(":", 1)[1])
    token = build_unsigned_request_object(request)
    assert token.endswith(".")
    assert parse_compact_jws(token).header == {"alg": "none", "typ": REQUEST_OBJECT_TYP}
    verified = verify_request_object(
        token, expected_client_id=client_id, now=NOW, allow_unsigned=True, allow_http=True
    )
    assert verified == request


def test_minimal_request_round_trips(pki: Pki) -> None:
    request = _request(state=None, client_metadata=None, transaction_data=None, verifier_info=None)
    assert set(request.parameters()) == {
        "client_id",
        "response_type",
        "response_mode",
        "response_uri",
        "nonce",
        "dcql_query",
    }
    token = build_request_object(
        request, signer=pki.signer, now=NOW, lifetime=LIFETIME, x5c=[der(pki.leaf)]
    )
    assert _verify(token, pki) == request


def test_builders_refuse_what_no_wallet_could_verify(pki: Pki, did_verifier: DidVerifier) -> None:
    sign: dict[str, Any] = {
        "signer": pki.signer,
        "now": NOW,
        "lifetime": LIFETIME,
        "x5c": [der(pki.leaf)],
    }
    redirect = _request(client_id=f"redirect_uri:{RESPONSE_URI}")
    with pytest.raises(ValueError, match="cannot be signed"):
        build_request_object(redirect, **sign)
    with pytest.raises(ValueError, match="only redirect_uri"):
        build_unsigned_request_object(_request())
    with pytest.raises(ValueError, match="x5c"):
        build_request_object(_request(), **{**sign, "x5c": None})
    did_request = _request(client_id=f"decentralized_identifier:{did_verifier.did}")
    with pytest.raises(ValueError, match="kid"):
        build_request_object(did_request, **{**sign, "kid": "did:jwk:other#0"})
    with pytest.raises(ValueError, match="ES256"):
        build_request_object(_request(), **{**sign, "signer": generate_private_key(JwsAlg.ED25519)})
    with pytest.raises(ValueError, match="direct_post"):
        build_request_object(_request(response_mode="fragment"), **sign)
    with pytest.raises(ValueError, match="client_id"):
        build_request_object(_request(client_id="pre-registered"), **sign)
    with pytest.raises(ValueError, match="lifetime"):
        build_request_object(_request(), **{**sign, "lifetime": 0})


# --- the spec's examples --------------------------------------------------------------------


def _unsigned(payload: dict[str, Any], typ: str = REQUEST_OBJECT_TYP) -> str:
    header = {"alg": "none", "typ": typ}
    return ".".join(b64url_encode(dumps_compact(p).encode()) for p in (header, payload)) + "."


def test_spec_redirect_uri_example_is_refused_for_its_default_response_mode() -> None:
    """§5.4's Request Object has no response_mode: the default (fragment, §5.6) is not ours."""
    payload = load_json(vectors_dir("oid4vp", "inline") / "L0446_examples.json")
    token = _unsigned(payload)
    verify = verify_request_object
    kwargs = {"expected_client_id": payload["client_id"], "now": NOW}
    assert_rejected(Oid4vpReason.UNSIGNED_REQUEST, verify, token, allow_unsigned=False, **kwargs)
    reason = Oid4vpReason.UNSUPPORTED_RESPONSE_MODE
    assert_rejected(reason, verify, token, allow_unsigned=True, **kwargs)
    fixed = {**payload, "response_mode": "direct_post"}
    reason = Oid4vpReason.MALFORMED_REQUEST_OBJECT  # redirect_uri instead of response_uri
    assert_rejected(reason, verify, _unsigned(fixed), allow_unsigned=True, **kwargs)


def test_spec_dc_api_example_has_no_client_id() -> None:
    payload = load_json(vectors_dir("oid4vp", "inline") / "L1330_encrypted_responses.json")
    assert_rejected(
        Oid4vpReason.MALFORMED_REQUEST_OBJECT,
        verify_request_object,
        _unsigned(payload),
        expected_client_id=None,
        now=NOW,
        allow_unsigned=True,
    )


def test_spec_did_header_uses_an_algorithm_we_refuse(did_verifier: DidVerifier) -> None:
    header = load_json(
        vectors_dir("oid4vp", "examples", "request") / "request_header_client_id_did.json"
    )
    assert header["alg"] == "RS256"
    claims = _claims(client_id="decentralized_identifier:did:example:123")
    token = sign_raw(header, claims, did_verifier.signer)
    assert_rejected(
        JoseReason.ALG_NOT_ALLOWED,
        verify_request_object,
        token,
        expected_client_id=None,
        now=NOW,
        allow_unsigned=False,
        did_resolver=did_verifier.resolver,
    )


# --- the envelope ---------------------------------------------------------------------------


def test_size_is_checked_first(pki: Pki) -> None:
    assert_rejected(JoseReason.TOKEN_TOO_LARGE, _verify, "a" * 70_000, pki)
    token = _signed(pki, _claims())
    assert_rejected(JoseReason.TOKEN_TOO_LARGE, _verify, token, pki, max_bytes=len(token) - 1)


@pytest.mark.parametrize("typ", ["JWT", "oauth-authz-req", "jwt+oauth-authz-req"])
def test_typ_must_be_oauth_authz_req_jwt(pki: Pki, typ: str) -> None:
    token = _signed(pki, _claims(), typ=typ)
    assert_rejected(JoseReason.TYP_MISMATCH, _verify, token, pki)


def test_typ_may_carry_the_application_prefix(pki: Pki) -> None:
    token = _signed(pki, _claims(), typ=f"application/{REQUEST_OBJECT_TYP}")
    assert _verify(token, pki).nonce == "n-0S6_WzA2Mj"


def test_duplicate_claims_are_refused(pki: Pki) -> None:
    header = {"alg": "ES256", "typ": REQUEST_OBJECT_TYP, "x5c": _x5c(pki)}
    text = json.dumps(_claims())[:-1] + ', "nonce": "other"}'
    token = sign_raw(header, text, pki.signer)
    assert_rejected(JoseReason.DUPLICATE_JSON_KEY, _verify, token, pki)


def test_client_id_must_equal_the_link(pki: Pki) -> None:
    token = _signed(pki, _claims())
    reason = Oid4vpReason.CLIENT_ID_MISMATCH
    assert_rejected(reason, _verify, token, pki, expected_client_id=f"x509_hash:{'A' * 43}")
    assert_rejected(reason, _verify, token, pki, expected_client_id=DNS_NAME)


@pytest.mark.parametrize("client_id", [None, 7, ""])
def test_client_id_claim_is_required(pki: Pki, client_id: Any) -> None:
    claims = _claims()
    claims["client_id"] = client_id
    assert_rejected(Oid4vpReason.MALFORMED_REQUEST_OBJECT, _verify, _signed(pki, claims), pki)


def test_iss_is_ignored(pki: Pki) -> None:
    token = _signed(pki, _claims(iss="https://attacker.example"))
    assert _verify(token, pki).client_id == CLIENT_ID


def test_unknown_prefixes_are_refused_before_any_key_is_looked_at(pki: Pki) -> None:
    token = _signed(pki, _claims(client_id="verifier_attestation:verifier.example"))
    reason = Oid4vpReason.UNKNOWN_CLIENT_ID_PREFIX
    assert_rejected(reason, _verify, token, pki, expected_client_id=None)


# --- signatures -----------------------------------------------------------------------------


def test_signed_requests_need_es256(pki: Pki) -> None:
    for alg in ("HS256", "RS256", "Ed25519", "NONE"):
        forged = sign_raw(
            {"alg": alg, "typ": REQUEST_OBJECT_TYP, "x5c": _x5c(pki)}, _claims(), pki.signer
        )
        assert_rejected(JoseReason.ALG_NOT_ALLOWED, _verify, forged, pki)


def test_alg_none_outside_redirect_uri_is_an_unsigned_request(pki: Pki) -> None:
    token = _unsigned(_claims())
    reason = Oid4vpReason.UNSIGNED_REQUEST
    assert_rejected(reason, _verify, token, pki)
    assert_rejected(reason, _verify, token, pki, allow_unsigned=True)


def test_a_signature_by_another_key_is_refused(pki: Pki) -> None:
    other = signer_of(pki.root_key)
    token = sign_compact_jws(
        _claims(), key=other, typ=REQUEST_OBJECT_TYP, extra_header={"x5c": _x5c(pki)}
    )
    assert_rejected(JoseReason.BAD_SIGNATURE, _verify, token, pki)


def test_crit_is_refused(pki: Pki) -> None:
    token = _signed(pki, _claims(), crit=["exp"])
    assert_rejected(JoseReason.UNSUPPORTED_HEADER, _verify, token, pki)


def test_certificate_rules_reach_the_request(pki: Pki) -> None:
    token = _signed(pki, _claims(client_id="x509_san_dns:other.example"))
    reason = Oid4vpReason.X509_SAN_MISMATCH
    assert_rejected(reason, _verify, token, pki, expected_client_id="x509_san_dns:other.example")
    hash_id = f"x509_hash:{x509_hash_of(der(pki.root))}"
    token = _signed(pki, _claims(client_id=hash_id))
    reason = Oid4vpReason.X509_HASH_MISMATCH
    assert_rejected(reason, _verify, token, pki, expected_client_id=hash_id)


def test_did_requests_need_the_kid_of_the_did(did_verifier: DidVerifier) -> None:
    client_id = f"decentralized_identifier:{did_verifier.did}"
    token = sign_compact_jws(
        _claims(client_id=client_id),
        key=did_verifier.signer,
        typ=REQUEST_OBJECT_TYP,
        extra_header={"kid": "did:jwk:someone-else#0"},
    )
    assert_rejected(
        Oid4vpReason.DID_KEY_MISMATCH,
        verify_request_object,
        token,
        expected_client_id=client_id,
        now=NOW,
        allow_unsigned=False,
        did_resolver=did_verifier.resolver,
    )


class TestRedirectUri:
    CLIENT_ID = f"redirect_uri:{RESPONSE_URI}"

    def _verify(self, token: str, **kwargs: Any) -> AuthorizationRequest:
        kwargs.setdefault("allow_unsigned", True)
        return verify_request_object(token, expected_client_id=self.CLIENT_ID, now=NOW, **kwargs)

    def test_unsigned_requests_need_the_callers_consent(self) -> None:
        token = _unsigned(_claims(client_id=self.CLIENT_ID))
        assert self._verify(token).client_id == self.CLIENT_ID
        reason = Oid4vpReason.UNSIGNED_REQUEST
        assert_rejected(reason, self._verify, token, allow_unsigned=False)

    def test_a_signature_cannot_be_verified_so_it_is_refused(self, pki: Pki) -> None:
        token = _signed(pki, _claims(client_id=self.CLIENT_ID))
        assert_rejected(JoseReason.ALG_NOT_ALLOWED, self._verify, token)

    def test_alg_none_carries_no_signature_and_no_crit(self) -> None:
        token = _unsigned(_claims(client_id=self.CLIENT_ID))
        assert_rejected(JoseReason.MALFORMED_JWS, self._verify, token + "c2ln")
        header = {"alg": "none", "typ": REQUEST_OBJECT_TYP, "crit": ["x"]}
        payload = _claims(client_id=self.CLIENT_ID)
        crit = ".".join(b64url_encode(dumps_compact(p).encode()) for p in (header, payload)) + "."
        assert_rejected(JoseReason.UNSUPPORTED_HEADER, self._verify, crit)

    def test_response_uri_must_be_the_client_id_value(self) -> None:
        token = _unsigned(_claims(client_id=self.CLIENT_ID, response_uri=RESPONSE_URI + "/x"))
        assert_rejected(Oid4vpReason.RESPONSE_URI_NOT_BOUND, self._verify, token)


# --- claims ---------------------------------------------------------------------------------


def test_x509_san_dns_binds_the_response_uri_host(pki: Pki) -> None:
    token = _signed(pki, _claims(response_uri="https://elsewhere.example/post"))
    assert_rejected(Oid4vpReason.RESPONSE_URI_NOT_BOUND, _verify, token, pki)
    token = _signed(pki, _claims(response_uri=f"https://{DNS_NAME.upper()}:8443/post"))
    assert _verify(token, pki).response_uri.endswith(":8443/post")


def test_expired_requests_are_refused(pki: Pki) -> None:
    token = _signed(pki, _claims())
    reason = Oid4vpReason.REQUEST_EXPIRED
    assert_rejected(reason, _verify, token, pki, now=NOW + LIFETIME)
    assert _verify(token, pki, now=NOW + LIFETIME - 1).nonce
    assert_rejected(
        Oid4vpReason.MALFORMED_REQUEST_OBJECT, _verify, _signed(pki, _claims(exp="soon")), pki
    )


def test_a_request_without_exp_is_accepted(pki: Pki) -> None:
    claims = _claims()
    del claims["exp"]
    assert _verify(_signed(pki, claims), pki).nonce


@pytest.mark.parametrize("response_type", ["code", "vp_token id_token", "id_token"])
def test_only_vp_token_is_supported(pki: Pki, response_type: str) -> None:
    token = _signed(pki, _claims(response_type=response_type))
    assert_rejected(Oid4vpReason.UNSUPPORTED_RESPONSE_TYPE, _verify, token, pki)


@pytest.mark.parametrize("mode", ["fragment", "query", "dc_api", "dc_api.jwt", "form_post", 7])
def test_only_direct_post_modes_are_supported(pki: Pki, mode: Any) -> None:
    token = _signed(pki, _claims(response_mode=mode))
    assert_rejected(Oid4vpReason.UNSUPPORTED_RESPONSE_MODE, _verify, token, pki)


@pytest.mark.parametrize(
    "overrides",
    [
        {"response_type": 7},
        {"response_type": ""},
        {"response_uri": "http://verifier.example/post"},  # http outside development
        {"response_uri": "https://verifier.example/post#frag"},
        {"response_uri": "https://user@verifier.example/post"},
        {"response_uri": "/post"},
        {"response_uri": 7},
        {"response_uri": "https://verifier.example:99999/post"},
        {"redirect_uri": RESPONSE_URI},  # §8.2: MUST NOT be present with direct_post
        {"nonce": "n 0"},  # §5.2: URL-safe characters only
        {"nonce": ""},
        {"nonce": "n" * 513},
        {"nonce": 7},
        {"state": "a+b"},
        {"state": ""},
        {"dcql_query": "{}"},
        {"dcql_query": [QUERY]},
        {"scope": "com.example.healthCardCredential_presentation"},
        {"client_metadata": "{}"},
        {"verifier_info": []},
        {"verifier_info": {"format": "x", "data": "y"}},
        {"verifier_info": [{"format": "x"}]},
        {"verifier_info": [{"format": "x", "data": ""}]},
        {"verifier_info": [{"format": 7, "data": "y"}]},
        {"verifier_info": [{"format": "x", "data": "y", "credential_ids": []}]},
        {"verifier_info": [{"format": "x", "data": "y", "credential_ids": [7]}]},
        {"wallet_nonce": ""},
        {"wallet_nonce": 7},
    ],
    ids=repr,
)
def test_ill_typed_parameters_are_malformed(pki: Pki, overrides: dict[str, Any]) -> None:
    claims = _claims()
    claims.update(overrides)
    assert_rejected(Oid4vpReason.MALFORMED_REQUEST_OBJECT, _verify, _signed(pki, claims), pki)


def test_missing_required_parameters_are_malformed(pki: Pki) -> None:
    for name in ("response_type", "response_uri", "nonce", "dcql_query"):
        claims = _claims()
        del claims[name]
        token = _signed(pki, claims)
        assert_rejected(Oid4vpReason.MALFORMED_REQUEST_OBJECT, _verify, token, pki)


@pytest.mark.parametrize(
    "transaction_data",
    [
        [],
        "one",
        [7],
        ["not base64 !"],
        [encode_transaction_data({"type": "x", "credential_ids": ["not-in-the-query"]})],
        [PURPOSE] * 17,
    ],
)
def test_transaction_data_is_checked_against_the_query(pki: Pki, transaction_data: Any) -> None:
    token = _signed(pki, _claims(transaction_data=transaction_data))
    assert_rejected(Oid4vpReason.MALFORMED_TRANSACTION_DATA, _verify, token, pki)


def test_wallet_nonce_must_be_echoed(pki: Pki) -> None:
    token = _signed(pki, _claims(wallet_nonce="qPmxiNFCR3QTm19POc8u"))
    assert _verify(token, pki, wallet_nonce="qPmxiNFCR3QTm19POc8u").wallet_nonce
    reason = Oid4vpReason.WALLET_NONCE_MISMATCH
    assert_rejected(reason, _verify, token, pki, wallet_nonce="another")
    assert_rejected(
        reason, _verify, _signed(pki, _claims()), pki, wallet_nonce="qPmxiNFCR3QTm19POc8u"
    )


def test_unknown_parameters_are_ignored(pki: Pki) -> None:
    token = _signed(pki, _claims(request_uri_method="post", extension={"a": 1}))
    assert _verify(token, pki) == _request()


# --- the link (§5.10, RFC 9101 §5.2) --------------------------------------------------------


def test_link_round_trips() -> None:
    link = authorization_request_link(
        client_id=CLIENT_ID,
        request_uri="https://verifier.example/r/1?x=a%20b&y=1",
        request_uri_method="post",
    )
    assert link.startswith("openid4vp://?client_id=x509_san_dns%3Averifier.example&request_uri=")
    parsed = parse_authorization_request_link(link)
    assert parsed == (CLIENT_ID, "https://verifier.example/r/1?x=a%20b&y=1", "post")
    plain = authorization_request_link(client_id=CLIENT_ID, request_uri="https://v.example/r")
    assert parse_authorization_request_link(plain).request_uri_method is None
    with pytest.raises(ValueError, match="get or post"):
        authorization_request_link(
            client_id=CLIENT_ID, request_uri="https://v.example/r", request_uri_method="POST"
        )


def test_spec_link_example_parses() -> None:
    """§5.4: the request-by-reference example, with the spec's parameters and encoding."""
    link = (
        "https://wallet.example/authorize?client_id=x509_san_dns%3Aclient.example.org"
        "&request_uri=https%3A%2F%2Fclient.example.org%2Frequest%2Fvapof4ql2i7m41m68uep"
        "&request_uri_method=post"
    )
    assert parse_authorization_request_link(link) == (
        "x509_san_dns:client.example.org",
        "https://client.example.org/request/vapof4ql2i7m41m68uep",
        "post",
    )


def _link(**params: str) -> str:
    return "openid4vp://?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())


@pytest.mark.parametrize(
    "link",
    [
        _link(request_uri="https://v.example/r"),
        _link(client_id=CLIENT_ID),
        _link(client_id=CLIENT_ID, request_uri="http://v.example/r"),
        _link(client_id=CLIENT_ID, request_uri="https://v.example/r#f"),
        _link(client_id=CLIENT_ID, request_uri="v.example/r"),
        _link(client_id=CLIENT_ID, request_uri="https://v.example/r", request_uri_method="PUT"),
        _link(client_id=CLIENT_ID, request_uri="https://v.example/r", request="eyJ..."),
        _link(client_id=CLIENT_ID, request_uri="https://v.example/r") + "&client_id=x",
        _link(client_id=CLIENT_ID, request_uri="https://v.example/r") + "#fragment",
        _link(client_id=CLIENT_ID, request_uri="https://v.example/r") + "&broken",
        "mailto:?" + _link(client_id=CLIENT_ID, request_uri="https://v.example/r")[13:],
        "openid4vp://?client_id=%ff",
        "openid4vp://?client_id=é",
        "openid4vp://?" + "a=1&" * 20,
        "openid4vp://?" + "x" * 5000,
    ],
)
def test_malformed_links_are_refused(link: str) -> None:
    assert_rejected(Oid4vpReason.MALFORMED_LINK, parse_authorization_request_link, link)


def test_links_refuse_unknown_client_prefixes_before_fetching() -> None:
    link = _link(client_id="pre-registered", request_uri="https://v.example/r")
    assert_rejected(Oid4vpReason.UNKNOWN_CLIENT_ID_PREFIX, parse_authorization_request_link, link)


def test_http_request_uri_in_development_only() -> None:
    link = _link(client_id=CLIENT_ID, request_uri="http://127.0.0.1:8000/r")
    assert parse_authorization_request_link(link, allow_http=True).request_uri.startswith("http:")


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=string.printable + "%é\u0000", max_size=200)
    | st.builds(lambda tail: f"openid4vp://?client_id={tail}", st.text(max_size=100))
)
def test_links_only_reject(link: str) -> None:
    with contextlib.suppress(Rejected):
        parse_authorization_request_link(link)


# --- the Request URI POST (§5.10) -----------------------------------------------------------


def test_spec_request_uri_post_example_parses() -> None:
    body = (
        b"wallet_metadata=%7B%22vp_formats_supported%22%3A%7B%22dc%2Bsd-jwt%22%3A%7B%22sd-jwt_alg"
        b"_values%22%3A%20%5B%22ES256%22%5D%2C%22kb-jwt_alg_values%22%3A%20%5B%22ES256%22%5D%7D%7"
        b"D%7D&wallet_nonce=qPmxiNFCR3QTm19POc8u"
    )
    metadata, nonce = parse_request_uri_post(body)
    assert metadata == {
        "vp_formats_supported": {
            "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}
        }
    }
    assert nonce == "qPmxiNFCR3QTm19POc8u"


def test_request_uri_post_round_trips() -> None:
    from urllib.parse import urlencode

    form = request_uri_post_form({"vp_formats_supported": {}}, "nonce-1")
    assert parse_request_uri_post(urlencode(form).encode()) == (
        {"vp_formats_supported": {}},
        "nonce-1",
    )
    assert request_uri_post_form(None, None) == {}
    assert parse_request_uri_post(b"") == (None, None)
    assert parse_request_uri_post(b"other=1") == (None, None)


@pytest.mark.parametrize(
    "body",
    [
        b"wallet_nonce=a&wallet_nonce=b",
        b"wallet_metadata=%5B%5D",
        b"wallet_metadata=%7B%22a%22%3A1%2C%22a%22%3A2%7D",
        b"wallet_metadata=nope",
        b"wallet_nonce=",
        b"wallet_nonce=a%20b",
        b"wallet_nonce=%ff",
        b"wallet_nonce=\xc3\xa9",
        b"wallet_nonce",
        "not bytes",
    ],
)
def test_malformed_request_uri_posts_are_refused(body: Any) -> None:
    assert_rejected(Oid4vpReason.MALFORMED_REQUEST_URI_POST, parse_request_uri_post, body)


def test_request_uri_post_size_is_checked_first() -> None:
    body = b"wallet_nonce=" + b"a" * 20_000
    assert_rejected(Oid4vpReason.REQUEST_URI_POST_TOO_LARGE, parse_request_uri_post, body)


# --- nothing but Rejected --------------------------------------------------------------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12))
_JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
_NAMES = st.sampled_from(
    [
        "client_id",
        "response_type",
        "response_mode",
        "response_uri",
        "redirect_uri",
        "nonce",
        "state",
        "dcql_query",
        "client_metadata",
        "transaction_data",
        "verifier_info",
        "wallet_nonce",
        "exp",
        "scope",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + "-_.=", max_size=300))
def test_random_tokens_only_reject(token: str) -> None:
    with contextlib.suppress(Rejected):
        verify_request_object(token, expected_client_id=None, now=NOW, allow_unsigned=True)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        _NAMES, _JSON | st.sampled_from([CLIENT_ID, RESPONSE_URI, "direct_post", "vp_token"])
    )
)
def test_signed_random_claims_only_reject(pki: Pki, overrides: dict[str, Any]) -> None:
    """Correctly signed, so every claim rule is reached."""
    token = _signed(pki, {**_claims(), **overrides})
    with contextlib.suppress(Rejected):
        _verify(token, pki, expected_client_id=None)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["alg", "typ", "x5c", "kid", "crit"]), _JSON))
def test_random_headers_only_reject(pki: Pki, header: dict[str, Any]) -> None:
    token = sign_raw(header, _claims(), pki.signer)
    with contextlib.suppress(Rejected):
        _verify(token, pki, expected_client_id=None)
