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
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from aanspraak.demo_settings import GivenOnly
from aanspraak.loopback import Running, bound_listener, serving, url_of
from issuer.app import build_app as build_issuer_app
from issuer.certificates import CertifiedSigner, anchor_key_ref
from issuer.context import IssuerContext
from issuer.context import build_context as build_issuer_context
from issuer.offers import CreatedOffer, OfferRequest, create_offer
from issuer.settings import IssuerSettings
from runtime.dev_ca import write_certificates
from runtime.regulations import catalogue, find
from runtime.settings import Profile
from specs.errors import Rejected, TrustReason
from specs.jose import JwsSigner
from specs.oid4vp.trusted_authorities import chain_key_identifiers
from specs.rules import CompiledRegulation
from specs.rules.dcql import compile_dcql
from specs.trust import IssuerEntry, RegulationAnchor, TrustSnapshot, VerifierEntry, claim_key
from verifier.app import build_app as build_verifier_app
from verifier.context import VerifierContext
from verifier.context import build_context as build_verifier_context
from verifier.identity import load_identity
from verifier.settings import VerifierSettings
from wallet.app import build_app as build_wallet_app
from wallet.attestations import wallet_provider_from_settings
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


@dataclass(frozen=True)
class Agency:
    """An agency running its own issuer service: its name, and the credential
    configurations it offers (empty: every bundled one)."""

    name: str
    configurations: tuple[str, ...] = ()


@dataclass
class Issuer:
    agency: Agency
    url: str
    context: IssuerContext
    run: Running | None = None


@dataclass
class Town:
    issuers: dict[str, Issuer]
    """By agency name, in the order they were given."""
    desk_url: str
    wallet_url: str
    desk: VerifierContext
    wallet: WalletContext
    runs: dict[str, Running] = field(default_factory=dict)
    subjects: Path | None = None
    """Where the agencies' development subject source reads claims (the code flow)."""

    @property
    def issuer_url(self) -> str:
        """The first agency's issuer (a town of one agency has only that one)."""
        return next(iter(self.issuers.values())).url

    @property
    def issuer(self) -> IssuerContext:
        return next(iter(self.issuers.values())).context

    def issuer_of(self, configuration_id: str) -> Issuer:
        """The agency that offers ``configuration_id``."""
        for issuer in self.issuers.values():
            if configuration_id in issuer.context.configurations.by_id:
                return issuer
        raise KeyError(configuration_id)

    async def offer(
        self, configuration_id: str, claims: dict[str, Any], *, batch_size: int = 3
    ) -> CreatedOffer:
        """The agency's back office makes an offer (with a tx_code sent out of band)."""
        issuer = self.issuer_of(configuration_id)
        request = OfferRequest(configuration_id, claims, None, batch_size, False, True, None)
        allowed = frozenset(issuer.context.configurations.by_id)
        work = create_offer(issuer.context, request, api_key_id=None, allowed=allowed)
        assert issuer.run is not None
        return await issuer.run.call(work)

    def register_subject(
        self, configuration_id: str, subject: str, claims: Mapping[str, Any]
    ) -> None:
        """The agency's register learns ``subject``: the code flow issues these claims to the
        citizen who logs in as ``subject`` (development authenticator, ``login_hint``)."""
        if self.subjects is None:
            raise RuntimeError("this town's issuers run no authorization code flow")
        folder = self.subjects / configuration_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{subject}.json").write_text(json.dumps(dict(claims)))

    async def desk_key(self, regulations: list[str]) -> str:
        """An API key for the desk's own system."""
        return await self.runs["verifier"].call(_create_key(self.desk, regulations))


async def _create_key(context: VerifierContext, regulations: list[str]) -> str:
    key = await context.api_keys.create(name="desk", scope=regulations)
    return str(key.secret)


def registry_entries(
    *,
    issuers: Mapping[str, tuple[Iterable[str], Iterable[str]]],
    desk: str,
    desk_regulations: Iterable[CompiledRegulation],
    legal_basis: str,
    regulations: Iterable[CompiledRegulation] | None = None,
    as_of: int = 0,
) -> TrustSnapshot:
    """What governance registers: each agency (by identifier: its key thumbprints and the
    types it attests), the desk for exactly the claims its regulations need (compiled from
    the law), and every regulation's anchor."""
    registered = {
        issuer: IssuerEntry(issuer, frozenset(vcts), frozenset(keys), 0, FOREVER, 0)
        for issuer, (keys, vcts) in issuers.items()
    }
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
    return TrustSnapshot(registered, verifiers, anchors, as_of, "fixed")


@contextlib.contextmanager
def running_town(
    data: Path,
    *,
    agencies: Sequence[Agency] = (Agency("Belastingdienst"),),
    desk_regulations: tuple[str, ...] = ("zorgtoeslag",),
    desk_name: str = "aanspraak desk",
    desk_legal_basis: str = "Awir art. 40",
    clock: Callable[[], int] | None = None,
    wallet_overrides: dict[str, Any] | None = None,
    issuer_overrides: dict[str, Any] | None = None,
    desk_overrides: dict[str, Any] | None = None,
    x5c: bool = False,
    haip: bool = False,
) -> Iterator[Town]:
    """Start an issuer service per agency, the desk's verifier and the wallet service; stop
    them all on exit. The registry (a :class:`FixedRegistry` of :func:`registry_entries`)
    lists every agency with its real keys, the desk with its real client identifier.

    With ``x5c`` every agency signs with a certificate from its own development CA (HAIP
    §6.1.1) and the registry lists that CA's root key reference instead of the key.

    With ``haip`` every role runs in strict HAIP 1.0 mode (:class:`StrictHaip`): the agencies
    issue by the authorization code flow (development authenticator, subjects from
    :meth:`Town.register_subject`) and require the wallet service's attestations; their
    chains leave the root out, so the desk and the wallet get the CA roots from a file."""
    x5c = x5c or haip
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(bound_listener()) for _ in range(len(agencies) + 2)]
        desk_socket, wallet_socket = sockets[-2], sockets[-1]
        desk_url, wallet_url = url_of(desk_socket), url_of(wallet_socket)
        clock_kwargs: dict[str, Any] = {} if clock is None else {"clock": clock}
        strict = StrictHaip.prepare(data, wallet_url, clock or _system_clock) if haip else None
        issuer_overrides = {**(strict.issuer if strict else {}), **(issuer_overrides or {})}
        issuers: dict[str, Issuer] = {}
        apps = []
        for index, (agency, listener) in enumerate(zip(agencies, sockets, strict=False)):
            folder = data / ("issuer" if index == 0 else f"issuer-{index}")
            settings = _IssuerSettings(
                **{
                    "profile": Profile.DEVELOPMENT,
                    "public_url": url_of(listener),
                    "database_url": f"sqlite+aiosqlite:///{folder / 'issuer.db'}",
                    "data_dir": folder,
                    "port": listener.getsockname()[1],
                    "display_name": agency.name,
                    "configurations": list(agency.configurations),
                    "development_ca": x5c,
                    **(issuer_overrides or {}),
                }
            )
            context = build_issuer_context(settings, **clock_kwargs)
            issuers[agency.name] = Issuer(agency, settings.public_url, context)
            apps.append((build_issuer_app(settings, context=context), listener, agency.name))
        origins = [i.url for i in issuers.values()]
        if strict is not None:
            strict.trust_issuers([i.context for i in issuers.values()])
        desk_settings = _VerifierSettings(
            **{
                "profile": Profile.DEVELOPMENT,
                "public_url": desk_url,
                "database_url": f"sqlite+aiosqlite:///{data / 'verifier' / 'verifier.db'}",
                "data_dir": data / "verifier",
                "port": desk_socket.getsockname()[1],
                "local_origins": origins,
                "regulations": list(desk_regulations),
                "display_name": desk_name,
                **(strict.desk if strict else {}),
                **(desk_overrides or {}),
            }
        )
        wallet_settings = _WalletSettings(
            **{
                "profile": Profile.DEVELOPMENT,
                "public_url": wallet_url,
                "database_url": f"sqlite+aiosqlite:///{data / 'wallet' / 'wallet.db'}",
                "data_dir": data / "wallet",
                "port": wallet_socket.getsockname()[1],
                "local_origins": [*origins, desk_url],
                **(strict.wallet if strict else {}),
                **(wallet_overrides or {}),
            }
        )
        client_id = load_identity(desk_settings, now=clock or _system_clock).client_id
        trust = FixedRegistry(
            registry_entries(
                issuers={
                    i.url: (
                        _key_refs(i.context),
                        [c.vct for c in i.context.configurations.by_id.values()],
                    )
                    for i in issuers.values()
                },
                desk=client_id,
                desk_regulations=[find(r) for r in desk_regulations],
                legal_basis=desk_legal_basis,
            )
        )
        desk_context = build_verifier_context(desk_settings, trust=trust, **clock_kwargs)
        wallet_context = build_wallet_context(wallet_settings, trust=trust, **clock_kwargs)
        runs: dict[str, Running] = {}
        for (app, listener, name), issuer in zip(apps, issuers.values(), strict=True):
            issuer.run = stack.enter_context(serving(app, listener, name=f"issuer {name}"))
            runs.setdefault("issuer", issuer.run)
        runs["verifier"] = stack.enter_context(
            serving(
                build_verifier_app(desk_settings, context=desk_context),
                desk_socket,
                name="verifier",
            )
        )
        runs["wallet"] = stack.enter_context(
            serving(
                build_wallet_app(wallet_settings, context=wallet_context),
                wallet_socket,
                name="wallet",
            )
        )
        yield Town(
            issuers,
            desk_url,
            wallet_url,
            desk_context,
            wallet_context,
            runs,
            subjects=strict.subjects if strict else None,
        )


@dataclass(frozen=True)
class StrictHaip:
    """The settings that put every role of the town in strict HAIP 1.0 mode.

    The wallet service is the wallet provider: its development identity is made first, so
    the agencies can be told its root (``wallet_provider_roots_file``, HAIP §4.4.1, §4.5.1).
    The agencies' chains leave their roots out (HAIP §6.1.1), so the desk and the wallet
    read them from ``issuer_ca_file``, and the desk asks by ``trusted_authorities`` for them.
    """

    subjects: Path
    issuer_cas: Path
    issuer: dict[str, Any]
    desk: dict[str, Any]
    wallet: dict[str, Any]

    @classmethod
    def prepare(cls, data: Path, wallet_url: str, clock: Callable[[], int]) -> StrictHaip:
        wallet_data = data / "wallet"
        provider_settings = _WalletSettings(
            profile=Profile.DEVELOPMENT, public_url=wallet_url, data_dir=wallet_data
        )
        provider = wallet_provider_from_settings(provider_settings, now=clock())
        provider_roots = data / "wallet-provider-roots.pem"
        write_certificates(provider_roots, provider.identity.anchors)
        subjects, issuer_cas = data / "subjects", data / "issuer-cas.pem"
        subjects.mkdir(parents=True, exist_ok=True)
        return cls(
            subjects,
            issuer_cas,
            issuer={
                "haip": True,
                "wallet_provider_roots_file": provider_roots,
                "authenticator": "development",
                "subject_source_dir": subjects,
            },
            desk={"haip": True, "response_enc": "A256GCM", "issuer_ca_file": issuer_cas},
            wallet={
                "haip": True,
                "issuer_ca_file": issuer_cas,
                "redirect_uri": f"{wallet_url}/app/issued",
            },
        )

    def trust_issuers(self, contexts: Sequence[IssuerContext]) -> None:
        """The agencies' CA roots, for the desk and the wallet; the desk names their key
        identifiers in ``trusted_authorities`` (HAIP §5)."""
        roots = [root for context in contexts if (root := _ca_root(context.keys.active))]
        write_certificates(self.issuer_cas, tuple(roots))
        self.desk["trusted_authority_akis"] = sorted(chain_key_identifiers(roots))


def _ca_root(signer: JwsSigner) -> x509.Certificate | None:
    """The self-signed root at the end of an agency's chain (its development CA)."""
    if not isinstance(signer, CertifiedSigner) or anchor_key_ref(signer) is None:
        return None
    return signer.certificates[-1]


def _key_refs(context: IssuerContext) -> list[str]:
    """What governance registers for an agency: its CA's root, or else its keys."""
    root = anchor_key_ref(context.keys.active)
    return [root] if root else [k.thumbprint() for k in context.keys.published]


def _system_clock() -> int:
    return int(time.time())
