"""Strict HAIP 1.0 mode at start and in what the issuer signs: ``x5c`` without the trust
anchor (HAIP §6.1, §6.1.1), no start without ``x5c`` or wallet-provider roots, no
self-signed signing certificate."""

from __future__ import annotations

import base64
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import ValidationError

from issuer.certificates import CertificateChainError, CertifiedSigner, anchor_key_ref
from issuer.context import build_context, load_keys
from issuer.keys import load_signing_key
from issuer.settings import STRICT_HAIP_MAX_REQUEST_BYTES, IsoLevel
from issuer.wallet_providers import WalletProviderRootsError
from runtime.settings import Profile
from specs.attestation import ISO_18045_LEVELS
from specs.errors import TrustReason
from specs.jose import JwsAlg
from specs.oid4vp.haip import is_self_signed
from specs.sd_jwt_vc import AnchoredX5cResolver, verify_anchored_chain
from specs.status_list import StatusReference, verify_status_list_token
from specs.trust import certificate_key_ref
from tests.ca import new_ca
from tests.child_service import ServerFailed
from tests.issuer.attester import WalletAttester
from tests.issuer.code_flow import CodeClient, haip_issuer
from tests.issuer.conftest import ISSUER, Issuer, issuer_settings
from tests.issuer.server import IssuerServer
from tests.pki import certificate
from tests.support import START, assert_rejected

__all__ = ["haip_issuer"]


def decode_x5c(x5c: list[str]) -> list[x509.Certificate]:
    """RFC 7515 §4.1.6, read here without the issuer's or the verifier's own code."""
    return [x509.load_der_x509_certificate(base64.b64decode(item)) for item in x5c]


def _development_root(issuer: Issuer) -> x509.Certificate:
    path = issuer.context.settings.data_dir / "development-ca.pem"
    return x509.load_pem_x509_certificate(path.read_bytes())


async def _credential(issuer: Issuer) -> str:
    client = CodeClient(issuer)
    tokens = await client.tokens()
    response = await client.credentials(tokens.access_token)
    assert response.status_code == 200, response.text
    credential: str = response.json()["credentials"][0]["credential"]
    return credential


def _roots_file(tmp_path: Path) -> Path:
    return WalletAttester().write_roots(tmp_path / "wallet-roots.pem")


async def test_haip_6_1_1_strict_credentials_carry_x5c_without_the_trust_anchor(
    haip_issuer: Issuer,
) -> None:
    header = jwt.get_unverified_header((await _credential(haip_issuer)).split("~")[0])
    certificates = decode_x5c(header["x5c"])
    assert len(certificates) == 1  # the leaf; the development root stays out
    assert not is_self_signed(certificates[0])
    root, now = _development_root(haip_issuer), haip_issuer.clock()
    registered = {certificate_key_ref(root)}
    assert anchor_key_ref(haip_issuer.context.keys.active) == certificate_key_ref(root)
    anchored = verify_anchored_chain(
        header["x5c"], issuer=ISSUER, registered_key_refs=registered, roots=(root,), now=now
    )
    assert anchored.key.thumbprint() == haip_issuer.context.keys.active.public.thumbprint()
    assert_rejected(  # a verifier without the configured root cannot anchor it
        TrustReason.X5C_ROOT_NOT_REGISTERED,
        verify_anchored_chain,
        header["x5c"],
        issuer=ISSUER,
        registered_key_refs=registered,
        roots=(),
        now=now,
    )


async def test_haip_6_1_strict_status_list_tokens_carry_x5c_without_the_trust_anchor(
    haip_issuer: Issuer,
) -> None:
    credential = await _credential(haip_issuer)
    payload = jwt.decode(credential.split("~")[0], options={"verify_signature": False})
    status = payload["status"]["status_list"]
    response = await haip_issuer.client.get(status["uri"])
    assert response.status_code == 200
    assert len(jwt.get_unverified_header(response.text)["x5c"]) == 1
    root = _development_root(haip_issuer)
    resolver = AnchoredX5cResolver(
        issuer=ISSUER, registered_key_refs={certificate_key_ref(root)}, roots=(root,)
    )
    verified = verify_status_list_token(
        response.text,
        key=resolver,
        expected_uri=status["uri"],
        now=haip_issuer.clock(),
        leeway=0,
        algorithms=frozenset({JwsAlg.ES256}),
        max_age=3_600,
    )
    assert verified.status_of(StatusReference(idx=status["idx"], uri=status["uri"])) == 0


def _signing_key(tmp_path: Path) -> ec.EllipticCurvePrivateKey:
    issuer_settings(tmp_path, "sqlite://")  # creates the key files
    key = load_signing_key(tmp_path / "signing-key.jwk").key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _write(path: Path, *certificates: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certificates))
    return path


def test_haip_6_1_1_a_chain_file_is_sent_without_its_root(tmp_path: Path) -> None:
    ca = new_ca(START)
    leaf = ca.leaf(_signing_key(tmp_path), ISSUER)
    chain = _write(tmp_path / "chain.pem", leaf, ca.root)
    roots = _roots_file(tmp_path)
    strict = issuer_settings(
        tmp_path, "sqlite://", certificate_chain_file=chain, haip=True,
        wallet_provider_roots_file=roots,
    )  # fmt: skip
    signer = load_keys(strict).active
    assert isinstance(signer, CertifiedSigner)
    assert decode_x5c(signer.x5c) == [leaf]
    assert anchor_key_ref(signer) == ca.key_ref  # the chain still knows its root
    lenient = load_keys(issuer_settings(tmp_path, "sqlite://", certificate_chain_file=chain))
    assert isinstance(lenient.active, CertifiedSigner)
    assert decode_x5c(lenient.active.x5c) == [leaf, ca.root]


def test_haip_6_1_1_strict_mode_refuses_a_self_signed_signing_certificate(
    tmp_path: Path,
) -> None:
    key = _signing_key(tmp_path)
    at = datetime.fromtimestamp(START, tz=UTC)
    own = certificate(
        key, key, subject="issuer", issuer="issuer", ca=False,
        not_before=at - timedelta(days=1), not_after=at + timedelta(days=30),
        san=[x509.UniformResourceIdentifier(ISSUER)],
    )  # fmt: skip
    chain = _write(tmp_path / "self-signed.pem", own)
    assert load_keys(issuer_settings(tmp_path, "sqlite://", certificate_chain_file=chain))
    strict = issuer_settings(
        tmp_path, "sqlite://", certificate_chain_file=chain, haip=True,
        wallet_provider_roots_file=_roots_file(tmp_path),
    )  # fmt: skip
    with pytest.raises(CertificateChainError, match="self-signed"):
        load_keys(strict)


def test_haip_6_1_1_strict_mode_needs_a_certificate_chain(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="certificate_chain_file or development_ca"):
        issuer_settings(
            tmp_path, "sqlite://", haip=True, wallet_provider_roots_file=_roots_file(tmp_path)
        )


def test_haip_4_4_1_strict_mode_needs_wallet_provider_roots(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="wallet_provider_roots_file"):
        issuer_settings(
            tmp_path, "sqlite://", profile=Profile.DEVELOPMENT, development_ca=True, haip=True
        )


def test_key_attestation_levels_need_wallet_provider_roots(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="wallet_provider_roots_file"):
        issuer_settings(tmp_path, "sqlite://", key_attestation_key_storage="iso_18045_high")
    with pytest.raises(ValidationError, match="key_attestation_user_authentication"):
        issuer_settings(
            tmp_path,
            "sqlite://",
            wallet_provider_roots_file=_roots_file(tmp_path),
            key_attestation_user_authentication="iso_18045_very_high",
        )


def test_the_level_settings_name_exactly_the_levels_of_appendix_d_2() -> None:
    assert typing.get_args(IsoLevel) == ISO_18045_LEVELS


def test_a_wallet_provider_roots_file_that_cannot_be_used_stops_the_start(
    tmp_path: Path,
) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    for path, rule in ((garbage, "not a PEM"), (tmp_path / "absent.pem", "cannot be read")):
        settings = issuer_settings(tmp_path, "sqlite://", wallet_provider_roots_file=path)
        with pytest.raises(WalletProviderRootsError, match=rule):
            build_context(settings)


async def test_haip_6_1_1_a_strict_issuer_process_without_x5c_does_not_start(
    tmp_path: Path,
) -> None:
    """As an operator would meet it: ``uvicorn`` exits at start with the rule in its log."""
    overrides = {"haip": "true", "wallet_provider_roots_file": str(_roots_file(tmp_path))}
    server = IssuerServer(
        tmp_path / "issuer", f"sqlite+aiosqlite:///{tmp_path}/issuer.db", overrides
    )
    try:
        with pytest.raises(ServerFailed, match="certificate_chain_file or development_ca"):
            await server.start()
    finally:
        server.stop()
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.TransportError):
            await client.get(f"{server.url}/readyz")


def test_haip_4_5_1_strict_mode_takes_a_batch_of_attested_proofs_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    """Each proof of a batch repeats the key attestation: strict mode raises the body limit
    to ``STRICT_HAIP_MAX_REQUEST_BYTES``, and a limit the operator set stays."""
    strict = {
        "profile": Profile.DEVELOPMENT,
        "development_ca": True,
        "haip": True,
        "wallet_provider_roots_file": _roots_file(tmp_path),
    }
    assert issuer_settings(tmp_path, "sqlite://").max_request_bytes == 64 * 1024
    raised = issuer_settings(tmp_path, "sqlite://", **strict)
    assert raised.max_request_bytes == STRICT_HAIP_MAX_REQUEST_BYTES
    kept = issuer_settings(tmp_path, "sqlite://", max_request_bytes=200_000, **strict)
    assert kept.max_request_bytes == 200_000
