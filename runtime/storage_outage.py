"""Which exceptions mean "the database cannot be used right now" rather than "a bug".

THREATS INV-2 allows one designed 5xx: 503 with ``Retry-After`` while a dependency is down,
storage included (THREATS D-06, F-04). A connection cut by the server or the network, a
server that refuses connections or has gone read-only, a SQLite file that is locked by
another writer or on a full disk: each raises one of the driver errors the DBAPI calls
operational (PEP 249), which SQLAlchemy re-raises as ``OperationalError`` or, for a
connection that died under it, as a ``DBAPIError`` with ``connection_invalidated``. Such a
request did not commit (the transaction is rolled back with the connection), so the client
may repeat it. Integrity and programming errors are bugs and stay 500s.
"""

from __future__ import annotations

import sqlalchemy.exc

#: The client may repeat after this many seconds (RFC 9110 §10.2.3).
RETRY_AFTER_SECONDS = 1

#: SQLSTATE class 08 (connection exception), 53 (insufficient resources), 57P (operator
#: intervention: admin shutdown, crash shutdown, cannot connect now), 25006 (read-only
#: transaction), and 40001 (serialization failure) and 40P01 (deadlock detected): the server
#: aborted a transaction that contended with another (several workers on one database); it
#: wrote nothing, and repeating it is the remedy the PostgreSQL manual gives ("Serialization
#: Failure Handling"). PostgreSQL's codes for "not now" rather than a wrong statement.
_OUTAGE_SQLSTATE_PREFIXES = ("08", "53", "57P", "25006", "40001", "40P01")


#: SQLite's result codes for a database that cannot be used right now (extended codes such as
#: ``SQLITE_IOERR_WRITE`` start with these). Its driver raises ``OperationalError`` for "no
#: such table" and syntax errors too: those are bugs, not outages.
_SQLITE_OUTAGES = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_FULL",
    "SQLITE_READONLY",
    "SQLITE_IOERR",
    "SQLITE_CANTOPEN",
    "SQLITE_NOMEM",
    "SQLITE_PROTOCOL",
)


def is_storage_outage(error: BaseException) -> bool:
    """True when ``error`` says the database is unavailable, not that the statement is wrong."""
    name = getattr(getattr(error, "orig", None), "sqlite_errorname", None)
    if isinstance(name, str):  # SQLite (Python 3.11+ names the result code)
        return name.startswith(_SQLITE_OUTAGES)
    if isinstance(error, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return True
    if isinstance(error, sqlalchemy.exc.TimeoutError):  # every pooled connection busy
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        if error.connection_invalidated:
            return True
        state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        return isinstance(state, str) and state.startswith(_OUTAGE_SQLSTATE_PREFIXES)
    return isinstance(error, ConnectionError)
