"""The ``htu`` comparison of RFC 9449 §4.3 point 9: the request URI without query and
fragment, after the syntax- and scheme-based normalisation of RFC 3986 §6.2.2 and §6.2.3
(case of scheme and host, percent-encoding of unreserved characters, dot segments, the
default port, an empty path), so equal URIs compare equal and nothing else does."""

from __future__ import annotations

import re

MAX_HTU_CHARS = 2048
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
# RFC 3986 Appendix B, with the scheme and the authority required.
_URI = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^?#]*)(?:\?[^#]*)?(?:#.*)?")
_REG_NAME = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=]+")  # §3.2.2, without pct-encoding
_IP_LITERAL = re.compile(r"\[[0-9A-Fa-f:.]+\]")
_PORT = re.compile(r"[0-9]{0,5}")
_PATH = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")  # §3.3
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_PORT = 65535


def normalize_htu(url: str) -> str | None:
    """The http(s) URI without query and fragment, normalised for comparison; ``None`` if bad.

    RFC 3986 §6.2.2: scheme and host in lower case, percent-encodings in upper case and decoded
    where they stand for unreserved characters, dot-segments removed; §6.2.3: the default port
    and an empty port dropped, an empty path made ``/``. Userinfo is refused (RFC 9110 §4.2.4
    forbids it in http(s) URIs), and so is every character a URI cannot contain.
    """
    if not 0 < len(url) <= MAX_HTU_CHARS or not _URI_CHARS.fullmatch(url):
        return None
    match = _URI.fullmatch(url)
    if match is None:
        return None
    scheme, authority, path = match.group(1).lower(), match.group(2), match.group(3)
    if scheme not in _DEFAULT_PORTS or not _PATH.fullmatch(path):
        return None
    host = _normalize_authority(authority, default_port=_DEFAULT_PORTS[scheme])
    if host is None:
        return None
    return f"{scheme}://{host}{_remove_dot_segments(_PERCENT.sub(_percent, path)) or '/'}"


def _normalize_authority(authority: str, *, default_port: int) -> str | None:
    if authority.startswith("["):
        host, bracket, rest = authority.partition("]")
        host += bracket
        if not _IP_LITERAL.fullmatch(host) or (rest and not rest.startswith(":")):
            return None
        port = rest[1:]
    else:
        host, _, port = authority.partition(":")
        if not _REG_NAME.fullmatch(host):
            return None
    if not _PORT.fullmatch(port) or (port and int(port) > _MAX_PORT):
        return None
    host = host.lower()
    if not port or int(port) == default_port:
        return host
    return f"{host}:{int(port)}"


def _percent(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path (or the empty path)."""
    if not path:
        return ""
    segments = path.split("/")[1:]
    output: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment in {".", ".."}:
            if segment == ".." and output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)
