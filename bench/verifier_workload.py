"""The verification workload: agencies, one citizen's credentials, a desk, prepared answers.

Both the in-process and the HTTP benchmark build from here, so they verify the same answers:

* the agencies (``brp``, ``zorgverzekeraar``, ``belastingdienst``) live under one loopback
  origin, each with its own P-256 key, JWT VC Issuer Metadata and Status List Token, and
  issue with the issuer service's own code (``credential_payload`` + ``sign_batch``: derived
  predicates, ``sd: never`` claims plain, rounded timestamps, a status index);
* the trust registry is the ``file`` backend over a trust list signed by a governance key
  (the demo's seed: the agencies for their types, this desk for every bundled regulation);
* the desk is the verifier in the development profile on a SQLite file (its own signing key
  and self-signed certificate, so its ``client_id`` is an ``x509_hash``);
* the wallet holds four credentials bound to one holder key and answers a request the way a
  wallet does: it fetches and verifies the signed request object, matches the DCQL query,
  presents exactly the asked claims with a KB-JWT (nonce, ``aud``,
  ``transaction_data_hashes``), and encrypts for ``direct_post.jwt``.

Two cases: ``assets`` is zorgtoeslag with the desk already knowing age, insurance, income and
partner, so the query needs ONE credential (the household assets: 13 Disclosures issued,
2 presented); ``zorgtoeslag`` asks the citizen for all four (person, health insurance,
household income, household assets). Both decide ``eligible`` (the scenario
``single_income_35000``). Answers are single use (each transaction has its own nonce, state
and response key), so every answer is prepared, transaction included, before it is timed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aanspraak.demo_trust import build_seed
from issuer.configurations import Configurations
from issuer.credentials import Validity, credential_payload, sign_batch
from issuer.status_lists import Allocation
from runtime.fetcher import FetchPolicy, SafeFetcher
from runtime.regulations import catalogue
from specs.jose import JwsAlg, PrivateJwk, generate_private_key, public_jwk_from_key
from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.dcql_match import HeldForQuery, select_credentials
from specs.oid4vp.jwe import encrypt_response, select_response_key
from specs.oid4vp.request_object import AuthorizationRequest, verify_request_object
from specs.oid4vp.response import direct_post_form, direct_post_jwt_form, response_payload
from specs.oid4vp.transaction_data import transaction_data_hash
from specs.rules import CompiledRegulation
from specs.sd_jwt import HolderView, open_sd_jwt, present_sd_jwt
from specs.status_list import StatusType, build_status_list_token, encode_status_list
from specs.trust.trust_list import build_trust_list
from trust.file_backend import FileTrustRegistry
from verifier.context import VerifierContext, build_context
from verifier.identity import load_identity
from verifier.pipeline import Expectations
from verifier.settings import VerifierSettings
from verifier.transactions import request_object, start_transaction

DAY = 86_400
STATUS_LIST_SIZE = 1_024
STATUS_TTL = 3_600
REGULATION = "zorgtoeslag"
AGENCIES = {  # path under the agencies' origin -> the configurations it issues
    "brp": ("person",),
    "zorgverzekeraar": ("health_insurance",),
    "belastingdienst": ("household_income", "household_assets"),
}
CLAIMS: dict[str, dict[str, Any]] = {  # scenario zorgtoeslag ``single_income_35000``
    "person": {
        "age_years": 41,
        "birthdate": "1984-06-01",
        "municipality": "Utrecht",
        "resident_in_nl": True,
        "reference_date": "2026-01-01",
    },
    "health_insurance": {"insured": True, "year": 2026},
    "household_income": {
        "has_allowance_partner": False,
        "joint_assessed_income_cents": 3_500_000,
        "year": 2026,
    },
    "household_assets": {"joint_assets_cents": 1_000_000, "reference_date": "2026-01-01"},
}
EXPECTED = "eligible"


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    desk_facts: Mapping[str, Any]
    presentations: int
    """Presentations in one answer (one per credential the query needs)."""


CASES = {
    "assets": Case(
        "assets",
        "zorgtoeslag, desk knows the rest: 1 credential (assets, 2 of 13 Disclosures)",
        {"age": 41, "insured": True, "income": 3_500_000, "partner": False},
        1,
    ),
    "zorgtoeslag": Case("zorgtoeslag", "zorgtoeslag: 4 credentials per answer", {}, 4),
}


def require(condition: bool, what: str) -> None:
    if not condition:  # not an assert: python -O must not turn the check off
        raise SystemExit(f"bench.verifier: broken path, not timed: {what}")


def system_clock() -> int:
    return int(time.time())


@dataclass
class Agency:
    name: str
    issuer: str
    key: PrivateJwk

    @property
    def status_uri(self) -> str:
        return f"{self.issuer}/status/1"

    def status_list_uri(self, list_id: int) -> str:
        """``sign_batch``'s view: one list per agency."""
        del list_id
        return self.status_uri


@dataclass
class Agencies:
    """Every agency under ``origin``; ``fetches`` counts what the verifier asked of them."""

    origin: str
    by_name: dict[str, Agency] = field(default_factory=dict)
    fetches: int = 0

    @classmethod
    def create(cls, origin: str) -> Agencies:
        agencies = cls(origin)
        for name in AGENCIES:
            key = generate_private_key(JwsAlg.ES256)
            kid = key.public.thumbprint()
            signer = PrivateJwk(key.key, public_jwk_from_key(key.public.key, kid=kid))
            agencies.by_name[name] = Agency(name, f"{origin}/{name}", signer)
        return agencies

    def issuing(self, configuration: str) -> Agency:
        return next(self.by_name[n] for n, issued in AGENCIES.items() if configuration in issued)

    def app(self) -> Starlette:
        """JWT VC Issuer Metadata (SD-JWT VC §4, path form) and a Status List Token each."""

        async def metadata(request: Request) -> Response:
            agency = self.by_name[request.path_params["name"]]
            self.fetches += 1
            jwks = {"keys": [agency.key.public.to_jwk()]}
            return JSONResponse({"issuer": agency.issuer, "jwks": jwks})

        async def status_list(request: Request) -> Response:
            agency = self.by_name[request.path_params["name"]]
            self.fetches += 1
            now = system_clock()
            token = build_status_list_token(
                key=agency.key,
                subject_uri=agency.status_uri,
                status_list=encode_status_list([int(StatusType.VALID)] * STATUS_LIST_SIZE, 2),
                now=now,
                ttl=STATUS_TTL,
                exp=now + DAY,
                issuer=agency.issuer,
                extra_header={"kid": agency.key.public.kid},
                allow_http=True,
            )
            return Response(token, media_type="application/statuslist+jwt")

        return Starlette(
            routes=[
                Route("/.well-known/jwt-vc-issuer/{name}", metadata),
                Route("/{name}/status/1", status_list),
            ]
        )


@dataclass(frozen=True)
class Held:
    token: str
    vct: str
    issuer: Agency
    view: HolderView


def issue_credentials(agencies: Agencies, holder: PrivateJwk, now: int) -> list[Held]:
    """The citizen's four credentials, as the issuer service makes them, one holder key."""
    configurations = Configurations.offered(list(CLAIMS), regulations=catalogue())
    held = []
    for index, (name, claims) in enumerate(CLAIMS.items()):
        configuration, agency = configurations.get(name), agencies.issuing(name)
        token = sign_batch(
            credential_payload(configuration, claims),
            vct=configuration.vct,
            issuer_id=agency.issuer,
            signer=agency.key,
            holder_keys=[holder.public],
            allocations=[Allocation(1, index)],
            status_uri=agency.status_list_uri,
            validity=Validity.rounded(now, granularity=DAY, days=365),
            random_bytes=os.urandom,
            allow_http=True,
        )[0]
        held.append(Held(token, configuration.vct, agency, open_sd_jwt(token)))
    return held


@dataclass
class Workload:
    """What a run shares: agencies, trust list, the desk's identity, the citizen's wallet."""

    data_dir: Path
    agencies: Agencies
    governance: PrivateJwk
    holder: PrivateJwk
    held: list[Held]
    client_id: str = ""

    @classmethod
    def create(cls, data_dir: Path, agencies_origin: str) -> Workload:
        data_dir.mkdir(parents=True, exist_ok=True)
        now = system_clock()
        agencies, holder = Agencies.create(agencies_origin), generate_private_key(JwsAlg.ES256)
        workload = cls(data_dir, agencies, generate_private_key(JwsAlg.ES256), holder, [])
        workload.held = issue_credentials(agencies, holder, now)
        # The desk's signing key and certificate are made here, once: every desk of the run
        # (in process and the HTTP server) has this data directory, so this client_id.
        workload.client_id = load_identity(workload.settings("http://127.0.0.1:1")).client_id
        workload.write_trust_list(now)
        return workload

    @property
    def trust_list(self) -> Path:
        return self.data_dir / "trust-list.jwt"

    @property
    def governance_key(self) -> Path:
        return self.data_dir / "governance.jwk"

    def write_trust_list(self, now: int) -> None:
        types: dict[str, set[str]] = {}
        for held in self.held:
            types.setdefault(held.issuer.issuer, set()).add(held.vct)
        keys = {agency.issuer: agency.key for agency in self.agencies.by_name.values()}
        seed = build_seed(keys, types, self.client_id, catalogue(), catalogue())
        token = build_trust_list(
            seed.snapshot(as_of=now),
            key=self.governance,
            governance_id="governance",
            now=now,
            ttl=DAY,
        )
        self.trust_list.write_text(token)
        self.governance_key.write_text(json.dumps(self.governance.public.to_jwk()))

    def environment(
        self, public_url: str, *, database: str = "verifier.db", mode: str = "direct_post.jwt"
    ) -> dict[str, str]:
        """``AANSPRAAK_VERIFIER_*`` and ``AANSPRAAK_TRUST_*`` of a desk of this run.

        Answers are prepared before they are timed, so the windows that bound how late an
        answer may come (transaction, KB-JWT age) are an hour instead of minutes; caches keep
        issuer metadata for a day. Neither changes the work per answer.
        """
        verifier = {
            "PROFILE": "development",
            "PUBLIC_URL": public_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.data_dir / database}",
            "DATA_DIR": str(self.data_dir),
            "LOCAL_ORIGINS": self.agencies.origin,
            "RESPONSE_MODE": mode,
            "TRANSACTION_TTL_SECONDS": "3600",
            "KB_MAX_AGE_SECONDS": "3600",
            "ISSUER_METADATA_TTL_SECONDS": str(DAY),
        }
        trust = {
            "BACKEND": "file",
            "TRUST_LIST_FILE": str(self.trust_list),
            "GOVERNANCE_KEY_FILE": str(self.governance_key),
        }
        return {f"AANSPRAAK_VERIFIER_{k}": v for k, v in verifier.items()} | {
            f"AANSPRAAK_TRUST_{k}": v for k, v in trust.items()
        }

    def settings(self, public_url: str, **options: str) -> VerifierSettings:
        prefix = "AANSPRAAK_VERIFIER_"
        values = {
            name[len(prefix) :].lower(): value
            for name, value in self.environment(public_url, **options).items()
            if name.startswith(prefix)
        }
        return VerifierSettings(**values)  # type: ignore[arg-type]  # pydantic parses them

    def context(self, settings: VerifierSettings) -> VerifierContext:
        """A desk whose fetcher reaches the agencies in process (no socket)."""
        origins = frozenset(settings.local_origins)
        fetcher = SafeFetcher(
            FetchPolicy(allow_local_origins=origins),
            transport=httpx.ASGITransport(app=self.agencies.app()),
        )
        registry = FileTrustRegistry(self.trust_list, self.governance.public, 300)
        return build_context(settings, trust=registry, clock=system_clock, fetcher=fetcher)

    def vp_token(self, request: AuthorizationRequest, now: int) -> dict[str, list[str]]:
        """The wallet's presentations: exactly the asked claims, each with a KB-JWT."""
        query = parse_dcql_query(request.dcql_query)
        candidates = [
            HeldForQuery(i, "dc+sd-jwt", h.vct, h.view.processed.claims)
            for i, h in enumerate(self.held)
        ]
        hashes = [transaction_data_hash(item) for item in request.transaction_data or ()]
        token: dict[str, list[str]] = {}
        for query_id, selections in select_credentials(query, candidates).items():
            for selection in selections:
                held = self.held[int(str(selection.ref))]
                token.setdefault(query_id, []).append(
                    present_sd_jwt(
                        held.view,
                        disclose=list(selection.disclose),
                        holder_key=self.holder,
                        nonce=request.nonce,
                        audience=request.client_id,
                        now=now,
                        kb_claims={"transaction_data_hashes": hashes},
                    )
                )
        return token


@dataclass(frozen=True)
class Prepared:
    """One transaction and the wallet's answer to it, ready before the clock starts."""

    transaction_id: str
    compiled: CompiledRegulation
    expectations: Expectations
    vp_token: dict[str, list[str]]
    body: bytes
    """The form as the wallet posts it (``direct_post.jwt``: one JWE; else ``direct_post``)."""

    @property
    def presentations(self) -> list[str]:
        return [p for presentations in self.vp_token.values() for p in presentations]


async def prepare_answer(context: VerifierContext, workload: Workload, case: Case) -> Prepared:
    """Start a transaction as the desk does, then answer it as the wallet does."""
    started = await start_transaction(
        context, regulation_id=REGULATION, facts=dict(case.desk_facts) or None
    )
    now = context.clock()
    request_id = started.request_uri.rsplit("/", 1)[1]
    request = verify_request_object(
        await request_object(context, request_id),
        expected_client_id=context.client_id,
        now=now,
        allow_unsigned=False,
        allow_http=True,
    )
    vp_token = workload.vp_token(request, now)
    if request.response_mode == "direct_post.jwt":
        assert request.client_metadata is not None  # verify_request_object requires it
        recipient, enc = select_response_key(request.client_metadata)
        payload = response_payload(vp_token, request.state)
        form = direct_post_jwt_form(encrypt_response(payload, recipient=recipient, enc=enc))
    else:
        form = direct_post_form(vp_token, request.state)
    expectations = Expectations(
        nonce=request.nonce,
        client_id=request.client_id,
        transaction_data=list(request.transaction_data or ()),
        query=parse_dcql_query(request.dcql_query),
    )
    body = urlencode(form).encode("ascii")
    return Prepared(started.id, started.regulation, expectations, vp_token, body)
