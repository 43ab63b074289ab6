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
import datetime as dt
import ipaddress
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from runtime.key_files import KeyFileError, create_signing_key, load_signing_key
from runtime.settings import Profile
from specs.jose import PrivateJwk
from specs.oid4vp.client_id import ClientIdPrefix, format_client_id, x509_hash_of
from specs.oid4vp.haip import is_self_signed
from verifier.settings import VerifierSettings

MAX_CERTIFICATE_FILE_BYTES = 64 * 1024
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
    key_path = settings.signing_key_path
    if not key_path.exists():
        if not development:
            raise KeyFileError(f"{key_path}: no signing key (provision one; see docs/verifier.md)")
        with contextlib.suppress(FileExistsError):  # another worker created it first
            create_signing_key(key_path)
    signer = load_signing_key(key_path)
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
            _write_self_signed(path, signer, host, settings.display_name, now)
    raw = path.read_bytes()[: MAX_CERTIFICATE_FILE_BYTES + 1]
    if len(raw) > MAX_CERTIFICATE_FILE_BYTES:
        raise KeyFileError(f"{path}: too large for a certificate chain")
    try:
        chain = tuple(x509.load_pem_x509_certificates(raw))
    except ValueError as error:
        raise KeyFileError(f"{path}: not a PEM certificate chain") from error
    leaf_key = chain[0].public_key()
    if not isinstance(leaf_key, ec.EllipticCurvePublicKey) or leaf_key.public_numbers() != (
        signer.public.key.public_numbers()  # type: ignore[union-attr]
    ):
        raise KeyFileError(f"{path}: the leaf certificate does not certify the signing key")
    return chain


def _write_self_signed(path: Path, signer: PrivateJwk, host: str, name: str, at: int) -> None:
    """A development chain: a throwaway CA (its key is discarded once it has signed) and the
    leaf for the signing key, one year, SAN = ``host`` (DNS, or IP plus ``localhost``).

    A chain rather than a self-signed leaf, so a wallet can be told to trust the development
    CA as a root (RFC 5280 path validation refuses an end-entity certificate as its own root).
    """
    private_key = signer.key
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise KeyFileError("the development certificate needs an EC signing key")
    now = dt.datetime.fromtimestamp(at, dt.UTC)
    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(days=365)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aanspraak development CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    try:
        names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(host))]
        names.append(x509.DNSName("localhost"))
    except ValueError:
        names = [x509.DNSName(host)]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name[:64] or "aanspraak")])
    leaf = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        for certificate in (leaf, ca):
            handle.write(certificate.public_bytes(serialization.Encoding.PEM))


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )
