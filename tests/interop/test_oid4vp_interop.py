"""OpenID4VP presentations between our verifier and wallet and the node ``@sd-jwt/sd-jwt-vc``.

* node as the holder: credentials issued by our agencies are presented by the library
  (its own Disclosure selection and KB-JWT, with OpenID4VP's ``transaction_data_hashes``),
  packed into the wallet's encrypted answer and posted to our verifier service, which must
  decide the regulation from them exactly as from our own wallet's presentation;
* node as the verifier: what our wallet presents to a desk (the KB-JWT bound to the desk's
  nonce and full client identifier) verifies with the library, and yields the claims the
  desk asked for and nothing else.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from specs.oid4vp.dcql import parse_dcql_query
from specs.oid4vp.dcql_match import HeldForQuery, select_credentials
from specs.oid4vp.jwe import encrypt_response, select_response_key
from specs.oid4vp.response import direct_post_jwt_form, response_payload
from specs.oid4vp.transaction_data import transaction_data_hash
from specs.sd_jwt import open_sd_jwt
from tests.verifier.conftest import Desk, running_desk, scenario
from tests.verifier.wallet import Tamper

REPO = Path(__file__).resolve().parents[2]
JS_DIR = REPO / "interop" / "js"
NODE_TIMEOUT_SECONDS = 60
CASE = ("zorgtoeslag", "single_income_35000")
REGISTERED = frozenset({"iss", "iat", "exp", "vct", "cnf", "status", "_sd_alg"})


@pytest.fixture
def node(node_executable: str) -> str:
    return node_executable


def _node(node: str, script: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    completed = subprocess.run(
        [node, str(JS_DIR / script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=NODE_TIMEOUT_SECONDS,
        cwd=JS_DIR,
        check=False,
    )
    assert completed.returncode in (0, 1), f"{script}: {completed.stderr}"
    answer: dict[str, Any] = json.loads(completed.stdout)
    return completed.returncode, answer


def _frame(paths: tuple[tuple[str | int, ...], ...]) -> dict[str, Any]:
    frame: dict[str, Any] = {}
    for path in paths:
        here = frame
        for part in path[:-1]:
            here = here.setdefault(str(part), {})
        here[str(path[-1])] = True
    return frame


def _held_for_query(desk: Desk) -> list[HeldForQuery]:
    views = [open_sd_jwt(h.token) for h in desk.wallet.held]
    return [
        HeldForQuery(i, "dc+sd-jwt", h.vct, views[i].processed.claims)
        for i, h in enumerate(desk.wallet.held)
    ]


async def test_node_presents_and_our_verifier_decides(node: str, tmp_path: Path) -> None:
    async with running_desk(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/interop.db") as desk:
        desk.give(scenario(*CASE))
        started = await desk.start("zorgtoeslag")
        request = await desk.wallet.fetch_request(started["link"])
        query = parse_dcql_query(request.dcql_query)
        held = desk.wallet.held
        views = [open_sd_jwt(h.token) for h in held]
        chosen = select_credentials(
            query,
            [
                HeldForQuery(i, "dc+sd-jwt", h.vct, views[i].processed.claims)
                for i, h in enumerate(held)
            ],
        )
        hashes = [transaction_data_hash(t) for t in request.transaction_data or ()]
        vp_token: dict[str, list[str]] = {}
        for query_id, selections in chosen.items():
            for selection in selections:
                credential = held[int(str(selection.ref))]
                code, answer = _node(
                    node,
                    "present.mjs",
                    {
                        "sd_jwt": credential.token,
                        "holder_private_jwk": credential.holder_key.to_jwk(),
                        "disclose": _frame(selection.disclose),
                        "nonce": request.nonce,
                        "aud": request.client_id,
                        "iat": desk.clock(),
                        "kb_claims": {"transaction_data_hashes": hashes},
                    },
                )
                assert code == 0, answer
                vp_token.setdefault(query_id, []).append(answer["presentation"])
        assert request.client_metadata is not None
        recipient, enc = select_response_key(request.client_metadata)
        jwe = encrypt_response(
            response_payload(vp_token, request.state), recipient=recipient, enc=enc
        )
        response = await desk.wallet.post(request, direct_post_jwt_form(jwe))
        assert response.status_code == 200, response.text
        result = (await desk.result(started["transaction_id"])).json()
        assert result["status"] == "eligible"
        assert (
            result["decision"]["record"]["amount_cents"] == scenario(*CASE).expect["amount_cents"]
        )


async def test_our_wallet_presents_and_node_verifies(node: str, tmp_path: Path) -> None:
    async with running_desk(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/interop.db") as desk:
        desk.give(scenario(*CASE), with_status=False)  # the node harness fetches no lists
        started = await desk.start("zorgtoeslag")
        request = await desk.wallet.fetch_request(started["link"])

        vp_token = desk.wallet.vp_token(request, Tamper())
        asked = {
            tuple(c.path)
            for cq in parse_dcql_query(request.dcql_query).credentials
            for c in cq.claims
        }
        checked = 0
        for presentations in vp_token.values():
            for presentation in presentations:
                issuer = open_sd_jwt(presentation.rsplit("~", 1)[0] + "~").processed.claims["iss"]
                code, answer = _node(
                    node,
                    "verify.mjs",
                    {
                        "token": presentation,
                        "issuer_public_jwk": desk.agencies[issuer].key.public.to_jwk(),
                        "nonce": request.nonce,
                        "aud": request.client_id,
                        "require_kb": True,
                        "now": desk.clock(),
                    },
                )
                assert code == 0, answer
                disclosed = set(answer["payload"]) - {
                    "iss",
                    "iat",
                    "exp",
                    "vct",
                    "cnf",
                    "status",
                    "_sd_alg",
                }
                assert disclosed
                assert {(name,) for name in disclosed} <= asked
                checked += 1
                wrong = {
                    "token": presentation,
                    "issuer_public_jwk": desk.agencies[issuer].key.public.to_jwk(),
                    "nonce": request.nonce,
                    "aud": "x509_hash:someone-else",
                    "require_kb": True,
                    "now": desk.clock(),
                }
                assert _node(node, "verify.mjs", wrong)[0] == 1  # bound to this desk only
        assert checked >= 3
