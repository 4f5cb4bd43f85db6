"""Request bodies as bytes arrive: decoded and parsed within limits before any framework parses them again.

Python's json module recurses once per nesting level (5,000 levels is a RecursionError) and refuses integers
of more than 4,300 digits with a ValueError; either would escape a web framework as a 5xx. Here every way a
body can be wrong is one :class:`BodyInvalid` with a sentence a buyer can act on.
"""

import base64
import binascii
import json
from typing import Any

from telar.errors import TelarError

MAX_DEPTH = 16  # an order is 4 levels deep (body > lines > line > options)
MAX_NUMBER_CHARS = 20  # quantities are at most 6 digits; nothing in an order needs more than an int64


class BodyInvalid(TelarError):
    """The body is not UTF-8 JSON within the limits; the message says what is wrong."""


def _depth_exceeded(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (one pass, no recursion)."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _number(kind: str) -> Any:
    def parse(literal: str) -> int | float:
        if len(literal) > MAX_NUMBER_CHARS:
            raise BodyInvalid(f"a number of {len(literal):,} characters; numbers have at most {MAX_NUMBER_CHARS}")
        return int(literal) if kind == "int" else float(literal)

    return parse


def _constant(name: str) -> Any:
    raise BodyInvalid(f"{name} is not JSON; send numbers as digits")


def decode_body(body: str | None, is_base64: bool) -> str:
    """The body as text: base64 undone (API Gateway's binary passthrough), then strict UTF-8 without a BOM."""
    raw: bytes | str = body or ""
    if is_base64:
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise BodyInvalid("the body is marked base64 but is not") from None
    if isinstance(raw, bytes):
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and (raw[0] == 0 or raw[1] == 0)):
            raise BodyInvalid("the body looks like UTF-16; send JSON encoded as UTF-8")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BodyInvalid(f"the body is not valid UTF-8 (byte {exc.start}); send JSON encoded as UTF-8") from None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 sender produces one
        raise BodyInvalid(f"the body is not valid UTF-8 (character {exc.start})") from None
    if raw.startswith("\ufeff"):
        raise BodyInvalid("the body starts with a byte order mark; send JSON encoded as UTF-8 without one")
    if "\x00" in raw:
        raise BodyInvalid("the body contains a NUL character; send JSON encoded as UTF-8")
    return raw


def parse_json_body(text: str) -> Any:
    """Parse ``text`` as JSON within the limits above; raise BodyInvalid naming the first problem."""
    if _depth_exceeded(text, MAX_DEPTH):
        raise BodyInvalid(f"the JSON nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_number("int"), parse_float=_number("float"), parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise BodyInvalid(f"the body is not valid JSON ({exc.msg} at character {exc.pos})") from None
