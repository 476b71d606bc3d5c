"""Reading JSON request bodies strictly: exact fields, exact types, bounded sizes."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request

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


def json_body() -> Any:
    if not request.is_json:
        raise ApiError("unsupported-media-type")
    try:
        return json.loads(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("invalid-json") from exc


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
        except ValueError as exc:
            errors[spec.name] = f"expected {exc}"
    if errors:
        raise ApiError("validation-failed", fields=errors)
    return values


def parse_json_body(fields: list[Field]) -> dict[str, Any]:
    return parse_object(json_body(), fields)
