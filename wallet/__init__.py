"""The citizen's wallet: the holder library (and, later, the service for mobile clients).

::

    issuance.py           OpenID4VCI 1.0 client, Pre-Authorized Code Flow: IssuanceClient
                          .receive(offer, tx_code=..., store=...) -> IssuanceResult
    issuer_discovery.py   §4.1, §12.2, §12.3, RFC 8414: the offer, the issuer and its
                          authorization server, checked before any secret is sent
    issuance_exchange.py  bounded POSTs to the issuer's endpoints (same origin only)
    received.py           §8.3, SD-JWT VC §3-4: every credential verified before it is kept
    issuance_errors.py    IssuanceFailed(reason, cause): the error tree of the client

Holder keys stay with the citizen (DESIGN §1 wallet/): the library asks a ``HolderKeys``
source for one new ``JwsSigner`` per credential instance and never exports a private key.
"""
