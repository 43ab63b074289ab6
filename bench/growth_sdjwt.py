"""Verification cost against the size of what is presented: ``bench.growth``'s curves 1 and 2.

1. ``disclosures``: one SD-JWT VC + KB-JWT through ``verify_sd_jwt_vc`` (as
   ``bench.sd_jwt_workload.Ours.verify``), the credential issued with N disclosable
   top-level claims and all N presented. Expected: a fixed cost (two ES256 verifications,
   one on a key imported from ``cnf.jwk``) plus a small per-Disclosure cost (SHA-256,
   base64url, JSON), so growth well under linear.
2. ``credentials``: one whole answer through the verifier's pipeline
   (``verifier.pipeline.verify_presentations``, as ``bench.verifier``'s pipeline row
   without the regulation), for a DCQL query of N Credential Queries, N = 1..5, each asking
   one claim of a different credential. The citizen's credentials are
   ``bench.verifier_workload``'s four (person, health insurance, household income, household
   assets) and a fifth, a rent statement from the ``brp`` agency, added to the trust
   list. Trust, issuer keys and status lists come from the desk's caches, filled by the
   check before timing; a fetch while timing fails the run. Expected: linear (N times the
   per-credential work, one trust snapshot and one DCQL re-check per answer).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.growth_measure import Curve, Subject, points_from, time_subjects
from bench.sd_jwt_workload import AUDIENCE, NONCE, VCT, registered_claims
from bench.verifier_workload import DAY, Held, Workload, require
from issuer.configurations import Configurations
from issuer.credentials import Validity, credential_payload, sign_batch
from issuer.status_lists import Allocation
from runtime.regulations import catalogue
from specs.jose import JwsAlg, StaticKeyResolver, generate_private_key
from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.dcql_match import HeldForQuery, select_credentials
from specs.sd_jwt import Disclosable, KeyBindingRequired, open_sd_jwt, present_sd_jwt
from specs.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from verifier.context import VerifierContext
from verifier.pipeline import Expectations, verify_presentations

DISCLOSURES = (1, 2, 5, 10, 20, 50, 100)
CREDENTIALS = (1, 2, 3, 4, 5)
AGENCIES_ORIGIN = "http://127.0.0.1:8013"
"""Never listened on: the desk reaches the agencies through an ASGI transport."""
DESK_URL = "http://127.0.0.1:8003"
RENT = {  # scenario huurtoeslag ``one_person_rent_700_income_25000``
    "basic_rent_cents": 70_000,
    "service_costs_cents": 2_500,
    "independent_dwelling": True,
    "reference_date": "2026-01-01",
}
ASKED = {  # per credential (in the order of CREDENTIALS), the one claim its query asks
    "urn:nl:brp:person:1": "age_years",
    "urn:nl:zorgverzekeraar:health-insurance:1": "insured",
    "urn:nl:belastingdienst:household-income:1": "joint_assessed_income_cents",
    "urn:nl:belastingdienst:household-assets:1": "joint_assets_cents",
    "urn:nl:huur:rent-statement:1": "basic_rent_cents",
}


def disclosure_curve(sizes: Sequence[int], *, rounds: int, seconds: float) -> Curve:
    issuer, holder = generate_private_key(JwsAlg.ES256), generate_private_key(JwsAlg.ES256)
    now = int(time.time())
    resolver = StaticKeyResolver(issuer.public)
    policy = KeyBindingRequired(nonce=NONCE, audience=AUDIENCE)

    def verify(presentation: str) -> dict[str, Any]:
        return verify_sd_jwt_vc(
            presentation, issuer_keys=resolver, key_binding=policy, now=now
        ).claims

    subjects = []
    for size in sizes:
        values = {f"claim_{i:03}": f"value of claim {i}" for i in range(size)}
        claims = {**registered_claims(now), **{k: Disclosable(v) for k, v in values.items()}}
        token = issue_sd_jwt_vc(
            claims, vct=VCT, issuer_key=issuer, holder_key=holder.public, random_bytes=os.urandom
        ).token
        presentation = present_sd_jwt(
            open_sd_jwt(token),
            disclose=[(name,) for name in values],
            holder_key=holder,
            nonce=NONCE,
            audience=AUDIENCE,
            now=now,
        )
        verified = verify(presentation)
        require(presentation.count("~") == size + 1, f"{size} Disclosures presented")
        require(all(verified[k] == v for k, v in values.items()), f"{size}: claims verified")

        def run(iterations: int, presentation: str = presentation) -> None:
            for _ in range(iterations):
                verify(presentation)

        subjects.append(Subject(size, run))
    times = time_subjects(subjects, rounds=rounds, seconds=seconds)
    return Curve(
        "disclosures",
        "SD-JWT VC + KB verification against Disclosures presented",
        "disclosures",
        "cpu",
        points_from(sizes, times),
        ["verify_sd_jwt_vc with KeyBindingRequired; N disclosable claims, all presented"],
    )


def add_rent_statement(workload: Workload) -> None:
    """A fifth credential for the same holder, from ``brp``; the trust list lists it."""
    now = int(time.time())
    configuration = Configurations.offered(["rent"], regulations=catalogue()).get("rent")
    agency = workload.agencies.by_name["brp"]
    token = sign_batch(
        credential_payload(configuration, RENT),
        vct=configuration.vct,
        issuer_id=agency.issuer,
        signer=agency.key,
        holder_keys=[workload.holder.public],
        allocations=[Allocation(1, len(workload.held))],
        status_uri=agency.status_list_uri,
        validity=Validity.rounded(now, granularity=DAY, days=365),
        random_bytes=os.urandom,
        allow_http=True,
    )[0]
    workload.held.append(Held(token, configuration.vct, agency, open_sd_jwt(token)))
    workload.write_trust_list(now)


def answer(
    workload: Workload, context: VerifierContext, count: int
) -> tuple[dict[str, list[str]], Expectations]:
    """The wallet's answer to a query for the first ``count`` credentials, one claim each."""
    chosen = workload.held[:count]
    query = parse_dcql_query(
        {
            "credentials": [
                {
                    "id": f"c{i}",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [held.vct]},
                    "claims": [{"path": [ASKED[held.vct]]}],
                }
                for i, held in enumerate(chosen)
            ]
        }
    )
    nonce, now = f"growth-{count}-{os.urandom(8).hex()}", int(time.time())
    candidates = [
        HeldForQuery(i, "dc+sd-jwt", held.vct, held.view.processed.claims)
        for i, held in enumerate(chosen)
    ]
    vp_token: dict[str, list[str]] = {}
    for query_id, selections in select_credentials(query, candidates).items():
        for selection in selections:
            held = chosen[int(str(selection.ref))]
            vp_token.setdefault(query_id, []).append(
                present_sd_jwt(
                    held.view,
                    disclose=list(selection.disclose),
                    holder_key=workload.holder,
                    nonce=nonce,
                    audience=context.client_id,
                    now=now,
                )
            )
    return vp_token, Expectations(nonce, context.client_id, [], query)


def credentials_curve(sizes: Sequence[int], *, rounds: int, seconds: float) -> Curve:
    with tempfile.TemporaryDirectory(prefix="aanspraak-growth-") as scratch:
        workload = Workload.create(Path(scratch), AGENCIES_ORIGIN)
        add_rent_statement(workload)
        context = workload.context(workload.settings(DESK_URL))
        with asyncio.Runner() as runner:
            try:
                return _credentials_curve(workload, context, runner, sizes, rounds, seconds)
            finally:
                runner.run(context.fetcher.aclose())
                runner.run(context.database.engine.dispose())


def _credentials_curve(  # noqa: PLR0917 - the private half of credentials_curve
    workload: Workload,
    context: VerifierContext,
    runner: asyncio.Runner,
    sizes: Sequence[int],
    rounds: int,
    seconds: float,
) -> Curve:
    subjects = []
    for size in sizes:
        vp_token, expected = answer(workload, context, size)
        verified = runner.run(verify_presentations(context, vp_token, expected))
        require(len(verified) == size, f"{size} credentials verified")
        require(all(ASKED[v.vct] in v.claims for v in verified), f"{size}: asked claims")

        async def loop(iterations: int, vp: dict[str, list[str]], ex: Expectations) -> None:
            for _ in range(iterations):
                await verify_presentations(context, vp, ex)

        def run(
            iterations: int, vp: dict[str, list[str]] = vp_token, ex: Expectations = expected
        ) -> None:
            runner.run(loop(iterations, vp, ex))

        subjects.append(Subject(size, run))
    fetched = workload.agencies.fetches
    times = time_subjects(subjects, rounds=rounds, seconds=seconds)
    require(workload.agencies.fetches == fetched, "nothing fetched while timing")
    return Curve(
        "credentials",
        "Presentation verification (verifier pipeline) against credentials per answer",
        "credentials",
        "cpu",
        points_from(sizes, times),
        [
            "verify_presentations: trust, issuer keys, SD-JWT VC + KB, check_issuer, status "
            "(cached), DCQL re-check, one holder; one claim asked per credential"
        ],
    )
