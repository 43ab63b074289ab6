"""Everything a request handler needs, built once per process from ``VerifierSettings``."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import x509

from runtime.api_keys import ApiKeyStore
from runtime.database import Database, engine_for
from runtime.dev_ca import load_certificate_chain
from runtime.fetch_guard import Origin, parse_origin
from runtime.fetcher import SafeFetcher
from runtime.key_files import KeyFileError
from runtime.regulations import catalogue
from runtime.sealing import Sealer, load_or_create_key
from runtime.settings import Profile
from specs.rules import CompiledRegulation
from specs.sd_jwt_vc import JwtVcIssuerMetadataResolver
from specs.status_list.token import VerifiedStatusList
from trust.registry import TrustRegistry
from verifier.caches import ExpiringCache
from verifier.identity import RESPONSE_PATH, VerifierIdentity, load_identity
from verifier.settings import VerifierSettings
from verifier.tables import api_keys

Clock = Callable[[], int]
API_KEY_PREFIX = "avk_"


def system_clock() -> int:
    return int(time.time())


@dataclass
class VerifierContext:
    settings: VerifierSettings
    database: Database
    identity: VerifierIdentity
    sealer: Sealer
    token_key: bytes
    """Derives each transaction's request_id, state and nonce (``transaction_secrets``)."""
    trust: TrustRegistry
    fetcher: SafeFetcher
    clock: Clock = system_clock
    issuer_roots: tuple[x509.Certificate, ...] = ()
    """Issuer CA roots for ``x5c`` chains that leave their root out (HAIP §6.1.1); each
    counts only for an issuer whose registry entry lists its key reference."""
    issuer_keys: ExpiringCache[JwtVcIssuerMetadataResolver] = field(init=False)
    status_lists: ExpiringCache[VerifiedStatusList] = field(init=False)

    def __post_init__(self) -> None:
        self.issuer_keys = ExpiringCache(self.clock)
        self.status_lists = ExpiringCache(self.clock)

    @property
    def development(self) -> bool:
        """The development profile: plain-HTTP URLs on loopback are allowed (DESIGN §4)."""
        return self.settings.profile is Profile.DEVELOPMENT

    @property
    def client_id(self) -> str:
        return self.identity.client_id

    @property
    def response_uri(self) -> str:
        return self.settings.public_url + RESPONSE_PATH

    def url(self, path: str) -> str:
        return f"{self.settings.public_url}{path}"

    @property
    def redirect_origins(self) -> frozenset[Origin]:
        """Where a same-device flow may return the citizen: this service (its desk page) and
        the configured ``redirect_origins``."""
        own = parse_origin(_origin_text(self.settings.public_url))
        return frozenset({own, *(parse_origin(o) for o in self.settings.redirect_origins)})

    @property
    def api_keys(self) -> ApiKeyStore:
        return ApiKeyStore(
            self.database,
            api_keys,
            scope_column="regulations",
            prefix=API_KEY_PREFIX,
            clock=self.clock,
            refusal="a valid desk API key is required",
        )

    def regulations(self) -> dict[str, list[CompiledRegulation]]:
        """The regulations this desk decides, every version, by id."""
        wanted = set(self.settings.regulations)
        found: dict[str, list[CompiledRegulation]] = {}
        for compiled in catalogue():
            if not wanted or compiled.regulation.id in wanted:
                found.setdefault(compiled.regulation.id, []).append(compiled)
        return found

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC).date()


def _origin_text(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def load_storage_key(settings: VerifierSettings) -> bytes:
    path = settings.storage_key_path
    if settings.profile is not Profile.DEVELOPMENT and not path.exists():
        raise KeyFileError(f"{path}: no storage key (provision one; see docs/verifier.md)")
    try:
        return load_or_create_key(path)
    except (OSError, ValueError) as error:
        raise KeyFileError(f"{path}: not a usable storage key") from error


def derived_key(storage_key: bytes, purpose: bytes) -> bytes:
    """One key per purpose from the storage key, so no key serves two uses."""
    return hashlib.sha256(b"aanspraak verifier " + purpose + b"\x00" + storage_key).digest()


def build_context(
    settings: VerifierSettings,
    *,
    trust: TrustRegistry,
    clock: Clock = system_clock,
    fetcher: SafeFetcher | None = None,
) -> VerifierContext:
    identity = load_identity(settings, now=clock)  # the signing key is the first to name
    storage_key = load_storage_key(settings)
    return VerifierContext(
        settings=settings,
        database=Database(engine_for(settings)),
        identity=identity,
        sealer=Sealer(derived_key(storage_key, b"sealing")),
        token_key=derived_key(storage_key, b"tokens"),
        trust=trust,
        fetcher=fetcher or SafeFetcher.for_settings(settings),
        clock=clock,
        issuer_roots=_issuer_roots(settings),
    )


def _issuer_roots(settings: VerifierSettings) -> tuple[x509.Certificate, ...]:
    path = settings.issuer_ca_file
    return () if path is None else load_certificate_chain(path)
