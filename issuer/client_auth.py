"""Client authentication at the PAR and token endpoints: the one place that decides it.

Wallets are public clients (RFC 6749 §2.1): they cannot keep a secret, so today a client is
known by its ``client_id`` alone, which must be well formed (``specs.oauth``) and is bound to
the pushed request, the code and the tokens, so one client cannot redeem another's code.

HAIP 1.0 §4.3 and §4.4 ask wallets to authenticate with a wallet attestation (OpenID4VCI 1.0
Appendix E: the ``OAuth-Client-Attestation`` and ``OAuth-Client-Attestation-PoP`` headers).
That check belongs in :func:`authenticate_client` and nowhere else: both endpoints call it,
and ``TOKEN_ENDPOINT_AUTH_METHODS`` is what the authorization server metadata advertises, so
adding ``attest_jwt_client_auth`` there is the one other change it needs.
"""

from __future__ import annotations

from collections.abc import Mapping

from issuer.context import IssuerContext
from runtime.wire import InvalidClient
from specs.errors import Rejected
from specs.oauth.pushed import read_client_id

TOKEN_ENDPOINT_AUTH_METHODS: tuple[str, ...] = ("none",)
"""RFC 8414 ``token_endpoint_auth_methods_supported``; ``none``: public clients (RFC 7591)."""


async def authenticate_client(
    context: IssuerContext, request_headers: Mapping[str, str], client_id: str | None
) -> str | None:
    """The authenticated client of a PAR or token request, ``None`` for an anonymous one.

    Only the pre-authorized code grant may be anonymous (OpenID4VCI 1.0 §6.1); the callers
    require ``client_id`` where the grant needs it. A client that tries to authenticate in a
    way we do not support (an ``Authorization`` header: a client secret) is refused rather
    than treated as public (RFC 6749 §2.3: use one method only).
    """
    del context  # the attestation check will need its trust anchors and clock
    if "authorization" in request_headers:
        raise InvalidClient("only public clients are supported")
    if client_id is None:
        return None
    try:
        return read_client_id(client_id)
    except Rejected:
        raise InvalidClient() from None
