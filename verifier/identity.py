"""Who the verifier is to a wallet: its signing key, certificate chain and client identifier.

OpenID4VP 1.0 §5.9.3 client identifier prefixes, as configured:

* ``x509_san_dns:<host>``: the leaf certificate names ``host`` (the host of ``public_url``)
  as a DNS SAN, and the request object carries the chain in ``x5c``;
* ``x509_hash:<b64url sha-256 of the leaf>``: the certificate itself is the identifier
  (HAIP's choice); ``x5c`` again;
* ``decentralized_identifier:<did>``: the request object is signed with a key of the DID,
  named by ``kid`` (a DID URL);
* ``redirect_uri:<response_uri>``: unsigned requests, development only.

The full string (prefix included) is what the trust registry lists, what the wallet's KB-JWT
names as ``aud`` (Appendix B.3.6), and what signs decision records as ``iss``.

In the development profile a missing key and a missing certificate are created (a leaf for
the key, valid one year, SAN = the host of ``public_url``, issued by a throwaway development
CA whose certificate follows it in the file); production refuses to start without them,
like the issuer.
"""

from __future__ import annotations

import contextlib
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from runtime.dev_ca import create_development_ca, load_certificate_chain, write_certificates
from runtime.key_files import KeyFileError, load_or_create_signing_key
from runtime.settings import Profile
from specs.jose import PrivateJwk
from specs.oid4vp.client_id import ClientIdPrefix, format_client_id, x509_hash_of
from specs.oid4vp.haip import is_self_signed
from verifier.settings import VerifierSettings

RESPONSE_PATH = "/wallet/response"


@dataclass(frozen=True)
class VerifierIdentity:
    signer: PrivateJwk
    prefix: ClientIdPrefix
    client_id: str
    certificates: tuple[x509.Certificate, ...]
    """Leaf first; empty for ``decentralized_identifier`` and ``redirect_uri``."""
    kid: str | None
    """A DID URL for ``decentralized_identifier``; otherwise ``None`` (``x5c`` names the key)."""

    @property
    def x5c(self) -> list[bytes] | None:
        if not self.certificates:
            return None
        return [c.public_bytes(serialization.Encoding.DER) for c in self.certificates]

    @property
    def signed(self) -> bool:
        return self.prefix is not ClientIdPrefix.REDIRECT_URI


def load_identity(
    settings: VerifierSettings, *, now: Callable[[], int] = lambda: int(time.time())
) -> VerifierIdentity:
    """The configured identity; ``now`` dates a development certificate made here."""
    development = settings.profile is Profile.DEVELOPMENT
    signer = load_or_create_signing_key(
        settings.signing_key_path,
        development=development,
        provisioning="provision one; see docs/verifier.md",
    )
    prefix = ClientIdPrefix(settings.client_id_prefix)
    host = urlsplit(settings.public_url).hostname or ""
    if prefix is ClientIdPrefix.REDIRECT_URI:
        value = settings.public_url + RESPONSE_PATH
        return VerifierIdentity(signer, prefix, format_client_id(prefix, value), (), None)
    if prefix is ClientIdPrefix.DECENTRALIZED_IDENTIFIER:
        did = settings.did or ""
        kid = f"{did}#{signer.public.thumbprint()}"
        return VerifierIdentity(signer, prefix, format_client_id(prefix, did), (), kid)
    chain = _certificates(settings, signer, host, development=development, now=now())
    if settings.haip:
        chain = _haip_chain(chain, settings.certificate_path)
    if prefix is ClientIdPrefix.X509_SAN_DNS:
        if host not in _dns_names(chain[0]):
            raise KeyFileError(f"{settings.certificate_path}: no DNS SAN for {host}")
        value = host
    else:
        value = x509_hash_of(chain[0].public_bytes(serialization.Encoding.DER))
    return VerifierIdentity(signer, prefix, format_client_id(prefix, value), chain, None)


def _haip_chain(chain: tuple[x509.Certificate, ...], path: Path) -> tuple[x509.Certificate, ...]:
    """HAIP §5: the signing certificate is not self-signed, and the trust anchor is not sent
    in ``x5c``; so the chain loses its self-signed certificates (the development chain's CA)."""
    if is_self_signed(chain[0]):
        raise KeyFileError(f"{path}: the signing certificate is self-signed (HAIP §5)")
    return tuple(certificate for certificate in chain if not is_self_signed(certificate))


def _dns_names(certificate: x509.Certificate) -> list[str]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return extension.value.get_values_for_type(x509.DNSName)


def _certificates(
    settings: VerifierSettings, signer: PrivateJwk, host: str, *, development: bool, now: int
) -> tuple[x509.Certificate, ...]:
    path = settings.certificate_path
    if not path.exists():
        if not development:
            raise KeyFileError(f"{path}: no certificate (provision one; see docs/verifier.md)")
        with contextlib.suppress(FileExistsError):
            write_certificates(path, _development_chain(signer, host, settings.display_name, now))
    chain = load_certificate_chain(path)
    leaf_key = chain[0].public_key()
    if not isinstance(leaf_key, ec.EllipticCurvePublicKey) or leaf_key.public_numbers() != (
        signer.public.key.public_numbers()  # type: ignore[union-attr]
    ):
        raise KeyFileError(f"{path}: the leaf certificate does not certify the signing key")
    return chain


def _development_chain(
    signer: PrivateJwk, host: str, name: str, now: int
) -> tuple[x509.Certificate, ...]:
    """A throwaway CA (``runtime.dev_ca``: its key is discarded once it has signed) and the
    leaf for the signing key, one year, SAN = ``host`` (DNS, or IP plus ``localhost``).

    A chain rather than a self-signed leaf, so a wallet can be told to trust the development
    CA as a root (RFC 5280 path validation refuses an end-entity certificate as its own root).
    A wallet on this machine may reach an IP-addressed verifier as ``localhost`` too.
    """
    private_key = signer.key
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise KeyFileError("the development certificate needs an EC signing key")
    try:
        ipaddress.ip_address(host)
        hosts: tuple[str, ...] = (host, "localhost")
    except ValueError:
        hosts = (host,)
    ca = create_development_ca(name="aanspraak development CA", now=now, days=365)
    leaf = ca.issue(private_key.public_key(), subject=name, hosts=hosts, now=now, days=365)
    return (leaf, ca.certificate)
