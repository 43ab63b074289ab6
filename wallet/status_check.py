"""Is what the wallet holds still valid? The Token Status List of each credential.

The wallet fetches each issuer's status list (Token Status List §8.3) through the safe
fetcher and verifies it with the issuer's keys, exactly as a desk would: a token with
``x5c`` (HAIP §6.1) by that chain, anchored in a root the registry lists for the issuer;
otherwise by the keys of the issuer's metadata. Status lists are
shared by every holder of the issuer's credentials, so fetching one tells the issuer
nothing about this citizen (DESIGN §5: no phone-home). A batch is revoked or suspended when
any of its instances is; such a batch no longer counts for discovery or answers desks, and
the change in outcomes becomes a "Note: ..." like a new credential would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.fetch_guard import FetchRefused
from runtime.fetcher import SafeFetcher
from runtime.issuer_metadata import fetch_issuer_keys
from specs.errors import Rejected
from specs.jose import JwsAlg, KeyResolver
from specs.sd_jwt import open_sd_jwt
from specs.sd_jwt_vc import AnchoredX5cResolver
from specs.status_list import (
    StatusType,
    parse_status_reference,
    status_list_token_header,
    verify_status_list_token,
)
from specs.status_list.token import VerifiedStatusList
from wallet.context import WalletContext
from wallet.device_auth import Session
from wallet.holdings import BATCH, Instance
from wallet.tables import batches

STATUS_LIST_MEDIA_TYPE = "application/statuslist+jwt"
MAX_AGE_SECONDS = 7 * 86_400
"""A list older than this says nothing: the batch's status is ``unknown``, not valid."""

VALID, REVOKED, SUSPENDED, UNKNOWN = "valid", "revoked", "suspended", "unknown"


@dataclass
class _Lists:
    fetcher: SafeFetcher
    context: WalletContext
    keys: dict[str, KeyResolver | None]
    lists: dict[str, VerifiedStatusList | None]

    async def issuer_keys(self, issuer: str) -> KeyResolver | None:
        if issuer not in self.keys:
            try:
                self.keys[issuer] = await fetch_issuer_keys(
                    self.fetcher, issuer, allow_http=self.context.development
                )
            except (FetchRefused, Rejected):
                self.keys[issuer] = None
        return self.keys[issuer]

    async def token_keys(self, issuer: str, token: str) -> KeyResolver | None:
        """The token's ``x5c`` anchored in the issuer's registered roots, else its metadata."""
        if "x5c" not in status_list_token_header(token):
            return await self.issuer_keys(issuer)
        # A registry that cannot be read refuses (Rejected): the status is then unknown.
        entry = self.context.trust.snapshot(now=self.context.clock()).issuers.get(issuer)
        registered = entry.key_refs if entry is not None else frozenset()
        return AnchoredX5cResolver(
            issuer=issuer, registered_key_refs=registered, roots=self.context.issuer_roots
        )

    async def status_list(self, uri: str, issuer: str) -> VerifiedStatusList | None:
        if uri not in self.lists:
            try:
                fetched = await self.fetcher.get(uri, accept=STATUS_LIST_MEDIA_TYPE)
                token = fetched.body.decode("ascii", errors="replace")
                keys = await self.token_keys(issuer, token)
                if keys is None:
                    self.lists[uri] = None
                    return None
                self.lists[uri] = verify_status_list_token(
                    token,
                    key=keys,
                    expected_uri=uri,
                    now=self.context.clock(),
                    leeway=30,
                    algorithms=frozenset({JwsAlg.ES256}),
                    max_age=MAX_AGE_SECONDS,
                )
            except (FetchRefused, Rejected):
                self.lists[uri] = None
        return self.lists[uri]


async def batch_statuses(context: WalletContext, found: list[Instance]) -> dict[str, str]:
    """Each batch's status (``valid``, ``revoked``, ``suspended`` or ``unknown``)."""
    statuses: dict[str, str] = {}
    async with SafeFetcher(context.fetch_policy, transport=context.transport) as fetcher:
        lists = _Lists(fetcher, context, {}, {})
        for instance in found:
            status = await _status_of(lists, instance)
            previous = statuses.get(instance.batch_id, VALID)
            statuses[instance.batch_id] = _worse(previous, status)
    return statuses


async def _status_of(lists: _Lists, instance: Instance) -> str:
    claims = open_sd_jwt(instance.token).processed.claims
    if "status" not in claims:
        return VALID  # nothing to revoke it by (the desk decides whether it accepts that)
    try:
        reference = parse_status_reference(claims["status"], allow_http=lists.context.development)
    except Rejected:
        return UNKNOWN
    status_list = await lists.status_list(reference.uri, instance.issuer)
    if status_list is None:
        return UNKNOWN
    return _NAMES.get(status_list.status_of(reference), REVOKED)


_NAMES: dict[int, str] = {int(StatusType.VALID): VALID, int(StatusType.SUSPENDED): SUSPENDED}
"""Any other status (INVALID, or one we do not know) withdraws the credential."""
_SEVERITY = {VALID: 0, UNKNOWN: 1, SUSPENDED: 2, REVOKED: 3}


def _worse(a: str, b: str) -> str:
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


async def set_statuses(
    connection: AsyncConnection, session: Session, statuses: Mapping[str, str]
) -> dict[str, tuple[str, str]]:
    """Record each batch's checked status (sealed); the batches whose status changed, with
    (before, after)."""
    changed: dict[str, tuple[str, str]] = {}
    for batch_id, status in statuses.items():
        row = (
            await connection.execute(
                select(batches.c.sealed).where(
                    batches.c.id == batch_id, batches.c.account_id == session.account_id
                )
            )
        ).one_or_none()
        if row is None:
            continue
        details = session.vault.open(BATCH, batch_id, row.sealed)
        before = str(details.get("status", "valid"))
        if before == status:
            continue
        details["status"] = status
        await connection.execute(
            update(batches)
            .where(batches.c.id == batch_id)
            .values(sealed=session.vault.seal(BATCH, batch_id, details))
        )
        changed[batch_id] = (before, status)
    return changed
