"""Signing the credentials of one response: SD-JWT VC (``dc+sd-jwt``) per holder key.

Per credential of a batch (DESIGN §5, OID4VCI 1.0 §8.2 batch of one-time credentials):
its own holder key in ``cnf`` (from its own proof), its own random status index, fresh
salts for every Disclosure. ``iat``, ``nbf`` and ``exp`` are rounded down to the configured
granularity so the credentials of a batch, and of different citizens issued the same day,
cannot be told apart by time (SD-JWT VC §2.2.2 leaves the precision to the issuer).

Claims the Type Metadata marks ``sd: never`` and the registered claims stay in the signed
payload; every other claim, and every derived predicate claim, is a Disclosure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from issuer.certificates import jose_header
from issuer.configurations import Configuration
from issuer.status_lists import Allocation
from specs.jose import JwsSigner, PublicJwk
from specs.rules.predicates import evaluate_predicates
from specs.sd_jwt import mark_all_disclosable
from specs.sd_jwt_vc import PLAIN_BY_DEFAULT, issue_sd_jwt_vc


@dataclass(frozen=True, slots=True)
class Validity:
    issued_at: int
    expires_at: int

    @classmethod
    def rounded(cls, now: int, *, granularity: int, days: int) -> Validity:
        start = now - now % granularity
        return cls(start, start + days * 86_400)


def credential_payload(configuration: Configuration, claims: Mapping[str, Any]) -> dict[str, Any]:
    """The claims with the derived predicate claims added, disclosure marks applied.

    The configuration's predicates were found in the regulations once, at start.
    """
    derived = evaluate_predicates(configuration.predicates, claims)
    body = dict(claims)
    for path, answer in derived.items():
        body[str(path[0])] = answer
    return mark_all_disclosable(body, keep_plain=PLAIN_BY_DEFAULT | configuration.plain_claims)


def sign_batch(
    payload: Mapping[str, Any],
    *,
    vct: str,
    issuer_id: str,
    signer: JwsSigner,
    holder_keys: Sequence[PublicJwk],
    allocations: Sequence[Allocation],
    status_uri: Callable[[int], str],
    validity: Validity,
    random_bytes: Callable[[int], bytes],
    allow_http: bool = False,
) -> list[str]:
    """One SD-JWT VC per holder key; ``allocations[i]`` is the status entry of credential i."""
    if len(holder_keys) != len(allocations):
        raise ValueError("one status allocation per holder key")
    header = jose_header(signer)  # kid, and x5c when the key is certified (HAIP §6.1.1)
    issued = []
    for holder_key, allocation in zip(holder_keys, allocations, strict=True):
        registered = {
            "iss": issuer_id,
            "iat": validity.issued_at,
            "nbf": validity.issued_at,
            "exp": validity.expires_at,
            "status": {
                "status_list": {"idx": allocation.index, "uri": status_uri(allocation.list_id)}
            },
        }
        credential = issue_sd_jwt_vc(
            {**payload, **registered},
            vct=vct,
            issuer_key=signer,
            random_bytes=random_bytes,
            holder_key=holder_key,
            extra_header=header,
            allow_http=allow_http,
        )
        issued.append(credential.token)
    return issued
