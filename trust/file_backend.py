"""The ``file`` trust backend: a signed trust list on disk (DESIGN §1 trust/).

For deployments without a chain, governance publishes the registry as a signed JSON trust
list (``specs.trust.trust_list``) and operators place it at a path. ``FileTrustRegistry``
implements the ``TrustRegistry`` Protocol over that file:

* The file is read only when it changed: its identity (device, inode, size, modification
  and change time in nanoseconds) is compared on every call, which is one ``stat``. An
  unchanged file is not parsed or verified again, but its ``exp`` is checked against
  ``now`` every time, so a cached list never outlives its signature. Publish by renaming a
  new file over the old one: a same-size rewrite in place within one timestamp tick would
  go unnoticed until the next change. A file that failed is read again on the next call,
  because its verdict may depend on ``now`` (``issued-in-future``).
* Reads are bounded: at most ``max_bytes`` + 1 bytes are read, from a regular file only
  (a FIFO or a device could block or never end; THREATS C-05 for the chain's equivalent).
* Fail closed (THREATS R-08). Without a list that verified, every call raises
  ``registry-unavailable``. After one did, a file that goes missing, unreadable, oversized,
  unverifiable, expired or older than the list in use is not trusted; the last good list is
  served for at most ``max_staleness_seconds`` after it last verified (and never past its
  own ``exp``), then every call raises ``registry-stale`` until a good list appears. A
  served copy says so in its ``source`` (``... (cached)``): the provenance R-08 asks for.
* Rollback: a validly signed list whose ``iat`` is older than the one in use is refused,
  so whoever can write the file cannot restore an old list that still names a removed key
  (THREATS R-03). This holds for the life of the process; across restarts ``exp`` bounds it.

The backend raises only reasons of the TRUST_UNAVAILABLE family, as the Protocol promises:
a bad trust list is the registry's fault, never the presented credential's, so it must not
surface as a signature error of the citizen's token. The underlying reason (``expired``,
``bad-signature``, ``registry-entry-malformed``, ...) is chained (``__cause__.reason``),
kept as ``last_error`` and logged once as a slug, without file content.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from specs.errors import JoseReason, Reason, Rejected, TrustReason
from specs.jose import KeyResolver, PublicJwk
from specs.trust import TrustSnapshot
from specs.trust.trust_list import DEFAULT_MAX_TRUST_LIST_BYTES, verify_signed_trust_list

logger = logging.getLogger(__name__)

_FileIdentity = tuple[int, int, int, int, int]
_TOKEN_WHITESPACE = b" \t\r\n"  # a trailing newline from an editor or `echo` is not an error


class _Unusable(Exception):
    """The file at the path cannot be used now; ``reason`` says why (cause chained)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(slots=True)
class _Good:
    """The last list that verified, and when it last did (updated in place, under the lock:
    a cache hit is the steady state and should cost no allocation)."""

    snapshot: TrustSnapshot
    identity: _FileIdentity
    expires: int
    verified_at: int


def _identity(status: os.stat_result) -> _FileIdentity:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


class FileTrustRegistry:
    """``TrustRegistry`` over a signed trust list file; see the module docstring."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        governance_key: PublicJwk | KeyResolver,
        max_staleness_seconds: int,
        *,
        max_bytes: int = DEFAULT_MAX_TRUST_LIST_BYTES,
        leeway: int = 0,
    ) -> None:
        self._path = Path(path)
        self._governance_key = governance_key
        self._max_staleness = max_staleness_seconds
        self._max_bytes = max_bytes
        self._leeway = leeway
        self._good: _Good | None = None
        self._lock = threading.Lock()
        self.last_error: Reason | None = None
        """Why the current file is not in use (``None`` while it is): for operators' health
        checks. ``registry-unavailable`` stands for an unreadable or missing file."""

    def snapshot(self, *, now: int) -> TrustSnapshot:
        """The verified list, re-read when the file changed, or the fail-closed fallback."""
        with self._lock:
            try:
                snapshot = self._current(now)
            except _Unusable as exc:
                return self._fallback(now, exc)
            self.last_error = None
            return snapshot

    def _current(self, now: int) -> TrustSnapshot:
        """The list in the file now, verified at most once per file version."""
        good = self._good
        try:
            identity = _identity(self._path.stat())
        except OSError as exc:
            raise _Unusable(TrustReason.REGISTRY_UNAVAILABLE) from exc
        if good is not None and identity == good.identity:
            if now >= good.expires + self._leeway:
                raise _Unusable(JoseReason.EXPIRED)
            good.verified_at = now
            return good.snapshot
        identity, token = self._read()
        try:
            verified = verify_signed_trust_list(
                token,
                governance_keys=self._governance_key,
                now=now,
                max_bytes=self._max_bytes,
                leeway=self._leeway,
            )
        except Rejected as exc:
            raise _Unusable(exc.reason) from exc
        if good is not None and verified.snapshot.as_of < good.snapshot.as_of:
            # An older list than the one in use: the file is stale, whatever its signature.
            raise _Unusable(TrustReason.REGISTRY_STALE)
        source = f"{verified.snapshot.source} file:{self._path}"
        snapshot = dataclasses.replace(verified.snapshot, source=source)
        self._good = _Good(snapshot, identity, verified.expires_at, now)
        return snapshot

    def _read(self) -> tuple[_FileIdentity, str]:
        """Open once and take the identity from the open file, so the two always match."""
        try:
            # Non-blocking, so a FIFO planted at the path cannot hang the open itself.
            descriptor = os.open(self._path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(descriptor, "rb") as file:
                status = os.fstat(file.fileno())
                if not stat.S_ISREG(status.st_mode):
                    raise _Unusable(TrustReason.REGISTRY_UNAVAILABLE)
                data = file.read(self._max_bytes + 1)
        except OSError as exc:
            raise _Unusable(TrustReason.REGISTRY_UNAVAILABLE) from exc
        if len(data) > self._max_bytes:
            raise _Unusable(JoseReason.TOKEN_TOO_LARGE)
        try:
            token = data.strip(_TOKEN_WHITESPACE).decode("ascii")
        except UnicodeDecodeError:
            raise _Unusable(JoseReason.MALFORMED_JWS) from None
        return _identity(status), token

    def _fallback(self, now: int, unusable: _Unusable) -> TrustSnapshot:
        """The current file is not usable: serve the last good list within bounds, or refuse.

        The refusal chains ``unusable`` (``__cause__.reason``), which chains what it met.
        A reason is logged once when it appears, not on every call while it lasts.
        """
        if unusable.reason != self.last_error:
            logger.warning("trust list %s not usable: %s", self._path, unusable.reason.value)
        self.last_error = unusable.reason
        good = self._good
        if good is None:
            raise Rejected(TrustReason.REGISTRY_UNAVAILABLE) from unusable
        if now - good.verified_at > self._max_staleness or now >= good.expires + self._leeway:
            raise Rejected(TrustReason.REGISTRY_STALE) from unusable
        return dataclasses.replace(good.snapshot, source=f"{good.snapshot.source} (cached)")
