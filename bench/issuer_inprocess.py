"""What is timed in process: the ceiling, the issuer's own work per batch, the service call.

Every subject runs ``iterations`` calls per round; a call issues ``credentials`` credentials
(1 for the ceiling, a batch of 10 for the issuer), so the rates are credentials per second.
The service call consumes one redeemed offer and one fresh c_nonce per call: ``prepare``
makes them (and the wallet's proofs) before the round is timed.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from bench.issuer_ceiling import Ceiling, sd_digests
from bench.issuer_workload import (
    BATCH,
    CLAIMS,
    check_credentials,
    fresh_nonce,
    proofs_for,
    redeemed_offer,
    require,
)
from issuer.context import IssuerContext
from issuer.credentials import Validity, credential_payload, sign_batch
from issuer.issuance import Issued, request_credentials, verify_proofs
from issuer.status_lists import Allocation, status_list_uri
from specs.jose import PrivateJwk, PublicJwk
from specs.oid4vci import CredentialRequest, VerifiedProof


@dataclass
class Subject:
    """One timed path: ``run(n)`` makes ``n`` calls of ``credentials`` credentials each."""

    name: str
    group: str
    run: Callable[[int], object]
    credentials: int
    prepare: Callable[[int], None] = lambda _iterations: None
    iterations: int = 0
    rates: list[float] = field(default_factory=list)
    """Per round, credentials / CPU seconds of this process."""
    wall_rates: list[float] = field(default_factory=list)


def _repeat(call: Callable[[], object]) -> Callable[[int], None]:
    def run(iterations: int) -> None:
        for _ in range(iterations):
            call()

    return run


class InProcess:
    """The issuer's code paths on one context, each checked once before it is timed."""

    def __init__(
        self,
        context: IssuerContext,
        runner: asyncio.Runner,
        *,
        configuration: str,
        holder_keys: list[PrivateJwk],
    ) -> None:
        self.context, self.runner = context, runner
        self.configuration = context.configurations.get(configuration)
        self.holder_keys = holder_keys
        self.now = context.clock()
        self.nonce = fresh_nonce(context)
        self.proofs = proofs_for(
            holder_keys, audience=context.issuer_id, nonce=self.nonce, now=self.now
        )
        self.claims: dict[str, Any] = dict(CLAIMS[configuration])
        size = context.settings.status_list_size
        indices = secrets.SystemRandom().sample(range(size), BATCH)
        self.allocations = [Allocation(1, index) for index in indices]
        self.validity = Validity.rounded(
            self.now,
            granularity=context.settings.timestamp_granularity_seconds,
            days=context.settings.credential_validity_days,
        )
        self.pending: list[tuple[str, CredentialRequest]] = []
        signer = context.keys.active
        if not (
            isinstance(signer, PrivateJwk) and isinstance(signer.key, ec.EllipticCurvePrivateKey)
        ):
            raise SystemExit("bench.issuer: the ceiling needs a local ES256 signing key")
        self.ceiling = Ceiling(self.proofs[0], self.build()[0], signer.key)

    # -- the issuer's own work for a batch, without the database ------------------------
    def verify(self) -> list[VerifiedProof]:
        return verify_proofs(self.context, self.proofs)

    def sign(self, holder_keys: list[PublicJwk]) -> list[str]:
        context = self.context
        return sign_batch(
            credential_payload(self.configuration, self.claims),
            vct=self.configuration.vct,
            issuer_id=context.issuer_id,
            signer=context.keys.active,
            holder_keys=holder_keys,
            allocations=self.allocations,
            status_uri=lambda list_id: status_list_uri(context, list_id),
            validity=self.validity,
            random_bytes=context.random_bytes,
        )

    def build(self) -> list[str]:
        return self.sign([proof.holder_key for proof in self.verify()])

    # -- the full service call, with its database transaction ----------------------------
    def prepare_requests(self, count: int) -> None:
        """``count`` redeemed offers, each with a fresh c_nonce and the wallet's proofs."""
        self.runner.run(self._prepare(count))

    async def _prepare(self, count: int) -> None:
        for _ in range(count):
            offer_id = await redeemed_offer(self.context, self.configuration.id)
            proofs = proofs_for(
                self.holder_keys,
                audience=self.context.issuer_id,
                nonce=fresh_nonce(self.context),
                now=self.now,
            )
            self.pending.append((offer_id, CredentialRequest(self.configuration.id, None, proofs)))

    def serve(self, iterations: int) -> list[Issued]:
        return self.runner.run(self._serve(iterations))

    async def _serve(self, iterations: int) -> list[Issued]:
        issued = []
        for _ in range(iterations):
            offer_id, request = self.pending.pop()
            outcome = await request_credentials(self.context, offer_id, request)
            if not isinstance(outcome, Issued):
                raise SystemExit("bench.issuer: the service deferred instead of issuing")
            issued.append(outcome)
        return issued

    # -- checks and subjects -------------------------------------------------------------
    def check(self) -> None:
        """Every timed path's output, checked once (a broken path is never timed)."""
        issuer_key = self.context.keys.active.public
        holders = [key.public for key in self.holder_keys]
        name, now = self.configuration.id, self.now
        for what, tokens in (("build", self.build()), ("service", self._served_once())):
            check_credentials(
                tokens,
                issuer_key=issuer_key,
                holder_keys=holders,
                configuration=name,
                now=now,
                what=what,
            )
        payload, digests, signature = self.ceiling.issue_one()
        token = self.ceiling.signed_token(signature)
        require(payload["nonce"] == self.nonce, "ceiling: proof payload")
        require(sorted(digests) == sorted(sd_digests(token)), "ceiling: digests")
        complete = self.ceiling.issue_complete()[1]
        require(complete.split("~")[1:] != token.split("~")[1:], "complete ceiling: fresh salts")
        for what, made in (("ceiling", token), ("complete ceiling", complete)):
            check_credentials(
                [made],
                issuer_key=issuer_key,
                holder_keys=holders[:1],
                configuration=name,
                now=now,
                what=what,
            )

    def _served_once(self) -> list[str]:
        self.prepare_requests(1)
        outcome = self.serve(1)[0]
        require(len(outcome.credentials) == BATCH, "service: batch size")
        return outcome.credentials

    def subjects(self) -> list[Subject]:
        holder_keys = [proof.holder_key for proof in self.verify()]
        return [
            Subject("ceiling", "whole", _repeat(self.ceiling.issue_one), 1),
            Subject("complete", "whole", _repeat(self.ceiling.issue_complete), 1),
            Subject("build", "whole", _repeat(self.build), BATCH),
            Subject("service", "whole", self.serve, BATCH, self.prepare_requests),
            Subject("ceiling verify", "verify", _repeat(self.ceiling.verify_proof), 1),
            Subject("verify_proofs", "verify", _repeat(self.verify), BATCH),
            Subject("ceiling sign", "sign", _repeat(self.ceiling.sign_credential), 1),
            Subject("complete sign", "sign", _repeat(self.ceiling.build_credential), 1),
            Subject("payload + sign_batch", "sign", _repeat(lambda: self.sign(holder_keys)), BATCH),
        ]
