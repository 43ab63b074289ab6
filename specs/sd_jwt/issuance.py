"""Issuing an SD-JWT (RFC 9901 §4.1, §4.2, §6).

The caller marks what is selectively disclosable by wrapping values in ``Disclosable``, the
way the spec's examples tag them with ``!sd``. Marks nest: a disclosable object may contain
disclosable members (recursive disclosure, §6.3), and array elements may be marked (§4.2.2).

Digests in ``_sd`` are sorted (§4.2.4.1: "shuffled or sorted" so the order reveals nothing
about the original claim order). Decoy digests (§4.2.5) hide how many claims exist; they
are the hash of a fresh random salt, indistinguishable from real digests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from specs.errors import JoseReason, Rejected, SdJwtReason
from specs.jose import JwsSigner, sign_compact_jws
from specs.sd_jwt.disclosure import (
    DEFAULT_HASH_ALG,
    HASH_ALGORITHMS,
    RESERVED_CLAIM_NAMES,
    Disclosure,
    build_disclosure,
    new_salt,
)

RandomBytes = Callable[[int], bytes]
MAX_DECOYS = 1_000


@dataclass(frozen=True, slots=True)
class Disclosable:
    """Marks a claim value (or an array element) as selectively disclosable."""

    value: Any


@dataclass(frozen=True, slots=True)
class DecoyPolicy:
    """How many decoy digests to add to each ``_sd`` array and each array with disclosures.

    The count is drawn from ``[minimum, maximum]`` with the caller's randomness (32 random
    bits reduced modulo the span: a bias below 2^-16 for any span this allows).
    """

    minimum: int = 0
    maximum: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.minimum <= self.maximum <= MAX_DECOYS:
            raise ValueError(f"DecoyPolicy needs 0 <= minimum <= maximum <= {MAX_DECOYS}")

    def draw(self, random_bytes: RandomBytes) -> int:
        span = self.maximum - self.minimum
        if not span:
            return self.minimum
        return self.minimum + int.from_bytes(random_bytes(4), "big") % (span + 1)


NO_DECOYS = DecoyPolicy()


@dataclass(frozen=True, slots=True)
class IssuedSdJwt:
    """What the issuer produced: the serialization, and its parts for logging-free audit."""

    token: str
    payload: dict[str, Any]
    disclosures: tuple[Disclosure, ...] = field(repr=False)


class _Builder:
    def __init__(self, random_bytes: RandomBytes, hash_alg: str, decoys: DecoyPolicy) -> None:
        self.random_bytes = random_bytes
        self.hash_alg = hash_alg
        self.decoys = decoys
        self.disclosures: list[Disclosure] = []

    def disclose(self, name: str | None, value: Any) -> str:
        disclosure = build_disclosure(
            new_salt(self.random_bytes), name, self.value(value), hash_alg=self.hash_alg
        )
        self.disclosures.append(disclosure)
        return disclosure.digest

    def decoy(self) -> str:
        return build_disclosure(
            new_salt(self.random_bytes), None, None, hash_alg=self.hash_alg
        ).digest

    def value(self, node: Any) -> Any:
        kind = type(node)
        if kind is str or kind is int or kind is bool or node is None:
            return node  # the common leaves first: exact types, no ABC checks
        if kind is dict:
            return self.object(node)
        if isinstance(node, Disclosable):
            raise Rejected(JoseReason.BAD_JSON)  # a mark on a mark: not a JSON value
        if isinstance(node, Mapping):
            return self.object(node)
        if isinstance(node, list | tuple):
            return self.array(node)
        if node is None or isinstance(node, str | int | float | bool):
            return node
        raise Rejected(JoseReason.BAD_JSON)

    def object(self, node: Mapping[Any, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        digests: list[str] = []
        for name, child in node.items():
            if not isinstance(name, str):
                raise Rejected(JoseReason.BAD_JSON)
            if name in RESERVED_CLAIM_NAMES:
                raise Rejected(SdJwtReason.DISCLOSURE_RESERVED_CLAIM_NAME)
            if isinstance(child, Disclosable):
                digests.append(self.disclose(name, child.value))
            else:
                result[name] = self.value(child)
        if digests:
            digests.extend(self.decoy() for _ in range(self.decoys.draw(self.random_bytes)))
            result["_sd"] = sorted(digests)
        return result

    def array(self, node: list[Any] | tuple[Any, ...]) -> list[Any]:
        result: list[Any] = []
        marked = False
        for element in node:
            if isinstance(element, Disclosable):
                result.append({"...": self.disclose(None, element.value)})
                marked = True
            else:
                result.append(self.value(element))
        if marked:
            for _ in range(self.decoys.draw(self.random_bytes)):
                position = int.from_bytes(self.random_bytes(4), "big") % (len(result) + 1)
                result.insert(position, {"...": self.decoy()})
        return result


def issue_sd_jwt(
    claims: Mapping[str, Any],
    *,
    issuer_key: JwsSigner,
    typ: str,
    random_bytes: RandomBytes,
    hash_alg: str = DEFAULT_HASH_ALG,
    decoys: DecoyPolicy = NO_DECOYS,
    extra_header: Mapping[str, Any] | None = None,
) -> IssuedSdJwt:
    """Sign ``claims`` (with ``Disclosable`` marks) and return ``<JWT>~<D1>~...~<Dn>~``.

    ``random_bytes`` must be a CSPRNG in production (``os.urandom``); tests pass a seeded one.
    """
    if hash_alg not in HASH_ALGORITHMS:
        raise Rejected(SdJwtReason.SD_ALG_UNSUPPORTED)
    if isinstance(claims, Disclosable) or not isinstance(claims, Mapping):
        raise Rejected(JoseReason.NOT_A_JSON_OBJECT)
    builder = _Builder(random_bytes, hash_alg, decoys)
    payload = builder.object(claims)
    if builder.disclosures:
        payload["_sd_alg"] = hash_alg
    jwt = sign_compact_jws(payload, key=issuer_key, typ=typ, extra_header=extra_header)
    token = "~".join([jwt, *(d.encoded for d in builder.disclosures)]) + "~"
    return IssuedSdJwt(token, payload, tuple(builder.disclosures))


def mark_all_disclosable(
    claims: Mapping[str, Any], *, keep_plain: frozenset[str]
) -> dict[str, Any]:
    """Mark every claim disclosable, recursively, array elements included.

    Top-level names in ``keep_plain`` stay in the signed payload as they are (SD-JWT VC
    registered claims such as ``iss``, ``vct``, ``cnf``, ``status``).
    """
    return {
        name: value if name in keep_plain else Disclosable(_mark_nested(value))
        for name, value in claims.items()
    }


def _mark_nested(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {name: Disclosable(_mark_nested(child)) for name, child in value.items()}
    if isinstance(value, list):
        return [Disclosable(_mark_nested(element)) for element in value]
    return value
