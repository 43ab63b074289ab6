"""The issuer's certificate chain: ``x5c`` on every credential and Status List Token.

HAIP §6.1.1 makes X.509 key resolution mandatory: an SD-JWT VC carries the issuer's
certificate and its trust chain in ``x5c``; HAIP §6.1 asks the same of the Status List
Token. ``x5c`` is an array of standard base64 (not base64url) DER certificates, the one that
certifies the signing key first, each next one certifying the one before (RFC 7515 §4.1.6).

* ``certificate_chain_file`` (PEM: the signing key's certificate, then intermediates,
  optionally the root last) is checked at start: the leaf must certify the signing key and
  each certificate must be issued by the next, else the issuer does not start;
* ``development_ca`` (development profile only) makes a CA under ``data_dir`` on first
  start (``development-ca.key``, ``development-ca.pem``) and issues the signing key a
  certificate whose SANs are ``public_url`` (a URI) and its host (a DNS name or IP address),
  written with the root to ``certificate-chain.pem``. The leaf is issued again when the key,
  the URL or its validity no longer fit.
* in strict HAIP mode (``haip``) one of the two is required (the settings refuse to start
  without), ``x5c`` leaves the self-signed root out (HAIP §6.1, §6.1.1: the trust anchor's
  certificate is not sent; verifiers are configured with it), and a self-signed signing
  certificate stops the start.

The signer then becomes a ``CertifiedSigner``: the same key, with its chain, so every place
that signs with ``IssuerKeys.active`` adds ``x5c`` next to ``kid`` (``jose_header``); ``kid``
stays, so verifiers that resolve keys through JWT VC Issuer Metadata keep working. The
registry anchors the CA by its root's key reference (``anchor_key_ref``).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from issuer.keys import KeyFileError
from issuer.settings import IssuerSettings
from runtime import dev_ca
from runtime.dev_ca import load_or_create_development_ca, write_certificates
from specs.errors import Rejected
from specs.jose import JwsAlg, JwsSigner, PublicJwk, public_jwk_from_key
from specs.oid4vp.haip import is_self_signed
from specs.sd_jwt_vc.x5c import DEFAULT_MAX_CERT_BYTES, DEFAULT_MAX_CHAIN_LENGTH
from specs.trust import certificate_key_ref

DEVELOPMENT_ROOT_DAYS = 10 * 365
DEVELOPMENT_LEAF_DAYS = 365
_BACKDATE = dt.timedelta(days=1)
"""Certificates start a day early, so a verifier whose clock lags a little accepts them."""


class CertificateChainError(KeyFileError):
    """The chain file is missing, unreadable, too large, out of order, or does not certify
    the signing key. The message names the file and the rule, never the content."""


@dataclass(frozen=True, slots=True)
class CertifiedSigner:
    """A ``JwsSigner`` with the certificate chain that certifies its key (leaf first).

    ``omit_anchor`` (strict HAIP mode) leaves self-signed certificates out of ``x5c``: HAIP
    §6.1.1 forbids sending the trust anchor, which a verifier must already hold. The chain
    keeps it, so ``anchor_key_ref`` still names it.
    """

    signer: JwsSigner
    certificates: tuple[x509.Certificate, ...]
    omit_anchor: bool = False

    @property
    def alg(self) -> JwsAlg:
        return self.signer.alg

    @property
    def public(self) -> PublicJwk:
        return self.signer.public

    def sign(self, signing_input: bytes) -> bytes:
        return self.signer.sign(signing_input)

    @property
    def x5c(self) -> list[str]:
        """RFC 7515 §4.1.6: standard base64 of each DER certificate, leaf first."""
        return [
            base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii")
            for c in self.certificates
            if not (self.omit_anchor and is_self_signed(c))
        ]


def jose_header(signer: JwsSigner) -> dict[str, Any] | None:
    """The header members that name the issuer's key: ``kid``, and ``x5c`` when certified."""
    header: dict[str, Any] = {}
    if signer.public.kid:
        header["kid"] = signer.public.kid
    if isinstance(signer, CertifiedSigner):
        header["x5c"] = signer.x5c
    return header or None


def anchor_key_ref(signer: JwsSigner) -> str | None:
    """What governance registers for this issuer's CA: the key reference of the chain's
    root (``specs.trust.certificate_key_ref``), or None when the chain leaves its root out
    or the signer has no chain."""
    if not isinstance(signer, CertifiedSigner):
        return None
    root = signer.certificates[-1]
    if len(signer.certificates) < 2 or not _issued_by(root, root):
        return None
    return certificate_key_ref(root)


def certify(signer: JwsSigner, settings: IssuerSettings, *, now: int) -> JwsSigner:
    """``signer`` with the chain the settings name, or ``signer`` itself when they name none.

    Strict HAIP mode sends the chain without its trust anchor and refuses a self-signed
    signing certificate: it would be its own anchor, so ``x5c`` would be empty or hold the
    anchor (HAIP §6.1.1). The settings already refuse strict mode without a chain.
    """
    if settings.certificate_chain_file is not None:
        chain = load_certificate_chain(settings.certificate_chain_file, key=signer.public)
    elif settings.development_ca:  # the settings allow it in the development profile only
        chain = development_chain(
            settings.data_dir, key=signer.public, issuer_url=settings.public_url, now=now
        )
    else:
        return signer
    if settings.haip and is_self_signed(chain[0]):
        raise CertificateChainError(
            "haip: the signing key's certificate is self-signed; it must be issued by a CA"
        )
    return CertifiedSigner(signer, chain, omit_anchor=settings.haip)


def load_certificate_chain(path: Path, *, key: PublicJwk) -> tuple[x509.Certificate, ...]:
    """A PEM chain, leaf first, whose leaf certifies ``key``; refused with a clear message."""
    try:
        chain = dev_ca.load_certificate_chain(path)
    except KeyFileError as error:
        raise CertificateChainError(str(error)) from None
    check_chain(chain, key=key, source=str(path))
    return chain


def check_chain(chain: Sequence[x509.Certificate], *, key: PublicJwk, source: str) -> None:
    """The rules a verifier will apply that the issuer can know at start (module doc)."""
    if not 1 <= len(chain) <= DEFAULT_MAX_CHAIN_LENGTH:
        raise CertificateChainError(
            f"{source}: 1 to {DEFAULT_MAX_CHAIN_LENGTH} certificates, the signing key's first"
        )
    if any(len(c.public_bytes(Encoding.DER)) > DEFAULT_MAX_CERT_BYTES for c in chain):
        raise CertificateChainError(f"{source}: a certificate is larger than verifiers accept")
    try:
        leaf_key = public_jwk_from_key(chain[0].public_key())
    except Rejected:
        leaf_key = None
    if leaf_key is None or leaf_key.thumbprint() != key.thumbprint():
        raise CertificateChainError(
            f"{source}: the first certificate does not certify the signing key"
        )
    for child, parent in itertools.pairwise(chain):
        if not _issued_by(child, parent):
            raise CertificateChainError(
                f"{source}: out of order (each certificate must be issued by the next)"
            )


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def development_chain(
    data_dir: Path, *, key: PublicJwk, issuer_url: str, now: int
) -> tuple[x509.Certificate, ...]:
    """The development CA's chain for ``key`` (module docstring), made or reused.

    The CA keeps its key (``runtime.dev_ca.load_or_create_development_ca``) so that a new leaf
    can be issued under the same root when the key, the URL or the leaf's validity change:
    a verifier configured with the root keeps trusting the issuer.
    """
    ca = load_or_create_development_ca(
        data_dir / "development-ca.key",
        data_dir / "development-ca.pem",
        name="aanspraak development CA",
        now=now,
        days=DEVELOPMENT_ROOT_DAYS,
        backdate=_BACKDATE,
    )
    path = data_dir / "certificate-chain.pem"
    with contextlib.suppress(OSError, ValueError):
        chain = tuple(x509.load_pem_x509_certificates(path.read_bytes()))
        if _still_fits(chain, key=key, root=ca.certificate, issuer_url=issuer_url, now=now):
            return chain
    public_key = key.key
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise CertificateChainError("development_ca: the signing key must be ES256")
    host = urlsplit(issuer_url).hostname or "localhost"
    leaf = ca.issue(  # bound to ``issuer_url`` by its SANs (SD-JWT VC §2.5)
        public_key,
        subject=host,
        uri=issuer_url,
        hosts=(host,),
        now=now,
        days=DEVELOPMENT_LEAF_DAYS,
        backdate=_BACKDATE,
    )
    chain = (leaf, ca.certificate)
    write_certificates(path, chain, replace=True)
    return chain


def _still_fits(
    chain: tuple[x509.Certificate, ...],
    *,
    key: PublicJwk,
    root: x509.Certificate,
    issuer_url: str,
    now: int,
) -> bool:
    if len(chain) != 2 or chain[1] != root:
        return False
    leaf = chain[0]
    at = dt.datetime.fromtimestamp(now, tz=dt.UTC)
    if not leaf.not_valid_before_utc <= at < leaf.not_valid_after_utc:
        return False
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        check_chain(chain, key=key, source="development chain")
    except (x509.ExtensionNotFound, CertificateChainError):
        return False
    return issuer_url in names.get_values_for_type(x509.UniformResourceIdentifier)
