"""Credential Issuer Metadata (OpenID4VCI 1.0 §12.2) and Authorization Server metadata (§12.3)."""

from __future__ import annotations

from typing import Any

import pytest

from specs.errors import Oid4vciReason
from specs.oid4vci import (
    CREDENTIAL_FORMAT,
    PRE_AUTHORIZED_GRANT,
    CredentialConfiguration,
    authorization_server_metadata_url,
    build_authorization_server_metadata,
    build_issuer_metadata,
    issuer_metadata_url,
    parse_configurations,
    parse_issuer_metadata,
)
from tests.support import assert_rejected

ISSUER = "https://issuer.example/agency"
R = Oid4vciReason.MALFORMED_METADATA
CONFIGURATION = CredentialConfiguration(
    id="income",
    vct="https://issuer.example/vct/income",
    display=({"name": "Inkomen", "locale": "nl-NL"},),
    claims=({"path": ["income_cents"]},),
    scope="income",
)


def _document(**overrides: Any) -> dict[str, Any]:
    document = build_issuer_metadata(
        credential_issuer=ISSUER,
        credential_endpoint=f"{ISSUER}/credential",
        nonce_endpoint=f"{ISSUER}/nonce",
        deferred_credential_endpoint=f"{ISSUER}/deferred",
        notification_endpoint=f"{ISSUER}/notification",
        batch_size=10,
        configurations=[CONFIGURATION],
        display=[{"name": "Agency", "locale": "en"}],
    )
    document.update(overrides)
    return document


def _parse(document: object, **kwargs: Any) -> Any:
    return parse_issuer_metadata(document, expected_issuer=ISSUER, **kwargs)


# --- building ---------------------------------------------------------------------------


def test_configuration_entry_follows_appendix_a_3() -> None:
    assert CONFIGURATION.to_json() == {
        "format": CREDENTIAL_FORMAT,
        "vct": "https://issuer.example/vct/income",
        "scope": "income",
        "credential_signing_alg_values_supported": ["ES256"],
        "cryptographic_binding_methods_supported": ["jwk"],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
        "credential_metadata": {
            "display": [{"name": "Inkomen", "locale": "nl-NL"}],
            "claims": [{"path": ["income_cents"]}],
        },
    }


def test_minimal_configuration_has_no_credential_metadata() -> None:
    entry = CredentialConfiguration(id="a", vct="urn:a").to_json()
    assert "credential_metadata" not in entry
    assert "scope" not in entry


def test_document_round_trips() -> None:
    metadata = _parse(_document())
    assert metadata.credential_issuer == ISSUER
    assert metadata.credential_endpoint == f"{ISSUER}/credential"
    assert metadata.nonce_endpoint == f"{ISSUER}/nonce"
    assert metadata.deferred_credential_endpoint == f"{ISSUER}/deferred"
    assert metadata.notification_endpoint == f"{ISSUER}/notification"
    assert metadata.batch_size == 10
    assert metadata.configurations == {"income": CONFIGURATION.to_json()}
    assert metadata.authorization_servers == (ISSUER,)  # §12.2.4: the issuer is its own AS
    assert metadata.display == ({"name": "Agency", "locale": "en"},)
    assert metadata.encryption_required is False


def test_optional_members_are_left_out() -> None:
    document = build_issuer_metadata(
        credential_issuer=ISSUER,
        credential_endpoint=f"{ISSUER}/credential",
        nonce_endpoint=f"{ISSUER}/nonce",
        deferred_credential_endpoint=None,
        notification_endpoint=None,
        batch_size=None,
        configurations=[CONFIGURATION],
        authorization_servers=["https://as.example"],
    )
    assert set(document) == {
        "credential_issuer",
        "authorization_servers",
        "credential_endpoint",
        "nonce_endpoint",
        "credential_configurations_supported",
    }
    metadata = _parse(document)
    assert metadata.batch_size is None
    assert metadata.deferred_credential_endpoint is None
    assert metadata.authorization_servers == ("https://as.example",)


@pytest.mark.parametrize("batch_size", [0, 1, 1001])
def test_builder_refuses_a_batch_size_below_two(batch_size: int) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        _document_with(batch_size=batch_size)


@pytest.mark.parametrize("configurations", [[], [CONFIGURATION, CONFIGURATION]])
def test_builder_needs_unique_configurations(configurations: list[CredentialConfiguration]) -> None:
    with pytest.raises(ValueError, match="configurations"):
        _document_with(configurations=configurations)


def _document_with(**kwargs: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "credential_issuer": ISSUER,
        "credential_endpoint": f"{ISSUER}/credential",
        "nonce_endpoint": f"{ISSUER}/nonce",
        "deferred_credential_endpoint": None,
        "notification_endpoint": None,
        "batch_size": None,
        "configurations": [CONFIGURATION],
    }
    arguments.update(kwargs)
    return build_issuer_metadata(**arguments)


def test_authorization_server_metadata_for_the_pre_authorized_grant() -> None:
    document = build_authorization_server_metadata(issuer=ISSUER, token_endpoint=f"{ISSUER}/token")
    assert document == {
        "issuer": ISSUER,
        "token_endpoint": f"{ISSUER}/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
    }
    closed = build_authorization_server_metadata(
        issuer=ISSUER,
        token_endpoint=f"{ISSUER}/token",
        pre_authorized_grant_anonymous_access_supported=False,
    )
    assert closed["pre-authorized_grant_anonymous_access_supported"] is False
    assert "token_endpoint_auth_methods_supported" not in closed


# --- well-known URLs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "url"),
    [
        (
            "https://issuer.example.com/tenant",
            "https://issuer.example.com/.well-known/openid-credential-issuer/tenant",
        ),
        (
            "https://tenant.issuer.example.com",
            "https://tenant.issuer.example.com/.well-known/openid-credential-issuer",
        ),
        (
            "https://issuer.example:8443/a/b",
            "https://issuer.example:8443/.well-known/openid-credential-issuer/a/b",
        ),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001/.well-known/openid-credential-issuer"),
        (
            "https://issuer.example/tenant/",
            "https://issuer.example/.well-known/openid-credential-issuer/tenant/",
        ),
    ],
)
def test_issuer_metadata_url_inserts_the_well_known_string(identifier: str, url: str) -> None:
    assert issuer_metadata_url(identifier) == url


def test_authorization_server_url_drops_a_terminating_slash() -> None:
    assert (
        authorization_server_metadata_url("https://as.example/tenant/")
        == "https://as.example/.well-known/oauth-authorization-server/tenant"
    )


@pytest.mark.parametrize(
    "identifier",
    [
        "ftp://issuer.example",
        "https://issuer.example/?q",
        "https://issuer.example/#f",
        "https://u@issuer.example",
        "issuer.example",
        "https://issuer.example:x",
    ],
)
def test_issuer_metadata_url_refuses_what_is_no_issuer_identifier(identifier: str) -> None:
    assert_rejected(R, issuer_metadata_url, identifier)


# --- the wallet's parser ----------------------------------------------------------------


@pytest.mark.parametrize(
    "issuer",
    [
        "https://issuer.example/agency/",
        "https://ISSUER.example/agency",
        "https://issuer.example/Agency",
        "https://issuer.example:443/agency",
    ],
)
def test_credential_issuer_must_be_identical(issuer: str) -> None:
    assert_rejected(Oid4vciReason.ISSUER_MISMATCH, _parse, _document(credential_issuer=issuer))


def test_encryption_required_is_reported() -> None:
    encryption = {
        "alg_values_supported": ["ECDH-ES"],
        "enc_values_supported": ["A128GCM"],
        "encryption_required": True,
    }
    assert _parse(_document(credential_response_encryption=encryption)).encryption_required


def test_http_endpoints_only_in_the_development_profile() -> None:
    local = "http://127.0.0.1:8001"
    document = _document(credential_issuer=local, credential_endpoint=f"{local}/credential")
    assert_rejected(R, parse_issuer_metadata, document, expected_issuer=local)
    metadata = parse_issuer_metadata(document, expected_issuer=local, allow_http=True)
    assert metadata.credential_endpoint == f"{local}/credential"


def test_endpoint_may_carry_a_query() -> None:
    assert _parse(_document(credential_endpoint=f"{ISSUER}/c?tenant=1")).credential_endpoint


def _without(name: str) -> dict[str, Any]:
    document = _document()
    del document[name]
    return document


@pytest.mark.parametrize(
    "document",
    [
        ["not an object"],
        _without("credential_issuer"),
        _document(credential_issuer=7),
        _without("credential_endpoint"),
        _without("credential_configurations_supported"),
        _document(credential_endpoint="http://issuer.example/credential"),
        _document(credential_endpoint="https://issuer.example/c#f"),
        _document(nonce_endpoint=5),
        _document(notification_endpoint=""),
        _document(authorization_servers=[]),
        _document(authorization_servers="https://as.example"),
        _document(authorization_servers=["https://as.example?x=1"]),
        _document(authorization_servers=["https://as.example"] * 2),
        _document(batch_credential_issuance={"batch_size": 1}),
        _document(batch_credential_issuance={"batch_size": True}),
        _document(batch_credential_issuance={"batch_size": "10"}),
        _document(batch_credential_issuance=10),
        _document(display=[]),
        _document(display=["name"]),
        _document(display={"name": "x"}),
        _document(credential_response_encryption={"encryption_required": "yes"}),
        _document(credential_request_encryption=[]),
        _document(credential_configurations_supported={}),
        _document(credential_configurations_supported=[]),
        _document(credential_configurations_supported={"a": "dc+sd-jwt"}),
    ],
)
def test_malformed_documents(document: object) -> None:
    assert_rejected(R, _parse, document)


def test_issuer_that_is_not_an_identifier_is_refused_even_if_expected() -> None:
    issuer = "https://issuer.example/?tenant=1"
    document = _document(credential_issuer=issuer)
    assert_rejected(R, parse_issuer_metadata, document, expected_issuer=issuer)


def _entry(**overrides: Any) -> dict[str, Any]:
    entry = CONFIGURATION.to_json()
    entry.update(overrides)
    return {"income": entry}


@pytest.mark.parametrize(
    "configurations",
    [
        _entry(format=None),
        _entry(format=""),
        _entry(scope=3),
        _entry(vct=None),
        _entry(credential_signing_alg_values_supported=[]),
        _entry(credential_signing_alg_values_supported=[-7]),  # dc+sd-jwt: JOSE names
        _entry(cryptographic_binding_methods_supported="jwk"),
        _entry(proof_types_supported=[]),
        _entry(proof_types_supported={"jwt": {}}),
        _entry(proof_types_supported={"jwt": {"proof_signing_alg_values_supported": []}}),
        _entry(proof_types_supported={"jwt": "ES256"}),
        {"": CONFIGURATION.to_json()},
        {str(i): CONFIGURATION.to_json() for i in range(257)},
    ],
)
def test_malformed_configurations(configurations: dict[str, Any]) -> None:
    assert_rejected(R, parse_configurations, configurations)


def test_other_formats_keep_their_own_members() -> None:
    entry = {
        "format": "mso_mdoc",
        "doctype": "org.iso.18013.5.1.mDL",
        "credential_signing_alg_values_supported": [-7, -9],
    }
    assert parse_configurations({"mdl": entry}) == {"mdl": entry}
