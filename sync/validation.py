"""Reading what a request carries strictly: exact fields, exact types, bounded sizes.

Every malformed value, whatever its kind (JSON nested ten thousand deep, digits that are not
ASCII, a number of a thousand digits, a name that hides its direction), ends as a typed problem,
never as an exception that would answer 500.
"""

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext

from crypto.encoding import InvalidEncoding, b64url_decode
from sync.problems import ApiError


@dataclass(frozen=True)
class Field:
    name: str
    check: Callable[[Any], Any]
    required: bool = True


def text(max_length: int, min_length: int = 1) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not min_length <= len(value.strip()) <= max_length:
            raise ValueError(f"a text of {min_length} to {max_length} characters")
        return value.strip()
    return check


# Names people give themselves. The characters refused are those that change how the text
# around them is drawn, or draw nothing: controls, the bidirectional embeddings, overrides and
# isolates (a name could otherwise show reversed, "txet" for "text", or move the words after it
# on a certification screen), and line or paragraph separators.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})
# Characters that draw nothing although Unicode does not class them as format or space.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180e")
NAME_MAX = 80


class InvalidName(ValueError):
    """A display name that is refused; the message is translated for the person."""


def display_name(value: Any) -> str:
    """A person's display name, NFC-normalised with its spaces collapsed, or ``InvalidName``."""
    if not isinstance(value, str):
        raise InvalidName(gettext("Enter your name as text."))
    normalised = unicodedata.normalize("NFC", value)
    # Checked before spaces are collapsed: str.split() would quietly turn a line separator or a
    # C1 control into a space.
    if any(c in BIDI_CONTROLS or unicodedata.category(c) in REFUSED_CATEGORIES for c in normalised):
        raise InvalidName(gettext("Your name may not contain control or text-direction characters."))
    name = " ".join(normalised.split())
    if len(name) > NAME_MAX:
        raise InvalidName(gettext("Your name must have 1 to %(max)d characters.", max=NAME_MAX))
    visible = [c for c in name if not (c.isspace() or c in BLANK_LETTERS
                                        or unicodedata.category(c) in ("Cf", "Mn", "Me"))]
    if not visible:
        raise InvalidName(gettext("Your name must contain at least one visible letter or sign."))
    return name


TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def token(value: Any) -> str:
    """A one-time token as the server makes them (base64url text)."""
    if not isinstance(value, str) or not TOKEN.fullmatch(value.strip()):
        raise ValueError("a token of 20 to 100 base64url characters")
    return value.strip()


def email(value: Any) -> str:
    checked = text(254, 3)(value)
    local, _, domain = checked.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in checked):
        raise ValueError("an email address")
    return checked.lower()


def b64url_bytes(length: int) -> Callable[[Any], bytes]:
    def check(value: Any) -> bytes:
        try:
            data = b64url_decode(value)
        except InvalidEncoding as exc:
            raise ValueError("base64url without padding") from exc
        if len(data) != length:
            raise ValueError(f"{length} bytes")
        return data
    return check


def one_of(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError("one of " + ", ".join(choices))
        return value
    return check


# No body of this API nests deeper than a few levels; the parser must not recurse into what an
# attacker nests 10,000 deep (RecursionError), so depth is counted before parsing.
MAX_JSON_DEPTH = 32


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (a linear scan, no recursion)."""
    depth, in_string, escaped = 0, False, False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def parse_json(data: bytes) -> Any:
    """JSON from bytes, or ``invalid-json``; never a RecursionError."""
    if json_depth_exceeds(data, MAX_JSON_DEPTH):
        raise ApiError("invalid-json", f"nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError("invalid-json") from exc


def json_body(data: bytes | None = None) -> Any:
    if not request.is_json:
        raise ApiError("unsupported-media-type")
    return parse_json(request.get_data(cache=True) if data is None else data)


# A whole number in a query: ASCII digits only (str.isdigit() also takes "²"), a bounded count
# of them (int() of thousands of digits is refused by Python itself, as a ValueError).
WHOLE_NUMBER = re.compile(r"[0-9]{1,16}")


def int_query(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not WHOLE_NUMBER.fullmatch(raw) or int(raw) > maximum:
        raise ApiError("validation-failed", fields={name: f"a whole number from 0 to {maximum}"})
    return int(raw)


def parse_object(data: Any, fields: list[Field]) -> dict[str, Any]:
    """Check an object against its fields; unknown fields are refused, not ignored."""
    if not isinstance(data, dict):
        raise ApiError("validation-failed", "the body must be a JSON object")
    known = {f.name for f in fields}
    unknown = sorted(set(data) - known)
    errors: dict[str, str] = {name: "unknown field" for name in unknown}
    values: dict[str, Any] = {}
    for spec in fields:
        if spec.name not in data:
            if spec.required:
                errors[spec.name] = "required"
            continue
        try:
            values[spec.name] = spec.check(data[spec.name])
        except InvalidName as exc:
            errors[spec.name] = str(exc)
        except ValueError as exc:
            errors[spec.name] = f"expected {exc}"
    if errors:
        raise ApiError("validation-failed", fields=errors)
    return values


def parse_json_body(fields: list[Field], data: bytes | None = None) -> dict[str, Any]:
    """The request's JSON body (or ``data``, such as an inflated body) checked against ``fields``."""
    return parse_object(json_body(data), fields)
