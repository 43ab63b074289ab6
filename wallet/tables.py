"""The wallet service's tables. A dump of them reveals no claim value (DESIGN §1 wallet/, §5).

Everything about a citizen's credentials, disclosures and discoveries is sealed under the
account's vault key (``wallet.vault``), which the database holds only wrapped under a key
derived from the PIN and a server secret it never holds. In the clear are only what the
service needs without the vault key: which device key an account belongs to, the PIN
lockout counters, when a batch expires (so it can be purged unattended), whether a one-time
instance was used (so it is never presented twice, decided by a conditional UPDATE), and
when a pending step lapses.

* ``accounts``: one per device key (RFC 7638 thumbprint), the wrapped vault key, its
  Argon2id salt and cost, the PIN counters.
* ``batches``: one issuance: issuer, type, display and key ids, sealed; ``expires_at``.
* ``instances``: one-time credential instances of a batch, each sealed (the SD-JWT VC and
  the public key of its device key); ``used_at`` once reserved for a presentation.
* ``records``: sealed documents of an account by ``kind``: ``disclosure`` (the history),
  ``notice``, ``outcomes`` (the last discovery, to tell what changed), and the pending
  ``issuance``/``presentation`` steps waiting for the device's signatures.
* ``proof_jtis``: digests of device-proof ``jti`` values until they are too old to replay.

Times are integer seconds since the epoch (UTC), so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("device_thumbprint", String(64), nullable=False, unique=True),
    Column("device_jwk", Text, nullable=False),
    Column("pin_salt", LargeBinary, nullable=False),
    Column("pin_kdf", Text, nullable=False),  # the Argon2id cost the vault key was wrapped with
    Column("vault_key_wrapped", LargeBinary, nullable=False),
    Column("pin_failures", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False, default=0),
    Column("locked_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Index("ix_batches_account", "account_id"),
    Index("ix_batches_expires", "expires_at"),
)

instances = Table(
    "instances",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("batch_id", String(32), ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("used_at", BigInteger, nullable=True),
    Index("ix_instances_batch", "batch_id"),
    Index("ix_instances_account", "account_id"),
)

records = Table(
    "records",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Index("ix_records_account_kind", "account_id", "kind"),
)

proof_jtis = Table(
    "proof_jtis",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
)
