"""Reading an ``application/x-www-form-urlencoded`` body, as the token and PAR endpoints take.

The app's body limit has already applied. What comes out are name/value pairs in order,
repeats kept, so the parsers in ``specs`` can refuse a repeated parameter (RFC 6749 §3.2).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from runtime.wire import InvalidRequest

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """The body's parameters; ``invalid_request`` for another media type or a broken form."""
    if media_type(request) != FORM_MEDIA_TYPE:
        raise InvalidRequest(f"the body must be {FORM_MEDIA_TYPE}")
    try:
        text = (await request.body()).decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the body is not a valid form") from None
