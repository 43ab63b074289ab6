"""The issuance workload: an issuer on a temporary SQLite file, its offers, the wallet's proofs.

Both the in-process and the HTTP benchmark build their issuer from here, so they issue the
same credential: ``household_assets`` by default, the bundled type that carries derived
predicate claims (its assets amount plus twelve "assets within the limit of regulation X"
booleans: 13 Disclosures). ``household_income`` declares no predicates in the bundled
regulations, so it is the small case (2 Disclosures); ``--configuration`` picks either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from issuer.app import prepare
from issuer.context import IssuerContext, build_context
from issuer.nonces import new_nonce
from issuer.offers import OfferRequest, create_offer
from issuer.redemption import redeem
from issuer.settings import IssuerSettings
from runtime.settings import Profile
from specs.jose import PrivateJwk, PublicJwk, StaticKeyResolver
from specs.oid4vci import TokenRequest, build_jwt_proof
from specs.sd_jwt import NoKeyBinding, open_sd_jwt
from specs.sd_jwt_vc import verify_sd_jwt_vc

BATCH = 10
ISSUER_ID = "https://issuer.example"
"""The Credential Issuer Identifier. It need not be the address the server listens on, and
an https identifier is what production has (the development profile allows both)."""
OFFER_TTL = 3_600
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"

CLAIMS: dict[str, dict[str, Any]] = {
    "household_assets": {"reference_date": "2026-01-01", "joint_assets_cents": 1_250_000},
    "household_income": {
        "year": 2024,
        "joint_assessed_income_cents": 2_850_000,
        "has_allowance_partner": False,
    },
}
DISCLOSURES = {"household_assets": 13, "household_income": 2}
CONFIGURATIONS = tuple(CLAIMS)


def _database_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'issuer.db'}"


def settings_environment(data_dir: Path) -> dict[str, str]:
    """``AANSPRAAK_ISSUER_*`` for the benchmark's issuer: development profile, SQLite file."""
    return {
        "AANSPRAAK_ISSUER_PROFILE": Profile.DEVELOPMENT.value,
        "AANSPRAAK_ISSUER_PUBLIC_URL": ISSUER_ID,
        "AANSPRAAK_ISSUER_DATABASE_URL": _database_url(data_dir),
        "AANSPRAAK_ISSUER_DATA_DIR": str(data_dir),
    }


def issuer_settings(data_dir: Path) -> IssuerSettings:
    """The same settings as ``settings_environment``, for library calls."""
    return IssuerSettings(
        profile=Profile.DEVELOPMENT,
        public_url=ISSUER_ID,
        database_url=_database_url(data_dir),
        data_dir=data_dir,
    )


async def prepared_context(data_dir: Path, *, clock: Callable[[], int]) -> IssuerContext:
    """The issuer's context, its keys created and its database migrated."""
    data_dir.mkdir(parents=True, exist_ok=True)
    context = build_context(issuer_settings(data_dir), clock=clock)
    await prepare(context)
    return context


async def new_offer(context: IssuerContext, configuration: str) -> tuple[str, str]:
    """A new offer without tx_code for one batch: its id and its pre-authorized code."""
    created = await create_offer(
        context,
        OfferRequest(configuration, CLAIMS[configuration], None, BATCH, False, False, OFFER_TTL),
        api_key_id=None,
        allowed=frozenset({configuration}),
    )
    code: str = created.credential_offer["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    return created.offer_id, code


async def redeemed_offer(context: IssuerContext, configuration: str) -> str:
    """An offer whose code the wallet already exchanged: ready for its credential request."""
    offer_id, code = await new_offer(context, configuration)
    await redeem(context, TokenRequest(PRE_AUTHORIZED, code, None))
    return offer_id


def fresh_nonce(context: IssuerContext) -> str:
    """What the nonce endpoint hands out (stateless: nothing is written)."""
    return new_nonce(
        key=context.nonce_key, now=context.clock(), ttl=context.settings.nonce_ttl_seconds
    )


def proofs_for(
    holder_keys: Sequence[PrivateJwk], *, audience: str, nonce: str, now: int
) -> tuple[str, ...]:
    """The wallet's key proofs of one request: one per holder key, all on one c_nonce."""
    return tuple(
        build_jwt_proof(holder_key=key, audience=audience, nonce=nonce, now=now)
        for key in holder_keys
    )


def require(condition: bool, what: str) -> None:
    if not condition:  # not an assert: python -O must not turn the check off
        raise SystemExit(f"bench.issuer: broken path, not timed: {what}")


def check_credentials(
    tokens: Sequence[str],
    *,
    issuer_key: PublicJwk,
    holder_keys: Sequence[PublicJwk],
    configuration: str,
    now: int,
    what: str,
) -> None:
    """Every credential verifies, is bound to its own proof's key, and has every Disclosure."""
    require(len(tokens) == len(holder_keys), f"{what}: credential count")
    resolver = StaticKeyResolver(issuer_key)
    for token, holder in zip(tokens, holder_keys, strict=True):
        verified = verify_sd_jwt_vc(
            token, issuer_keys=resolver, key_binding=NoKeyBinding(), now=now
        )
        require(verified.claims["cnf"]["jwk"] == holder.to_jwk(), f"{what}: cnf")
        expected: Mapping[str, Any] = CLAIMS[configuration]
        require(expected.items() <= verified.claims.items(), f"{what}: claims")
        disclosures = len(open_sd_jwt(token).disclosures)
        require(disclosures == DISCLOSURES[configuration], f"{what}: Disclosure count")
