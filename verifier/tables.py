"""The verifier's tables. What is kept, and for how long (DESIGN §1 verifier/, §5):

* ``transactions``: one eligibility request. Digests of its ``request_id`` and ``state``
  (the values themselves, and the nonce, are derived from the id under a key the database
  never holds: ``transaction_secrets``), the sealed response decryption key (deleted once
  answered), the desk's own facts sealed (deleted once decided),
  the query and purpose (compiled from the law: no personal data), and the lifecycle. The
  response code of the same-device flow is kept as a digest. Kept until the result expires.
* ``decisions``: the decision record (signed) and which desk asked, never the presentation,
  the disclosures, the claim values or the holder's keys; deleted after the retention period.
* ``follow_ups``: the officer's tailored decision (maatwerk) on a hardship referral, with
  its grounds, one per decision; deleted with its decision.
* ``api_keys``: desk system keys as digests, with the regulations each may request.

Times are integer seconds since the epoch (UTC), so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, MetaData, String, Table, Text

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_digest", String(64), nullable=False, unique=True),
    Column("regulations", Text, nullable=False),  # JSON array of regulation ids
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("desk", String(200), nullable=True),  # the API key's name; None: the command line
    Column("request_digest", String(64), nullable=False, unique=True),
    Column("state_digest", String(64), nullable=False, unique=True),
    Column("response_mode", String(20), nullable=False),
    Column("response_key_id", String(64), nullable=True, unique=True),
    Column("response_key_sealed", Text, nullable=True),
    Column("regulation_id", String(100), nullable=False),
    Column("regulation_version", String(100), nullable=False),
    Column("dcql_query", Text, nullable=False),
    Column("transaction_data", Text, nullable=False),  # JSON array of base64url strings
    Column("desk_facts_sealed", Text, nullable=True),
    Column("redirect_uri", Text, nullable=True),  # same-device flow: where the wallet returns
    Column("response_code_digest", String(64), nullable=True),
    Column("status", String(20), nullable=False),  # pending | decided | rejected | declined
    Column("failure_reason", String(80), nullable=True),
    Column("decision_id", String(32), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("answered_at", BigInteger, nullable=True),
    Column("result_expires_at", BigInteger, nullable=False),
)
Index("transactions_result_expiry", transactions.c.result_expires_at)

decisions = Table(
    "decisions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("transaction_id", String(32), nullable=False, unique=True),
    Column("desk", String(200), nullable=True),
    Column("regulation_id", String(100), nullable=False),
    Column("regulation_version", String(100), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("record", Text, nullable=False),  # the signed record (compact JWS)
    Column("created_at", BigInteger, nullable=False),
    Column("delete_after", BigInteger, nullable=False),
)
Index("decisions_retention", decisions.c.delete_after)

follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "decision_id", String(32), ForeignKey("decisions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("officer", String(200), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("amount_cents", BigInteger, nullable=True),
    Column("grounds", Text, nullable=False),
    Column("record", Text, nullable=False),  # signed, like the decision
    Column("created_at", BigInteger, nullable=False),
)
