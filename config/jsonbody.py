"""Reading a JSON request body within limits: one reader for DRF (config.parsers) and for
plain Django views (json_body), so a 10 MB body or 1,000 nested brackets never reach
json.loads: 413 `payload_too_large` above DATA_UPLOAD_MAX_MEMORY_SIZE bytes, 400 `invalid`
deeper than API_JSON_MAX_DEPTH (json.loads recurses once per level).
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from config.errors import DomainError, PayloadTooLarge


class InvalidJson(DomainError):
    code = "invalid"
    default_message = "The body is not valid JSON."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, errors={})  # the contract's 400 `invalid` carries `errors`


# Outside strings only brackets and quotes matter; a string is skipped whole by a regex
# that cannot backtrack (each character is either plain or an escape pair), so one pass.
_JSON_STRUCTURE = re.compile(r'[\[\]{}"]')
_JSON_STRING_TAIL = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)


def _json_too_deep(text: str, max_depth: int) -> bool:
    """True if arrays/objects nest deeper than max_depth (brackets inside strings aside).
    Checked before json.loads, whose recursion a few thousand brackets exhaust."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    depth, position = 0, 0
    while match := _JSON_STRUCTURE.search(text, position):
        char, position = match.group(), match.end()
        if char == '"':
            tail = _JSON_STRING_TAIL.match(text, position)
            if tail is None:
                return False  # unterminated: json.loads refuses it at this depth
            position = tail.end()
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def json_decode(raw: bytes) -> Any:
    """Parse a JSON body within the limits: PayloadTooLarge (413) above
    DATA_UPLOAD_MAX_MEMORY_SIZE bytes, InvalidJson (400 `invalid`) when it is not JSON,
    not UTF-8, or nested deeper than API_JSON_MAX_DEPTH."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and len(raw) > limit:
        raise PayloadTooLarge()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson("The body is not UTF-8.") from exc
    if _json_too_deep(text, settings.API_JSON_MAX_DEPTH):
        raise InvalidJson(f"JSON nested deeper than {settings.API_JSON_MAX_DEPTH} levels.")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidJson(f"JSON parse error - {exc}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_limited(stream: IO[bytes] | HttpRequest) -> bytes:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return stream.read() if limit is None else stream.read(limit + 1)


def json_body(request: HttpRequest) -> Any:
    """The request's JSON body, parsed within the limits (see json_decode); {} when empty.

    For plain Django views that take JSON; DRF views get the same through JSONParser.
    Raises PayloadTooLarge / InvalidJson: render them with json_error_response.
    """
    try:
        raw = request.body if request._read_started else read_limited(request)  # noqa: SLF001
    except RequestDataTooBig as exc:
        raise PayloadTooLarge() from exc
    return json_decode(raw) if raw.strip() else {}
