"""Credential configurations: what this issuer offers, and how each claim is disclosed.

A configuration is a bundled credential type (``runtime.credential_types``). The Type
Metadata's ``sd`` rule decides selective disclosure per claim (SD-JWT VC §5.6.4): ``never``
stays in the signed payload, ``always`` and ``allowed`` become Disclosures (we disclose
selectively whatever the issuer may, which is the privacy-friendly reading of ``allowed``).
Derived predicate claims (DESIGN §1 issuer/) are always selectively disclosable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runtime.credential_types import CredentialType, credential_types
from specs.oid4vci import CredentialConfiguration
from specs.rules import CompiledRegulation
from specs.rules.predicates import DerivedPredicate, predicates_for
from specs.sd_jwt_vc import PLAIN_BY_DEFAULT
from specs.sd_jwt_vc.type_metadata import SdRule

#: Claims the back office may not set: the issuer writes them (SD-JWT VC §2.2.2).
RESERVED_CLAIMS = frozenset(PLAIN_BY_DEFAULT | {"sub", "_sd", "_sd_alg", "..."})
MAX_CLAIMS_BYTES = 16 * 1024


class UnknownConfiguration(Exception):
    """A configuration id that this issuer does not offer."""


@dataclass(frozen=True)
class Configuration:
    type: CredentialType
    plain_claims: frozenset[str]
    """Top-level claims whose Type Metadata says ``sd: never``."""
    known_claims: frozenset[str]
    predicates: tuple[DerivedPredicate, ...] = ()
    """Predicate claims the issuer computes from the regulations, found once at start."""

    @property
    def derived_claims(self) -> frozenset[str]:
        """Their names: the back office never sends these."""
        return frozenset(str(predicate.claim[0]) for predicate in self.predicates)

    @property
    def id(self) -> str:
        return self.type.configuration_id

    @property
    def vct(self) -> str:
        return self.type.vct

    def as_metadata(self) -> CredentialConfiguration:
        """The entry of ``credential_configurations_supported`` (OID4VCI 1.0 §12.2.4)."""
        document = self.type.document
        display = tuple(
            {key: item[key] for key in ("locale", "name", "description") if key in item}
            for item in document.get("display", [])
        )
        claims = tuple(
            {"path": claim["path"], "display": claim.get("display", [])}
            for claim in document.get("claims", [])
        )
        return CredentialConfiguration(
            id=self.id, vct=self.vct, display=display, claims=claims, scope=self.scope
        )

    @property
    def scope(self) -> str:
        """The OAuth scope that asks for this configuration (HAIP 1.0 §4.1, §4.3): its id,
        which is already unique, stable and made of RFC 6749 §3.3 scope-token characters."""
        return self.id


def _configuration(
    credential_type: CredentialType, regulations: Sequence[CompiledRegulation]
) -> Configuration:
    plain: set[str] = set()
    known: set[str] = set()
    for claim in credential_type.metadata.claims:
        top = claim.path[0]
        if isinstance(top, str):
            known.add(top)
            if len(claim.path) == 1 and claim.sd_rule is SdRule.NEVER:
                plain.add(top)
    predicates = tuple(predicates_for(credential_type.vct, regulations))
    return Configuration(credential_type, frozenset(plain), frozenset(known), predicates)


@dataclass(frozen=True)
class Configurations:
    by_id: Mapping[str, Configuration]

    @classmethod
    def offered(
        cls, ids: Sequence[str], *, regulations: Sequence[CompiledRegulation]
    ) -> Configurations:
        """The bundled types named in ``ids`` (all of them when ``ids`` is empty)."""
        bundled = credential_types()
        missing = [name for name in ids if name not in bundled]
        if missing:
            raise UnknownConfiguration(f"unknown credential configurations: {sorted(missing)}")
        chosen = ids or sorted(bundled)
        return cls({name: _configuration(bundled[name], regulations) for name in chosen})

    def get(self, configuration_id: str) -> Configuration:
        try:
            return self.by_id[configuration_id]
        except KeyError:
            raise UnknownConfiguration("unknown credential configuration") from None

    def by_scope(self, scopes: Sequence[str]) -> Configuration | None:
        """The one configuration a scope asks for; ``None`` unless exactly one known value."""
        if len(scopes) != 1:
            return None
        return next((c for c in self.by_id.values() if c.scope == scopes[0]), None)

    def by_vct(self, vct: str) -> Configuration | None:
        return next((c for c in self.by_id.values() if c.vct == vct), None)


def check_claims(configuration: Configuration, claims: Mapping[str, Any]) -> str | None:
    """Why ``claims`` cannot be issued under ``configuration`` (a fixed phrase), or ``None``.

    The back office may set only the claims the type declares; registered claims are the
    issuer's to write.
    """
    if not claims:
        return "claims are empty"
    if RESERVED_CLAIMS & claims.keys():
        return "claims contain a registered claim the issuer sets itself"
    if not claims.keys() <= configuration.known_claims:
        return "claims contain a name the credential type does not declare"
    if configuration.derived_claims & claims.keys():
        return "claims contain a predicate claim the issuer derives itself"
    return None
