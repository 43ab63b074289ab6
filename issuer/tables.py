"""The issuer's tables. What is kept, and for how long (DESIGN §1 issuer/, §5):

* ``offers``: the offer's state machine and, sealed, its claims only until the credential
  response has been delivered (or fetched, for deferred issuance) or the offer expired.
  Codes are stored as SHA-256 digests; the tx_code as an HMAC under the storage key, so a
  dump of the database does not give a 6-digit code away by brute force.
* ``access_tokens``, ``nonces``: digests and expiry only; single use by conditional UPDATE.
  An access token may be bound to a DPoP key (``jkt``, its RFC 7638 thumbprint).
* ``authorization_requests``: a pushed authorization request (RFC 9126) until the citizen's
  login ends or it expires.
* An authorization code grant is a row of ``offers`` too: its code digest, the client, the
  redirect URI, the PKCE challenge and the sealed subject; no claims, since the credential
  endpoint asks the subject source at the time of each request (so a refresh reflects changed
  data). It lives until ``refresh_token_ttl_seconds`` after the login.
* An offer with the ``authorization_code`` grant (HAIP 1.0 §4.2) keeps the digest of its
  ``issuer_state`` and, sealed, the subject the agency expects to log in, if it named one; its
  ``code_digest`` is that of a random value nobody is given, until the login replaces it with
  the authorization code's: the offer's row becomes the grant.
* ``refresh_tokens``: digests, the grant (the family), the DPoP key, spent or not.
* ``dpop_proofs``: digests of the DPoP proofs seen, until they are too old to be accepted.
* ``client_attestation_pops``: digests of the wallet attestation PoPs seen (instance key and
  ``jti``), until they are too old to be accepted.
* ``status_lists``, ``status_entries``: which index belongs to which offer and its status;
  the primary key (list, index) makes a double allocation impossible.
* ``issuances``: one row per credential response (a batch), for notifications and audit;
  no credential content.
* ``deferred``: the holder public keys of a pending deferred request, deleted once fetched.
* ``api_keys``: back-office keys as digests, with the configurations each may offer.
* ``webhook_outbox``: events to deliver, written in the same transaction as the change.

Times are integer seconds since the epoch (UTC), so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_digest", String(64), nullable=False, unique=True),
    Column("configurations", Text, nullable=False),  # JSON array of configuration ids
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),  # set on rotation: the overlap ends
    Column("revoked_at", BigInteger, nullable=True),
)

offers = Table(
    "offers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("api_key_id", String(32), nullable=True),
    Column("configuration_id", String(100), nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("code_digest", String(64), nullable=False, unique=True),
    Column("tx_code_digest", String(64), nullable=True),
    Column("tx_attempts", Integer, nullable=False, default=0),
    # offered -> redeemed -> issued -> delivered (notification or redelivery window ends);
    # offered -> locked (tx_code brute force); not yet issued -> withdrawn (revoked early);
    # redeemed/issued -> revoked; any -> expired (claims swept at expiry).
    # With the authorization_code grant: offered -> used (a PAR named its issuer_state) ->
    # authorized (the login named the offer's subject, if any) -> redeemed as a grant;
    # used -> denied (the login failed or named someone else)
    Column("state", String(16), nullable=False),
    Column("deferred", Boolean, nullable=False, default=False),
    Column("approved", Boolean, nullable=False, default=True),
    Column("sealed_claims", LargeBinary, nullable=True),
    Column("sealed_offer", LargeBinary, nullable=True),  # for credential_offer_uri, until redeemed
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("redeemed_at", BigInteger, nullable=True),
    # An authorization code grant (0002): the client, its redirect URI and PKCE challenge the
    # code is bound to, and the subject the authenticator named, sealed; never claims.
    Column("client_id", String(255), nullable=True),
    Column("redirect_uri", Text, nullable=True),
    Column("code_challenge", String(64), nullable=True),
    Column("dpop_jkt", String(64), nullable=True),  # RFC 9449 §10: the code's DPoP key (0005)
    Column("sealed_subject", LargeBinary, nullable=True),
    # An offer with the authorization_code grant (0004): its issuer_state, as a digest.
    Column("issuer_state_digest", String(64), nullable=True),
    Index("ix_offers_issuer_state", "issuer_state_digest", unique=True),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("offer_id", String(32), ForeignKey("offers.id"), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("jkt", String(64), nullable=True),  # RFC 9449 §6: the DPoP key it is bound to
)

nonces = Table(
    "nonces",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
    Column("used", Boolean, nullable=False, default=False),
)

status_lists = Table(
    "status_lists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", Integer, nullable=False),
    Column("allocated", Integer, nullable=False),
    Column("version", Integer, nullable=False),  # bumped on every status change
    Column("open", Boolean, nullable=False),
)

issuances = Table(
    "issuances",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("offer_id", String(32), ForeignKey("offers.id"), nullable=False),
    Column("notification_id", String(64), nullable=False, unique=True),
    Column("count", Integer, nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("superseded", Boolean, nullable=False, default=False),
    Column("event", String(32), nullable=True),
    Index("ix_issuances_offer", "offer_id"),
)

status_entries = Table(
    "status_entries",
    metadata,
    Column("list_id", Integer, ForeignKey("status_lists.id"), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("issuance_id", String(32), ForeignKey("issuances.id"), nullable=False),
    Column("offer_id", String(32), nullable=False),
    Column("status", Integer, nullable=False),
    Index("ix_status_entries_offer", "offer_id"),
)

deferred = Table(
    "deferred",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("offer_id", String(32), ForeignKey("offers.id"), nullable=False, unique=True),
    Column("holder_keys", Text, nullable=False),  # JSON array of public JWKs
    Column("created_at", BigInteger, nullable=False),
)

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger, nullable=True),
)

authorization_requests = Table(
    "authorization_requests",
    metadata,
    Column("digest", String(64), primary_key=True),  # of the request_uri's random part
    Column("login_digest", String(64), nullable=True, unique=True),  # while the citizen logs in
    Column("status", String(16), nullable=False),  # pushed -> login, deleted when answered
    Column("client_id", String(255), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("configuration_id", String(100), nullable=False),
    Column("code_challenge", String(64), nullable=False),
    Column("state", Text, nullable=True),
    Column("login_hint", String(256), nullable=True),
    Column("expires_at", BigInteger, nullable=False),
    Column("offer_id", String(32), nullable=True),  # the offer its issuer_state used (0004)
    Column("dpop_jkt", String(64), nullable=True),  # RFC 9449 §10: the code's DPoP key (0005)
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("offer_id", String(32), ForeignKey("offers.id"), nullable=False),  # the family
    Column("jkt", String(64), nullable=False),
    Column("spent", Boolean, nullable=False, default=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_refresh_tokens_offer", "offer_id"),
)

dpop_proofs = Table(
    "dpop_proofs",
    metadata,
    Column("digest", String(64), primary_key=True),  # of the key thumbprint and the jti
    Column("expires_at", BigInteger, nullable=False),
)

client_attestation_pops = Table(
    "client_attestation_pops",
    metadata,
    Column("digest", String(64), primary_key=True),  # of the instance key thumbprint and the jti
    Column("expires_at", BigInteger, nullable=False),
)
