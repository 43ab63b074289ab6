"""The hostile inputs of ``bench.hostile``: one builder per [DoS] case of the threat catalogue.

Each builder makes its input small: a compression bomb is built with zlib's streaming
interface from 1 MiB of zeros (never the gigabytes it inflates to), and the 500 MB header of
P-21 is only ever declared (``Content-Length``), never allocated. The SD-JWTs are signed by
a key of this run with ``specs.jose``, so a refusal comes from the cap a case is about and
not from a bad signature.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from specs.jose import PrivateJwk, b64url_encode, dumps_compact
from specs.jose.jws import raw_signature

MIB = 1024 * 1024
VCT = "urn:nl:belastingdienst:household-income:1"
ZEROS = bytes(MIB)
_ADLER_BASE = 65521


def b64(text: str | bytes) -> str:
    return b64url_encode(text.encode("utf-8") if isinstance(text, str) else text)


def disclosure(salt: str, name: str, value: Any) -> str:
    return b64(json.dumps([salt, name, value]))


def digest(encoded: str) -> str:
    """RFC 9901 §4.2.3: SHA-256 over the Disclosure's ASCII text."""
    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


def signed_jwt(header: dict[str, Any], payload: dict[str, Any] | str, key: PrivateJwk) -> str:
    """ES256 over a payload given as a dict or as raw JSON text (a hostile one)."""
    payload_text = payload if isinstance(payload, str) else dumps_compact(payload)
    signing_input = f"{b64(dumps_compact(header))}.{b64(payload_text)}"
    signature = raw_signature(key, signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def sd_jwt_vc(payload: dict[str, Any], disclosures: Sequence[str], key: PrivateJwk) -> str:
    """``<issuer JWT>~<Disclosure>~...~`` with ``typ: dc+sd-jwt`` (SD-JWT VC §3.2.1)."""
    jwt = signed_jwt({"alg": "ES256", "typ": "dc+sd-jwt"}, {"vct": VCT, **payload}, key)
    return "~".join([jwt, *disclosures]) + "~"


# --- P-19 .. P-21: SD-JWT parsing --------------------------------------------------------


def nested_disclosures(levels: int, key: PrivateJwk) -> str:
    """P-19: ``levels`` Disclosures, each hiding the next one's digest (depth ``levels``)."""
    disclosures, reference = [], ""
    for level in range(levels):
        value: Any = {"_sd": [reference]} if level else "leaf"
        encoded = disclosure(f"salt-{level}", "x", value)
        disclosures.append(encoded)
        reference = digest(encoded)
    return sd_jwt_vc({"_sd": [reference]}, list(reversed(disclosures)), key)


def nested_arrays(depth: int, key: PrivateJwk) -> str:
    """P-19: one Disclosure whose value is ``depth`` arrays, one inside the other."""
    encoded = b64('["salt-salt-salt", "a", ' + "[" * depth + "]" * depth + "]")
    return sd_jwt_vc({"_sd": [digest(encoded)]}, [encoded], key)


def many_digests(count: int, key: PrivateJwk) -> str:
    """P-20: ``count`` digests in one ``_sd`` (decoys: nothing refers to them)."""
    return sd_jwt_vc({"_sd": [f"digest-{i:06d}" for i in range(count)]}, [], key)


def many_disclosures(count: int, key: PrivateJwk) -> str:
    """P-20: ``count`` Disclosures of ``"!"``, which is not base64url: a refusal that names
    base64 would show that one was decoded before they were counted."""
    return sd_jwt_vc({"a": 1}, ["!"] * count, key)


def oversized_presentation(size: int, key: PrivateJwk) -> str:
    """P-21: a valid issuer JWT followed by one ``size``-character Disclosure."""
    return sd_jwt_vc({"a": 1}, ["A" * size], key)


def form_prefix(key: PrivateJwk) -> bytes:
    """The start of a ``direct_post`` body whose declared length is far larger (P-21)."""
    return b"state=x&vp_token=" + sd_jwt_vc({"a": 1}, [], key).encode("ascii")[:512]


# --- T-01, T-13, H-13: compression bombs -------------------------------------------------


def _deflate_blocks(mebibytes: int, wbits: int) -> tuple[bytes, bytes]:
    """The compressed form of ``mebibytes`` MiB of zeros, built from one MiB: (stream
    without its trailer, the compressor's own trailer for the 2 MiB it really saw).

    After a full flush the compressor starts afresh, so each further MiB of zeros compresses
    to the same bytes: the block is repeated instead of recompressed. About 1 KB per MiB.
    """
    if mebibytes < 2:
        raise ValueError("at least 2 MiB")
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = compressor.compress(ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()  # the empty final block, then the trailer
    return first + block * (mebibytes - 1), end


def zlib_bomb(mebibytes: int) -> bytes:
    """A ZLIB stream (RFC 1950) of ``mebibytes`` MiB of zeros; its Adler-32 is computed
    (for zeros, a = 1 and b = the length mod 65521)."""
    stream, end = _deflate_blocks(mebibytes, zlib.MAX_WBITS)
    adler = ((mebibytes * MIB) % _ADLER_BASE) << 16 | 1
    return stream + end[:-4] + adler.to_bytes(4, "big")


def status_list_claim(mebibytes: int) -> dict[str, Any]:
    """A Token Status List ``status_list`` whose ``lst`` inflates to ``mebibytes`` MiB."""
    return {"bits": 1, "lst": b64url_encode(zlib_bomb(mebibytes))}


def gzip_bomb(mebibytes: int) -> bytes:
    """A gzip member (RFC 1952) of ``mebibytes`` MiB of zeros: what a hostile server sends
    with ``Content-Encoding: gzip``. The trailer is CRC-32 and size of the whole."""
    stream, end = _deflate_blocks(mebibytes, 16 + zlib.MAX_WBITS)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(ZEROS, crc)
    size = (mebibytes * MIB) % 2**32
    return stream + end[:-8] + crc.to_bytes(4, "little") + size.to_bytes(4, "little")


# --- V-11: JWE bombs ---------------------------------------------------------------------


def pbes2_jwe(kid: str, iterations: int) -> str:
    """A JWE whose header asks for PBES2 with ``iterations`` rounds of key derivation."""
    header = {"alg": "PBES2-HS512+A256KW", "enc": "A128GCM", "p2c": iterations, "kid": kid}
    head = b64(dumps_compact(header))
    return f"{head}.{b64(b'k' * 40)}.{b64(b'i' * 12)}.AAAA.{'A' * 22}"


def deflate_jwe(kid: str, mebibytes: int, *, max_chars: int) -> str:
    """A ``zip: DEF`` JWE whose ciphertext is a raw DEFLATE bomb (RFC 7516 §4.1.3), cut
    to what fits ``max_chars``: the header alone must be enough to refuse it."""
    header = {"alg": "ECDH-ES", "enc": "A128GCM", "zip": "DEF", "kid": kid}
    stream, end = _deflate_blocks(mebibytes, -zlib.MAX_WBITS)  # raw: no trailer
    deflated = stream + end
    body = b64(deflated)[: max(0, max_chars - 200)]
    return f"{b64(dumps_compact(header))}..{b64(b'i' * 12)}.{body}.{'A' * 22}"


def jwe_form(token: str) -> bytes:
    return urlencode({"response": token}).encode("ascii")


# --- H-02: hostile forms -----------------------------------------------------------------


def many_fields(count: int) -> bytes:
    """``count`` empty fields with distinct names: under the byte cap, over the field cap."""
    return "&".join(f"f{i}=" for i in range(count)).encode("ascii")


def multipart_headers(count: int) -> tuple[bytes, str]:
    """One multipart part with ``count`` header lines; the body and its content type."""
    boundary = "hostile-boundary"
    lines = [f"--{boundary}", 'Content-Disposition: form-data; name="vp_token"']
    lines += [f"X-Header-{i}: {i}" for i in range(count)]
    body = "\r\n".join([*lines, "", "x", f"--{boundary}--", ""]).encode("ascii")
    return body, f"multipart/form-data; boundary={boundary}"


# --- the load mix (bench.hostile_load) ---------------------------------------------------


def garbage_jwe_form(number: int) -> bytes:
    """Five segments that are not a JWE (an unknown ``kid`` at best)."""
    return jwe_form(f"{b64(json.dumps({'kid': f'k{number}'}))}.a.b.c.d")


def unknown_state_form(number: int) -> bytes:
    """A well-formed ``direct_post`` for a transaction that does not exist."""
    vp_token = json.dumps({"q": [f"eyJ.{number}.x~"]})
    return urlencode({"state": f"no-such-state-{number}", "vp_token": vp_token}).encode("ascii")


def broken_form(number: int) -> bytes:
    """Not a form: a lone percent sign, a repeated parameter."""
    return f"state=%zz{number}&state=%&vp_token".encode("ascii")
