"""``aanspraak sd-jwt``: issue, present, verify and decode SD-JWTs from the shell.

A debugging tool for people, and the contract the interoperability tests drive. Keys come
from JWK files; tokens travel on stdin/stdout; time defaults to the system clock and can be
pinned with ``--now`` for reproducible runs.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from aanspraak.cli_io import (
    fail_rejected,
    fail_usage,
    read_json_file,
    read_private_key,
    read_public_key,
    read_stdin,
)
from specs.errors import Rejected
from specs.jose import StaticKeyResolver, parse_compact_jws
from specs.sd_jwt import (
    DEFAULT_LIMITS,
    KeyBindingPolicy,
    KeyBindingRequired,
    NoKeyBinding,
    hash_alg_of,
    issue_sd_jwt,
    mark_all_disclosable,
    open_sd_jwt,
    parse_claim_path,
    parse_disclosure,
    present_sd_jwt,
    process_payload,
    split_compact,
    verify_sd_jwt,
    verify_sd_jwt_json,
)
from specs.sd_jwt_vc import PLAIN_BY_DEFAULT, issue_sd_jwt_vc, verify_sd_jwt_vc

GENERIC_TYP = "sd-jwt"
MAX_TOKEN_CHARS = DEFAULT_LIMITS.max_token_chars

app = typer.Typer(
    help="Issue, present, verify and decode SD-JWTs (RFC 9901) and SD-JWT VCs.",
    no_args_is_help=True,
    add_completion=False,
)

NowOption = Annotated[
    int | None, typer.Option("--now", help="Current time as UNIX seconds (default: the clock).")
]


def _now(value: int | None) -> int:
    return int(time.time()) if value is None else value


@app.command("issue")
def issue(
    issuer_key: Annotated[Path, typer.Option(help="Issuer private JWK file.")],
    claims: Annotated[Path, typer.Option(help="JSON file with the claims object.")],
    holder_key: Annotated[
        Path | None, typer.Option(help="Holder public JWK file; becomes cnf.jwk.")
    ] = None,
    vct: Annotated[
        str | None, typer.Option(help="Issue an SD-JWT VC (typ dc+sd-jwt) of this type.")
    ] = None,
    typ: Annotated[str, typer.Option(help="JWT typ without --vct.")] = GENERIC_TYP,
    now: NowOption = None,
) -> None:
    """Print a compact SD-JWT; claims but iss, iat, nbf, exp, vct, cnf, status are disclosable."""
    key = read_private_key(issuer_key, "issuer key")
    body = read_json_file(claims, "claims")
    if not isinstance(body, dict):
        fail_usage("the claims file must hold a JSON object")
    body.setdefault("iat", _now(now))
    holder = read_public_key(holder_key, "holder key") if holder_key else None
    marked = mark_all_disclosable(body, keep_plain=PLAIN_BY_DEFAULT)
    try:
        if vct is not None:
            issued = issue_sd_jwt_vc(
                marked, vct=vct, issuer_key=key, holder_key=holder, random_bytes=os.urandom
            )
        else:
            if holder is not None:
                marked["cnf"] = {"jwk": holder.to_jwk()}
            issued = issue_sd_jwt(marked, issuer_key=key, typ=typ, random_bytes=os.urandom)
    except Rejected as exc:
        fail_rejected(exc)
    typer.echo(issued.token)


@app.command("present")
def present(
    holder_key: Annotated[Path, typer.Option(help="Holder private JWK file (signs the KB-JWT).")],
    disclose: Annotated[
        list[str],
        typer.Option(help='Claim to disclose: dotted (address.locality) or JSON (["a","b"]).'),
    ],
    nonce: Annotated[str, typer.Option(help="The verifier's nonce.")],
    audience: Annotated[str, typer.Option(help="The verifier's identifier (KB-JWT aud).")],
    now: NowOption = None,
) -> None:
    """Read an issued SD-JWT on stdin; print a presentation of only those claims, with a KB-JWT."""
    key = read_private_key(holder_key, "holder key")
    token = read_stdin(MAX_TOKEN_CHARS)
    try:
        paths = [parse_claim_path(p) for p in disclose]
        view = open_sd_jwt(token)
        presentation = present_sd_jwt(
            view, disclose=paths, holder_key=key, nonce=nonce, audience=audience, now=_now(now)
        )
    except Rejected as exc:
        fail_rejected(exc)
    typer.echo(presentation)


@app.command("verify")
def verify(
    issuer_key: Annotated[Path, typer.Option(help="Issuer public JWK file.")],
    vc: Annotated[bool, typer.Option("--vc", help="Apply the SD-JWT VC rules too.")] = False,
    nonce: Annotated[str | None, typer.Option(help="Expected KB-JWT nonce.")] = None,
    audience: Annotated[str | None, typer.Option(help="Expected KB-JWT aud.")] = None,
    no_key_binding: Annotated[
        bool, typer.Option("--no-key-binding", help="Expect no KB-JWT (token ends in '~').")
    ] = False,
    typ: Annotated[str, typer.Option(help="Expected JWT typ without --vc.")] = GENERIC_TYP,
    legacy_typ: Annotated[
        bool, typer.Option("--accept-legacy-typ", help="With --vc, also accept vc+sd-jwt.")
    ] = False,
    now: NowOption = None,
) -> None:
    """Verify a token on stdin; print the processed payload, or 'rejected: <reason>' (exit 1)."""
    policy = _key_binding_policy(nonce, audience, no_key_binding=no_key_binding)
    resolver = StaticKeyResolver(read_public_key(issuer_key, "issuer key"))
    token = read_stdin(MAX_TOKEN_CHARS)
    try:
        if vc:
            claims = verify_sd_jwt_vc(
                token,
                issuer_keys=resolver,
                key_binding=policy,
                now=_now(now),
                accept_legacy_typ=legacy_typ,
            ).claims
        else:
            verify = verify_sd_jwt_json if token.startswith("{") else verify_sd_jwt
            claims = verify(
                token, issuer_keys=resolver, typ=typ, key_binding=policy, now=_now(now)
            ).claims
    except Rejected as exc:
        fail_rejected(exc)
    typer.echo(json.dumps(claims, ensure_ascii=False, indent=2))


def _key_binding_policy(
    nonce: str | None, audience: str | None, *, no_key_binding: bool
) -> KeyBindingPolicy:
    if no_key_binding:
        if nonce is not None or audience is not None:
            fail_usage("--no-key-binding cannot be combined with --nonce/--audience")
        return NoKeyBinding()
    if not nonce or not audience:
        fail_usage("give --nonce and --audience, or --no-key-binding")
    return KeyBindingRequired(nonce=nonce, audience=audience)


@app.command("decode")
def decode() -> None:
    """Show header, payload and Disclosures of a token on stdin WITHOUT verifying anything."""
    token = read_stdin(MAX_TOKEN_CHARS)
    try:
        shown = _describe_unverified(token)
    except Rejected as exc:
        fail_rejected(exc)
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


def _describe_unverified(token: str) -> dict[str, Any]:
    parts = split_compact(token, limits=DEFAULT_LIMITS)
    jws = parse_compact_jws(parts.signed_jwts[0][0], max_bytes=MAX_TOKEN_CHARS)
    hash_alg = hash_alg_of(jws.payload)
    disclosures = [parse_disclosure(d, hash_alg=hash_alg) for d in parts.disclosures]
    shown: dict[str, Any] = {
        "warning": "UNVERIFIED: no signature, digest or key binding has been checked",
        "header": jws.header,
        "payload": jws.payload,
        "disclosures": [
            {"digest": d.digest, "salt": d.salt, "claim_name": d.name, "claim_value": d.value}
            for d in disclosures
        ],
        "processed_payload": process_payload(
            jws.payload, disclosures, limits=DEFAULT_LIMITS
        ).claims,
    }
    if parts.kb_jwt is not None:
        kb = parse_compact_jws(parts.kb_jwt, max_bytes=MAX_TOKEN_CHARS)
        shown["key_binding_jwt"] = {"header": kb.header, "payload": kb.payload}
    return shown
