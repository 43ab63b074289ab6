"""Rebuild the claims from the issuer-signed payload and the Disclosures (RFC 9901 §7.1).

The walk starts at the signed payload and follows digests into Disclosures, never the other
way round, so a Disclosure counts only if the signed payload (or a Disclosure it reaches)
references it. Each rule of §7.1 step 4 is a reason:

* ``_sd`` must be an array of strings; ``{"...": digest}`` is the only array-element
  placeholder, and ``...`` appears nowhere else;
* a digest may occur once in the whole payload, Disclosures included (§7.1 4.3.2);
* an object-property Disclosure may only be referenced from ``_sd``, an array-element one
  only from ``...`` (§7.1 4.3.3, 4.2.3);
* a disclosed name must not already exist at its level (§7.1 4.3.4 / 4.2.4);
* ``_sd_alg`` only at the top level (§4.1.1);
* every Disclosure must be referenced (§7.1 step 5), none may appear twice (§7.1 4.1).

Digests without a Disclosure are decoys or undisclosed claims and are dropped silently.
The result records, for each Disclosure, the claims path it revealed: the holder uses that
to select Disclosures, the SD-JWT VC layer to refuse registered claims that were disclosed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from specs.errors import Rejected, SdJwtReason
from specs.sd_jwt.disclosure import Disclosure
from specs.sd_jwt.limits import SdJwtLimits

ClaimPathElement = str | int
_RESERVED_KEYS = frozenset({"_sd", "_sd_alg", "..."})
RevealedPath = tuple[ClaimPathElement, ...]


class ProcessedPayload(NamedTuple):
    """Claims with every Disclosure applied, and where each Disclosure landed."""

    claims: dict[str, Any]
    revealed_paths: dict[str, RevealedPath]
    """Digest -> claims path of the value that Disclosure revealed."""
    digest_roots: frozenset[str | int]
    """Top-level claims below which the signed payload or a Disclosure holds digests (``_sd``
    or ``...``): the SD-JWT VC layer refuses them under registered claims."""


class _Walk:
    def __init__(self, disclosures: Sequence[Disclosure], limits: SdJwtLimits) -> None:
        self.by_digest: dict[str, Disclosure] = {}
        for disclosure in disclosures:
            if disclosure.digest in self.by_digest:
                raise Rejected(SdJwtReason.DUPLICATE_DISCLOSURE)
            self.by_digest[disclosure.digest] = disclosure
        self.limits = limits
        self.seen: set[str] = set()
        self.revealed: dict[str, RevealedPath] = {}
        self.digest_roots: set[str | int] = set()

    def see(self, digest: str) -> Disclosure | None:
        """Record a digest; each may occur once in the whole payload (§7.1 4.3.2)."""
        if digest in self.seen:
            raise Rejected(SdJwtReason.DUPLICATE_DIGEST)
        self.seen.add(digest)
        return self.by_digest.get(digest)

    def value(self, node: Any, path: RevealedPath, depth: int) -> Any:
        if isinstance(node, dict):
            return self.object(node, path, depth)
        if isinstance(node, list):
            return self.array(node, path, depth)
        return node

    def object(self, node: dict[str, Any], path: RevealedPath, depth: int) -> dict[str, Any]:
        if depth > self.limits.max_depth:
            raise Rejected(SdJwtReason.NESTING_TOO_DEEP)
        result: dict[str, Any] = {}
        for name, child in node.items():
            if name in _RESERVED_KEYS:
                if name == "_sd":
                    continue
                if name == "...":
                    raise Rejected(SdJwtReason.MISPLACED_ELLIPSIS)
                if depth:  # "_sd_alg" (§4.1.1)
                    raise Rejected(SdJwtReason.SD_ALG_NOT_TOP_LEVEL)
                continue
            if isinstance(child, dict | list):
                result[name] = self.value(child, (*path, name), depth + 1)
            else:
                result[name] = child
        if "_sd" in node:
            if path:
                self.digest_roots.add(path[0])
            self.object_digests(node["_sd"], result, path, depth)
        return result

    def object_digests(
        self, digests: Any, result: dict[str, Any], path: RevealedPath, depth: int
    ) -> None:
        if not isinstance(digests, list):
            raise Rejected(SdJwtReason.BAD_SD_ARRAY)
        if len(digests) + len(self.seen) > self.limits.max_digests:
            raise Rejected(SdJwtReason.TOO_MANY_DIGESTS)
        seen, by_digest = self.seen, self.by_digest
        for digest in digests:
            if not isinstance(digest, str):
                raise Rejected(SdJwtReason.BAD_SD_ARRAY)
            if digest in seen:
                raise Rejected(SdJwtReason.DUPLICATE_DIGEST)
            seen.add(digest)
            disclosure = by_digest.get(digest)
            if disclosure is None:
                continue
            name = disclosure.name
            if name is None:
                raise Rejected(SdJwtReason.DISCLOSURE_KIND_MISMATCH)
            if name in result:
                raise Rejected(SdJwtReason.CLAIM_NAME_COLLISION)
            claim_path = (*path, name)
            self.revealed[digest] = claim_path
            result[name] = self.value(disclosure.value, claim_path, depth + 1)

    def array(self, node: list[Any], path: RevealedPath, depth: int) -> list[Any]:
        if depth > self.limits.max_depth:
            raise Rejected(SdJwtReason.NESTING_TOO_DEEP)
        result: list[Any] = []
        for element in node:
            if isinstance(element, dict) and "..." in element:
                digest = element["..."]
                if len(element) != 1 or not isinstance(digest, str):
                    raise Rejected(SdJwtReason.BAD_ARRAY_ELEMENT_PLACEHOLDER)
                if path:
                    self.digest_roots.add(path[0])
                if len(self.seen) >= self.limits.max_digests:
                    raise Rejected(SdJwtReason.TOO_MANY_DIGESTS)
                disclosure = self.see(digest)
                if disclosure is None:
                    continue
                if disclosure.name is not None:
                    raise Rejected(SdJwtReason.DISCLOSURE_KIND_MISMATCH)
                claim_path = (*path, len(result))
                self.revealed[digest] = claim_path
                result.append(self.value(disclosure.value, claim_path, depth + 1))
            else:
                result.append(self.value(element, (*path, len(result)), depth + 1))
        return result


def process_payload(
    payload: dict[str, Any], disclosures: Sequence[Disclosure], *, limits: SdJwtLimits
) -> ProcessedPayload:
    """Apply Disclosures to the signed payload; raises ``Rejected`` on any §7.1 violation."""
    walk = _Walk(disclosures, limits)
    claims = walk.object(payload, (), 0)
    if len(walk.revealed) != len(walk.by_digest):
        raise Rejected(SdJwtReason.UNREFERENCED_DISCLOSURE)
    return ProcessedPayload(claims, walk.revealed, frozenset(walk.digest_roots))
