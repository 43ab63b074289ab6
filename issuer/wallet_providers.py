"""Which wallet providers the issuer trusts, and what it asks of their key attestations.

A wallet attestation (OpenID4VCI 1.0 Appendix E; HAIP 1.0 §4.4.1) and a key attestation
(Appendix D; HAIP §4.5.1) are signed by a wallet provider whose certificate chain travels in
``x5c``; the issuer trusts them only when that chain ends in a root the operator configured
(``wallet_provider_roots_file``, a PEM bundle). One set of roots serves both kinds: the
provider that vouches for a wallet instance also vouches for its keys.

* :func:`load_wallet_provider_roots` reads the bundle at start (bounded, PEM, at least one
  certificate); a file that cannot be used stops the start with a message naming the file and
  the rule, never its content.
* :func:`key_attestation_policy` is what the credential endpoint applies to key attestations:
  the roots, the least ``key_storage`` and ``user_authentication`` levels of Appendix D.2 the
  operator set (each means "this level or better"), and ``required`` in strict HAIP mode,
  where a ``jwt`` proof without a ``key_attestation`` is refused.
* :func:`proof_types_supported` is what the Credential Issuer Metadata says of that policy
  (OpenID4VCI 1.0 §12.2.4): ``key_attestations_required`` on the ``jwt`` proof type only when
  the issuer requires them (the section forbids it otherwise), and the ``attestation`` proof
  type (Appendix F.3) whenever key attestations can be checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from issuer.keys import KeyFileError
from issuer.settings import IssuerSettings
from runtime.dev_ca import load_certificate_chain
from specs.attestation import (
    ISO_18045_LEVELS,
    KeyAttestationPolicy,
    WalletProviderRoots,
    iso_18045_at_least,
)
from specs.jose import JwsAlg

MAX_ROOTS = 32
"""More wallet providers than any ecosystem has; a longer bundle is a mistake."""
SIGNING_ALGS = (JwsAlg.ES256.value,)
"""HAIP 1.0 §7: ES256 for attestations and proofs alike (``specs.attestation``)."""


class WalletProviderRootsError(KeyFileError):
    """The roots file is missing, unreadable, too large or not PEM certificates."""


def load_wallet_provider_roots(path: Path) -> WalletProviderRoots:
    """The trust anchors of ``path``: every certificate in it is a root we accept."""
    try:
        anchors = load_certificate_chain(path)
    except KeyFileError as error:
        raise WalletProviderRootsError(str(error)) from None
    if not 1 <= len(anchors) <= MAX_ROOTS:
        raise WalletProviderRootsError(f"{path}: 1 to {MAX_ROOTS} root certificates")
    return WalletProviderRoots(anchors)


def key_attestation_policy(
    settings: IssuerSettings, roots: WalletProviderRoots | None
) -> KeyAttestationPolicy | None:
    """The credential endpoint's rules for key attestations; ``None`` without roots, and then
    a ``key_attestation`` header is not read (no key counts as attested)."""
    if roots is None:
        return None
    storage = settings.key_attestation_key_storage
    authentication = settings.key_attestation_user_authentication
    return KeyAttestationPolicy(
        roots=roots,
        key_storage=iso_18045_at_least(storage) if storage else None,
        user_authentication=iso_18045_at_least(authentication) if authentication else None,
        max_attested_keys=settings.max_batch_size,
        leeway=settings.clock_leeway_seconds,
        required=settings.haip,
    )


def proof_types_supported(
    policy: KeyAttestationPolicy | None, settings: IssuerSettings
) -> dict[str, Any]:
    """``proof_types_supported`` of every credential configuration (§12.2.4, Appendix F)."""
    algs = {"proof_signing_alg_values_supported": list(SIGNING_ALGS)}
    if policy is None:
        return {"jwt": algs}
    required = _key_attestations_required(settings)
    jwt = {**algs, "key_attestations_required": required} if policy.required else algs
    return {"jwt": jwt, "attestation": {**algs, "key_attestations_required": required}}


def _key_attestations_required(settings: IssuerSettings) -> dict[str, list[str]]:
    """The least levels the operator set, each as every D.2 value that meets it (§12.2.4:
    the values the issuer accepts); empty: an attestation without further constraints."""
    required: dict[str, list[str]] = {}
    if settings.key_attestation_key_storage:
        required["key_storage"] = _accepted(settings.key_attestation_key_storage)
    if settings.key_attestation_user_authentication:
        required["user_authentication"] = _accepted(settings.key_attestation_user_authentication)
    return required


def _accepted(level: str) -> list[str]:
    """Strongest first, as Appendix D.2 lists them."""
    accepted = iso_18045_at_least(level)
    return [value for value in ISO_18045_LEVELS if value in accepted]
