"""Every refusal of the wallet service, against the running issuer and desk of the town:
untrusted issuers, metadata mismatches, request object defects, desks asking outside their
registration, no matching credential; and the device side: proofs, sessions, the PIN.
"""

from __future__ import annotations

import dataclasses
import os
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from aanspraak.town import Town
from specs.dpop import build_dpop_proof, new_jti
from specs.errors import DpopReason, TrustReason
from tests.wallet.town_fixtures import (
    INCOME_CLAIMS,
    PIN,
    Governance,
    desk_link,
    desk_result,
    new_citizen,
    receive,
    receive_scenario,
    zorgtoeslag,
)
from wallet.device_client import ServiceRefused, SimulatedDevice, WalletServiceClient
from wallet.issuance_errors import IssuanceReason

INCOME = "urn:nl:belastingdienst:household-income:1"
HEALTH = "urn:nl:zorgverzekeraar:health-insurance:1"
HEALTH_CLAIMS = {"insured": True, "year": 2026}


async def test_an_issuer_the_registry_does_not_list_is_refused_before_the_tx_code_is_sent(
    town: Town, governance: Governance
) -> None:
    governance.change(issuers={})
    offer = await town.offer("household_income", INCOME_CLAIMS, batch_size=1)
    async with await new_citizen(town) as phone:
        with pytest.raises(ServiceRefused) as refused:
            await phone.accept_offer(offer.link_by_reference, tx_code=offer.tx_code, instances=1)
        assert (refused.value.status, refused.value.error) == (422, "refused")
        assert refused.value.description == IssuanceReason.ISSUER_NOT_TRUSTED.value
        assert await phone.credentials() == []
        governance.restore()  # the code was never sent, so the same offer still works
        stored = await phone.accept_offer(
            offer.link_by_reference, tx_code=offer.tx_code, instances=1
        )
        assert stored["status"] == "stored"


async def test_an_offer_naming_another_issuer_identifier_is_refused(town: Town) -> None:
    offer = await town.offer("household_income", INCOME_CLAIMS, batch_size=1)
    altered = {**offer.credential_offer, "credential_issuer": town.issuer_url + "/other"}
    async with await new_citizen(town) as phone:
        keys = phone.device.new_holder_keys(1)
        response = await phone.call(
            "POST", "/v1/issuances", json={"offer": altered, "tx_code": offer.tx_code, "keys": keys}
        )
    assert response.status_code == 422
    assert response.json()["error_description"] in {
        IssuanceReason.METADATA_REFUSED.value,
        IssuanceReason.FETCH_REFUSED.value,
    }


async def test_a_link_whose_client_id_is_not_the_signer_is_refused(town: Town) -> None:
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=1)
        link, _tid, _key = await desk_link(town)
        parts = urlsplit(link)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["client_id"] = "x509_hash:" + "A" * 43
        forged = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"
        with pytest.raises(ServiceRefused) as refused:
            await phone.open_request(forged)
    assert (refused.value.status, refused.value.error) == (422, "refused")


async def test_a_desk_asking_outside_its_registration_is_refused(
    town: Town, governance: Governance
) -> None:
    desk = governance.original.verifiers[town.desk.client_id]
    narrowed = {
        regulation: frozenset(sorted(claims)[1:]) for regulation, claims in desk.permissions.items()
    }
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=1)
        link, transaction_id, key = await desk_link(town)
        # Governance narrows the desk's registration after it asked: the wallet reads the
        # registry itself and does not take the desk's word for what it may ask.
        governance.change(
            verifiers={town.desk.client_id: dataclasses.replace(desk, permissions=narrowed)}
        )
        with pytest.raises(ServiceRefused) as refused:
            await phone.open_request(link)
        assert refused.value.description == TrustReason.CLAIM_NOT_AUTHORISED.value
        assert all(c["unused_instances"] == 1 for c in await phone.credentials())
    assert (await desk_result(town, transaction_id, key))["status"] == "pending"


async def test_a_desk_the_registry_does_not_list_is_refused(
    town: Town, governance: Governance
) -> None:
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=1)
        link, _tid, _key = await desk_link(town)
        governance.change(verifiers={})  # struck off after it asked
        with pytest.raises(ServiceRefused) as refused:
            await phone.open_request(link)
    assert refused.value.description == TrustReason.VERIFIER_NOT_REGISTERED.value


async def test_without_a_matching_credential_the_citizen_can_still_say_no(town: Town) -> None:
    """The desk hears access_denied whether or not the wallet could have answered, so it
    cannot probe what the wallet holds (THREATS V-14)."""
    async with await new_citizen(town) as phone:
        await receive(town, phone, INCOME, INCOME_CLAIMS, instances=1)
        link, transaction_id, key = await desk_link(town)
        with pytest.raises(ServiceRefused) as refused:
            await phone.open_request(link)
        assert (refused.value.status, refused.value.error) == (422, "no_matching_credential")
        declined = await phone.decline(refused.value.body["presentation"])
        assert declined["status"] == "declined"
        assert [h["outcome"] for h in await phone.history()] == ["declined"]
    result = await desk_result(town, transaction_id, key)
    assert (result["status"], result["reason"]) == ("declined", "access_denied")


async def test_a_wrong_pin_is_counted_and_locks_the_account(town: Town) -> None:
    limit = town.wallet.settings.pin_max_failures
    async with WalletServiceClient(town.wallet_url, SimulatedDevice()) as phone:
        await phone.register(PIN)
        for attempt in range(1, limit):
            with pytest.raises(ServiceRefused) as refused:
                await phone.unlock("000000")
            assert (refused.value.status, refused.value.error) == (401, "wrong_pin")
            assert refused.value.body["attempts_left"] == limit - attempt
        with pytest.raises(ServiceRefused) as locked:
            await phone.unlock("000000")
        assert (locked.value.status, locked.value.error) == (403, "account_locked")
        with pytest.raises(ServiceRefused) as still:
            await phone.unlock(PIN)  # even the right PIN: locked for good
        assert still.value.error == "account_locked"
        await phone.register("975310")  # the vault is lost: the device starts again, empty
        await phone.unlock("975310")
        assert await phone.credentials() == []


async def test_a_right_pin_resets_the_count(town: Town) -> None:
    async with WalletServiceClient(town.wallet_url, SimulatedDevice()) as phone:
        await phone.register(PIN)
        for _ in range(3):
            with pytest.raises(ServiceRefused):
                await phone.unlock("000000")
            await phone.unlock(PIN)
        assert phone.session_token is not None


async def test_registering_a_device_twice_and_a_malformed_pin_are_refused(town: Town) -> None:
    async with WalletServiceClient(town.wallet_url, SimulatedDevice()) as phone:
        with pytest.raises(ServiceRefused) as malformed:
            await phone.register("12ab")
        assert (malformed.value.status, malformed.value.error) == (400, "invalid_request")
        await phone.register(PIN)
        with pytest.raises(ServiceRefused) as twice:
            await phone.register(PIN)
        assert (twice.value.status, twice.value.error) == (409, "account_exists")


async def test_device_proofs_are_checked_and_never_replayed(town: Town) -> None:
    async with WalletServiceClient(town.wallet_url, SimulatedDevice()) as phone:
        url = town.wallet_url + "/v1/accounts"
        proof = build_dpop_proof(
            key=phone.device.device_key,
            method="POST",
            url=url,
            now=int(time.time()),
            jti=new_jti(os.urandom),
        )
        first = await phone._http.post(url, json={"pin": PIN}, headers={"DPoP": proof})
        replayed = await phone._http.post(url, json={"pin": PIN}, headers={"DPoP": proof})
        missing = await phone._http.post(url, json={"pin": PIN})
        other_url = build_dpop_proof(
            key=phone.device.device_key,
            method="POST",
            url=town.wallet_url + "/v1/sessions",
            now=int(time.time()),
            jti=new_jti(os.urandom),
        )
        wrong_target = await phone._http.post(url, json={"pin": PIN}, headers={"DPoP": other_url})
        stale = build_dpop_proof(
            key=phone.device.device_key,
            method="POST",
            url=url,
            now=int(time.time()) - 3_600,
            jti=new_jti(os.urandom),
        )
        too_old = await phone._http.post(url, json={"pin": PIN}, headers={"DPoP": stale})
    assert first.status_code == 201
    assert (replayed.status_code, replayed.json()["error_description"]) == (
        401,
        DpopReason.PROOF_REPLAYED.value,
    )
    assert missing.json()["error"] == "invalid_dpop_proof"
    assert wrong_target.json()["error_description"] == DpopReason.HTU_MISMATCH.value
    assert too_old.json()["error_description"] == DpopReason.IAT_TOO_OLD.value
    assert replayed.headers["WWW-Authenticate"].startswith("DPoP")


async def test_a_session_works_only_with_the_device_that_opened_it(town: Town) -> None:
    async with await new_citizen(town) as phone:
        token = phone.session_token
        async with WalletServiceClient(town.wallet_url, SimulatedDevice()) as thief:
            await thief.register(PIN)
            thief.session_token = token
            stolen = await thief.call("GET", "/v1/credentials")
            thief.session_token = "not-a-token"
            forged = await thief.call("GET", "/v1/credentials")
        no_session = await phone.call("GET", "/v1/credentials", session=False)
        assert (await phone.call("GET", "/v1/credentials")).status_code == 200
    for response in (stolen, forged, no_session):
        assert (response.status_code, response.json()["error"]) == (401, "invalid_token")


async def test_deleting_the_account_removes_everything(town: Town) -> None:
    async with await new_citizen(town) as phone:
        await receive(town, phone, INCOME, INCOME_CLAIMS, instances=2)
        await receive(town, phone, HEALTH, HEALTH_CLAIMS, instances=2)
        income, health = sorted(await phone.credentials(), key=lambda c: c["vct"] != INCOME)
        assert sorted(income["key_ids"]) == sorted(health["key_ids"])  # the same two slots
        assert await phone.delete_credential(income["id"]) == []  # health still needs them
        deleted = await phone.delete_credential(health["id"])
        assert sorted(deleted) == sorted(health["key_ids"])
        assert await phone.credentials() == []
        await receive(town, phone, INCOME, INCOME_CLAIMS, instances=1)
        await phone.delete_account()
        with pytest.raises(ServiceRefused) as gone:
            await phone.unlock(PIN)
    assert gone.value.error == "unknown_device"


async def test_a_backup_restores_history_and_credentials_on_a_new_device(town: Town) -> None:
    passphrase = "correct horse battery staple"
    async with await new_citizen(town) as phone:
        await receive(town, phone, INCOME, INCOME_CLAIMS, instances=2)
        backup = await phone.export(passphrase)
    async with await new_citizen(town) as new_phone:
        with pytest.raises(ServiceRefused) as wrong:
            await new_phone.restore(backup, "not the passphrase at all")
        assert (wrong.value.status, wrong.value.description) == (
            400,
            "backup refused: wrong-passphrase",
        )
        restored = await new_phone.restore(backup, passphrase)
        assert restored["credentials"] == 1
        [credential] = await new_phone.credentials()
        assert credential["restored"] is True
        advice = await new_phone.reissuance()
        assert [a["kind"] for a in advice] == ["ask-agency"]
        # The restored credential's keys stayed on the old phone: new ones get fresh keys.
        stored = await receive(town, new_phone, HEALTH, HEALTH_CLAIMS, instances=1)
        assert not set(stored["credential"]["key_ids"]) & set(credential["key_ids"])


async def test_an_export_passphrase_short_after_normalisation_is_refused(town: Town) -> None:
    async with await new_citizen(town) as phone:
        response = await phone.call("POST", "/v1/export", json={"passphrase": "e\u0301" * 6})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def test_an_unreadable_registry_fails_closed_with_503(
    town: Town, governance: Governance
) -> None:
    async with await new_citizen(town) as phone:
        await receive(town, phone, INCOME, INCOME_CLAIMS, instances=1)
        link, _tid, _key = await desk_link(town)
        offer = await town.offer("household_income", INCOME_CLAIMS, batch_size=1)
        governance.take_down()
        for method, path, body in (
            ("GET", "/v1/discovery", None),
            ("GET", "/v1/reissuance", None),
            ("POST", "/v1/credentials/status", None),
            ("POST", "/v1/presentations", {"link": link}),
            (
                "POST",
                "/v1/issuances",
                {"offer": offer.link, "keys": phone.device.new_holder_keys(1)},
            ),
        ):
            response = await phone.call(method, path, json=body)
            assert (response.status_code, response.json()["error"]) == (
                503,
                "temporarily_unavailable",
            ), path
        governance.restore()
        assert (await phone.call("GET", "/v1/discovery")).status_code == 200


async def test_signatures_the_device_did_not_make_are_refused(town: Town) -> None:
    offer = await town.offer("household_income", INCOME_CLAIMS, batch_size=1)
    async with await new_citizen(town) as phone:
        keys = phone.device.new_holder_keys(1)
        body = {"offer": offer.link_by_reference, "tx_code": offer.tx_code, "keys": keys}
        started = (await phone.call("POST", "/v1/issuances", json=body)).json()
        [request] = started["signing_requests"]
        forged = [{"key_id": request["key_id"], "signature": "A" * 86}]
        path = f"/v1/issuances/{started['id']}/signatures"
        refused = await phone.call("POST", path, json={"signatures": forged})
        assert (refused.status_code, refused.json()) == (
            400,
            {"error": "invalid_signatures", "error_description": "bad-device-signature"},
        )
        signed = await phone.call(
            "POST", path, json={"signatures": phone.device.sign(started["signing_requests"])}
        )
        assert signed.json()["status"] == "stored"  # the step waited for a good answer


async def test_presentation_steps_out_of_order_are_refused(town: Town) -> None:
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=2)
        link, _tid, _key = await desk_link(town)
        opened = await phone.open_request(link)
        early = await phone.call(
            "POST",
            f"/v1/presentations/{opened['id']}/signatures",
            json={"signatures": [{"key_id": "k", "signature": "s"}]},
        )
        assert (early.status_code, early.json()["error"]) == (409, "conflict")
        first = await phone.call("POST", f"/v1/presentations/{opened['id']}/approve")
        assert first.status_code == 200
        again = await phone.call("POST", f"/v1/presentations/{opened['id']}/approve")
        assert (again.status_code, again.json()["error"]) == (409, "conflict")
        unknown = await phone.call("POST", f"/v1/presentations/{'0' * 32}/approve")
        assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
        malformed = await phone.call("POST", "/v1/presentations/not-an-id/approve")
        assert malformed.status_code == 400


async def test_error_bodies_never_echo_what_was_sent(town: Town) -> None:
    canary = "canary-7f3a9c"
    async with await new_citizen(town) as phone:
        answers = [
            await phone.call(
                "POST", "/v1/presentations", json={"link": f"openid4vp://?client_id={canary}"}
            ),
            await phone.call(
                "POST", "/v1/issuances", json={"offer": canary, "keys": [{"kty": canary}]}
            ),
            await phone.call(
                "POST",
                "/v1/issuances",
                json={
                    "offer": {"credential_issuer": canary},
                    "keys": phone.device.new_holder_keys(1),
                },
            ),
            await phone.call("POST", "/v1/sessions", json={"pin": canary}, session=False),
        ]
    for answer in answers:
        assert 400 <= answer.status_code < 500, answer.status_code
        assert canary not in answer.text


async def test_a_forged_answer_shows_no_key_so_declining_gives_the_slot_back(town: Town) -> None:
    async with await new_citizen(town) as phone:
        await receive_scenario(town, phone, zorgtoeslag("single_income_35000"), instances=1)
        link, _tid, _key = await desk_link(town)
        opened = await phone.open_request(link)
        approved = await phone._json("POST", f"/v1/presentations/{opened['id']}/approve")
        assert all(c["unused_instances"] == 0 for c in await phone.credentials())
        forged = [
            {"key_id": r["key_id"], "signature": "A" * 86} for r in approved["signing_requests"]
        ]
        refused = await phone.call(
            "POST", f"/v1/presentations/{opened['id']}/signatures", json={"signatures": forged}
        )
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_signatures")
        await phone.decline(opened["id"])
        assert all(c["unused_instances"] == 1 for c in await phone.credentials())


async def test_a_credential_signed_with_a_key_the_registry_does_not_list_is_not_kept(
    town: Town, governance: Governance
) -> None:
    entry = governance.original.issuers[town.issuer_url]
    governance.change(
        issuers={town.issuer_url: dataclasses.replace(entry, key_refs=frozenset({"other-key"}))}
    )
    offer = await town.offer("household_income", INCOME_CLAIMS, batch_size=1)
    async with await new_citizen(town) as phone:
        with pytest.raises(ServiceRefused) as refused:
            await phone.accept_offer(offer.link_by_reference, tx_code=offer.tx_code, instances=1)
        assert (refused.value.status, refused.value.error) == (422, "refused")
        assert refused.value.description == TrustReason.KEY_NOT_REGISTERED.value
        assert await phone.credentials() == []
