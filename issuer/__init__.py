"""The agency issuer service: OpenID4VCI 1.0 for ``dc+sd-jwt`` credentials (DESIGN §1).

::

    settings.py           AANSPRAAK_ISSUER_* settings (docs/issuer.example.env)
    app.py                build_app(settings): routers, lifespan (migrations, sweeper, webhooks)
    context.py            what every handler needs: engine, keys, configurations, sealer, clock
    dependencies.py       the context as a FastAPI dependency of every router
    keys.py               ES256 signing keys from files behind the JwsSigner protocol; rotation
    certificates.py       the signing key's x5c chain (HAIP §6.1.1): a file or a development CA;
                          strict mode sends it without the trust anchor
    configurations.py     credential configurations from the bundled Type Metadata
    tables.py, storage.py the schema (Alembic: migrations/) and single-use idioms
    routes_metadata.py    well-known metadata, jwt-vc-issuer keys, Type Metadata, status lists
    routes_protocol.py    token, nonce, credential, deferred, notification endpoints
    routes_authorization.py  PAR, authorization endpoint, login callback (code flow)
    authorization.py      pushed requests, the citizen's login, the authorization code
    authenticators.py     the login behind a Protocol; the development authenticator
    client_auth.py        client authentication at /par and /token: wallet attestations
                          (HAIP §4.4.1) or public clients, in one function
    wallet_providers.py   the wallet providers' roots; the key attestation policy (§4.5.1)
    code_grants.py        the token endpoint's code and refresh grants (rotation, reuse)
    dpop.py, access.py    DPoP proofs, nonces and replay; access tokens at the resources
    oauth_metadata.py     RFC 8414 authorization server metadata
    forms.py              form bodies as name/value pairs
    routes_backoffice.py  offers, approval, revocation, key rotation (API key)
    wire_tables.py        core rejection reasons -> wire errors, one table per endpoint
    codes.py, nonces.py   bearer secrets and c_nonces: digests only in the database
    offers.py             creating offers (link, QR code, tx_code); offer_admin.py the rest
    redemption.py         the token endpoint's work (single use, tx_code attempt limit)
    issuance.py           credential / deferred endpoints' work; credentials.py signs a batch
    status_lists.py       random index allocation, status changes, list tokens
    notifications.py      notification endpoint; webhooks.py outbox and delivery
    api_keys.py           back-office keys; subjects.py pluggable subject sources
    sweeper.py            claims only until delivery or expiry
"""
