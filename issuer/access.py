"""Who may call the credential, deferred and notification endpoints: the access token.

``Authorization: Bearer <token>`` (RFC 6750 §2.1) for a token issued without DPoP, and only
when the issuer is not in strict HAIP mode; ``Authorization: DPoP <token>`` with a ``DPoP``
proof for a DPoP-bound one (RFC 9449 §7.1). A DPoP-bound token sent as a Bearer token is
refused (§7.1: the scheme tells the server to check the binding, so accepting it would skip
the check), and so is a proof by any key but the one the token is bound to (``cnf.jkt``,
§6). The proof must carry ``ath``, the token's hash (§4.2), and a current server nonce (§9).
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request

from issuer.codes import digest, same_digest
from issuer.context import IssuerContext
from issuer.dpop import check_dpop_proof
from issuer.tables import access_tokens
from runtime.wire import InvalidDpopToken, InvalidToken

MAX_ACCESS_TOKEN_CHARS = 512


async def authenticate(context: IssuerContext, request: Request) -> str:
    """The offer (or grant) the request's access token was issued for (module docstring)."""
    haip = context.settings.haip
    values = request.headers.getlist("authorization")
    scheme, _, token = (values[0] if len(values) == 1 else "").partition(" ")
    scheme, token = scheme.lower(), token.strip()
    if scheme not in {"bearer", "dpop"} or not _well_formed(token):
        raise InvalidDpopToken() if haip else InvalidToken()
    if scheme == "bearer" and haip:
        raise InvalidDpopToken("a DPoP-bound access token is required")
    jkt: str | None = None
    if scheme == "dpop":
        proof = await check_dpop_proof(context, request, access_token=token, at_resource=True)
        jkt = proof.thumbprint
    async with context.read() as connection:
        row = (
            await connection.execute(
                select(
                    access_tokens.c.offer_id, access_tokens.c.expires_at, access_tokens.c.jkt
                ).where(access_tokens.c.digest == digest(token))
            )
        ).first()
    unknown = row is None or row.expires_at <= context.clock()
    if jkt is None:
        if unknown:
            raise InvalidToken()
        if row is not None and row.jkt is not None:
            raise InvalidDpopToken("a DPoP-bound access token must be sent with the DPoP scheme")
    elif unknown or row is None or row.jkt is None or not same_digest(row.jkt, jkt):
        raise InvalidDpopToken()
    assert row is not None
    return str(row.offer_id)


def _well_formed(token: str) -> bool:
    return 0 < len(token) <= MAX_ACCESS_TOKEN_CHARS and token.isascii() and " " not in token
