"""The wallet service as wallet provider (wallet.attestations; HAIP 1.0 §4.4.1, §4.5.1).

What the wallet side makes must pass the issuer's pure verifiers against the development root;
the device signs every PoP and key proof through the two passes of ``wallet.device_signing``,
as the simulated device of ``wallet.device_client`` does for the service's own clients.
"""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from runtime.dev_ca import SigningIdentity, create_development_ca
from runtime.key_files import KeyFileError
from runtime.settings import Profile
from specs.attestation import (
    KeyAttestationPolicy,
    VerifiedClientAttestation,
    WalletProviderRoots,
    iso_18045_at_least,
    verify_client_attestation,
)
from specs.errors import AttestationReason
from specs.jose import JwsAlg, PublicJwk, parse_compact_jws, parse_public_jwk
from specs.oid4vci.proof import VerifiedProof, check_proof_batch, verify_jwt_proof
from tests.pki import self_signed_leaf
from tests.support import assert_rejected
from wallet.attestations import (
    AttestedProofs,
    ClientAttestationPop,
    WalletProvider,
    wallet_provider_from_settings,
)
from wallet.device_client import SimulatedDevice
from wallet.device_signing import collect_signing_requests, sign_with_device
from wallet.settings import WalletSettings

NOW = 1_795_000_000
WALLET_URL = "http://127.0.0.1:8002"
ISSUER = "http://127.0.0.1:8001"
C_NONCE = "c-nonce-1"


def _settings(tmp_path: Path, **overrides: object) -> WalletSettings:
    values: dict[str, object] = {
        "profile": Profile.DEVELOPMENT,
        "public_url": WALLET_URL,
        "data_dir": tmp_path,
    }
    values.update(overrides)
    return WalletSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def provider(tmp_path: Path) -> WalletProvider:
    settings = _settings(tmp_path, attested_key_storage="iso_18045_high")
    return wallet_provider_from_settings(settings, now=NOW)


def _roots(provider: WalletProvider) -> WalletProviderRoots:
    return WalletProviderRoots(provider.identity.anchors)


def _authenticate(
    provider: WalletProvider, device: SimulatedDevice, *, roots: WalletProviderRoots | None = None
) -> VerifiedClientAttestation:
    """What the issuance client does at a token endpoint, and what the issuer then checks."""
    instance_key = parse_public_jwk(device.new_instance_key())
    attestation = provider.client_attestation_for(instance_key, now=NOW)
    pop = ClientAttestationPop.new(
        client_id=provider.client_id,
        audience=ISSUER,
        challenge="challenge-1",
        now=NOW,
        random_bytes=os.urandom,
    )
    requests = collect_signing_requests(pop.build, [instance_key])
    answers = device.sign([request.as_dict() for request in requests])
    signed_pop = sign_with_device(pop.build, [instance_key], requests, answers)
    return verify_client_attestation(
        attestation,
        signed_pop,
        roots=roots or _roots(provider),
        client_id=provider.client_id,
        audience=ISSUER,
        challenge="challenge-1",
        now=NOW + 1,
        leeway=30,
        max_attestation_age=600,
        max_pop_age=60,
    )


def test_haip_4_4_1_the_wallets_attestation_authenticates_it_at_an_issuer(
    provider: WalletProvider,
) -> None:
    device = SimulatedDevice()
    verified = _authenticate(provider, device)
    assert verified.client_id == WALLET_URL
    assert verified.attester == WALLET_URL
    assert verified.expires_at == NOW + 300
    assert verified.instance_key != parse_public_jwk(device.device_key.public.to_jwk())


def test_haip_4_4_1_attestations_of_two_issuances_share_nothing_per_citizen(
    provider: WalletProvider,
) -> None:
    """Fresh instance keys and PoP ``jti``s; the ``client_id`` and the provider certificate are
    the same for every citizen, so they identify the wallet solution and nobody in it."""
    first, second = (
        _authenticate(provider, SimulatedDevice()),
        _authenticate(provider, SimulatedDevice()),
    )
    same_device = SimulatedDevice()
    third, fourth = _authenticate(provider, same_device), _authenticate(provider, same_device)
    assert first.client_id == second.client_id == third.client_id
    everyone = (first, second, third, fourth)
    assert len({verified.instance_key.thumbprint() for verified in everyone}) == 4
    assert len({first.pop_jti, second.pop_jti, third.pop_jti, fourth.pop_jti}) == 4


def test_an_attestation_is_refused_under_an_unknown_root(provider: WalletProvider) -> None:
    other = create_development_ca(name="another provider", now=NOW, days=30)
    roots = WalletProviderRoots((other.certificate,))
    assert_rejected(
        AttestationReason.CHAIN_UNTRUSTED, _authenticate, provider, SimulatedDevice(), roots=roots
    )


def test_a_self_signed_provider_is_refused(provider: WalletProvider) -> None:
    """A provider whose chain file holds only a self-signed certificate for its key: nothing is
    sent in ``x5c`` that any root certifies, even when that certificate is configured."""
    key = provider.identity.signer.key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    self_signed = self_signed_leaf(key, name="self", uri=WALLET_URL, now=NOW)
    lonely = WalletProvider(
        SigningIdentity(provider.identity.signer, (self_signed,)),
        identifier=WALLET_URL,
        client_id=WALLET_URL,
        lifetime=300,
        key_storage=(),
        user_authentication=(),
    )
    for roots in (_roots(provider), WalletProviderRoots((self_signed,))):
        assert_rejected(
            AttestationReason.CHAIN_UNTRUSTED,
            _authenticate,
            lonely,
            SimulatedDevice(),
            roots=roots,
        )


def _attested_proofs(
    provider: WalletProvider, device: SimulatedDevice, count: int
) -> tuple[list[PublicJwk], list[str]]:
    """What the issuance client does at a credential endpoint: one key attestation over the
    batch's keys, and one proof per key carrying it, signed by the device."""
    keys = [parse_public_jwk(jwk) for jwk in device.new_holder_keys(count)]
    attestation = provider.key_attestation_for(keys, nonce=C_NONCE, now=NOW)
    proofs = AttestedProofs(
        audience=ISSUER, nonce=C_NONCE, issued_at=NOW, key_attestation=attestation
    )
    requests = collect_signing_requests(proofs.build, keys)
    answers = device.sign([request.as_dict() for request in requests])
    return keys, sign_with_device(proofs.build, keys, requests, answers)


def _policy(provider: WalletProvider, **overrides: object) -> KeyAttestationPolicy:
    policy = KeyAttestationPolicy(
        roots=_roots(provider),
        key_storage=iso_18045_at_least("iso_18045_high"),
        user_authentication=None,
        max_attested_keys=20,
        leeway=30,
        required=True,
    )
    return replace(policy, **overrides)  # type: ignore[arg-type]


def _check(token: str, policy: KeyAttestationPolicy) -> VerifiedProof:
    return verify_jwt_proof(
        token,
        audience=ISSUER,
        now=NOW + 1,
        max_age=60,
        leeway=30,
        algorithms=frozenset({JwsAlg.ES256}),
        require_nonce=True,
        key_attestation=policy,
    )


def test_haip_4_5_1_the_device_keys_are_attested_in_every_proof(provider: WalletProvider) -> None:
    keys, tokens = _attested_proofs(provider, SimulatedDevice(), 3)
    proofs = [_check(token, _policy(provider)) for token in tokens]
    assert check_proof_batch(proofs) == C_NONCE
    assert [proof.holder_key for proof in proofs] == keys
    for proof in proofs:
        assert proof.key_attestation is not None
        assert proof.key_attestation.attested_keys == tuple(keys)
        assert proof.key_attestation.key_storage == ("iso_18045_high",)
    header = parse_compact_jws(tokens[0]).header
    assert "x5c" in parse_compact_jws(header["key_attestation"]).header


def test_a_level_the_provider_does_not_claim_is_refused(tmp_path: Path) -> None:
    unclaimed = wallet_provider_from_settings(_settings(tmp_path), now=NOW)
    _keys, tokens = _attested_proofs(unclaimed, SimulatedDevice(), 1)
    assert_rejected(
        AttestationReason.KEY_STORAGE_INSUFFICIENT, _check, tokens[0], _policy(unclaimed)
    )
    assert _check(tokens[0], _policy(unclaimed, key_storage=None)).key_attestation is not None


def test_the_development_provider_files_are_made_once_and_the_root_stays_home(
    tmp_path: Path,
) -> None:
    first = wallet_provider_from_settings(_settings(tmp_path), now=NOW)
    assert (tmp_path / "wallet-provider.jwk").exists()
    assert (tmp_path / "wallet-provider.pem").exists()
    again = wallet_provider_from_settings(_settings(tmp_path), now=NOW + 60)
    assert again.identity.chain == first.identity.chain
    attestation = first.client_attestation_for(
        parse_public_jwk(SimulatedDevice().new_instance_key()), now=NOW
    )
    leaf, root = first.identity.chain
    assert first.identity.anchors == (root,)
    x5c = parse_compact_jws(attestation).header["x5c"]
    assert x5c == [base64.b64encode(leaf.public_bytes(serialization.Encoding.DER)).decode()]


def test_production_needs_a_provisioned_provider_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path, profile=Profile.PRODUCTION, public_url="https://wallet.example")
    with pytest.raises(KeyFileError, match=r"wallet-provider\.jwk"):
        wallet_provider_from_settings(settings, now=NOW)
