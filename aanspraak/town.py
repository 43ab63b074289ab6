"""Three roles on loopback, talking real HTTP: an agency's issuer, a desk's verifier, and the
wallet service for the citizen's phone (development profile, SQLite in one directory).

Each service runs under uvicorn on its own ``127.0.0.1`` port and event loop (a background
thread, ``aanspraak.loopback``); they reach each other only through the protocols. The
trust registry is a ``TrustRegistry`` the caller gives (the demo's seeded in-process chain,
or a fixed snapshot in tests), registered with the issuer's real signing key and the desk's
real client identifier, and the regulations' anchors.

The demo tells its story with it, and the wallet service's end-to-end tests run against it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aanspraak.demo_settings import GivenOnly
from aanspraak.loopback import Running, bound_listener, serving, url_of
from issuer.app import build_app as build_issuer_app
from issuer.context import IssuerContext
from issuer.context import build_context as build_issuer_context
from issuer.offers import CreatedOffer, OfferRequest, create_offer
from issuer.settings import IssuerSettings
from runtime.regulations import catalogue, find
from runtime.settings import Profile
from specs.errors import Rejected, TrustReason
from specs.rules import CompiledRegulation
from specs.rules.dcql import compile_dcql
from specs.trust import IssuerEntry, RegulationAnchor, TrustSnapshot, VerifierEntry, claim_key
from trust.registry import TrustRegistry
from verifier.app import build_app as build_verifier_app
from verifier.context import VerifierContext
from verifier.context import build_context as build_verifier_context
from verifier.identity import load_identity
from verifier.settings import VerifierSettings
from wallet.app import build_app as build_wallet_app
from wallet.context import WalletContext
from wallet.context import build_context as build_wallet_context
from wallet.settings import WalletSettings

FOREVER = 2**62


class _IssuerSettings(GivenOnly, IssuerSettings):
    """Settings from the caller alone, never from the machine's ``AANSPRAAK_ISSUER_*``."""


class _VerifierSettings(GivenOnly, VerifierSettings):
    """Settings from the caller alone, never from ``AANSPRAAK_VERIFIER_*``."""


class _WalletSettings(GivenOnly, WalletSettings):
    """Settings from the caller alone, never from ``AANSPRAAK_WALLET_*``."""


class FixedRegistry:
    """A registry whose content is set by the caller (tests; governance changes by ``set``).

    ``current = None`` is a registry that cannot be read: every call fails closed, as the
    chain reader does when its node is down beyond the allowed staleness.
    """

    def __init__(self, snapshot: TrustSnapshot | None) -> None:
        self.current = snapshot

    def snapshot(self, *, now: int) -> TrustSnapshot:
        if self.current is None:
            raise Rejected(TrustReason.REGISTRY_UNAVAILABLE)
        return self.current

    def set(self, snapshot: TrustSnapshot | None) -> None:
        self.current = snapshot


@dataclass
class Town:
    issuer_url: str
    desk_url: str
    wallet_url: str
    issuer: IssuerContext
    desk: VerifierContext
    wallet: WalletContext
    runs: dict[str, Running] = field(default_factory=dict)

    async def offer(
        self, configuration_id: str, claims: dict[str, Any], *, batch_size: int = 3
    ) -> CreatedOffer:
        """The agency's back office makes an offer (with a tx_code sent out of band)."""
        request = OfferRequest(configuration_id, claims, None, batch_size, False, True, None)
        allowed = frozenset(self.issuer.configurations.by_id)
        work = create_offer(self.issuer, request, api_key_id=None, allowed=allowed)
        return await self.runs["issuer"].call(work)

    async def desk_key(self, regulations: list[str]) -> str:
        """An API key for the desk's own system."""
        return await self.runs["verifier"].call(_create_key(self.desk, regulations))


async def _create_key(context: VerifierContext, regulations: list[str]) -> str:
    key = await context.api_keys.create(name="desk", scope=regulations)
    return str(key.secret)


def registry_entries(
    *,
    issuer: str,
    issuer_keys: Iterable[str],
    vcts: Iterable[str],
    desk: str,
    desk_regulations: Iterable[CompiledRegulation],
    legal_basis: str,
    regulations: Iterable[CompiledRegulation] | None = None,
    as_of: int = 0,
) -> TrustSnapshot:
    """What governance registers: the agency for its types and keys, the desk for exactly
    the claims its regulations need (compiled from the law), every regulation's anchor."""
    issuers = {issuer: IssuerEntry(issuer, frozenset(vcts), frozenset(issuer_keys), 0, FOREVER, 0)}
    permissions = {
        c.regulation.id: frozenset(claim_key(n.path) for n in compile_dcql(c).needs)
        for c in desk_regulations
    }
    verifiers = {desk: VerifierEntry(desk, permissions, legal_basis, 0, FOREVER, 0)}
    anchors = {
        (c.regulation.id, c.regulation.valid_from.isoformat()): RegulationAnchor(
            c.regulation.id, c.version, c.regulation.valid_from.isoformat(), 0
        )
        for c in (catalogue() if regulations is None else regulations)
    }
    return TrustSnapshot(issuers, verifiers, anchors, as_of, "fixed")


@contextlib.contextmanager
def running_town(
    data: Path,
    *,
    registry: Callable[[str, list[str], str], TrustRegistry] | None = None,
    desk_regulations: tuple[str, ...] = ("zorgtoeslag",),
    clock: Callable[[], int] | None = None,
    wallet_overrides: dict[str, Any] | None = None,
    issuer_overrides: dict[str, Any] | None = None,
) -> Iterator[Town]:
    """Start the three services; stop them on exit.

    ``registry(issuer_url, issuer_key_thumbprints, desk_client_id)`` builds the registry
    once the identities are known; default: a :class:`FixedRegistry` of
    :func:`registry_entries` for every bundled credential type and ``desk_regulations``.
    """
    with (
        bound_listener() as issuer_socket,
        bound_listener() as desk_socket,
        bound_listener() as wallet_socket,
    ):
        issuer_url, desk_url, wallet_url = (
            url_of(issuer_socket),
            url_of(desk_socket),
            url_of(wallet_socket),
        )
        issuer_settings = _IssuerSettings(
            **{
                "profile": Profile.DEVELOPMENT,
                "public_url": issuer_url,
                "database_url": f"sqlite+aiosqlite:///{data / 'issuer' / 'issuer.db'}",
                "data_dir": data / "issuer",
                "port": issuer_socket.getsockname()[1],
                "display_name": "Belastingdienst",
                **(issuer_overrides or {}),
            }
        )
        desk_settings = _VerifierSettings(
            profile=Profile.DEVELOPMENT,
            public_url=desk_url,
            database_url=f"sqlite+aiosqlite:///{data / 'verifier' / 'verifier.db'}",
            data_dir=data / "verifier",
            port=desk_socket.getsockname()[1],
            local_origins=[issuer_url],
            regulations=list(desk_regulations),
        )
        wallet_settings = _WalletSettings(
            **{
                "profile": Profile.DEVELOPMENT,
                "public_url": wallet_url,
                "database_url": f"sqlite+aiosqlite:///{data / 'wallet' / 'wallet.db'}",
                "data_dir": data / "wallet",
                "port": wallet_socket.getsockname()[1],
                "local_origins": [issuer_url, desk_url],
                **(wallet_overrides or {}),
            }
        )
        clock_kwargs: dict[str, Any] = {} if clock is None else {"clock": clock}
        issuer_context = build_issuer_context(issuer_settings, **clock_kwargs)
        client_id = load_identity(desk_settings, now=clock or _system_clock).client_id
        thumbprints = [k.thumbprint() for k in issuer_context.keys.published]
        if registry is None:
            vcts = {c.vct for c in issuer_context.configurations.by_id.values()}
            trust: TrustRegistry = FixedRegistry(
                registry_entries(
                    issuer=issuer_url,
                    issuer_keys=thumbprints,
                    vcts=vcts,
                    desk=client_id,
                    desk_regulations=[find(r) for r in desk_regulations],
                    legal_basis="Awir art. 40",
                )
            )
        else:
            trust = registry(issuer_url, thumbprints, client_id)
        desk_context = build_verifier_context(desk_settings, trust=trust, **clock_kwargs)
        wallet_context = build_wallet_context(wallet_settings, trust=trust, **clock_kwargs)
        with (
            serving(
                build_issuer_app(issuer_settings, context=issuer_context),
                issuer_socket,
                name="issuer",
            ) as issuer_run,
            serving(
                build_verifier_app(desk_settings, context=desk_context),
                desk_socket,
                name="verifier",
            ) as desk_run,
            serving(
                build_wallet_app(wallet_settings, context=wallet_context),
                wallet_socket,
                name="wallet",
            ) as wallet_run,
        ):
            yield Town(
                issuer_url,
                desk_url,
                wallet_url,
                issuer_context,
                desk_context,
                wallet_context,
                {"issuer": issuer_run, "verifier": desk_run, "wallet": wallet_run},
            )


def _system_clock() -> int:
    return int(time.time())
