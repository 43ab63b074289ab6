"""Catalogue cases I-12..I-14: the wallet's side of OpenID4VCI 1.0, through the holder
library (``wallet.issuance.IssuanceClient``) against the real issuer app.

A transport between the two rewrites chosen answers (a man in the middle, or a compromised
issuer) and records every request, so each case checks what the wallet refused *and* what
it did not send: no tx_code to an issuer that failed a check (I-12), no request into the
local network (I-13), nothing kept from a batch with one bad credential (I-14). The offer
by reference is also fetched from real loopback servers, for redirects and a 50 MB body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from runtime.fetcher import FetchPolicy, FetchReason
from specs.errors import JoseReason, Oid4vciReason, SdJwtVcReason
from specs.oid4vci import offer_link_by_reference
from tests.issuer.conftest import ISSUER
from tests.runtime.test_fetcher import Flood, Server, redirect, reply, serve
from tests.support import Clock
from tests.threats.catalogue import not_built
from tests.threats.invariants import bounded_memory, leaks
from tests.wallet.test_issuance import (
    Agency,
    Answer,
    Kept,
    Rewrite,
    Tamper,
    _break_signature,
    _other_holder,
    _reissue,
    agency,
    receive,
    refused,
    running_issuer,
    wallet,
)
from wallet.issuance import IssuanceClient, IssuanceFailed, IssuanceReason

__all__ = ["agency", "running_issuer", "serve"]

MIB = 1024 * 1024
_R = IssuanceReason
in_issuer_loop = pytest.mark.asyncio(loop_scope="module")
"""The issuer app is shared by the module (``running_issuer``), so these cases share its loop."""


def _rewrite(change: Callable[[dict[str, Any]], None]) -> Rewrite:
    def rewrite(status: int, body: Any) -> Answer:
        change(body)
        return status, body

    return rewrite


# -- I-12 the offer is refused before any secret is sent ---------------------------------------


class Untrusted:
    async def check(self, issuer: str, vct: str) -> None:
        raise LookupError("not in the registry")


I12_CASES: dict[str, tuple[dict[str, Rewrite], Any, _R, str | None]] = {
    "untrusted-issuer": ({}, Untrusted(), _R.ISSUER_NOT_TRUSTED, None),
    "metadata-issuer-mismatch": (
        {
            "/.well-known/openid-credential-issuer": _rewrite(
                lambda b: b.update(credential_issuer="https://issuer.example.evil")
            )
        },
        None,
        _R.METADATA_REFUSED,
        Oid4vciReason.ISSUER_MISMATCH,
    ),
    "as-issuer-mismatch": (
        {
            "/.well-known/oauth-authorization-server": _rewrite(
                lambda b: b.update(issuer="https://issuer.example/elsewhere")
            )
        },
        None,
        _R.AUTHORIZATION_SERVER_REFUSED,
        "issuer-not-identical",
    ),
    "as-grant-not-advertised": (
        {
            "/.well-known/oauth-authorization-server": _rewrite(
                lambda b: b.pop("grant_types_supported")
            )
        },
        None,
        _R.AUTHORIZATION_SERVER_REFUSED,
        "pre-authorized-grant-unsupported",
    ),
}


@in_issuer_loop
@pytest.mark.parametrize("case", sorted(I12_CASES))
async def test_I_12_an_issuer_failing_a_check_never_sees_the_tx_code(
    agency: Agency, case: str
) -> None:
    rewrites, trust, reason, cause = I12_CASES[case]
    offer = await agency.offer()
    transport = Tamper(agency.app, rewrites)
    error = await refused(wallet(agency, transport, trust=trust), offer)
    assert (error.reason, error.cause) == (reason, cause)
    assert transport.posted("/token") == 0
    assert [seen for seen in transport.seen if seen.startswith("POST")] == []
    assert offer.tx_code is not None
    assert leaks([offer.tx_code], str(error)) == []
    # Nothing was spent: the same offer still issues once the issuer checks out.
    assert len((await receive(wallet(agency), offer)).credentials) == 1


@in_issuer_loop
async def test_I_12_an_offer_naming_an_unadvertised_authorization_server_is_refused(
    agency: Agency,
) -> None:
    """§4.1.1: the grant's ``authorization_server`` MUST be one the issuer's metadata lists.
    A phishing offer names its own; the wallet refuses it before the token request."""
    offer = await agency.offer()
    document = json.loads(json.dumps(offer.credential_offer))
    grant = document["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    grant["authorization_server"] = "https://as.phish.example"
    transport = Tamper(agency.app)
    error = await refused(wallet(agency, transport), json.dumps(document), tx_code=offer.tx_code)
    assert (error.reason, error.cause) == (_R.OFFER_REFUSED, "authorization-server-not-advertised")
    assert transport.posted("/token") == 0
    grant["authorization_server"] = ISSUER  # the one it lists: accepted
    async with wallet(agency) as client:
        result = await client.receive(document, tx_code=offer.tx_code, store=Kept())
    assert len(result.credentials) == 1


# -- I-13 credential_offer_uri into the local network, through redirects, 50 MB -----------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://10.0.0.1/offers/1",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1/offers/1",
        "https://[::1]/offers/1",
        "https://localhost/offers/1",
        "https://[::ffff:192.168.1.1]/offers/1",
    ],
)
async def test_I_13_an_offer_uri_into_the_local_network_is_fetch_refused(uri: str) -> None:
    async with IssuanceClient(policy=FetchPolicy(), clock=Clock()) as client:
        with pytest.raises(IssuanceFailed) as info:
            await client.receive(offer_link_by_reference(uri), tx_code=None, store=Kept())
    assert (info.value.reason, info.value.cause) == (
        _R.FETCH_REFUSED,
        FetchReason.FORBIDDEN_ADDRESS,
    )
    assert str(info.value) == "fetch-refused (forbidden-address)"  # no address named


def _local_client(*servers: Server, max_redirects: int = 0) -> IssuanceClient:
    """A development wallet that may reach exactly these loopback servers over http."""
    origins = frozenset(server.url("") for server in servers)
    policy = FetchPolicy(allow_local_origins=origins, max_redirects=max_redirects)
    return IssuanceClient(policy=policy, clock=Clock())


async def _fetch_refused(client: IssuanceClient, uri: str) -> IssuanceFailed:
    kept = Kept()
    async with client:
        with pytest.raises(IssuanceFailed) as info:
            await client.receive(offer_link_by_reference(uri), tx_code=None, store=kept)
    assert kept.results == []
    return info.value


async def test_I_13_a_redirected_offer_uri_is_fetch_refused(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    target = await serve(reply())
    hop = await serve(redirect(target.url("/offer")))
    error = await _fetch_refused(_local_client(hop, target), hop.url("/offer"))
    assert (error.reason, error.cause) == (_R.FETCH_REFUSED, FetchReason.TOO_MANY_REDIRECTS)
    assert target.connections == 0


async def test_I_13_a_redirect_chain_stops_at_the_limit_and_into_the_network(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    loop = await serve(redirect("/again"))
    error = await _fetch_refused(_local_client(loop, max_redirects=2), loop.url("/offer"))
    assert (error.reason, error.cause) == (_R.FETCH_REFUSED, FetchReason.TOO_MANY_REDIRECTS)
    assert len(loop.heads) == 3
    inward = await serve(redirect("https://10.0.0.1/offers/1"))
    error = await _fetch_refused(_local_client(inward, max_redirects=2), inward.url("/offer"))
    assert (error.reason, error.cause) == (_R.FETCH_REFUSED, FetchReason.FORBIDDEN_ADDRESS)


async def test_I_13_a_fifty_megabyte_offer_is_cut_off_unread(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    flood = Flood(total=50 * MIB)
    server = await serve(flood)
    with bounded_memory(32 * MIB):
        error = await _fetch_refused(_local_client(server), server.url("/offer"))
    assert (error.reason, error.cause) == (_R.FETCH_REFUSED, FetchReason.TOO_LARGE)
    assert not flood.finished
    assert flood.sent < flood.total


# -- I-14 a bad issued credential is not kept --------------------------------------------------


def _other_issuer(agency: Agency) -> Rewrite:
    return _reissue(agency, lambda c: c.update(iss="https://other.example"))


def _other_type(agency: Agency) -> Rewrite:
    return _reissue(agency, lambda c: c.update(vct="urn:nl:brp:person:1"))


def _other_holder_key(agency: Agency) -> Rewrite:
    return _reissue(agency, _other_holder)


def _bad_signature(agency: Agency) -> Rewrite:
    return _break_signature


I14_CASES: dict[str, tuple[Callable[[Agency], Rewrite], _R, str | None]] = {
    "cnf-not-a-proof-key": (_other_holder_key, _R.KEY_BINDING_MISMATCH, "not-a-proof-key"),
    "wrong-iss": (_other_issuer, _R.CREDENTIAL_REFUSED, SdJwtVcReason.ISSUER_KEY_NOT_FOUND),
    "wrong-vct": (_other_type, _R.TYPE_MISMATCH, None),
    "bad-signature": (_bad_signature, _R.CREDENTIAL_REFUSED, JoseReason.BAD_SIGNATURE),
}


@in_issuer_loop
@pytest.mark.parametrize("case", sorted(I14_CASES))
async def test_I_14_a_batch_with_one_bad_credential_is_not_kept(agency: Agency, case: str) -> None:
    """Only the first credential of the batch of three is spoilt; none of them is kept, the
    error names the rule, and the issuer hears ``credential_failure`` (§11.1)."""
    make, reason, cause = I14_CASES[case]
    spoil = make(agency)

    def first_only(status: int, body: Any) -> Answer:
        rest = body["credentials"][1:]
        _, spoilt = spoil(status, {**body, "credentials": body["credentials"][:1]})
        return status, {**body, "credentials": spoilt["credentials"] + rest}

    offer = await agency.offer(batch_size=3)
    transport = Tamper(agency.app, {"/credential": first_only})
    error = await refused(wallet(agency, transport), offer, batch_size=3)
    assert (error.reason, error.cause) == (reason, cause)
    assert await agency.notifications(offer) == ["credential_failure"]
    assert offer.tx_code is not None
    assert leaks([offer.tx_code], str(error)) == []


def test_I_14_claims_unlike_the_preview_and_type_metadata_integrity() -> None:
    not_built(
        "wallet check of issued claims against an offer preview and of vct#integrity "
        "against the issuer's Type Metadata at issuance"
    )
