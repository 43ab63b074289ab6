"""The reference: PyPI ``sd-jwt`` 0.10.4 doing the same workload as closely as it can."""

from __future__ import annotations

from typing import Any

from bench.sd_jwt_workload import (
    ADDRESS_FIELDS,
    AUDIENCE,
    NONCE,
    PERSON,
    TOP_FIELDS,
    VCT,
    registered_claims,
)
from specs.jose import PrivateJwk
from specs.sd_jwt_vc import VC_TYP


class Reference:
    """PyPI ``sd-jwt`` 0.10.4 doing the same workload (see the module docstring)."""

    def __init__(self, issuer: PrivateJwk, holder: PrivateJwk, now: int) -> None:
        from jwcrypto.jwk import JWK
        from sd_jwt.common import SDObj
        from sd_jwt.holder import SDJWTHolder
        from sd_jwt.issuer import SDJWTIssuer
        from sd_jwt.verifier import SDJWTVerifier

        self.issuer_class, self.holder_class = SDJWTIssuer, SDJWTHolder
        self.verifier_class = SDJWTVerifier
        self.issuer_key, self.holder_key = JWK.from_pyca(issuer.key), JWK.from_pyca(holder.key)
        self.issuer_public = JWK.from_pyca(issuer.key.public_key())
        self.claims = {
            **registered_claims(now),
            "vct": VCT,
            **{SDObj(name): PERSON[name] for name in TOP_FIELDS},
            SDObj("address"): {SDObj(n): PERSON["address"][n] for n in ADDRESS_FIELDS},
            "nationalities": [SDObj(value) for value in PERSON["nationalities"]],
        }
        # Its selection tree for DISCLOSED_PATHS: objects by name, arrays by position.
        self.selection = {
            "given_name": True,
            "address": {"locality": True},
            "nationalities": [True],
        }

    def issue(self) -> str:
        issuer = self.issuer_class(
            self.claims,
            self.issuer_key,
            holder_key=self.holder_key,
            sign_alg="ES256",
            extra_header_parameters={"typ": VC_TYP},  # its default is example+sd-jwt
        )
        return str(issuer.sd_jwt_issuance)

    def present(self, token: str) -> str:
        holder = self.holder_class(token)
        holder.create_presentation(
            self.selection, nonce=NONCE, aud=AUDIENCE, holder_key=self.holder_key, sign_alg="ES256"
        )
        return str(holder.sd_jwt_presentation)

    def verify(self, presentation: str) -> dict[str, Any]:
        verifier = self.verifier_class(
            presentation,
            lambda _iss, _header: self.issuer_public,
            expected_aud=AUDIENCE,  # both, or it skips the KB-JWT in silence
            expected_nonce=NONCE,
        )
        payload: dict[str, Any] = verifier.get_verified_payload()
        return payload
