"""The desk in strict HAIP 1.0 mode (``AANSPRAAK_VERIFIER_HAIP``), HAIP §5 and §5.1.

Settings that leave the profile stop the start; the request object's ``x5c`` leaves the trust
anchor out; ``client_metadata`` offers exactly ``A128GCM`` and ``A256GCM``, and an answer
encrypted otherwise is refused while the transaction stays open for the real wallet.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError

from runtime.key_files import KeyFileError, load_signing_key
from specs.errors import Oid4vpReason
from specs.jose import parse_compact_jws
from specs.oid4vp.haip import is_self_signed
from tests.ca import new_ca
from tests.pki import certificate, key_usage
from tests.support import START
from tests.verifier.conftest import Desk, running_desk, verifier_settings
from tests.verifier.refusals import assert_still_open, assert_wire_error, ready
from tests.verifier.test_jwe_defects import encrypt, post_response, request_and_payload
from verifier.identity import load_identity


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"client_id_prefix": "x509_san_dns"}, "client_id_prefix x509_hash"),
        ({"response_mode": "direct_post"}, "response_mode direct_post.jwt"),
        ({"response_enc": "A128CBC-HS256"}, "response_enc A128GCM or A256GCM"),
    ],
    ids=["prefix", "response-mode", "enc"],
)
def test_haip_5_settings_outside_the_profile_stop_the_start(
    tmp_path: Path, overrides: dict[str, Any], rule: str
) -> None:
    verifier_settings(tmp_path, "sqlite+aiosqlite://", **overrides)  # fine without haip
    with pytest.raises(ValidationError, match=rule):
        verifier_settings(tmp_path, "sqlite+aiosqlite://", haip=True, **overrides)


def test_haip_5_the_trust_anchor_is_not_sent(tmp_path: Path) -> None:
    """The development chain is leaf + CA; in strict mode ``x5c`` carries the leaf alone, and
    the client identifier (the leaf's hash) does not change."""
    lenient = load_identity(verifier_settings(tmp_path, "sqlite+aiosqlite://"))
    strict = load_identity(verifier_settings(tmp_path, "sqlite+aiosqlite://", haip=True))
    assert len(lenient.certificates) == 2
    assert is_self_signed(lenient.certificates[1])
    assert strict.certificates == lenient.certificates[:1]
    assert strict.client_id == lenient.client_id


def test_haip_5_a_self_signed_signing_certificate_stops_the_start(tmp_path: Path) -> None:
    settings = verifier_settings(tmp_path, "sqlite+aiosqlite://", haip=True)
    load_identity(verifier_settings(tmp_path, "sqlite+aiosqlite://"))  # creates the key
    key = load_signing_key(settings.signing_key_path).key
    now = dt.datetime.now(dt.UTC)
    self_signed = certificate(
        key,
        key,
        subject="desk",
        issuer="desk",
        ca=False,
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=30),
        usage=key_usage(ca=False),
    )
    settings.certificate_path.write_bytes(self_signed.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(KeyFileError, match="self-signed"):
        load_identity(settings)
    load_identity(verifier_settings(tmp_path, "sqlite+aiosqlite://"))  # lenient mode takes it


async def test_haip_5_request_object_and_client_metadata(haip_desk: Desk) -> None:
    started = await ready(haip_desk)
    response = await haip_desk.wallet.client.get(_request_uri(started["link"]))
    header = parse_compact_jws(response.text).header
    leaf = x509.load_der_x509_certificate(_der(header["x5c"][0]))
    assert len(header["x5c"]) == 1
    assert not is_self_signed(leaf)
    request = await haip_desk.wallet.fetch_request(started["link"])
    assert request.client_id.startswith("x509_hash:")
    assert request.response_mode == "direct_post.jwt"
    assert request.client_metadata is not None
    offered = request.client_metadata["encrypted_response_enc_values_supported"]
    assert offered == ["A256GCM", "A128GCM"]  # both (HAIP §5), the configured one first
    assert [k["alg"] for k in request.client_metadata["jwks"]["keys"]] == ["ECDH-ES"]


async def test_haip_5_an_answer_encrypted_outside_the_profile_is_refused(
    haip_desk: Desk,
) -> None:
    started = await ready(haip_desk)
    request, recipient, plaintext = await request_and_payload(haip_desk, started)
    token = encrypt(plaintext, recipient, enc="A128CBC-HS256")
    response = await post_response(haip_desk, request, token)
    assert_wire_error(response, Oid4vpReason.JWE_ENC)
    await assert_still_open(haip_desk, started)


def _request_uri(link: str) -> str:
    return parse_qs(urlsplit(link).query)["request_uri"][0]


def _der(entry: str) -> bytes:
    return base64.b64decode(entry)


async def test_haip_6_1_1_issuer_ca_roots_come_from_the_configured_file(tmp_path: Path) -> None:
    """``AANSPRAAK_VERIFIER_ISSUER_CA_FILE``: the roots for chains that leave theirs out."""
    roots = (new_ca(START).root, new_ca(START).root)
    path = tmp_path / "issuer-cas.pem"
    path.write_bytes(b"".join(r.public_bytes(serialization.Encoding.PEM) for r in roots))
    async with running_desk(tmp_path, "sqlite+aiosqlite://", issuer_ca_file=path) as desk:
        assert desk.context.issuer_roots == roots
    async with running_desk(tmp_path / "plain", "sqlite+aiosqlite://") as desk:
        assert desk.context.issuer_roots == ()
