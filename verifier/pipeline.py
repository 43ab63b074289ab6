"""From a wallet's ``vp_token`` to the facts a regulation is evaluated on (DESIGN §1 verifier/).

For every presentation, in this order (each step refuses with its own reason):

1. parse with limits (``specs.sd_jwt`` caps);
2. the issuer is in the trust registry at all: the key resolver refuses an unlisted ``iss``
   before any fetch, so a presentation cannot steer the verifier's outbound requests;
3. the issuer's signature, and the SD-JWT VC rules (``verify_sd_jwt_vc``). With ``x5c``
   (HAIP §6.1.1) the key is the leaf of a chain that must end in a root the registry lists
   for this issuer (``specs.sd_jwt_vc.x5c_anchored``; nothing is fetched); without it, a
   key from the issuer's JWT VC Issuer Metadata (fetched through the safe fetcher, cached);
4. the issuer may attest this ``vct`` now, with this key (``check_issuer``: the key's
   thumbprint, or the key reference of the chain's root);
5. key binding: KB-JWT required, ``nonce`` ours, ``aud`` our full client identifier,
   ``iat`` within the window, ``sd_hash`` (OpenID4VP 1.0 Appendix B.3.6; RFC 9901 §7.3);
6. ``transaction_data_hashes`` in the KB-JWT cover our purpose (§8.4, Appendix B.3.3);
7. status: the Status List Token at the credential's ``status.status_list.uri``, fetched
   through the safe fetcher and cached until its ``ttl``, its key from its own ``x5c``
   anchored like the credential's (HAIP §6.1) or else from the issuer's metadata;
   anything but VALID refuses, and
   so does a credential without a status reference (``require_status``, on by default);

then for the whole answer:

8. DCQL re-checked by the verifier against its own query (§6.4): never the wallet's word;
9. every credential is bound to the same holder key (no combining two people's credentials).

The trust registry or a status list that cannot be read within its allowed staleness is not
a defect of the presentation: ``CannotVerify`` is raised and the decision is "undetermined:
cannot verify" (never eligible), so the desk can ask again later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from runtime.fetch_guard import FetchRefused
from runtime.issuer_metadata import fetch_issuer_keys
from specs.errors import (
    Oid4vpReason,
    Rejected,
    SdJwtVcReason,
    StatusListReason,
    TrustReason,
)
from specs.jose import JwsAlg, KeyResolver, PublicJwk
from specs.oid4vp.dcql import DcqlQuery
from specs.oid4vp.dcql_match import PresentedCredential, check_presentation, disclosed_paths
from specs.oid4vp.transaction_data import check_transaction_data_hashes
from specs.oid4vp.trusted_authorities import chain_key_identifiers
from specs.rules import HeldCredential
from specs.sd_jwt import KeyBindingRequired
from specs.sd_jwt_vc import (
    AnchoredChain,
    AnchoredX5cResolver,
    JwtVcIssuerMetadataResolver,
    VerifiedSdJwtVc,
    verify_anchored_chain,
    verify_sd_jwt_vc,
)
from specs.status_list import HerdConcern, StatusType, size_concerns, uri_concerns
from specs.status_list.reference import StatusReference
from specs.status_list.token import (
    VerifiedStatusList,
    status_list_token_header,
    verify_status_list_token,
)
from specs.trust import TrustSnapshot, check_issuer
from verifier.caches import ExpiringCache
from verifier.context import VerifierContext

STATUS_LIST_MEDIA_TYPE = "application/statuslist+jwt"
KEY_REFRESH_SECONDS = 60


_log = logging.getLogger("aanspraak.verifier")


class CannotVerify(Exception):
    """A dependency (registry, status list, issuer metadata) could not be read in time."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


@dataclass(frozen=True, slots=True)
class VerifiedCredential:
    """One presentation that passed steps 1-7; ``claims`` exist only in memory."""

    query_id: str
    issuer: str
    vct: str
    claims: Mapping[str, Any]
    holder: str
    """Thumbprint of the ``cnf`` key."""
    presented: PresentedCredential

    def held(self) -> HeldCredential:
        return HeldCredential(self.issuer, self.vct, self.claims)


@dataclass(frozen=True)
class Expectations:
    nonce: str
    client_id: str
    transaction_data: Sequence[str]
    query: DcqlQuery


async def verify_presentations(
    context: VerifierContext, vp_token: Mapping[str, Sequence[str]], expected: Expectations
) -> list[VerifiedCredential]:
    """Steps 1-9 for a whole ``vp_token``; raises ``Rejected`` or ``CannotVerify``."""
    now = context.clock()
    try:
        snapshot = context.trust.snapshot(now=now)
    except Rejected as exc:
        raise CannotVerify(exc.reason.value) from None
    verified = []
    for query_id, presentations in vp_token.items():
        for token in presentations:
            verified.append(await _verify_one(context, snapshot, query_id, token, expected, now))
    check_presentation(
        expected.query,
        {q: [v.presented for v in verified if v.query_id == q] for q in vp_token},
    )
    if len({v.holder for v in verified}) > 1:
        raise Rejected(Oid4vpReason.HOLDERS_DIFFER)
    return verified


class _KeysNotCached(Exception):
    """The listed issuer's keys must be fetched first (outside the synchronous verification)."""

    def __init__(self, issuer: str) -> None:
        super().__init__(issuer)
        self.issuer = issuer


class _ListedIssuerKeys:
    """The verification's key resolver: the ``iss`` it reads (once, while verifying) must be
    listed in the registry, else refused before any fetch. An ``x5c`` chain is validated to
    a root registered for that issuer (``chain`` keeps it); otherwise the keys come from the
    metadata cache."""

    def __init__(
        self,
        snapshot: TrustSnapshot,
        cache: ExpiringCache[JwtVcIssuerMetadataResolver],
        roots: Sequence[x509.Certificate],
    ):
        self._snapshot, self._cache, self._roots = snapshot, cache, roots
        self.issuer: str | None = None
        self.chain: AnchoredChain | None = None

    def resolve_key(
        self, header: Mapping[str, Any], payload: Mapping[str, Any], *, now: int
    ) -> PublicJwk:
        issuer = payload.get("iss")
        if not isinstance(issuer, str) or issuer not in self._snapshot.issuers:
            raise Rejected(TrustReason.ISSUER_NOT_REGISTERED)
        if "x5c" in header:
            self.chain = verify_anchored_chain(
                header["x5c"],
                issuer=issuer,
                registered_key_refs=self._snapshot.issuers[issuer].key_refs,
                roots=self._roots,
                now=now,
            )
            self.issuer = issuer
            return self.chain.key
        keys = self._cache.peek(issuer)
        if keys is None:
            raise _KeysNotCached(issuer)
        self.issuer = issuer
        return keys.resolve_key(header, payload, now=now)


async def _verify_one(  # noqa: PLR0917 - one private step of verify_presentations
    context: VerifierContext,
    snapshot: TrustSnapshot,
    query_id: str,
    token: str,
    expected: Expectations,
    now: int,
) -> VerifiedCredential:
    settings = context.settings
    resolver = _ListedIssuerKeys(snapshot, context.issuer_keys, context.issuer_roots)

    def verify() -> VerifiedSdJwtVc:
        return verify_sd_jwt_vc(
            token,
            issuer_keys=resolver,
            key_binding=KeyBindingRequired(
                nonce=expected.nonce,
                audience=expected.client_id,
                max_age=settings.kb_max_age_seconds,
                leeway=settings.clock_leeway_seconds,
            ),
            now=now,
            leeway=settings.clock_leeway_seconds,
            allow_http=context.development,
        )

    try:
        credential = verify()
    except _KeysNotCached as missing:  # first sight of this issuer (or its entry expired)
        await _issuer_keys(context, missing.issuer)
        credential = verify()
    except Rejected as exc:
        # A kid not in the cached metadata may be a key the issuer published since: fetch
        # again, at most once per KEY_REFRESH_SECONDS per issuer, and verify once more.
        issuer = resolver.issuer
        if exc.reason is not SdJwtVcReason.ISSUER_KEY_NOT_FOUND or issuer is None:
            raise
        if not context.issuer_keys.forget_if_older(issuer, KEY_REFRESH_SECONDS):
            raise
        await _issuer_keys(context, issuer)
        credential = verify()
    issuer, chain = resolver.issuer, resolver.chain
    assert issuer is not None  # the resolver ran, or verification had refused
    check_issuer(
        snapshot,
        issuer=issuer,
        vct=credential.vct,
        key_refs=[chain.key_ref if chain else credential.sd_jwt.issuer_key.thumbprint()],
        # Trust is decided at the later of our clock and the registry's block time: a node's
        # blocks may run slightly ahead of this host's clock (it is trusted by configuration).
        now=max(now, snapshot.as_of),
    )
    binding = credential.sd_jwt.key_binding
    assert binding is not None  # KeyBindingRequired: verify_sd_jwt_vc refused otherwise
    check_transaction_data_hashes(binding.claims, expected.transaction_data)
    if credential.status is not None:
        await _check_status(context, snapshot, issuer, credential.status, now)
    elif settings.require_status:
        raise Rejected(StatusListReason.STATUS_MISSING)
    presented = PresentedCredential(
        query_id=query_id,
        format="dc+sd-jwt",
        vct=credential.vct,
        claims=credential.claims,
        disclosed_paths=disclosed_paths(credential.sd_jwt),
        authority_key_ids=chain_key_identifiers(chain.certificates) if chain else frozenset(),
    )
    holder = binding.holder_key.thumbprint()  # the cnf key the KB-JWT was verified with
    claims = credential.claims
    return VerifiedCredential(query_id, issuer, credential.vct, claims, holder, presented)


async def _issuer_keys(context: VerifierContext, issuer: str) -> JwtVcIssuerMetadataResolver:
    ttl = context.settings.issuer_metadata_ttl_seconds

    async def load() -> tuple[JwtVcIssuerMetadataResolver, int]:
        try:
            keys = await fetch_issuer_keys(context.fetcher, issuer, allow_http=context.development)
        except FetchRefused as exc:
            raise CannotVerify(f"issuer-metadata-{exc.reason.value}") from None
        return keys, context.clock() + ttl

    return await context.issuer_keys.get(issuer, load)


async def _status_list_keys(
    context: VerifierContext, snapshot: TrustSnapshot, issuer: str, token: str
) -> KeyResolver:
    """The Status List Token's own ``x5c``, anchored in a root registered for the
    credential's issuer (HAIP §6.1); without one, the issuer's metadata keys."""
    if "x5c" in status_list_token_header(token):
        entry = snapshot.issuers[issuer]
        return AnchoredX5cResolver(
            issuer=issuer, registered_key_refs=entry.key_refs, roots=context.issuer_roots
        )
    return await _issuer_keys(context, issuer)


async def _check_status(
    context: VerifierContext,
    snapshot: TrustSnapshot,
    issuer: str,
    reference: StatusReference,
    now: int,
) -> None:
    """Token Status List §8.3: fetch (safely), verify, look up; only VALID passes."""
    settings = context.settings

    async def load() -> tuple[VerifiedStatusList, int]:
        _flag_herd_privacy(issuer, uri_concerns(reference.uri))
        try:
            fetched = await context.fetcher.get(reference.uri, accept=STATUS_LIST_MEDIA_TYPE)
            token = fetched.body.decode("ascii", errors="replace")
            status_list = verify_status_list_token(
                token,
                key=await _status_list_keys(context, snapshot, issuer, token),
                expected_uri=reference.uri,
                now=context.clock(),
                leeway=settings.clock_leeway_seconds,
                algorithms=frozenset({JwsAlg.ES256}),
                max_age=settings.status_list_max_age_seconds,
            )
        except FetchRefused as exc:
            raise CannotVerify(f"status-list-{exc.reason.value}") from None
        except Rejected as exc:
            # Whatever is wrong with the list (a bad signature, an unregistered CA, a bomb)
            # is wrong with the list, not with the credential: its status is unknown, so the
            # answer is "cannot verify", never eligible and never a verdict on the citizen
            # (THREATS T-01, T-06: a broken or forged list must not revoke a good credential).
            raise CannotVerify(exc.reason.value) from None
        _flag_herd_privacy(issuer, size_concerns(len(status_list.status_list)))
        return status_list, status_list.usable_until()

    status_list = await context.status_lists.get(reference.uri, load)
    status = status_list.status_of(reference)
    if status == StatusType.VALID:
        return
    if status == StatusType.INVALID:
        raise Rejected(StatusListReason.REVOKED)
    if status == StatusType.SUSPENDED:
        raise Rejected(StatusListReason.SUSPENDED)
    raise Rejected(StatusListReason.NOT_VALID)


def _flag_herd_privacy(issuer: str, concerns: tuple[HerdConcern, ...]) -> None:
    """Token Status List §13.2: a list that could tell its issuer whose credential is
    checked is flagged for the operator (``specs.status_list.herd``), not refused. Logged
    once per list fetched, not per presentation, and never with the uri itself (its query
    may name the holder)."""
    if concerns:
        _log.warning("status list of %s lacks herd privacy: %s", issuer, ", ".join(concerns))
