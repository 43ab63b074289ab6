"""The citizen's wallet: the holder library, and the service for mobile clients built on it.

The holder library speaks the protocols and decides what to trust; it keeps nothing and knows
no accounts, so the service, the demo and the tests use the same code::

    issuance.py           OpenID4VCI 1.0 client, Pre-Authorized Code Flow: IssuanceClient
                          .receive(offer, tx_code=..., store=...) -> IssuanceResult
    authorization_flow.py the authorization code flow (HAIP §4.3: PAR, PKCE, state, iss)
                          and refresh: .start_authorization, .finish_authorization, .refresh
    authorization_server.py  RFC 8414 metadata: which flow, DPoP, wallet attestations
    token_requests.py     token requests DPoP-bound, with a wallet attestation (HAIP §4.4.1)
    issuer_discovery.py   §4.1, §12.2, §12.3, RFC 8414: the offer, the issuer and its
                          authorization server, checked before any secret is sent
    issuance_model.py     key sources, the trust check, limits, results, and the redeemed
                          offer a service keeps while a device signs the key proofs
    issuance_exchange.py  bounded POSTs to the issuer's endpoints (same origin only)
    issuance_dpop.py      DPoP proofs and server nonces for the issuer's endpoints
    issuance_steps.py     deferred polling (§9) and the tx_code check (§4.1.1, §6.1)
    received.py           §8.3, SD-JWT VC §3-4: every credential verified before it is kept
    issuance_errors.py    IssuanceFailed(reason, cause): the error tree of the client
    presentation.py       OpenID4VP 1.0 responder: request object, desk's registration, DCQL
                          match, consent preview, vp_token, direct_post(.jwt)
    device_signing.py     key proofs and KB-JWTs built here and signed on the device, in two
                          passes (CollectingSigner, then the device's verified signatures)
    discovery.py          "Did you know you are entitled to ...?" findings from the rules
                          engine's scan, with the agencies that would settle an unknown
    notices.py            "Note: this change affects ...": what changed between two scans
    regulation_shelf.py   only regulation files whose hash the trust registry anchors are run
    reissuance.py         advice when a batch of one-time instances runs low or expires

The service (``aanspraak wallet serve``, ``docs/wallet.md``) holds an account per device key
and keeps its credentials sealed under a PIN-wrapped vault key::

    app.py                build_app(settings, trust=...): routers, readiness, migrations,
                          the sweeper of expired credentials, lapsed steps and proof ids
    serve.py              app_from_environment: the uvicorn factory
    settings.py           WalletSettings: every AANSPRAAK_WALLET_* variable
    context.py            WalletContext: settings, database, trust registry, server secrets
    device_auth.py        a DPoP proof (RFC 9449) on every request; the session for the vault
    vault.py              vault keys wrapped by Argon2id(PIN) and the PIN secret; sealed records
    session_tokens.py     stateless session tokens carrying the vault key, bound to the device
    export_file.py        the passphrase-sealed export file, its KDF cost checked first
    accounts.py           register a device key, unlock with the PIN (backoff, lockout), delete
    routes_account.py     /v1 accounts, sessions, account deletion, export and import
    routes_holdings.py    /v1 issuances, credentials and their status, discovery, notices,
                          re-issuance advice, presentations and history
    receiving.py          an offer accepted in two steps: redeem, then the device's key proofs
    authorizing.py        the authorization code flow and refresh: start, the redirect,
                          then the same key-proof step
    grants.py             refresh grants of held batches, sealed
    routes_authorization.py  /v1 authorizations and credential refresh
    answering.py          a desk answered in steps: preview, consent, the device's KB-JWTs,
                          or decline; each logged in the history
    holdings.py           batches of one-time instances: store, list, open, delete, purge
                          when expired
    slots.py              holder-key slots (one key per slot across credential types) and
                          their reservation: never an instance, never a key, shown twice
    status_check.py       each credential's Token Status List, fetched and verified: revoked
                          and suspended batches stop counting
    entitlements.py       discovery over an account's own credentials; notices of changes
    records.py            sealed documents by kind: history, notices, last outcomes, pending
    backup.py             the account's export under a passphrase, and its restore
    tables.py             the schema, and what is in the clear
    migrations/           its Alembic migrations (version table wallet_alembic_version)
    wire_errors.py        the service's error responses, one class per wire code
    api_models.py         the answers' shapes for the OpenAPI document
    device_client.py      a reference client of the API, with a simulated device

Holder keys stay with the citizen (DESIGN §1 wallet/): the library asks a ``HolderKeys``
source for one new ``JwsSigner`` per credential instance and never exports a private key, and
the service holds only public keys: the device signs.
"""
