"""Interop with the PyPI package ``sd-jwt`` 0.10.4 (import name ``sd_jwt``), in process.

The package predates RFC 9901. Where it differs, the adapter below bends it towards the RFC
(and says where) and our side follows the RFC; a difference is never a reason to loosen ours:

- Issuer-signed JWT typ: it writes ``example+sd-jwt`` (the drafts' example value, overridable
  via the SD_JWT_HEADER environment variable). An SD-JWT VC has ``dc+sd-jwt`` (SD-JWT VC §3.2.1),
  so we pass ``extra_header_parameters={"typ": "dc+sd-jwt"}``.
- Its verifier never looks at that typ, nor at iat/nbf/exp (a TODO in its source), and does not
  reject a Disclosure that no digest references (RFC 9901 §7.1 requires it). The adapter checks
  the typ itself; time and unreferenced Disclosures are left to our verifier's own tests.
- It checks the KB-JWT only when both aud and nonce are passed, and otherwise skips it in
  silence, even when a KB-JWT is present. The adapter always passes both.
- The KB-JWT's iat is the wall clock (``time()`` in ``sd_jwt.holder``), not a parameter: the
  adapter patches that name to the scenario's clock.
- JSON serialization: it puts ``disclosures`` and ``kb_jwt`` at the top level of the JWS JSON
  instead of the unprotected header (RFC 9901 §8.1) and computes no sd_hash for it, so only the
  compact form is exchanged here.
- Agreements worth knowing: KB-JWT typ ``kb+jwt`` and sd_hash over ``<JWT>~<D1>~...~<Dn>~``
  (RFC 9901 §4.3, §4.3.1) match; salts are 128 bits; only sha-256.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.interop.chains import (
    check_round_trip,
    check_tampered,
    round_trips,
    tamper_directions,
)

if TYPE_CHECKING:
    from tests.interop.conftest import Implementation, KeyPair, OurCli, Scenario

pytestmark = pytest.mark.interop

_SKIP = "PyPI sd-jwt (import name sd_jwt) is not installed: pip install -e '.[dev]'"
sd_jwt_common = pytest.importorskip("sd_jwt.common", reason=_SKIP)
sd_jwt_issuer = pytest.importorskip("sd_jwt.issuer", reason=_SKIP)
sd_jwt_holder = pytest.importorskip("sd_jwt.holder", reason=_SKIP)
sd_jwt_verifier = pytest.importorskip("sd_jwt.verifier", reason=_SKIP)
jwcrypto_jwk = pytest.importorskip("jwcrypto.jwk", reason=_SKIP)
jwcrypto_common = pytest.importorskip("jwcrypto.common", reason=_SKIP)

# What its verifier raises for a bad token: its own checks raise ValueError, jwcrypto's
# signature and parsing errors derive from JWException.
PYPI_REJECTIONS: tuple[type[Exception], ...] = (ValueError, jwcrypto_common.JWException)


def all_disclosable(value: Any) -> Any:
    """Wrap every member name and array element in SDObj, recursively (our CLI's policy)."""
    sd_obj = sd_jwt_common.SDObj
    if isinstance(value, dict):
        return {sd_obj(name): all_disclosable(member) for name, member in value.items()}
    if isinstance(value, list):
        return [sd_obj(all_disclosable(item)) for item in value]
    return value


def claims_to_disclose(paths: tuple[tuple[str | int, ...], ...]) -> dict[str, Any]:
    """Its selection tree: objects by name, arrays by position ({"nationalities": [None, True]})."""
    tree: dict[str, Any] = {}
    for path in paths:
        node: Any = tree
        for position, part in enumerate(path):
            last = position == len(path) - 1
            child: Any = True if last else ([] if isinstance(path[position + 1], int) else {})
            if isinstance(part, int):
                node.extend([None] * (part + 1 - len(node)))
                node[part] = node[part] or child
                node = node[part]
            else:
                node = node.setdefault(part, child)
    return tree


def jwt_header(compact_jwt: str) -> dict[str, Any]:
    encoded = compact_jwt.split(".", maxsplit=1)[0]
    padded = encoded + "=" * (-len(encoded) % 4)
    header: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return header


class PypiSdJwt:
    """SDJWTIssuer, SDJWTHolder and SDJWTVerifier with the scenario's inputs."""

    name = "pypi"

    def __init__(
        self, scenario: Scenario, issuer: KeyPair, holder: KeyPair, monkeypatch: pytest.MonkeyPatch
    ):
        self._scenario = scenario
        self._issuer = issuer
        self._holder = holder
        self._monkeypatch = monkeypatch

    def issue(self) -> str:
        user_claims = {
            "iss": self._scenario.iss,
            "iat": self._scenario.issued_at,
            "vct": self._scenario.vct,
            **all_disclosable(self._scenario.claims),
        }
        issuer = sd_jwt_issuer.SDJWTIssuer(
            user_claims,
            jwcrypto_jwk.JWK(**self._issuer.private_jwk),
            holder_key=jwcrypto_jwk.JWK(**self._holder.public_jwk),
            sign_alg="ES256",
            extra_header_parameters={"typ": "dc+sd-jwt"},  # its default is example+sd-jwt
        )
        sd_jwt: str = issuer.sd_jwt_issuance
        return sd_jwt

    def present(self, sd_jwt: str) -> str:
        # KB-JWT iat comes from time() inside sd_jwt.holder; give it the scenario's clock.
        self._monkeypatch.setattr(sd_jwt_holder, "time", lambda: self._scenario.presented_at)
        holder = sd_jwt_holder.SDJWTHolder(sd_jwt)
        holder.create_presentation(
            claims_to_disclose(self._scenario.disclosed_paths),
            nonce=self._scenario.nonce,
            aud=self._scenario.audience,
            holder_key=jwcrypto_jwk.JWK(**self._holder.private_jwk),
            sign_alg="ES256",
        )
        presentation: str = holder.sd_jwt_presentation
        return presentation

    def _verified_payload(self, presentation: str) -> dict[str, Any]:
        issuer_key = jwcrypto_jwk.JWK(**self._issuer.public_jwk)
        verifier = sd_jwt_verifier.SDJWTVerifier(
            presentation,
            lambda _iss, _header: issuer_key,
            expected_aud=self._scenario.audience,  # both, or the KB-JWT goes unchecked
            expected_nonce=self._scenario.nonce,
        )
        payload: dict[str, Any] = verifier.get_verified_payload()
        return payload

    def verify(self, presentation: str) -> dict[str, Any]:
        payload = self._verified_payload(presentation)
        # The typ checks 0.10.4 leaves out (see the module docstring).
        assert jwt_header(presentation)["typ"] == "dc+sd-jwt"
        assert jwt_header(presentation.rsplit("~", 1)[1])["typ"] == "kb+jwt"
        return payload

    def reject(self, presentation: str) -> str:
        with pytest.raises(PYPI_REJECTIONS) as info:
            self._verified_payload(presentation)
        return str(info.value) or type(info.value).__name__


@pytest.fixture
def pypi(
    scenario: Scenario, issuer_key: KeyPair, holder_key: KeyPair, monkeypatch: pytest.MonkeyPatch
) -> PypiSdJwt:
    return PypiSdJwt(scenario, issuer_key, holder_key, monkeypatch)


@pytest.fixture
def roles(ours: OurCli, pypi: PypiSdJwt) -> dict[str, Implementation]:
    return {"ours": ours, "pypi": pypi}


@pytest.mark.parametrize("chain", round_trips("pypi"))
def test_presentation_round_trip(
    chain: tuple[str, str, str],
    roles: dict[str, Implementation],
    scenario: Scenario,
    holder_key: KeyPair,
) -> None:
    check_round_trip(chain, roles, scenario, holder_key)


@pytest.mark.parametrize(("producer", "verifier"), tamper_directions("pypi"))
def test_tampered_presentation_is_rejected(
    producer: str,
    verifier: str,
    tamper: Callable[[str], str],
    roles: dict[str, Implementation],
) -> None:
    check_tampered(producer, verifier, tamper, roles)
